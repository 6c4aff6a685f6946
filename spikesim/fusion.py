"""Receptor fusion: one ring-buffer plane for two receptors whose currents obey one equation.

With ``Network(fuse_receptors=True)``, a population whose model declares ``FUSE``
(:mod:`spikesim.kernels.neurons`; ``IF_curr_exp``) and whose two synaptic time
constants are equal for every neuron keeps one summed synaptic current instead
of two. Both currents decay with the same factor and enter the membrane with the
same propagator (Rotter & Diesmann 1999), so their sum obeys the same linear
equation: the dynamics are unchanged and only the float rounding of the sum
differs. Its inhibitory synapses then deliver into the excitatory plane of the
ring, so when every population is fused the ring holds one plane instead of two,
halving the memory the delivery of every spike touches (GeNN fuses postsynaptic
models with equal parameters for the same reason, ``fuse_postsynaptic_models``).

The summed current is the state variable ``isyn_exc``; ``isyn_inh`` stays 0. A
population whose ``isyn_exc`` or ``isyn_inh`` is recorded is not fused. Once a
population has run fused, making it ineligible (unequal time constants, recording
a current) raises ``ValueError``, since its two currents can no longer be told apart.
"""
import json

import numpy as np


def check_flag(value) -> bool:
    """``Network(fuse_receptors=value)``: True or False, else ``ValueError``."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"fuse_receptors must be True or False, got {value!r}")
    return bool(value)


def read_fused(text: str, n_pops: int, error) -> frozenset:
    """The fused population indices saved by :func:`spikesim.io.save` (JSON), checked."""
    fused = json.loads(text)
    if not isinstance(fused, list) or not all(
            isinstance(i, int) and 0 <= i < n_pops for i in fused):
        raise error(f"attribute fused holds invalid population indices {fused!r}")
    return frozenset(fused)


def plane(pop, receptor: str, fused) -> int:
    """Ring plane of ``receptor`` of population ``pop``; ``fused``: indices of fused populations."""
    m = pop.celltype.model
    if pop.index in fused and receptor == m.FUSE["receptor"]:
        receptor = m.FUSE["into"]
    return m.RECEPTORS.index(receptor)


def eligible(net, pop) -> bool:
    """Whether ``pop`` may run fused in ``net`` (see the module docstring)."""
    if not net.fuse_receptors or pop.celltype.kind == 0:
        return False
    spec = getattr(pop.celltype.model, "FUSE", None)
    if spec is None:
        return False
    a, b = (np.asarray(pop.params[k], np.float64) for k in spec["equal"])
    if not np.array_equal(*np.broadcast_arrays(a, b)):
        return False
    return not any(r.population is pop and set(spec["state"]) & set(r.variables)
                   for r in net.recorders)


def _refusal(pop) -> str:
    spec = pop.celltype.model.FUSE
    return (f"population {pop.label!r} has run with fused synaptic currents "
            f"(Network(fuse_receptors=True)): its {spec['equal'][0]} and {spec['equal'][1]} "
            f"must stay equal and its {spec['state'][0]} and {spec['state'][1]} cannot be "
            f"recorded, since the two currents are summed in {spec['state'][1]}")


def check_params(pop, params: dict) -> None:
    """Before ``pop.set``: refuse new parameters that would end the fusion of ``pop``."""
    if pop.index not in pop.net._runtime.fused:
        return
    spec = pop.celltype.model.FUSE
    a, b = (np.asarray(params[k], np.float64) for k in spec["equal"])
    if not np.array_equal(*np.broadcast_arrays(a, b)):
        raise ValueError(f"{spec['equal'][0]}={params[spec['equal'][0]]!r} and "
                         f"{spec['equal'][1]}={params[spec['equal'][1]]!r}: " + _refusal(pop))


def check_record(pop, variables) -> None:
    """Before ``net.record``: refuse recording a current of a population run fused."""
    if pop.index in pop.net._runtime.fused:
        hit = set(pop.celltype.model.FUSE["state"]) & set(variables)
        if hit:
            raise ValueError(f"variables={sorted(hit)!r}: " + _refusal(pop))


def fused_populations(net, before: frozenset) -> frozenset:
    """Indices of the populations to run fused; ``before``: those fused in the last build.

    Raises ``ValueError`` when a population of ``before`` can no longer be fused.
    """
    now = frozenset(p.index for p in net.populations if eligible(net, p))
    for p in net.populations:
        if p.index in before and p.index not in now:
            raise ValueError(_refusal(p))
    return now


def fold_state(net, pops) -> None:
    """Add the fused currents into their partners (current and initial state), then zero them."""
    st = net._state
    for p in pops:
        m = p.celltype.model
        gone, kept = (m.STATE.index(v) for v in m.FUSE["state"])
        cols = slice(p.first, p.first + p.size)
        for S in (st.S, st.S0):
            if S[gone, cols].any():
                S[kept, cols] += S[gone, cols]
                S[gone, cols] = 0


def fold_ring(buf: np.ndarray, pops) -> None:
    """Add input pending in the fused receptors' planes into their partners' planes."""
    for p in pops:
        m = p.celltype.model
        gone, kept = (m.RECEPTORS.index(r) for r in (m.FUSE["receptor"], m.FUSE["into"]))
        if gone < buf.shape[0]:
            cols = slice(p.first, p.first + p.size)
            buf[kept, :, cols] += buf[gone, :, cols]
            buf[gone, :, cols] = 0
