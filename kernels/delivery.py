"""Event-driven spike delivery into per-target ring buffers."""
from ._config import jit


@jit
def deliver_row(ring, start, stop, post_lo, t, slot_mask, post, weight, delay):
    """Add synapses ``start:stop`` of one CSR row into ``ring[slot, target]``.

    ``ring`` has shape ``(n_slots, n_neurons)`` with ``n_slots`` a power of
    two larger than every delay. ``weight`` and ``delay`` are the
    projection's own arrays, indexed from ``start`` relative to the
    projection, or of length 1 when the value is the same for every synapse
    (then no per-synapse memory is read or stored). The input of synapse
    ``k`` lands in slot ``(t + delay[k]) & slot_mask`` of neuron
    ``post_lo + post[k]``.
    """
    wmask = 0 if weight.shape[0] == 1 else -1  # k & 0 = 0: one value for all synapses
    if delay.shape[0] == 1:
        row = ring[(t + delay[0]) & slot_mask, post_lo:]
        for k in range(start, stop):
            row[post[k]] += weight[k & wmask]
    else:
        for k in range(start, stop):
            ring[(t + delay[k]) & slot_mask, post_lo + post[k]] += weight[k & wmask]
