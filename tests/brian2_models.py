"""Brian2 twins of spikesim networks, for the reference tests in ``test_vs_brian2.py``.

:func:`run_mirror` rebuilds a spikesim :class:`~spikesim.Network` in Brian2
(runtime target ``numpy``: no compiler needed) with the *same* neurons,
parameters, initial membrane potentials, input spike times and synapses
(read back from every projection), runs it, and returns the spike trains in
spikesim's time convention.

Time conventions (verified by ``test_vs_brian2.test_single_neuron_conventions``):

* spikesim step ``t`` integrates ``(t dt, (t+1) dt]`` and stamps a spike of
  that step ``(t+1) dt``; Brian2 stamps it ``t dt`` (the clock time of the
  step).  spikesim time = Brian2 time + dt.
* A ``SpikeSourceArray`` time ``T`` is emitted in spikesim step
  ``round(T/dt) - 1``; in Brian2 a ``SpikeGeneratorGroup`` fires in the step
  whose clock time is its spike time, so it gets ``T - dt``.
* Delays map one to one: a spike of step ``t`` with delay ``d`` steps is
  added to the synaptic variable in step ``t + d`` after the membrane
  update, in both (Brian2's default schedule runs ``groups`` (state update)
  before ``synapses``).  Brian2's delay 0 would be an extra, earlier slot;
  spikesim has at least one step.
* Refractoriness: spikesim (as NEST) clamps ``v`` for ``R = round(tau_refrac/dt)``
  steps after the spike step.  Brian2 integrates again in the first step with
  ``timestep(t - lastspike) >= timestep(refractory)``, i.e. it clamps
  ``R' - 1`` steps; so Brian2 gets ``refractory = tau_refrac + dt``.
* Threshold ``v >= v_thresh`` in both (Brian2's examples use ``>``).
"""
from __future__ import annotations

import numpy as np

import spikesim as ss

CURR_EQS = """
dv/dt = (v_rest - v) / tau_m + (ie + ii + i_offset) / c_m : volt (unless refractory)
die/dt = -ie / tau_syn_E : amp
dii/dt = -ii / tau_syn_I : amp
"""

COND_EQS = """
dv/dt = (c_m / tau_m * (v_rest - v) + ge * (e_rev_E - v) + gi * (e_rev_I - v)
         + i_offset) / c_m : volt (unless refractory)
dge/dt = -ge / tau_syn_E : siemens
dgi/dt = -gi / tau_syn_I : siemens
"""

# (PyNN name, Brian2 name, unit name in brian2) -- per-neuron parameters
_PARAMS = {
    "curr": [("tau_m", "tau_m", "ms"), ("cm", "c_m", "nF"), ("v_rest", "v_rest", "mV"),
             ("v_reset", "v_reset", "mV"), ("v_thresh", "v_thresh", "mV"),
             ("tau_syn_E", "tau_syn_E", "ms"), ("tau_syn_I", "tau_syn_I", "ms"),
             ("i_offset", "i_offset", "nA")],
}
_PARAMS["cond"] = _PARAMS["curr"] + [("e_rev_E", "e_rev_E", "mV"), ("e_rev_I", "e_rev_I", "mV")]
_DIMS = {"ms": "second", "nF": "farad", "mV": "volt", "nA": "amp"}


def brian2():
    """Import brian2 configured for the reference runs (numpy target, float64, quiet)."""
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    b2.prefs.core.default_float_dtype = np.float64
    b2.BrianLogger.log_level_error()
    return b2


def _neuron_group(b2, pop, dt, method):
    kind = "cond" if isinstance(pop.celltype, ss.IF_cond_exp) else "curr"
    eqs = (COND_EQS if kind == "cond" else CURR_EQS) + "".join(
        f"{bname} : {_DIMS[unit]} (constant)\n" for _, bname, unit in _PARAMS[kind])
    eqs += "t_ref : second (constant)\n"
    g = b2.NeuronGroup(pop.size, eqs, threshold="v >= v_thresh", reset="v = v_reset",
                       refractory="t_ref", method=method, name=f"pop_{pop.index}",
                       namespace={})
    for name, bname, unit in _PARAMS[kind]:
        setattr(g, bname, pop.get(name) * getattr(b2, unit))
    # spikesim clamps round(tau_refrac/dt) steps after the spike step; Brian2 one fewer
    steps = np.round(pop.get("tau_refrac") / dt)
    g.t_ref = (steps + 1) * dt * b2.ms
    g.v = np.array(pop.v, np.float64) * b2.mV
    return g, kind


def _generator(b2, pop, dt):
    times = pop.params["spike_times"]
    if len(times) == 1 and pop.size != 1:
        times = times * pop.size
    idx = np.concatenate([np.full(len(t), i, np.int64) for i, t in enumerate(times)])
    steps = np.concatenate([np.round(np.asarray(t) / dt).astype(np.int64) for t in times])
    # spikesim emits time T in step round(T/dt) - 1, whose Brian2 clock time is T - dt
    return b2.SpikeGeneratorGroup(pop.size, idx, (steps - 1) * dt * b2.ms,
                                  name=f"pop_{pop.index}")


def run_mirror(net: ss.Network, duration: float, method: str = "exact",
               record_v: tuple = ()) -> dict:
    """Build ``net`` (not yet run) in Brian2, run it for ``duration`` ms, return recordings.

    ``method`` is Brian2's integration method for every neuron group.
    Returns ``{label: (senders, times)}`` with times in spikesim's convention
    (ms), sorted by (time, sender), plus ``{("v", label): (times, v)}`` for the
    labels in ``record_v``: ``v[k, i]`` is the membrane potential (mV) at the
    end of spikesim step ``k``, stamped ``times[k] = (k + 1) dt``.
    """
    b2 = brian2()
    b2.start_scope()
    dt = net.dt
    b2.defaultclock.dt = dt * b2.ms
    groups, kinds, objects = {}, {}, []
    for pop in net.populations:
        if isinstance(pop.celltype, ss.SpikeSourceArray):
            g, kind = _generator(b2, pop, dt), "source"
        elif isinstance(pop.celltype, (ss.IF_curr_exp, ss.IF_cond_exp)):
            g, kind = _neuron_group(b2, pop, dt, method)
        else:
            raise NotImplementedError(f"no Brian2 twin for {type(pop.celltype).__name__}")
        groups[pop.index], kinds[pop.index] = g, kind
        objects.append(g)
    for proj in net.projections:
        post_kind = kinds[proj.post_population.index]
        var = ("ie" if post_kind == "curr" else "ge") if proj.receptor_type == "excitatory" \
            else ("ii" if post_kind == "curr" else "gi")
        unit = b2.nA if post_kind == "curr" else b2.uS
        syn = b2.Synapses(groups[proj.pre.index], groups[proj.post_population.index],
                          model=f"w : {'amp' if post_kind == 'curr' else 'siemens'} (constant)",
                          on_pre=f"{var} += w", name=f"proj_{proj.index}", namespace={})
        pre, post = proj.connections()
        if len(pre):
            syn.connect(i=pre, j=post)
            syn.w = np.asarray(proj.weight, np.float64) * unit
            syn.delay = np.asarray(proj.delay, np.int64) * dt * b2.ms
        objects.append(syn)
    monitors = {}
    for pop in net.populations:
        monitors[pop.label] = b2.SpikeMonitor(groups[pop.index])
        objects.append(monitors[pop.label])
    vmons = {}
    for label in record_v:
        pop = next(p for p in net.populations if p.label == label)
        # records at the start of each step, i.e. the value at the end of the previous step
        vmons[label] = b2.StateMonitor(groups[pop.index], "v", record=True)
        objects.append(vmons[label])
    bnet = b2.Network(*objects)
    # one step more, so that the monitor also sees the state after the last step
    bnet.run((duration + dt) * b2.ms, namespace={})
    out = {}
    n_steps = int(round(duration / dt))
    for label, m in monitors.items():
        steps = np.round(np.asarray(m.t / b2.ms) / dt).astype(np.int64)
        senders = np.asarray(m.i[:], np.int64)
        keep = steps < n_steps
        steps, senders = steps[keep], senders[keep]
        order = np.lexsort((senders, steps))
        out[label] = (senders[order], (steps[order] + 1) * dt)
    for label, m in vmons.items():
        v = np.asarray(m.v / b2.mV).T[1:n_steps + 1]
        out[("v", label)] = (np.arange(1, n_steps + 1) * dt, v)
    return out


def cuba(seed: int, duration: float = 1000.0, dt: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Brian2's CUBA example (Vogels & Abbott 2005), built independently of spikesim.

    As ``examples/CUBA.py`` of Brian2, with two changes that make it the same
    model as spikesim's (see the module docstring): synaptic delay one step
    instead of none, refractory period 5 ms + dt, threshold ``v >= Vt``.
    Returns ``(senders, times)``, times in spikesim's convention (ms).
    """
    b2 = brian2()
    b2.start_scope()
    b2.seed(seed)
    b2.defaultclock.dt = dt * b2.ms
    ms, mV = b2.ms, b2.mV
    ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, El=-49 * mV,
              we=(60 * 0.27 / 10) * mV, wi=(-20 * 4.5 / 10) * mV)
    eqs = """
    dv/dt = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    P = b2.NeuronGroup(4000, eqs, threshold="v >= Vt", reset="v = Vr",
                       refractory=(5.0 + dt) * ms, method="exact", namespace=ns)
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    Ce = b2.Synapses(P, P, on_pre="ge += we", delay=dt * ms, namespace=ns)
    Ci = b2.Synapses(P, P, on_pre="gi += wi", delay=dt * ms, namespace=ns)
    Ce.connect("i < 3200", p=0.02)
    Ci.connect("i >= 3200", p=0.02)
    mon = b2.SpikeMonitor(P)
    net = b2.Network(P, Ce, Ci, mon)
    net.run(duration * ms, namespace={})
    return np.asarray(mon.i[:], np.int64), np.asarray(mon.t / ms) + dt
