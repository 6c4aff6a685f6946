"""Fuzz the API with random small networks built from partly invalid parameters.

Every example builds 1-4 populations of 1-30 neurons (IF_curr_exp, IF_cond_exp,
SpikeSourcePoisson, SpikeSourceArray; ``test_fuzz_models``: any model of the library, its
receptors, synapse dynamics and AC sources), random projections (AllToAll, OneToOne,
FixedProbability, FixedNumberPre, FixedNumberPost, FromList, DistanceDependent
on grid positions), current injections and recorders, then runs a few ms.
A ``chaos`` level decides how often an argument is replaced by something
invalid: NaN, inf, negative, zero, huge, tiny, a wrong type, a wrong length,
an out-of-range index.

The property (DESIGN.md: "no input can crash the interpreter"):

* every API call either succeeds or raises ``ValueError``/``TypeError`` with a
  message -- any other exception fails the test;
* a rejected call changes nothing (no extra population, projection, recorder
  or injection; the clock does not move);
* a run that completes leaves finite state (``v`` and the synaptic variables of
  every neuron population) and spike records whose times lie in ``[dt, t]``,
  on the step grid, at most one per neuron and step, with senders in range;
  spike sources fire exactly when told (SpikeSourceArray) or only inside their
  active window (SpikeSourcePoisson).

Two tests share the generator: ``test_fuzz_invalid_values`` uses invalid values
of ordinary magnitude, ``test_fuzz_extreme_magnitudes`` adds finite values too
large or too small for the arithmetic (1e39 in float32, 1e300, 5e-324) and
absurd sizes, so the two kinds of defect fail separately.

Reproducible in CI: ``derandomize=True`` and no example database.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

import spikesim as ss

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

API_ERRORS = (ValueError, TypeError)
NAN, INF = float("nan"), float("inf")
# Invalid values of ordinary magnitude: must be refused (or, for 0 and negatives where allowed, work).
INVALID = [NAN, INF, -INF, 0.0, -0.0, -1.0, -1e-3, -1e-12]
# Finite values of extreme magnitude: refused, or simulated with finite state. 1e39 overflows
# float32; 1e300 overflows products; 1e-300 and the subnormal 5e-324 underflow or divide to inf.
EXTREME = [1e39, -1e39, 1e300, -1e300, 1e-300, -1e-300, 5e-324, 2.0 ** 31, -(2.0 ** 31)]
WRONG_TYPE = ["1.0", "abc", None, b"1", [1.0, "x"], {"a": 1}, (), [[1.0, 2.0], [3.0]], True]
# sizes that must be refused without allocating anything (2**31 neurons would try to allocate 16 GiB)
BAD_SIZES = [0, -1, 2.5, NAN, INF, "3", None, [3], True]
HUGE_SIZES = [1e39, 10 ** 30, 2 ** 63, 2 ** 64 + 1]
CELL_RANGES = dict(tau_m=(2.0, 50.0), cm=(0.1, 2.0), v_rest=(-75.0, -55.0), v_reset=(-80.0, -60.0),
                   v_thresh=(-55.0, -45.0), tau_refrac=(0.0, 5.0), tau_syn_E=(0.5, 10.0),
                   tau_syn_I=(0.5, 10.0), i_offset=(0.0, 1.5), e_rev_E=(-10.0, 10.0),
                   e_rev_I=(-90.0, -70.0))
# Budget per test: ~10 s on one core after JIT warm-up. SPIKESIM_FUZZ_EXAMPLES raises it for a
# long local hunt; SPIKESIM_FUZZ_SHRINK=1 shrinks a failure to a minimal network (slow: minutes),
# otherwise the first failing example is reported as found, with its notes (every API call made).
MAX_EXAMPLES = int(os.environ.get("SPIKESIM_FUZZ_EXAMPLES", "500"))
PHASES = [Phase.explicit, Phase.generate] + ([Phase.shrink]
                                             if os.environ.get("SPIKESIM_FUZZ_SHRINK") == "1" else [])


# every neuron model of the library, for test_fuzz_models
MODELS = [c for c in ss.cells.CELL_TYPES if issubclass(c, ss.cells.NeuronType)]
DYNAMICS = [ss.TsodyksMarkram, ss.Tsodyks2, ss.SimpleStochastic]


class Fuzzer:
    """Draws arguments (valid, or invalid with probability ``chaos`` %) and calls the API.

    ``model``: a neuron type; when given, every neuron population is of that type (one
    engine per example) and projections may carry synapse dynamics.
    """

    def __init__(self, data, chaos: int, specials: list, sizes: list, model=None) -> None:
        self.data, self.chaos, self.specials, self.sizes = data, chaos, specials, sizes
        self.model = model
        # Hypothesis biases integer draws towards their bounds, which would make "bad" far more
        # likely than ``chaos`` %; the coin is a plain generator seeded by one draw instead.
        self.coin = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="coin seed"))

    def draw(self, strategy, label=None):
        return self.data.draw(strategy, label=label)

    def bad(self) -> bool:
        return self.chaos > 0 and self.coin.random() * 100.0 < self.chaos

    def special(self):
        return self.draw(st.one_of(st.sampled_from(self.specials), st.sampled_from(WRONG_TYPE)))

    def value(self, good):
        return self.special() if self.bad() else self.draw(good)

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.draw(st.integers(0, 2 ** 32 - 1)))

    def array(self, lo: float, hi: float, n: int):
        """``n`` values in ``[lo, hi]``; when bad: wrong length or one special value."""
        if self.bad():
            n = self.draw(st.integers(0, n + 3))
        a = self.rng().uniform(lo, hi, n)
        if n and self.bad():
            a[self.draw(st.integers(0, n - 1))] = self.draw(st.sampled_from(self.specials))
        return a

    def param(self, lo: float, hi: float, n: int):
        form = self.draw(st.sampled_from(["scalar", "scalar", "array", "distribution"]))
        if form == "scalar":
            return self.value(st.floats(lo, hi))
        if form == "array":
            return self.array(lo, hi, n)
        if self.bad():  # a distribution that may leave the valid range
            return ss.RandomDistribution("normal", mu=lo, sigma=abs(hi - lo) + 1.0)
        return ss.RandomDistribution("uniform", low=lo, high=hi) if lo < hi else lo

    def api(self, what: str, fn):
        """Call ``fn``; an API error must be ValueError/TypeError with a message. Returns (result, error)."""
        try:
            return fn(), None
        except API_ERRORS as exc:
            msg = str(exc)
            assert msg.strip(), f"{what} raised {type(exc).__name__} without a message"
            note(f"{what}: rejected with {type(exc).__name__}: {msg}")
            return None, exc


def short(x) -> str:
    """Compact description of an argument for the failure report."""
    if isinstance(x, np.ndarray) and x.size > 4:
        a = x.astype(float, copy=False) if x.dtype.kind in "biuf" else None
        if a is None:
            return f"array(shape={x.shape}, dtype={x.dtype})"
        fin = a[np.isfinite(a)]
        rng = f"{fin.min():.4g}..{fin.max():.4g}" if fin.size else "-"
        return f"array(shape={x.shape}, range {rng}, non-finite {a.size - fin.size})"
    return repr(x)


def cell_repr(cell) -> str:
    args = ", ".join(f"{k}={short(v)}" for k, v in cell.parameters.items())
    return f"{type(cell).__name__}({args})"


# --------------------------------------------------------------------------- building blocks
def make_model_cell(f: Fuzzer, n: int):
    """The example's model with a few parameters near their defaults (per neuron or not)."""
    cls = f.model
    names = [k for k in cls.default_parameters if k not in cls.flag_parameters]
    kw = {}
    for k in f.draw(st.lists(st.sampled_from(names), unique=True, max_size=4)):
        d = float(cls.default_parameters[k])
        lo, hi = (0.9 * d, 1.1 * d) if d > 0 else ((1.1 * d, 0.9 * d) if d < 0 else (0.0, 0.2))
        kw[k] = f.param(lo, hi, n)
    for k in cls.flag_parameters:
        if f.draw(st.integers(0, 3)) == 0:
            kw[k] = f.draw(st.sampled_from([0, 1, 2, 0.5])) if f.bad() else f.draw(st.sampled_from([0, 1]))
    if "reset_subtract" in cls.default_parameters and f.draw(st.integers(0, 3)) == 0:
        kw.pop("reset_subtract", None)
        kw["reset"] = f.draw(st.sampled_from(["value", "subtract"] + (["zero", 1] if f.bad() else [])))
    return cls(**kw)


def make_dynamic(f: Fuzzer, m: int):
    """A synapse dynamic with parameters in range (or, when bad, out of range / wrong length)."""
    cls = f.draw(st.sampled_from(DYNAMICS))
    ranges = dict(U=(0.05, 1.0), tau_rec=(1.0, 500.0), tau_facil=(0.0, 200.0), tau_psc=(0.5, 10.0),
                  p=(0.0, 1.0))
    kw = {}
    for k in cls.defaults:
        if f.draw(st.booleans()):
            lo, hi = ranges[k]
            form = f.draw(st.sampled_from(["scalar", "array", "distribution"]))
            if form == "scalar":
                kw[k] = f.value(st.floats(lo, hi))
            elif form == "array":
                kw[k] = f.array(lo, hi, m)
            else:
                kw[k] = ss.RandomDistribution("uniform", low=lo, high=hi * (3.0 if f.bad() else 1.0))
    return cls(**kw)


def make_cell(f: Fuzzer, kind: str, n: int, dt: float):
    if kind == "model":
        return make_model_cell(f, n)
    if kind in ("curr", "cond"):
        cls = ss.IF_curr_exp if kind == "curr" else ss.IF_cond_exp
        names = [k for k in CELL_RANGES if k in cls.default_parameters]
        chosen = f.draw(st.lists(st.sampled_from(names), unique=True, max_size=6))
        kw = {k: f.param(*CELL_RANGES[k], n) for k in chosen}
        if f.bad():
            kw[f.draw(st.sampled_from(["tau", "e_rev_E", "rate", "v_threshold"]))] = -50.0
        return cls(**kw)
    if kind == "poisson":
        kw = dict(rate=f.param(0.0, 300.0, n))
        if f.bad():
            kw["rate"] = f.draw(st.sampled_from([1000.0 / dt * 1.5, 1e6, [1.0] * (n - 1) + [1e9]]))
        if f.draw(st.booleans()):
            kw["start"] = f.value(st.floats(0.0, 5.0))
        if f.draw(st.booleans()):
            kw["duration"] = f.value(st.floats(0.0, 10.0))
        if f.draw(st.booleans()):
            k = f.draw(st.integers(1, 3))
            times = np.sort(f.rng().uniform(0.0, 5.0, k))
            rates = f.rng().uniform(0.0, 300.0, (k, n) if f.draw(st.booleans()) else k)
            if f.bad():
                rates.flat[0] = f.draw(st.sampled_from(f.specials + [1e6]))
            kw["rate_changes"] = (times, rates)
        return ss.SpikeSourcePoisson(**kw)
    # SpikeSourceArray: one list for all, or one per neuron
    per_neuron = f.draw(st.booleans())
    n_steps = max(1, int(min(8.0 / dt, 80.0)))
    lists = []
    for _ in range(n if per_neuron else 1):  # distinct steps (a source fires at most once per step)
        r = f.rng()
        steps = r.choice(np.arange(1, n_steps + 1), min(n_steps, f.draw(st.integers(0, 6))), replace=False)
        lists.append(steps * dt + r.uniform(-0.4, 0.4, steps.size) * dt)
    if f.bad() and lists[0].size:
        lists[0][0] = f.draw(st.sampled_from(f.specials + [0.0, 0.4 * dt, -dt]))
    if per_neuron and f.bad():
        lists = lists[:-1]
    return ss.SpikeSourceArray(spike_times=lists if per_neuron else lists[0])


def make_positions(f: Fuzzer, n: int):
    if not f.draw(st.booleans()):
        return None
    if f.bad():
        return f.draw(st.sampled_from([np.zeros((n + 1, 3)), np.zeros((n, 2)), np.full((n, 3), NAN),
                                       "grid", np.full((n, 3), 1e300)]))
    shape = f.draw(st.sampled_from([(n,), (n, 1), (1, n, 1)] +
                                   [(d, n // d) for d in (2, 3, 5) if n % d == 0]))
    return ss.grid_positions(shape, f.value(st.floats(0.5, 3.0)))


def make_connector(f: Fuzzer, kind: str, n_pre: int, n_post: int):
    allow_self = f.draw(st.booleans())
    if kind == "AllToAll":
        return ss.AllToAll(allow_self=allow_self)
    if kind == "OneToOne":
        return ss.OneToOne()
    if kind == "FixedProbability":
        return ss.FixedProbability(f.value(st.floats(0.0, 1.0)), allow_self=allow_self)
    if kind == "FixedNumberPre":
        return ss.FixedNumberPre(f.value(st.integers(0, n_pre)), allow_self=allow_self)
    if kind == "FixedNumberPost":
        return ss.FixedNumberPost(f.value(st.integers(0, n_post)), allow_self=allow_self)
    if kind == "DistanceDependent":
        return ss.DistanceDependent(C=f.value(st.floats(0.0, 1.0)), lambda_=f.value(st.floats(0.5, 5.0)),
                                    allow_self=allow_self)
    m = f.draw(st.integers(0, 40))
    r = f.rng()
    pre = r.integers(0, n_pre, m)
    post = r.integers(0, n_post, m)
    if m and f.bad():
        (pre if f.draw(st.booleans()) else post)[0] = f.draw(
            st.sampled_from([-1, -(10 ** 6), n_pre, n_post + 1, 10 ** 12]))
    kw = {}
    if f.draw(st.booleans()):
        kw["weight"] = f.array(0.0, 0.5, m)
    if f.draw(st.booleans()):
        kw["delay"] = f.array(0.1, 4.0, m)
    if f.bad():
        pre = f.draw(st.sampled_from([pre.astype(float) + 0.5, pre.astype(str), [pre.tolist()], None]))
    return ss.FromList(pre, post, **kw)


def make_weight(f: Fuzzer, post_celltype, receptor, shape):
    if getattr(post_celltype, "conductance_based", False):
        lo, hi = 0.0, 0.02
    elif isinstance(receptor, str) and receptor.startswith("inhibitory"):
        lo, hi = -1.0, 0.0
    else:
        lo, hi = 0.0, 1.0
    if f.bad():
        lo, hi = -hi, -lo  # wrong sign (PyNN convention)
    form = f.draw(st.sampled_from(["scalar", "scalar", "distribution", "matrix", "vector"]))
    if form == "scalar":
        return f.value(st.floats(lo, hi))
    if form == "distribution":
        return ss.RandomDistribution("uniform", low=lo, high=hi) if lo < hi else lo
    if form == "matrix":
        if f.bad():
            shape = shape[::-1]
        w = f.rng().uniform(lo, hi, shape)
        if w.size and f.bad():
            w.flat[0] = f.draw(st.sampled_from(f.specials))
        return w
    return f.array(lo, hi, f.draw(st.integers(0, shape[0] * shape[1])))


def make_delay(f: Fuzzer, dt: float, shape):
    form = f.draw(st.sampled_from(["default", "scalar", "distribution", "matrix"]))
    if f.bad():
        return f.draw(st.sampled_from(f.specials + WRONG_TYPE + [0.4 * dt, -dt, 65535 * dt, 65536 * dt]))
    if form == "default":
        return None
    if form == "scalar":
        return f.draw(st.floats(dt, max(5.0, dt)))
    if form == "distribution":
        return ss.RandomDistribution("uniform", low=dt, high=max(5.0, 2 * dt))
    return f.rng().uniform(dt, max(5.0, dt), shape)


def make_current(f: Fuzzer):
    if f.model is not None and f.draw(st.integers(0, 2)) == 0:
        return ss.ACSource(amplitude=f.value(st.floats(-1.0, 1.0)), offset=f.value(st.floats(0, 1)),
                           frequency=f.value(st.floats(0.0, 100.0)),
                           phase=f.value(st.floats(-180.0, 180.0)))
    if f.draw(st.booleans()):
        start = f.value(st.floats(0.0, 5.0))
        stop = None if f.draw(st.booleans()) else f.value(st.floats(0.0, 10.0))
        return ss.DCSource(amplitude=f.value(st.floats(-1.0, 2.0)), start=start, stop=stop)
    k = f.draw(st.integers(1, 4))
    times = np.cumsum(f.rng().uniform(0.1, 2.0, k))
    return ss.StepCurrentSource(times=times, amplitudes=f.array(-1.0, 2.0, k))


def sub(f: Fuzzer, pop):
    """The whole population or, now and then, a non-empty slice of it."""
    if pop.size > 1 and f.draw(st.integers(0, 4)) == 0:
        a = f.draw(st.integers(0, pop.size - 1))
        b = f.draw(st.integers(a + 1, pop.size))
        return pop[a:b]
    return pop


# --------------------------------------------------------------------------- checks
def check_records(net, recs):
    dt, t_end, steps = net.dt, net.t, net.step
    for rec, start_step in recs:
        pop = rec.population
        sp = rec.spikes
        times, senders = np.asarray(sp.times), np.asarray(sp.senders)
        assert times.shape == senders.shape
        if times.size:
            k = np.rint(times / dt)
            assert np.allclose(times, k * dt), "spike times off the step grid"
            assert k.min() >= max(1, start_step + 1) and k.max() <= steps, \
                f"{pop.label}: spike times {times.min()}..{times.max()} outside [dt, t_end={t_end}]"
            assert senders.min() >= 0 and senders.max() < pop.size, f"{pop.label}: sender out of range"
            assert np.all(np.diff(k) >= 0), "spike times not in order"
            pairs = k.astype(np.int64) * pop.size + senders
            # a SpikeSourcePoisson above 1000/dt Hz emits a Poisson number per step (issue 17)
            many = isinstance(pop.celltype, ss.SpikeSourcePoisson) and max(
                float(np.max(pop.params["rate"], initial=0.0)),
                float(np.max(pop.params["rate_changes"][1], initial=0.0))
                if pop.params["rate_changes"] is not None else 0.0) * dt * 1e-3 > 1.0
            assert many or np.unique(pairs).size == pairs.size, \
                f"{pop.label}: two spikes of one neuron in one step"
        if isinstance(pop.celltype, ss.SpikeSourceArray):
            expected = set()
            for i, t in enumerate(pop.params["spike_times"]):
                for s in np.unique(np.round(np.asarray(t) / dt).astype(np.int64)):
                    if start_step + 1 <= s <= steps:
                        expected.add((int(s), i))
            got = {(int(s), int(i)) for s, i in zip(np.rint(times / dt), senders)}
            assert got == expected, f"{pop.label}: SpikeSourceArray fired {sorted(got)}, expected {sorted(expected)}"
        if isinstance(pop.celltype, ss.SpikeSourcePoisson) and times.size:
            p = pop.params
            assert times.min() >= p["start"] - 1e-9, f"{pop.label}: Poisson spike before start"
            assert times.max() <= p["start"] + p["duration"] + dt + 1e-9, f"{pop.label}: spike after stop"
        for var in rec.variables:
            if var in ("spikes", "rate"):
                continue
            tr = rec.get(var)
            assert tr.values.shape == (steps - start_step, pop.size)
            assert np.isfinite(tr.values).all(), f"{pop.label}.{var} recorded a non-finite value"
    for pop in net.populations:
        if pop.celltype.kind != 0:
            assert np.isfinite(pop.v).all(), f"{pop.label}.v not finite after the run: {pop.v}"
            rows = net._state.S[:len(pop.celltype.model.STATE), pop.first:pop.first + pop.size]
            assert np.isfinite(rows).all(), f"{pop.label}: a state variable is not finite"
    for proj in net.projections:
        if proj.dynamics is not None:
            assert np.isfinite(proj._dstate["S"]).all(), f"{proj.label}: synapse state not finite"


# --------------------------------------------------------------------------- the property
FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                phases=PHASES, suppress_health_check=list(HealthCheck), print_blob=False)


@FUZZ
@given(st.data())
def test_fuzz_invalid_values(data):
    """NaN, inf, negative, zero, wrong types, wrong lengths, out-of-range indices."""
    f = Fuzzer(data, data.draw(st.sampled_from([0, 3, 10, 30]), label="chaos %"), INVALID, BAD_SIZES)
    with np.errstate(all="ignore"):
        run_example(f)


@FUZZ
@given(st.data())
def test_fuzz_extreme_magnitudes(data):
    """As above, plus finite values too large or too small for the arithmetic (1e39, 1e300, 5e-324)."""
    f = Fuzzer(data, data.draw(st.sampled_from([0, 3, 10, 30]), label="chaos %"),
               INVALID + EXTREME, BAD_SIZES + HUGE_SIZES)
    with np.errstate(all="ignore"):
        run_example(f)


def run_example(f: Fuzzer) -> None:
    dt = f.value(st.sampled_from([0.1, 0.05, 0.25, 1.0, 0.125]))
    dtype = f.draw(st.sampled_from(["float32", "float64"]))
    seed = f.draw(st.integers(0, 2 ** 31))
    net, err = f.api("Network(dt)", lambda: ss.Network(dt=dt, seed=seed, dtype=dtype))
    if err is not None:
        net = ss.Network(dt=0.1, seed=seed, dtype=dtype)
    note(f"Network(dt={net.dt!r}, dtype={dtype!r}, seed={seed})")
    foreign = ss.Network(dt=net.dt).add_population(3, ss.IF_curr_exp(), label="foreign")

    pops: list = []
    recs: list = []
    add_populations(f, net, pops, f.draw(st.integers(1, 4)))
    if not pops:
        return
    add_projections(f, net, pops, foreign, f.draw(st.integers(0, 5)))
    add_currents(f, net, pops)
    add_recorders(f, net, pops, recs)
    if not run(f, net):
        return
    if f.draw(st.integers(0, 3)) == 0:
        # grow the network after a run: the runtime is rebuilt with pending input in flight
        note("--- growing the network after a run ---")
        n_old = len(pops)
        add_populations(f, net, pops, f.draw(st.integers(0, 1)), first_label=4)
        add_projections(f, net, pops, foreign, f.draw(st.integers(0, 2)))
        add_currents(f, net, pops[n_old:])
        add_recorders(f, net, pops[n_old:], recs)
        if not run(f, net):
            return
    check_records(net, recs)


def add_populations(f: Fuzzer, net, pops: list, count: int, first_label: int = 0) -> None:
    dt = net.dt
    for k in range(first_label, first_label + count):
        n = f.draw(st.integers(1, 30))
        size = f.draw(st.sampled_from(f.sizes)) if f.bad() else n
        kind = f.draw(st.sampled_from(["curr", "cond", "curr", "cond", "poisson", "array"]
                                      if f.model is None else
                                      ["model", "model", "model", "poisson", "array"]))
        cell, err = f.api("cell type", lambda: make_cell(f, kind, n, dt))
        if err is not None:
            continue
        positions, err = f.api("grid_positions", lambda: make_positions(f, n))
        initial_v = None
        if (kind in ("curr", "cond", "model") and f.draw(st.integers(0, 2)) == 0) or f.bad():
            initial_v = f.param(-70.0, -50.0, n)
        label = f"p{k}" if not f.bad() else "p0"
        before = (len(net.populations), net.n_neurons)
        pop, err = f.api("add_population", lambda: net.add_population(
            size, cell, label=label, positions=positions, initial_v=initial_v))
        if err is not None:
            assert (len(net.populations), net.n_neurons) == before, \
                "a rejected add_population() left a population in the network"
        else:
            note(f"{label} = add_population({size!r}, {cell_repr(cell)}, positions={short(positions)}, "
                 f"initial_v={short(initial_v)})")
            pops.append(pop)


CONNECTORS = ["AllToAll", "OneToOne", "FixedProbability", "FixedNumberPre", "FixedNumberPost",
              "FromList", "DistanceDependent"]


def add_projections(f: Fuzzer, net, pops: list, foreign, count: int) -> None:
    dt = net.dt
    for _ in range(count):
        pre = sub(f, f.draw(st.sampled_from(pops)))
        neurons = [p for p in pops if p.celltype.kind != 0]
        if f.bad():
            post = foreign
        else:
            post = sub(f, f.draw(st.sampled_from(neurons if neurons and not f.bad() else pops)))
        ckind = f.draw(st.sampled_from(CONNECTORS))
        conn, err = f.api(f"{ckind}()", lambda: make_connector(f, ckind, len(pre), len(post)))
        if err is not None:
            continue
        ct = post.population.celltype
        receptor = f.draw(st.sampled_from(getattr(ct, "receptor_types", ("excitatory", "inhibitory"))))
        if f.bad():
            receptor = f.draw(st.sampled_from(["exc", "", None, 1, "INHIBITORY"]))
        shape = (len(pre), len(post))
        weight = make_weight(f, ct, receptor, shape)
        delay = make_delay(f, dt, shape)
        synapse = None
        if f.model is not None and f.draw(st.integers(0, 2)) == 0:
            synapse, err = f.api("synapse dynamic", lambda: make_dynamic(f, len(pre) * len(post)))
            if err is not None:
                continue
        before = len(net.projections)
        proj, err = f.api("connect", lambda: net.connect(pre, post, conn, weight=weight, delay=delay,
                                                         receptor_type=receptor, synapse=synapse))
        if err is not None:
            assert len(net.projections) == before, "a rejected connect() left a projection behind"
            continue
        note(f"connect({pre!r}, {post!r}, {conn!r}, weight={short(weight)}, delay={short(delay)}, "
             f"receptor_type={receptor!r}, synapse={synapse!r}) -> {proj.n_synapses} synapses")
        assert proj.n_synapses == len(proj.post)
        if proj.n_synapses:
            assert np.isfinite(proj.weight).all(), "a projection stores a non-finite weight"
            assert proj.delay.min() >= 1
            pre_i, post_i = proj.connections()
            assert pre_i.max() < pre.population.size and post_i.max() < post.population.size
            assert pre_i.min() >= 0 and post_i.min() >= 0


def add_currents(f: Fuzzer, net, pops: list) -> None:
    for _ in range(f.draw(st.integers(0, 2)) if pops else 0):
        src, err = f.api("current source", lambda: make_current(f))
        if err is not None:
            continue
        neurons = [p for p in pops if p.celltype.kind != 0]
        target = sub(f, f.draw(st.sampled_from(neurons if neurons and not f.bad() else pops)))
        before = len(net.injections)
        _, err = f.api("inject", lambda: net.inject(src, target))
        if err is not None:
            assert len(net.injections) == before, "a rejected inject() left an injection behind"
        else:
            note(f"inject({src!r}, {target!r})")


def add_recorders(f: Fuzzer, net, pops: list, recs: list) -> None:
    """Record everything of every new population; now and then try a bad record() call first."""
    if pops and f.bad():
        target = f.draw(st.sampled_from(pops))
        var = f.draw(st.sampled_from(["vm", "gsyn_exc", "isyn_inh", "v", "spike", ""]))
        interval = f.draw(st.sampled_from([None, 0.0, -net.dt, 1.5 * net.dt, NAN, "1"]))
        before = len(net.recorders)
        _, err = f.api("record", lambda: net.record(target, ["spikes", var], sampling_interval=interval))
        if err is not None:
            assert len(net.recorders) == before, "a rejected record() left a recorder behind"
    for pop in pops:
        recs.append((net.record(pop, list(pop.celltype.recordables)), net.step))


def run(f: Fuzzer, net) -> bool:
    """One or two runs of 0-40 steps, perhaps after a rejected bad duration; False if refused."""
    dt = net.dt
    for _ in range(f.draw(st.integers(1, 2))):
        steps = f.draw(st.integers(0, 40))
        if f.bad():
            bad = f.draw(st.sampled_from([(steps + 0.5) * dt, -dt, -1.0, NAN, INF, "5", None]))
            before = net.step
            _, err = f.api("run(bad duration)", lambda: net.run(bad, progress=False))
            assert err is not None, f"run({bad!r}) was accepted with dt={dt}"
            assert net.step == before, "a rejected run() advanced the clock"
        before = net.step
        _, err = f.api("run", lambda: net.run(steps * dt, progress=False))
        if err is not None:
            # refused at run time (e.g. a source that cannot be scheduled): nothing ran
            assert net.step == before, "a rejected run() advanced the clock"
            return False
        assert net.step == before + steps
        note(f"run({steps} steps) -> t = {net.t:g} ms")
    return True


MODEL_EXAMPLES = int(os.environ.get("SPIKESIM_FUZZ_MODEL_EXAMPLES", "120"))


@settings(max_examples=MODEL_EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=PHASES, suppress_health_check=list(HealthCheck), print_blob=False)
@given(st.data())
def test_fuzz_models(data):
    """Every neuron model of the library, each of its receptors, the synapse dynamics and the
    AC source, with invalid values of ordinary magnitude now and then (one model per example)."""
    model = data.draw(st.sampled_from(MODELS), label="model")
    f = Fuzzer(data, data.draw(st.sampled_from([0, 3, 10]), label="chaos %"), INVALID, BAD_SIZES,
               model=model)
    with np.errstate(all="ignore"):
        run_example(f)
