"""The CUBA network with STDP on its excitatory-to-excitatory synapses, in spikesim, Brian2 and NEST.

The network, its parameters and how they map to each simulator are those of
:mod:`spikesim.bench.cuba`; only the E->E synapses differ. They learn by
additive pair STDP (all-to-all pairing, exponential traces):

========================  ===================================================
time constants            ``tau_plus = tau_minus = 20 ms`` (Brian2: ``taupre``,
                          ``taupost``)
amplitudes                ``A_plus = 0.01``, ``A_minus = 1.05 A_plus``, times
                          ``w_max`` (Brian2's STDP example: ``dApre *= gmax``)
bounds                    ``[0, w_max]``, ``w_max = 2 w_exc``; initial ``w_exc``
========================  ===================================================

spikesim
    ``spikesim.examples.cuba(n, stdp=True)``: ``STDP(SpikePairRule(20, 20,
    0.01, 0.0105), AdditiveWeightDependence(0, 2 w_exc))`` on exc -> exc.
    Plastic networks use ``--threads`` as static ones do.
Brian2 (cpp_standalone)
    The classic example's synapse with event-driven traces, ``w`` in volt
    (the same v-jump units as CUBA's ``we``)::

        w : volt
        dapre/dt = -apre/taupre : volt (event-driven)
        dapost/dt = -apost/taupost : volt (event-driven)
        on_pre:  ge += w; apre += dApre; w = clip(w + apost, 0*volt, wmax)
        on_post: apost += dApost; w = clip(w + apre, 0*volt, wmax)

    with ``wmax = 2 we``, ``dApre = 0.01 wmax``, ``dApost = -1.05 * 0.01 wmax``.
NEST
    ``stdp_synapse`` with ``mu_plus = mu_minus = 0`` (additive), ``lambda =
    0.01``, ``alpha = 1.05``, ``Wmax = 2 w_exc`` (pA), ``tau_plus = 20 ms``
    and the neurons' ``tau_minus = 20 ms``.

The order of events differs slightly, which does not matter for a speed
benchmark: at a presynaptic arrival spikesim (and NEST) depress first and
deliver the new weight, Brian2 delivers the old weight and then depresses.
NEST's delay is dendritic (spikesim's and Brian2's axonal), and NEST applies
the potentiation of postsynaptic spikes lazily, at the synapse's next
presynaptic spike: its final weights miss the potentiation since each
synapse's last presynaptic spike, so its mean weight reads a little low.

Each result gets ``plastic_synapses`` and the final E->E weights as
``plastic_weight_mean`` (mean / initial weight: 1 = unchanged, bounds 0 and
2), ``plastic_weight_mean_mV`` (as a jump of ``v``, Brian2's unit),
``plastic_weight_sd`` (/ initial), ``plastic_weight_at_zero`` and
``plastic_weight_at_max`` (fractions at the bounds); spikesim's also
``plastic_bytes_per_synapse`` (``post`` + weight + the two column indices of
the post-ordered view, per plastic synapse) and ``static_bytes_per_synapse``
(``nbytes`` of the static projections per static synapse).

Like :mod:`spikesim.bench.cuba`, this module runs inside the child process
of one simulator, loaded by file path: it imports neither spikesim nor
anything heavy at module level.
"""
from __future__ import annotations

import os
import sys

if __package__:
    from . import cuba
else:  # loaded by file path in a child (see runner._CHILD): load the sibling the same way
    cuba = sys.modules.get("_spikesim_bench_cuba")
    if cuba is None:
        import importlib.util as _util

        _spec = _util.spec_from_file_location(
            "_spikesim_bench_cuba", os.path.join(os.path.dirname(os.path.abspath(__file__)), "cuba.py"))
        cuba = _util.module_from_spec(_spec)
        sys.modules[_spec.name] = cuba
        _spec.loader.exec_module(cuba)

TAU_PLUS = TAU_MINUS = 20.0   # ms
A_PLUS = 0.01                 # x w_max
A_MINUS = 1.05 * A_PLUS       # x w_max
W_MAX_FACTOR = 2.0            # w_max = 2 w_exc
SIMULATORS = cuba.SIMULATORS
RULE = dict(rule="additive pair STDP (all-to-all) on exc -> exc", tau_plus_ms=TAU_PLUS,
            tau_minus_ms=TAU_MINUS, A_plus=A_PLUS, A_minus=A_MINUS,
            w_max_over_w_exc=W_MAX_FACTOR)


def _weight_stats(w, w0: float, to_mv: float) -> dict:
    """Result fields of the final plastic weights ``w`` (initial ``w0``; ``to_mv`` converts to mV)."""
    import numpy as np

    w = np.asarray(w).ravel()
    n = int(w.size)
    if n == 0:
        return dict(plastic_synapses=0)
    w_max = W_MAX_FACTOR * w0
    tol = 1e-6 * w_max
    # in chunks: no temporaries of the size of w in the child's peak memory
    s1 = s2 = 0.0
    zero = top = 0
    for i in range(0, n, 1 << 18):
        d = w[i:i + (1 << 18)].astype(np.float64) - w0
        s1, s2 = s1 + d.sum(), s2 + d @ d
        zero += int(np.count_nonzero(d <= tol - w0))
        top += int(np.count_nonzero(d >= w_max - tol - w0))
    mean = float(w0 + s1 / n)
    return dict(plastic_synapses=n, plastic_weight_mean=mean / w0,
                plastic_weight_mean_mV=mean * to_mv,
                plastic_weight_sd=float(np.sqrt(max(s2 / n - (s1 / n) ** 2, 0.0))) / w0,
                plastic_weight_at_zero=zero / n, plastic_weight_at_max=top / n)


# ----------------------------------------------------------------- spikesim
def spikesim_extra(net) -> dict:
    """Memory per plastic and per static synapse, and the final plastic weights."""
    plastic = [pr for pr in net.projections if pr.plastic]
    static = [pr for pr in net.projections if not pr.plastic]
    (proj,) = plastic
    st = proj._pstate
    plastic_bytes = (proj.post.nbytes + proj._weight.nbytes + st["col_pre"].nbytes
                     + st["col_syn"].nbytes)
    n_static = sum(pr.n_synapses for pr in static)
    w0 = cuba.WE_MV * cuba.CM_NF / cuba.TAU_M  # nA
    return dict(
        plastic_bytes_per_synapse=plastic_bytes / proj.n_synapses if proj.n_synapses else None,
        static_bytes_per_synapse=(sum(pr.nbytes for pr in static) / n_static
                                  if n_static else None),
        **_weight_stats(proj.weight, w0, cuba.TAU_M / cuba.CM_NF))


# ----------------------------------------------------------------- Brian2
_B2_MODEL = """
w : volt
dapre/dt = -apre / taupre : volt (event-driven)
dapost/dt = -apost / taupost : volt (event-driven)
"""
_B2_ON_PRE = """
ge_post += w
apre += dApre
w = clip(w + apost, 0*volt, wmax)
"""
_B2_ON_POST = """
apost += dApost
w = clip(w + apre, 0*volt, wmax)
"""


def brian2_connect(b2, P, n_exc, p, ns):
    """E->E plastic (Brian2's STDP example), E->I and I->all static; see :func:`cuba.run_brian2`."""
    import numpy as np

    ms, mV = b2.ms, b2.mV
    wmax = W_MAX_FACTOR * cuba.WE_MV * mV
    ns = dict(ns, taupre=TAU_PLUS * ms, taupost=TAU_MINUS * ms, wmax=wmax,
              dApre=A_PLUS * wmax, dApost=-A_MINUS * wmax)
    delay = cuba.DELAY * ms
    exc, inh = P[:n_exc], P[n_exc:]
    ee = b2.Synapses(exc, exc, _B2_MODEL, on_pre=_B2_ON_PRE, on_post=_B2_ON_POST, delay=delay,
                     namespace=ns, name="ee_stdp")
    groups = [ee]
    if len(P) > n_exc:
        groups += [b2.Synapses(exc, inh, on_pre="ge += we", delay=delay, namespace=ns),
                   b2.Synapses(inh, P, on_pre="gi += wi", delay=delay, namespace=ns)]
    for S in groups:
        S.connect(p=p)
    ee.w = "we"

    def extra():
        return _weight_stats(np.asarray(ee.w[:] / mV), cuba.WE_MV, 1.0)

    return groups, extra


# ----------------------------------------------------------------- NEST
def nest_connect(nest, pop, n_exc, conn, scale):
    """E->E ``stdp_synapse`` (additive), E->I static; see :func:`cuba.run_nest`."""
    import numpy as np

    w0 = cuba.WE_MV * scale  # pA
    exc = pop[:n_exc]
    pop.set(tau_minus=TAU_MINUS)
    nest.Connect(exc, exc, conn, {
        "synapse_model": "stdp_synapse", "weight": w0, "delay": cuba.DELAY,
        "tau_plus": TAU_PLUS, "lambda": A_PLUS, "alpha": A_MINUS / A_PLUS,
        "mu_plus": 0.0, "mu_minus": 0.0, "Wmax": W_MAX_FACTOR * w0})
    if len(pop) > n_exc:
        nest.Connect(exc, pop[n_exc:], conn,
                     {"synapse_model": "static_synapse", "weight": w0, "delay": cuba.DELAY})

    def extra():
        w = nest.GetConnections(exc, exc, synapse_model="stdp_synapse").get("weight")
        return _weight_stats(np.atleast_1d(w), w0, 1.0 / scale)

    return extra


# ----------------------------------------------------------------- the child process
RUNNERS = {
    "spikesim": lambda c: cuba.run_spikesim(c["neurons"], c["duration_ms"], c["seed"],
                                            c["threads"], stdp=True, extra=spikesim_extra,
                                            precision=c.get("precision")),
    "brian2": lambda c: cuba.run_brian2(c["neurons"], c["duration_ms"], c["seed"], c["workdir"],
                                        connect=brian2_connect,
                                        threads=c.get("reference_threads", 1),
                                        precision=c.get("precision")),
    "nest": lambda c: cuba.run_nest(c["neurons"], c["duration_ms"], c["seed"],
                                    connect=nest_connect, threads=c.get("reference_threads", 1)),
}


def child_main(argv: list[str]) -> int:
    """Entry point of a child (as :func:`cuba.child_main`, with the plastic network)."""
    return cuba.child_main(argv, RUNNERS)
