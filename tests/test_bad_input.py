"""Bad input is refused at the API with an error that names the parameter and the value.

Requirement (DESIGN.md, "The API layer validates everything before a kernel
sees it"): every invalid argument raises ``ValueError`` or ``TypeError`` whose
message names the offending parameter *and* the offending value, and a
rejected call never silently changes the network (no half-added population or
projection, no consumed randomness, no advanced clock); the network stays
usable afterwards.

Values that are finite in float64 but cannot be represented or integrated in
the network's precision (e.g. 1e39 in a float32 network) are covered at the
end: they must be refused or must leave the state finite.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import spikesim as ss

NAN, INF = float("nan"), float("inf")
CELLS = [ss.IF_curr_exp, ss.IF_cond_exp]


# --------------------------------------------------------------------------- helpers
def _value_re(x) -> str:
    """Regex for the ways ``x`` may be printed in a message (repr, str, %g, np.float64(...))."""
    if isinstance(x, str):
        return re.escape(repr(x))
    if x is None or not isinstance(x, (int, float, np.number)):
        return re.escape(repr(x))
    f = float(x)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "-inf" if f < 0 else r"(?<!-)inf"
    alts = {repr(f), str(f), f"{f:g}"}
    if f.is_integer() and abs(f) < 1e16:
        alts.add(str(int(f)))
    alts = sorted(alts, key=len, reverse=True)
    return r"(?<![\d.])(" + "|".join(re.escape(a) for a in alts) + r")(?!\.?\d)"


def names(param: str, value=None, *more: str) -> str:
    """``match=`` regex: the message mentions ``param`` and ``value`` (any order)."""
    parts = [re.escape(param)] + ([] if value is None else [_value_re(value)]) + list(more)
    return "(?s)" + "".join(f"(?=.*{p})" for p in parts)


def net_with(n_pre=5, n_post=5, post_cell=None, dt=0.1, seed=1, dtype="float32"):
    net = ss.Network(dt=dt, seed=seed, dtype=dtype)
    a = net.add_population(n_pre, ss.SpikeSourceArray(spike_times=[1.0, 2.0]), label="src")
    b = net.add_population(n_post, post_cell or ss.IF_curr_exp(), label="tgt")
    return net, a, b


def assert_usable(net: ss.Network, duration: float = 1.0) -> None:
    """A valid run after a rejected call works and leaves finite state."""
    step0 = net.step
    net.run(duration, progress=False)
    assert net.step == step0 + round(duration / net.dt)
    for p in net.populations:
        if p.celltype.kind != 0:
            assert np.isfinite(p.v).all(), f"{p.label}.v not finite after a valid run"


def rng_state(net):
    return net.rng.bit_generator.state


# --------------------------------------------------------------------------- time constants
TAUS = ["tau_m", "tau_syn_E", "tau_syn_I", "cm"]
BAD_TAU = [0.0, -1.0, -1e-9, NAN, INF, -INF]


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("param", TAUS)
@pytest.mark.parametrize("bad", BAD_TAU, ids=repr)
def test_bad_time_constant_scalar(cell, param, bad):
    with pytest.raises(ValueError, match=names(f"{cell.__name__}.{param}", bad)):
        cell(**{param: bad})


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("param", TAUS)
@pytest.mark.parametrize("bad", BAD_TAU, ids=repr)
def test_bad_time_constant_in_per_neuron_array(cell, param, bad):
    with pytest.raises(ValueError, match=names(f"{cell.__name__}.{param}", bad)):
        cell(**{param: np.array([10.0, 3.0, bad, 7.0])})


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad", [-0.1, -5.0, NAN, INF, -INF], ids=repr)
@pytest.mark.parametrize("form", ["scalar", "array"])
def test_bad_tau_refrac(cell, bad, form):
    value = bad if form == "scalar" else [0.0, 2.0, bad]
    with pytest.raises(ValueError, match=names(f"{cell.__name__}.tau_refrac", bad)):
        cell(tau_refrac=value)


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.__name__)
def test_zero_tau_refrac_is_valid(cell):
    net = ss.Network(dt=0.1, seed=1)
    net.add_population(3, cell(tau_refrac=0.0))
    assert_usable(net)


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("param", ["tau_m", "tau_syn_E", "tau_syn_I"])
def test_random_distribution_drawing_negative_tau_is_refused(cell, param):
    net = ss.Network(dt=0.1, seed=1)
    rd = ss.RandomDistribution("uniform", low=-20.0, high=-10.0)
    with pytest.raises(ValueError, match=names(f"{cell.__name__}.{param}", None, "> ?0")):
        net.add_population(4, cell(**{param: rd}))
    assert net.populations == [] and net.n_neurons == 0


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad", [NAN, INF], ids=repr)
def test_non_finite_voltage_parameters(cell, bad):
    for param in ("v_rest", "v_thresh", "v_reset", "i_offset"):
        with pytest.raises(ValueError, match=names(f"{cell.__name__}.{param}", bad)):
            cell(**{param: bad})


def test_non_finite_reversal_potential():
    with pytest.raises(ValueError, match=names("IF_cond_exp.e_rev_E", NAN)):
        ss.IF_cond_exp(e_rev_E=NAN)
    with pytest.raises(ValueError, match=names("IF_cond_exp.e_rev_I", -INF)):
        ss.IF_cond_exp(e_rev_I=[-70.0, -INF])


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad", ["20", None, b"x", [[1.0, 2.0]]], ids=repr)
def test_wrong_type_parameter(cell, bad):
    with pytest.raises((TypeError, ValueError), match=names(f"{cell.__name__}.tau_m")):
        cell(tau_m=bad)


# --------------------------------------------------------------------------- dt and Network
@pytest.mark.parametrize("bad", [0, 0.0, -0.1, -1, NAN, INF, -INF], ids=repr)
def test_bad_dt_value(bad):
    with pytest.raises(ValueError, match=names("dt", bad)):
        ss.Network(dt=bad)


@pytest.mark.parametrize("bad", ["0.1", None, True, [0.1], b"0.1"], ids=repr)
def test_bad_dt_type(bad):
    with pytest.raises(TypeError, match=names("dt") + r"(?=.*" + re.escape(repr(bad)) + ")"):
        ss.Network(dt=bad)


@pytest.mark.parametrize("kw, param, bad", [
    (dict(seed=-1), "seed", -1), (dict(seed=1.5), "seed", 1.5), (dict(seed="1"), "seed", "1"),
    (dict(dtype="int32"), "dtype", "int32"), (dict(dtype="float16"), "dtype", "float16"),
    # names numpy cannot parse: np.dtype(None) is float64, so these once passed as None
    (dict(dtype="--n_scaling"), "dtype", "--n_scaling"), (dict(dtype=None), "dtype", None),
    (dict(threads=0), "threads", 0), (dict(threads=-2), "threads", -2),
])
def test_bad_network_arguments(kw, param, bad):
    with pytest.raises((ValueError, TypeError), match=names(param, bad)):
        ss.Network(dt=0.1, **kw)


# --------------------------------------------------------------------------- weights
@pytest.mark.parametrize("bad", [NAN, INF, -INF], ids=repr)
@pytest.mark.parametrize("form", ["scalar", "array", "matrix"])
@pytest.mark.parametrize("receptor", ["excitatory", "inhibitory"])
def test_non_finite_weight(bad, form, receptor):
    net, a, b = net_with(3, 4)
    sign = 1.0 if receptor == "excitatory" else -1.0
    if form == "scalar":
        w = bad
    elif form == "array":
        w = np.full(12, 0.5 * sign)
        w[7] = bad
    else:
        w = np.full((3, 4), 0.5 * sign)
        w[2, 1] = bad
    with pytest.raises(ValueError, match=names("weight", bad)):
        net.connect(a, b, ss.AllToAll(), weight=w, receptor_type=receptor)
    assert net.projections == []
    assert_usable(net)


@pytest.mark.parametrize("bad", [NAN, INF, -INF], ids=repr)
def test_non_finite_weight_in_from_list_column(bad):
    with pytest.raises(ValueError, match=names("FromList.weight", bad)):
        ss.FromList([0, 1, 2], [0, 0, 1], weight=[0.1, bad, 0.2])


def test_non_finite_weight_from_distribution():
    # Parameters of a distribution must be finite ...
    with pytest.raises(ValueError, match=names("high", INF)):
        ss.RandomDistribution("uniform", low=0.0, high=INF)
    with pytest.raises(ValueError, match=names("mu", NAN)):
        ss.RandomDistribution("normal", mu=NAN, sigma=1.0)
    # ... but a finite lognormal can still draw inf (exp(1000) overflows): the drawn
    # weights are checked too.
    net, a, b = net_with(3, 4)
    with pytest.raises(ValueError, match=names("weight", INF)):
        net.connect(a, b, ss.AllToAll(), weight=ss.RandomDistribution("lognormal", mu=1000.0, sigma=1.0))
    assert net.projections == []


@pytest.mark.parametrize("bad", ["0.5", None, b"x", [["a", "b"]], [[["deep"]]]], ids=repr)
def test_wrong_type_weight(bad):
    net, a, b = net_with(3, 4)
    with pytest.raises((TypeError, ValueError), match=names("weight")):
        net.connect(a, b, ss.AllToAll(), weight=bad)
    assert net.projections == []


# --------------------------------------------------------------------------- sign conventions
@pytest.mark.parametrize("form", ["scalar", "array", "from_list"])
def test_positive_weight_on_inhibitory_current_synapse(form):
    net, a, b = net_with(2, 2)
    conn, w = ss.AllToAll(), 0.5
    if form == "array":
        w = np.array([-0.1, -0.2, 0.5, -0.3])
    elif form == "from_list":
        conn, w = ss.FromList([0, 1], [1, 0], weight=[-0.1, 0.5]), 0.0
    with pytest.raises(ValueError, match=names("weight", 0.5, "inhibitory")):
        net.connect(a, b, conn, weight=w, receptor_type="inhibitory")
    assert net.projections == []


def test_negative_weight_on_excitatory_current_synapse():
    net, a, b = net_with(2, 2)
    with pytest.raises(ValueError, match=names("weight", -0.25, "excitatory")):
        net.connect(a, b, ss.AllToAll(), weight=-0.25, receptor_type="excitatory")


@pytest.mark.parametrize("receptor", ["excitatory", "inhibitory"])
@pytest.mark.parametrize("form", ["scalar", "array", "from_list", "distribution"])
def test_negative_conductance(receptor, form):
    net, a, b = net_with(2, 2, post_cell=ss.IF_cond_exp())
    conn, w = ss.AllToAll(), -0.01
    if form == "array":
        w = np.array([0.01, 0.0, -0.01, 0.02])
    elif form == "from_list":
        conn, w = ss.FromList([0, 1], [1, 0], weight=[0.02, -0.01]), 0.0
    elif form == "distribution":
        w = ss.RandomDistribution("uniform", low=-0.02, high=-0.01)
    expected = names("weight", None, ">= ?0") if form == "distribution" else names("weight", -0.01)
    with pytest.raises(ValueError, match=expected):
        net.connect(a, b, conn, weight=w, receptor_type=receptor)
    assert net.projections == []
    assert_usable(net)


def test_correct_signs_are_accepted():
    net, a, b = net_with(2, 2)
    net.connect(a, b, ss.AllToAll(), weight=0.5, receptor_type="excitatory")
    net.connect(a, b, ss.AllToAll(), weight=-0.5, receptor_type="inhibitory")
    c = net.add_population(2, ss.IF_cond_exp(), label="cond")
    net.connect(a, c, ss.AllToAll(), weight=0.01, receptor_type="inhibitory")
    assert len(net.projections) == 3
    assert_usable(net)


# --------------------------------------------------------------------------- FromList indices
@pytest.mark.parametrize("which", ["pre", "post"])
@pytest.mark.parametrize("bad", [-1, -100, 5, 6, 10**6])
def test_from_list_index_out_of_range(which, bad):
    net, a, b = net_with(5, 5)
    idx = {"pre": [0, 1, 2], "post": [2, 3, 4]}
    idx[which][1] = bad
    with pytest.raises(ValueError, match=names(f"FromList.{which}", bad, "range")):
        net.connect(a, b, ss.FromList(idx["pre"], idx["post"]), weight=0.1)
    assert net.projections == []
    assert_usable(net)


@pytest.mark.parametrize("which", ["pre", "post"])
def test_from_list_index_out_of_range_of_a_view(which):
    net, a, b = net_with(10, 10)
    idx = {"pre": [0, 1], "post": [0, 1]}
    idx[which][0] = 3  # valid for the population (10), not for the view (3 neurons)
    with pytest.raises(ValueError, match=names(f"FromList.{which}", 3, "range")):
        net.connect(a[2:5], b[5:8], ss.FromList(idx["pre"], idx["post"]), weight=0.1)
    assert net.projections == []


@pytest.mark.parametrize("bad", [[0.5, 1.0], [NAN, 1.0], [INF, 1.0]], ids=repr)
def test_from_list_non_integer_indices(bad):
    with pytest.raises(TypeError, match=names("FromList.pre")):
        ss.FromList(bad, [0, 1])


@pytest.mark.parametrize("bad", [["a", "b"], [2**70, 0], [object(), 0]],
                         ids=["strings", "beyond-int64", "objects"])
def test_from_list_wrong_type_indices_name_the_parameter(bad):
    # numpy's own "ufunc 'isfinite' not supported" must not leak out unexplained
    with pytest.raises((TypeError, ValueError), match=names("FromList.pre")):
        ss.FromList(bad, [0, 1])


def test_from_list_bool_indices_are_refused():
    # [True, False] silently became pre = [1, 0]
    with pytest.raises((TypeError, ValueError), match=names("FromList.pre")):
        ss.FromList(np.array([True, False]), [0, 1])


# --------------------------------------------------------------------------- delays
@pytest.mark.parametrize("bad", [0.0, 0.04, 0.05, -0.1, -5.0], ids=repr)
@pytest.mark.parametrize("form", ["scalar", "array", "matrix", "from_list"])
def test_delay_below_one_step(bad, form):
    net, a, b = net_with(2, 3)
    conn, d = ss.AllToAll(), bad
    if form == "array":
        d = np.array([0.1, 0.2, bad, 0.3, 0.4, 0.5])
    elif form == "matrix":
        d = np.full((2, 3), 1.0)
        d[1, 2] = bad
    elif form == "from_list":
        conn, d = ss.FromList([0, 1], [2, 0], delay=[1.0, bad]), None
    with pytest.raises(ValueError, match=names("delay", bad, "step")):
        net.connect(a, b, conn, weight=0.1, delay=d)
    assert net.projections == []
    assert_usable(net)


@pytest.mark.parametrize("bad", [6553.6, 6554.0, 1e5, 1e30], ids=repr)
def test_delay_above_maximum(bad):
    net, a, b = net_with(2, 3)
    with pytest.raises(ValueError, match=names("delay", bad, "65535")):
        net.connect(a, b, ss.AllToAll(), weight=0.1, delay=bad)
    with pytest.raises(ValueError, match=names("delay", bad, "65535")):
        net.connect(a, b, ss.AllToAll(), weight=0.1, delay=[1.0, 2.0, 3.0, bad, 1.0, 1.0])
    assert net.projections == []


def test_delay_maximum_is_accepted_and_runs():
    net, a, b = net_with(2, 3)
    proj = net.connect(a, b, ss.AllToAll(), weight=0.1, delay=65535 * 0.1)
    assert int(proj.delay.max()) == 65535
    assert_usable(net)


@pytest.mark.parametrize("bad", [NAN, INF, -INF], ids=repr)
def test_non_finite_delay(bad):
    net, a, b = net_with(2, 3)
    with pytest.raises(ValueError, match=names("delay", bad)):
        net.connect(a, b, ss.AllToAll(), weight=0.1, delay=bad)
    with pytest.raises(ValueError, match=names("FromList.delay", bad)):
        ss.FromList([0], [0], delay=[bad])


def test_delay_distribution_below_one_step():
    net, a, b = net_with(2, 3)
    with pytest.raises(ValueError, match=names("delay", None, "step")):
        net.connect(a, b, ss.AllToAll(), weight=0.1,
                    delay=ss.RandomDistribution("uniform", low=-1.0, high=0.0))
    assert net.projections == []


# --------------------------------------------------------------------------- lengths
def test_per_neuron_parameter_length_mismatch():
    net = ss.Network(dt=0.1)
    for cell, param in ((ss.IF_curr_exp, "tau_m"), (ss.IF_cond_exp, "e_rev_E"),
                        (ss.IF_cond_exp, "tau_syn_I")):
        with pytest.raises(ValueError, match=names(f"{cell.__name__}.{param}", 3, "5")):
            net.add_population(5, cell(**{param: [10.0, 11.0, 12.0]}))
    with pytest.raises(ValueError, match=names("SpikeSourcePoisson.rate", 2, "5")):
        net.add_population(5, ss.SpikeSourcePoisson(rate=[1.0, 2.0]))
    with pytest.raises(ValueError, match=names("spike_times", 2, "5")):
        net.add_population(5, ss.SpikeSourceArray(spike_times=[[1.0], [2.0]]))
    with pytest.raises(ValueError, match=names("rate_changes", 2, "5")):
        net.add_population(5, ss.SpikeSourcePoisson(rate_changes=([1.0], [[1.0, 2.0]])))
    with pytest.raises(ValueError, match=names("positions", None, r"\(5, 3\)")):
        net.add_population(5, ss.IF_curr_exp(), positions=ss.grid_positions((2, 2)))
    assert net.populations == [] and net.n_neurons == 0


@pytest.mark.parametrize("bad", [[-60.0, -61.0], np.zeros(6), np.zeros((5, 1))], ids=["short", "long", "2d"])
def test_initial_v_length_mismatch(bad):
    net = ss.Network(dt=0.1)
    with pytest.raises(ValueError, match=names("initial", None, "v")):
        net.add_population(5, ss.IF_curr_exp(), label="a", initial_v=bad)
    # the rejected population must not stay in the network
    assert net.populations == [] and net.n_neurons == 0


def test_from_list_column_lengths():
    with pytest.raises(ValueError, match=names("FromList.post", 2, "3")):
        ss.FromList([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match=names("FromList.weight", 2, "3")):
        ss.FromList([0, 1, 2], [0, 1, 2], weight=[0.1, 0.2])
    with pytest.raises(ValueError, match=names("FromList.delay", 4, "3")):
        ss.FromList([0, 1, 2], [0, 1, 2], delay=[1.0, 1.0, 1.0, 1.0])


def test_weight_and_delay_array_lengths():
    net, a, b = net_with(3, 4)
    with pytest.raises(ValueError, match=names("weight", 11, "12")):
        net.connect(a, b, ss.AllToAll(), weight=np.full(11, 0.1))
    with pytest.raises(ValueError, match=names("weight", None, r"\(4, 3\)", r"\(3, 4\)")):
        net.connect(a, b, ss.AllToAll(), weight=np.full((4, 3), 0.1))
    with pytest.raises(ValueError, match=names("delay", 13, "12")):
        net.connect(a, b, ss.AllToAll(), weight=0.1, delay=np.full(13, 1.0))
    assert net.projections == []


def test_step_current_source_lengths():
    with pytest.raises(ValueError, match=names("StepCurrentSource.amplitudes", 1, "2")):
        ss.StepCurrentSource(times=[1.0, 2.0], amplitudes=[0.5])
    with pytest.raises(ValueError, match=names("StepCurrentSource.times", NAN)):
        ss.StepCurrentSource(times=[1.0, NAN], amplitudes=[0.5, 0.1])
    with pytest.raises(ValueError, match=names("DCSource.amplitude", INF)):
        ss.DCSource(amplitude=INF)
    with pytest.raises(ValueError, match=names("DCSource.start", -1.0)):
        ss.DCSource(amplitude=1.0, start=-1.0)


# --------------------------------------------------------------------------- networks
def test_connecting_populations_of_different_networks():
    net1, a1, b1 = net_with()
    net2, a2, b2 = net_with()
    with pytest.raises(ValueError, match=names("pre", None, "src", "different Network")):
        net1.connect(a2, b1, ss.AllToAll(), weight=0.1)
    with pytest.raises(ValueError, match=names("post", None, "tgt", "different Network")):
        net1.connect(a1, b2, ss.AllToAll(), weight=0.1)
    with pytest.raises(ValueError, match=names("post", None, "different Network")):
        net1.connect(a1, b2[0:2], ss.AllToAll(), weight=0.1)
    with pytest.raises(ValueError, match=names("target", None, "different Network")):
        net1.record(b2, "spikes")
    with pytest.raises(ValueError, match=names("target", None, "different Network")):
        net1.inject(ss.DCSource(1.0), b2)
    assert net1.projections == [] and net2.projections == []
    assert len(net1.recorders) == 0 and net1.injections == []
    assert_usable(net1)
    assert_usable(net2)


@pytest.mark.parametrize("bad", ["tgt", None, 3, np.arange(3)], ids=repr)
def test_connect_wrong_target_types(bad):
    net, a, b = net_with()
    with pytest.raises(TypeError, match=names("post")):
        net.connect(a, bad, ss.AllToAll(), weight=0.1)
    with pytest.raises(TypeError, match=names("connector")):
        net.connect(a, b, "all_to_all", weight=0.1)


# --------------------------------------------------------------------------- run duration
@pytest.mark.parametrize("dt, bad", [(0.1, 0.15), (0.1, 1.05), (0.1, 0.01), (0.25, 1.1), (1.0, 2.5)])
def test_duration_not_a_multiple_of_dt(dt, bad):
    net, a, b = net_with(dt=dt)
    with pytest.raises(ValueError, match=names("duration", bad, "multiple", re.escape(repr(dt)))):
        net.run(bad)
    assert net.step == 0


@pytest.mark.parametrize("bad", [-0.1, -1.0, -1e9], ids=repr)
def test_negative_duration(bad):
    net, a, b = net_with()
    with pytest.raises(ValueError, match=names("duration", bad)):
        net.run(bad)
    assert net.step == 0


@pytest.mark.parametrize("bad", [NAN, INF, "10", None, [1.0]], ids=repr)
def test_non_numeric_or_non_finite_duration(bad):
    net, a, b = net_with()
    with pytest.raises((ValueError, TypeError), match=names("duration", bad)):
        net.run(bad)
    assert net.step == 0


def test_accumulated_float_durations_are_accepted():
    net, a, b = net_with()
    net.run(0.3, progress=False)  # 0.3 / 0.1 = 2.9999999999999996
    assert net.step == 3
    net.run(0, progress=False)
    assert net.step == 3


# --------------------------------------------------------------------------- v_reset / v_thresh
@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("v_reset, v_thresh", [(-50.0, -50.0), (-40.0, -50.0)])
def test_v_reset_not_below_v_thresh(cell, v_reset, v_thresh):
    net = ss.Network(dt=0.1)
    with pytest.raises(ValueError, match=names(f"{cell.__name__}.v_reset", v_reset, "v_thresh")):
        net.add_population(3, cell(v_reset=v_reset, v_thresh=v_thresh))
    with pytest.raises(ValueError, match=names("v_reset", v_reset, "v_thresh", _value_re(v_thresh))):
        net.add_population(3, cell(v_reset=[-70.0, v_reset, -70.0], v_thresh=v_thresh))
    with pytest.raises(ValueError, match=names("v_reset", v_reset, "v_thresh")):
        net.add_population(3, cell(v_reset=v_reset, v_thresh=[-45.0, -45.0, v_thresh]))
    assert net.populations == []


def test_v_reset_from_distribution_above_threshold():
    net = ss.Network(dt=0.1)
    with pytest.raises(ValueError, match=names("v_reset", None, "v_thresh")):
        net.add_population(10, ss.IF_curr_exp(v_reset=ss.RandomDistribution("uniform", low=-55.0, high=-40.0)))
    assert net.populations == []


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize("cell, kw", [
    (ss.IF_curr_exp, dict(tau=10.0)), (ss.IF_curr_exp, dict(e_rev_E=0.0)),
    (ss.IF_cond_exp, dict(e_rev_X=0.0)), (ss.IF_cond_exp, dict(taum=10.0)),
    (ss.SpikeSourcePoisson, dict(rates=5.0)), (ss.SpikeSourceArray, dict(times=[1.0])),
])
def test_unknown_parameter_names(cell, kw):
    (name,) = kw
    with pytest.raises(TypeError, match=names(name)):
        cell(**kw)


@pytest.mark.parametrize("bad", ["exc", "Excitatory", "", "gaba", None, 0], ids=repr)
def test_bad_receptor_type(bad):
    net, a, b = net_with()
    with pytest.raises((ValueError, TypeError), match=names("receptor_type", bad)):
        net.connect(a, b, ss.AllToAll(), weight=0.1, receptor_type=bad)
    assert net.projections == []


@pytest.mark.parametrize("pop_i, var", [(1, "vm"), (1, "gsyn_exc"), (1, "spike"), (0, "v"), (0, "isyn_exc")])
def test_recording_unknown_variable(pop_i, var):
    net, a, b = net_with()
    pop = (a, b)[pop_i]
    with pytest.raises(ValueError, match=names("record", var)):
        net.record(pop, var)
    with pytest.raises(ValueError, match=names("record", var)):
        net.record(pop, ["spikes", var])
    assert net.recorders == []
    assert_usable(net)


@pytest.mark.parametrize("bad", [0, 0.0, -0.1, 0.15, NAN, "1"], ids=repr)
def test_bad_sampling_interval(bad):
    net, a, b = net_with()
    with pytest.raises((ValueError, TypeError), match=names("sampling_interval", bad)):
        net.record(b, "v", sampling_interval=bad)
    assert net.recorders == []


# --------------------------------------------------------------------------- spike sources
@pytest.mark.parametrize("kw, value", [
    (dict(rate=20000.0), 20000.0),
    (dict(rate=[10.0, 10.0, 10001.0]), 10001.0),
    (dict(rate=5.0, rate_changes=([2.0, 3.0], [10.0, 1e5])), 1e5),
])
def test_poisson_rate_above_one_spike_per_step_is_accepted(kw, value):
    """Issue 17: any rate runs (a Poisson number of spikes per step above 1000/dt Hz)."""
    net = ss.Network(dt=0.1, seed=1)
    src = net.add_population(3, ss.SpikeSourcePoisson(**kw))
    rec = net.record(src, "spikes")
    net.run(5.0, progress=False)
    assert len(rec.spikes) > 0
    assert_usable(net)


@pytest.mark.parametrize("kw, value", [
    (dict(rate=20000.0), 20000.0),
    (dict(rate=[10.0, 10.0, 10001.0]), 10001.0),
    (dict(rate=5.0, rate_changes=([2.0, 3.0], [10.0, 1e5])), 1e5),
])
def test_poisson_rate_above_one_spike_per_step_is_refused_for_plastic_synapses(kw, value):
    """Plastic synapses take one spike per source and step: refused at connect, rate named,
    and the network stays usable."""
    net = ss.Network(dt=0.1, seed=1)
    tgt = net.add_population(2, ss.IF_curr_exp(), label="tgt")
    src = net.add_population(3, ss.SpikeSourcePoisson(**kw), label="noise")
    stdp = ss.STDP(ss.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.01),
                   ss.AdditiveWeightDependence(0.0, 1.0))
    with pytest.raises(ValueError, match=names("rate", value)):
        net.connect(src, tgt, ss.AllToAll(), weight=0.5, synapse=stdp)
    assert net.projections == []
    assert_usable(net)


@pytest.mark.parametrize("kw, param, value", [
    (dict(rate=-1.0), "SpikeSourcePoisson.rate", -1.0),
    (dict(rate=NAN), "SpikeSourcePoisson.rate", NAN),
    (dict(rate=INF), "SpikeSourcePoisson.rate", INF),
    (dict(rate=[1.0, -2.0]), "SpikeSourcePoisson.rate", -2.0),
    (dict(start=-1.0), "SpikeSourcePoisson.start", -1.0),
    (dict(start=NAN), "SpikeSourcePoisson.start", NAN),
    (dict(duration=-1.0), "SpikeSourcePoisson.duration", -1.0),
    (dict(duration=NAN), "SpikeSourcePoisson.duration", NAN),
    (dict(rate_changes=([-1.0], [5.0])), "rate_changes", -1.0),
    (dict(rate_changes=([1.0], [NAN])), "rate_changes", NAN),
    (dict(rate_changes=([1.0], [-5.0])), "rate_changes", -5.0),
])
def test_bad_poisson_parameters(kw, param, value):
    with pytest.raises(ValueError, match=names(param, value)):
        ss.SpikeSourcePoisson(**kw)


@pytest.mark.parametrize("bad", [5.0, ([1.0, 2.0],), ([1.0], ["fast"]), "abc"], ids=repr)
def test_malformed_rate_changes_name_the_parameter(bad):
    # today: "cannot unpack non-iterable float object" / "could not convert string to float"
    with pytest.raises((ValueError, TypeError), match=names("rate_changes")):
        ss.SpikeSourcePoisson(rate=1.0, rate_changes=bad)


@pytest.mark.parametrize("value", [np.float32(5.0), np.float64(5.0), np.int64(5)], ids=repr)
def test_poisson_duration_accepts_numpy_scalars(value):
    # valid numbers must not be refused because of their Python type
    src = ss.SpikeSourcePoisson(rate=10.0, duration=value)
    net = ss.Network(dt=0.1, seed=1)
    net.add_population(2, src)
    assert_usable(net)


@pytest.mark.parametrize("bad", [0.0, 0.04, -0.1, -3.0, -1e30], ids=repr)
def test_spike_times_before_dt_are_refused(bad):
    """Lenient form: refused by the time the network runs; spike_times and the value named."""
    net = ss.Network(dt=0.1, seed=1)
    with pytest.raises(ValueError, match=names("spike_times", bad)):
        net.add_population(2, ss.SpikeSourceArray(spike_times=[[1.0, 2.0], [bad, 1.0]]))
        net.run(1.0, progress=False)


@pytest.mark.parametrize("bad", [0.0, 0.04, -3.0], ids=repr)
def test_spike_times_before_dt_are_refused_when_added(bad):
    """Strict form: add_population knows dt and refuses; the network stays usable."""
    net = ss.Network(dt=0.1, seed=1)
    net.add_population(2, ss.IF_curr_exp(), label="tgt")
    with pytest.raises(ValueError, match=names("spike_times", bad)):
        net.add_population(2, ss.SpikeSourceArray(spike_times=[bad, 1.0]), label="src")
    assert [p.label for p in net.populations] == ["tgt"]
    assert_usable(net)


@pytest.mark.parametrize("bad", [[NAN], [1.0, INF], "1.0", [[1.0], [NAN]]], ids=repr)
def test_non_finite_spike_times(bad):
    with pytest.raises((ValueError, TypeError), match=names("spike_times")):
        ss.SpikeSourceArray(spike_times=bad)


@pytest.mark.parametrize("source", [ss.SpikeSourcePoisson(rate=5.0), ss.SpikeSourceArray([1.0])],
                         ids=["poisson", "array"])
def test_connecting_into_a_spike_source(source):
    net = ss.Network(dt=0.1, seed=1)
    a = net.add_population(3, ss.IF_curr_exp(), label="lif")
    s = net.add_population(3, source, label="spk")
    with pytest.raises(ValueError, match=names("post", None, "'spk'", "spike source")):
        net.connect(a, s, ss.AllToAll(), weight=0.1)
    with pytest.raises(ValueError, match=names("post", None, "spike source")):
        net.connect(s, s[0:2], ss.AllToAll(), weight=0.1)
    with pytest.raises(ValueError, match=names("target", None, "spike source")):
        net.inject(ss.DCSource(1.0), s)
    assert net.projections == [] and net.injections == []
    assert_usable(net)


# --------------------------------------------------------------------------- connectors
@pytest.mark.parametrize("make, param, bad", [
    (lambda v: ss.FixedProbability(v), "FixedProbability.p_connect", 1.5),
    (lambda v: ss.FixedProbability(v), "FixedProbability.p_connect", -0.1),
    (lambda v: ss.FixedProbability(v), "FixedProbability.p_connect", NAN),
    (lambda v: ss.FixedProbability(v), "FixedProbability.p_connect", "0.5"),
    (lambda v: ss.FixedNumberPre(v), "FixedNumberPre.n", -1),
    (lambda v: ss.FixedNumberPre(v), "FixedNumberPre.n", 2.5),
    (lambda v: ss.FixedNumberPre(v), "FixedNumberPre.n", NAN),
    (lambda v: ss.FixedNumberPost(v), "FixedNumberPost.n", INF),
    (lambda v: ss.FixedNumberPost(v), "FixedNumberPost.n", "3"),
    (lambda v: ss.DistanceDependent(C=v), "DistanceDependent.C", 2.0),
    (lambda v: ss.DistanceDependent(lambda_=v), "DistanceDependent.lambda_", 0.0),
    (lambda v: ss.DistanceDependent(lambda_=v), "DistanceDependent.lambda_", NAN),
], ids=lambda x: "" if callable(x) else x if isinstance(x, str) else repr(x))
def test_bad_connector_arguments(make, param, bad):
    with pytest.raises((ValueError, TypeError), match=names(param, bad)):
        make(bad)


def test_fixed_number_larger_than_population():
    net, a, b = net_with(3, 4)
    with pytest.raises(ValueError, match=names("FixedNumberPre.n", 4)):
        net.connect(a, b, ss.FixedNumberPre(4), weight=0.1)
    with pytest.raises(ValueError, match=names("FixedNumberPost.n", 5)):
        net.connect(a, b, ss.FixedNumberPost(5), weight=0.1)
    with pytest.raises(ValueError, match=names("OneToOne", None, "3", "4")):
        net.connect(a, b, ss.OneToOne(), weight=0.1)
    with pytest.raises(ValueError, match=names("DistanceDependent", None, "positions")):
        net.connect(a, b, ss.DistanceDependent(C=0.5, lambda_=2.0), weight=0.1)
    assert net.projections == []
    assert_usable(net)


# --------------------------------------------------------------------------- state is never corrupted
def _bad_connect_calls():
    other = ss.Network(dt=0.1)
    foreign = other.add_population(2, ss.IF_curr_exp())
    rd = ss.RandomDistribution("uniform", low=0.1, high=0.2)
    return {
        "nan-weight": lambda n, a, b: n.connect(a, b, ss.FixedProbability(0.5), weight=NAN),
        "wrong-sign": lambda n, a, b: n.connect(a, b, ss.FixedProbability(0.5), weight=-0.1),
        "bad-delay-after-rd-weight": lambda n, a, b: n.connect(a, b, ss.AllToAll(), weight=rd, delay=0.0),
        "fixed-number-nan-weight": lambda n, a, b: n.connect(a, b, ss.FixedNumberPost(2), weight=NAN),
        "weight-length": lambda n, a, b: n.connect(a, b, ss.FixedProbability(0.5), weight=[0.1, 0.2]),
        "from-list-range": lambda n, a, b: n.connect(a, b, ss.FromList([0, 9], [0, 0]), weight=0.1),
        "receptor": lambda n, a, b: n.connect(a, b, ss.AllToAll(), weight=0.1, receptor_type="x"),
        "into-source": lambda n, a, b: n.connect(b, a, ss.AllToAll(), weight=0.1),
        "foreign": lambda n, a, b: n.connect(a, foreign, ss.AllToAll(), weight=0.1),
    }


BAD_CONNECT = _bad_connect_calls()


@pytest.mark.parametrize("case", sorted(BAD_CONNECT))
def test_rejected_connect_leaves_projections_and_network_usable(case):
    net, a, b = net_with(4, 4)
    net.connect(a, b, ss.AllToAll(), weight=0.2)
    rec = net.record(b, "spikes")
    net.run(1.0, progress=False)
    before = (len(net.projections), net.step, len(rec.spikes))
    with pytest.raises((ValueError, TypeError)):
        BAD_CONNECT[case](net, a, b)
    assert (len(net.projections), net.step, len(rec.spikes)) == before
    net.connect(a, b, ss.OneToOne(), weight=0.3)
    assert_usable(net, 5.0)


@pytest.mark.parametrize("case", sorted(BAD_CONNECT))
def test_rejected_connect_does_not_consume_randomness(case):
    """Same seed, same valid calls => same network, whether or not a call was rejected in between."""
    def build(with_rejected_call):
        net, a, b = net_with(4, 4, seed=7)
        if with_rejected_call:
            state = rng_state(net)
            with pytest.raises((ValueError, TypeError)):
                BAD_CONNECT[case](net, a, b)
            assert rng_state(net) == state, "a rejected connect() advanced the network's generator"
        return net.connect(a, b, ss.FixedProbability(0.5), weight=0.1).connections()

    clean, after = build(False), build(True)
    for x, y in zip(clean, after):
        np.testing.assert_array_equal(x, y)


def _bad_add_population_calls():
    return {
        "initial_v-length": lambda n: n.add_population(3, ss.IF_curr_exp(), label="new", initial_v=[-60.0]),
        "initial_v-nan": lambda n: n.add_population(3, ss.IF_curr_exp(), label="new", initial_v=NAN),
        "initial_v-type": lambda n: n.add_population(3, ss.IF_curr_exp(), label="new", initial_v="low"),
        "initial_v-source": lambda n: n.add_population(3, ss.SpikeSourceArray([1.0]), label="new",
                                                       initial_v=-60.0),
        "param-length": lambda n: n.add_population(3, ss.IF_curr_exp(tau_m=[1.0, 2.0]), label="new"),
        "v_reset": lambda n: n.add_population(3, ss.IF_curr_exp(v_reset=-40.0), label="new"),
        "rd-v_reset": lambda n: n.add_population(
            3, ss.IF_curr_exp(v_reset=ss.RandomDistribution("uniform", low=-49.0, high=-45.0)), label="new"),
        "positions": lambda n: n.add_population(3, ss.IF_curr_exp(), label="new", positions=np.zeros((3, 2))),
        "positions-nan": lambda n: n.add_population(3, ss.IF_curr_exp(), label="new",
                                                    positions=np.full((3, 3), NAN)),
        "size": lambda n: n.add_population(0, ss.IF_curr_exp(), label="new"),
        "celltype": lambda n: n.add_population(3, "IF_curr_exp", label="new"),
        "label": lambda n: n.add_population(3, ss.IF_curr_exp(), label="tgt"),
    }


BAD_ADD = _bad_add_population_calls()


@pytest.mark.parametrize("case", sorted(BAD_ADD))
def test_rejected_add_population_leaves_network_unchanged(case):
    net, a, b = net_with(4, 4)
    net.connect(a, b, ss.AllToAll(), weight=0.2)
    net.run(1.0, progress=False)
    before = ([p.label for p in net.populations], net.n_neurons, net.step, rng_state(net))
    with pytest.raises((ValueError, TypeError)):
        BAD_ADD[case](net)
    assert [p.label for p in net.populations] == before[0], "the rejected population was added"
    assert net.n_neurons == before[1], "the state arrays grew"
    assert net.step == before[2]
    assert rng_state(net) == before[3], "a rejected add_population advanced the network's generator"
    # the label is still free and the network still runs
    c = net.add_population(3, ss.IF_curr_exp(), label="new")
    net.connect(a, c, ss.AllToAll(), weight=0.5)
    assert_usable(net, 5.0)


@pytest.mark.parametrize("bad", [0.15, -1.0, NAN, "5"], ids=repr)
def test_rejected_run_changes_nothing(bad):
    net, a, b = net_with(4, 4)
    net.connect(a, b, ss.AllToAll(), weight=5.0)
    rec = net.record(b, ["spikes", "v"])
    net.run(1.5, progress=False)
    v0, n_spk, n_smp = b.v.copy(), len(rec.spikes), rec.v.values.shape[0]
    with pytest.raises((ValueError, TypeError)):
        net.run(bad)
    assert net.step == 15
    np.testing.assert_array_equal(b.v, v0)
    assert len(rec.spikes) == n_spk and rec.v.values.shape[0] == n_smp
    net.run(3.0, progress=False)
    assert rec.v.values.shape[0] == n_smp + 30


def test_rejected_record_and_inject_change_nothing():
    net, a, b = net_with(4, 4)
    with pytest.raises(ValueError):
        net.record(b, ["spikes", "nonsense"])
    with pytest.raises((ValueError, TypeError)):
        net.inject("1 nA", b)
    with pytest.raises(ValueError):
        net.inject(ss.DCSource(1.0), a)
    assert net.recorders == [] and net.injections == []
    assert_usable(net)


# --------------------------------------------------------------------------- values the precision cannot hold
FLOAT32_OVERFLOW = {
    "weight": lambda n, a, b: n.connect(a, b, ss.AllToAll(), weight=1e39),
    "inhibitory-weight": lambda n, a, b: n.connect(a, b, ss.AllToAll(), weight=-1e39,
                                                   receptor_type="inhibitory"),
    "initialize": lambda n, a, b: b.initialize(v=-1e39),
    "v_rest": lambda n, a, b: n.add_population(2, ss.IF_curr_exp(v_rest=-1e39)),
    "i_offset": lambda n, a, b: n.add_population(2, ss.IF_curr_exp(i_offset=-1e39)),
    "DCSource.amplitude": lambda n, a, b: n.inject(ss.DCSource(amplitude=-1e40), b),
}


@pytest.mark.parametrize("case", sorted(FLOAT32_OVERFLOW))
def test_finite_values_that_overflow_float32_are_refused_or_harmless(case):
    """1e39 is finite in float64 but inf in float32: refuse it (naming it), or keep the state finite."""
    net, a, b = net_with(3, 3)
    try:
        with np.errstate(all="ignore"):
            FLOAT32_OVERFLOW[case](net, a, b)
    except (ValueError, TypeError) as exc:
        assert re.search(names(case.split("-")[-1]), str(exc)), str(exc)
        return
    with np.errstate(all="ignore"):
        net.run(3.0, progress=False)
    for p in net.populations:
        if p.celltype.kind != 0:
            assert np.isfinite(p.v).all(), f"{case}=1e39 accepted, then {p.label}.v = {p.v}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cell, kw", [
    (ss.IF_curr_exp, dict(tau_m=1e-4)), (ss.IF_curr_exp, dict(tau_m=1e-300)),
    (ss.IF_curr_exp, dict(cm=1e-310)), (ss.IF_cond_exp, dict(cm=1e-310)),
    (ss.IF_cond_exp, dict(tau_m=1e-300)), (ss.IF_curr_exp, dict(tau_syn_E=1e-300)),
], ids=lambda x: repr(x) if isinstance(x, dict) else getattr(x, "__name__", x))
def test_extreme_positive_parameters_are_refused_or_integrate_finitely(dtype, cell, kw):
    """Positive finite time constants pass validation; the propagators must then be finite."""
    (param,) = kw
    net = ss.Network(dt=0.1, seed=1, dtype=dtype)
    src = net.add_population(2, ss.SpikeSourceArray([0.5, 1.0]))
    try:
        with np.errstate(all="ignore"):
            pop = net.add_population(2, cell(**kw))
    except (ValueError, TypeError) as exc:
        assert re.search(names(param), str(exc)), str(exc)
        return
    net.connect(src, pop, ss.AllToAll(), weight=0.01)
    with np.errstate(all="ignore"):
        net.run(2.0, progress=False)
    assert np.isfinite(pop.v).all(), f"{cell.__name__}({param}={kw[param]}) gave v = {pop.v}"


def test_refractory_period_beyond_the_step_counter():
    """tau_refrac / dt above int32 must be refused, not wrap into "never refractory"."""
    net = ss.Network(dt=0.1, seed=1)
    try:
        pop = net.add_population(1, ss.IF_curr_exp(tau_refrac=1e9, i_offset=10.0))
    except ValueError as exc:
        assert re.search(names("tau_refrac"), str(exc)), str(exc)
        return
    rec = net.record(pop, "spikes")
    net.run(10.0, progress=False)
    assert len(rec.spikes) == 1, f"tau_refrac=1e9 ms, yet the neuron fired at {rec.spikes.times}"


def test_longest_supported_refractory_period_holds_and_one_step_more_is_refused():
    """The countdown is int16: 32767 steps work exactly, 32768 are refused by name."""
    net = ss.Network(dt=0.1, seed=1)
    pop = net.add_population(1, ss.IF_curr_exp(tau_refrac=3276.7, i_offset=10.0))
    rec = net.record(pop, "spikes")
    net.run(3300.0, progress=False)
    assert len(rec.spikes) == 2
    assert rec.spikes.times[1] - rec.spikes.times[0] == pytest.approx(3276.7 + 0.1 * np.ceil(
        20.0 * np.log(200.0 / 185.0) / 0.1 - 1e-9), abs=1e-6)
    with pytest.raises(ValueError, match="tau_refrac.*32768"):
        net.add_population(1, ss.IF_curr_exp(tau_refrac=3276.8))


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dt", [5e-324, 1e-310], ids=repr)
def test_subnormal_dt_is_refused_or_integrates_finitely(cell, dt):
    """dt = 5e-324 passes ``dt > 0``; tau_syn/dt then overflows and the step-mean conductance is NaN."""
    try:
        net = ss.Network(dt=dt, seed=1, dtype="float64")
    except ValueError as exc:
        assert re.search(names("dt", dt), str(exc)), str(exc)
        return
    pop = net.add_population(2, cell(i_offset=0.5))
    with np.errstate(all="ignore"):
        net.run(10 * dt, progress=False)
    assert np.isfinite(pop.v).all(), f"dt={dt}: {cell.__name__}.v = {pop.v}"


@pytest.mark.parametrize("bad", [1e39, 10 ** 30, 2 ** 63], ids=repr)
@pytest.mark.parametrize("cell", [ss.IF_curr_exp(), ss.SpikeSourcePoisson(rate=1.0), ss.SpikeSourceArray([1.0])],
                         ids=lambda c: type(c).__name__)
def test_absurd_population_size_is_refused_with_a_named_error(bad, cell):
    """count() accepts any integral value; numpy's "Maximum allowed dimension exceeded" or an
    OverflowError / MemoryError from ``lists * n`` must not be what the user sees."""
    net = ss.Network(dt=0.1)
    with pytest.raises(ValueError, match=names("size")):
        net.add_population(bad, cell)
    assert net.populations == [] and net.n_neurons == 0


@pytest.mark.parametrize("bad", [-1e-12, -1e-15], ids=repr)
def test_tiny_negative_duration_is_refused(bad):
    """time_to_steps rounds before it checks the sign, so -1e-12 ms is run as 0 steps."""
    net, a, b = net_with()
    with pytest.raises(ValueError, match=names("duration", bad)):
        net.run(bad)
    assert net.step == 0


def test_integrate_refractory_is_refused_by_every_exporter(tmp_path):
    """A spikesim-only neuron option never leaves silently as the clamped LIF of PyNN/NEST/NIR/sPyNNaker."""
    from spikesim.export import ExportError, to_nir, to_pynn_script, to_spinnaker

    net = ss.Network(dt=1.0)
    src = net.add_population(3, ss.SpikeSourceArray([[5.0, 9.0]]), label="src")
    lif = net.add_population(3, ss.IF_curr_exp(integrate_refractory=[0, 1, 0]), label="lif")
    net.connect(src, lif, ss.OneToOne(), weight=2.0)
    for export in (lambda: to_pynn_script(net), lambda: to_nir(net)):
        with pytest.raises(ExportError, match="population 'lif': integrate_refractory=1") as e:
            export()
        assert e.value.rule == "integrate-refractory"
    with pytest.raises(ExportError, match="'lif': integrate_refractory=1 .* no sPyNNaker equivalent"):
        to_spinnaker(net, tmp_path / "machine")
    lif.set(integrate_refractory=0)
    to_pynn_script(net)  # all clamped again: exports


def test_integrate_refractory_must_be_a_flag():
    with pytest.raises(ValueError, match=r"IF_cond_exp.integrate_refractory must be 0 or 1 \(False or "
                                         r"True\), got 0.5"):
        ss.IF_cond_exp(integrate_refractory=0.5)
    net = ss.Network(dt=1.0)
    with pytest.raises(ValueError, match="IF_curr_exp.integrate_refractory has 2 values for 3 neurons"):
        net.add_population(3, ss.IF_curr_exp(integrate_refractory=[0, 1]))
