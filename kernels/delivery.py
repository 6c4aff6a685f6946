"""Event-driven spike delivery into per-target ring buffers."""
from ._config import jit
from .prefetch import DELIVERY_AHEAD, prefetch_2d


@jit
def deliver_row(ring, start, stop, post_lo, t, slot_mask, post, weight, delay):
    """Add synapses ``start:stop`` of one CSR row into ``ring[slot, target]``.

    ``ring`` has shape ``(n_slots, n_neurons)`` with ``n_slots`` a power of
    two larger than every delay. ``weight`` and ``delay`` are the
    projection's own arrays, indexed from ``start`` relative to the
    projection, or of length 1 when the value is the same for every synapse
    (then no per-synapse memory is read or stored). The input of synapse
    ``k`` lands in slot ``(t + delay[k]) & slot_mask`` of neuron
    ``post_lo + post[k]``. With a delay per synapse the targets are spread over many
    slots (tens of MB in a large network), so the ring cell of the synapse
    :data:`.prefetch.DELIVERY_AHEAD` places on is prefetched; the sums are unchanged.
    """
    wmask = 0 if weight.shape[0] == 1 else -1  # k & 0 = 0: one value for all synapses
    if delay.shape[0] == 1:
        row = ring[(t + delay[0]) & slot_mask, post_lo:]
        for k in range(start, stop):
            row[post[k]] += weight[k & wmask]
    else:
        mid = max(start, stop - DELIVERY_AHEAD)
        for k in range(start, min(start + DELIVERY_AHEAD, stop)):
            prefetch_2d(ring, (t + delay[k]) & slot_mask, post_lo + post[k])
        for k in range(start, mid):
            n = k + DELIVERY_AHEAD
            prefetch_2d(ring, (t + delay[n]) & slot_mask, post_lo + post[n])
            ring[(t + delay[k]) & slot_mask, post_lo + post[k]] += weight[k & wmask]
        for k in range(mid, stop):
            ring[(t + delay[k]) & slot_mask, post_lo + post[k]] += weight[k & wmask]
