"""The PyNN script exporter (spikesim.export.to_pynn_script), run on pyNN.nest.

Exported scripts run in a subprocess (with a timeout) exactly as a user runs them.

Tolerances, and why:

* Deterministic networks (spike-source arrays, DC and step currents, current-
  and conductance-based cells): spikesim and NEST both integrate
  ``IF_curr_exp`` exactly on the same grid, so output spikes must agree
  within one step (they agree exactly; ``IF_cond_exp`` is integrated
  differently, RK45 vs spikesim's exponential scheme, hence "one step").
* CUBA (1,600 neurons, float64, 1 s): the script rebuilds the *same* network
  (connections, weights, initial v), so without Poisson input the two runs
  start identical; rounding differences of ~1e-13 mV can only flip a spike
  when v sits that close to threshold, after which the chaotic network
  decorrelates. Population rates are required to agree within 5 %, which is
  several times the rate difference between two initial conditions of one
  network (<= 2.5 % measured with float32 spikesim against NEST, seeds 1-3),
  and the first 100 ms are required to be spike-for-spike identical.
* Pair STDP: NEST's delay convention (dendritic) differs from spikesim's
  (axonal) by ``2 d`` in every pairing interval (``t_post + d - t_pre`` against
  ``t_post - (t_pre + d)``), so NEST's weights are not spikesim's. Moving each
  presynaptic train ``2 d`` earlier makes spikesim pair the spikes at NEST's
  intervals; with teacher-forced postsynaptic spikes (identical in both), all
  pairs >= 6 ms apart (no pair changes sign or order) and a final presynaptic
  volley (NEST applies potentiation at the next presynaptic spike), NEST's
  final weights equal those of that shifted spikesim run to 1e-9. Unshifted,
  spikesim's weights differ from NEST's by up to ~50 % of the change for
  d = 1 ms (additive), in the same direction.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import spikesim as ss
from spikesim.examples import cuba
from spikesim.export import ExportError, to_pynn_script

DT = 0.1


# ------------------------------------------------------------------ helpers (also used by test_backend_nest)
def run_script(script, cwd, *args, timeout: float = 300.0) -> dict:
    """Run an exported script with pyNN.nest in a subprocess; return its output npz as a dict."""
    out = os.path.abspath(os.path.join(str(cwd), "out_spikes.npz"))
    env = dict(os.environ, PYNEST_QUIET="1")
    r = subprocess.run([sys.executable, str(script), "--out", out, *args], cwd=str(cwd), env=env,
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"script failed:\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
    with np.load(out, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def spike_set(times, senders, dt=DT) -> set:
    return set(zip(np.rint(np.asarray(times) / dt).astype(np.int64).tolist(),
                   np.asarray(senders).astype(np.int64).tolist()))


def exported_weights(out: dict, proj) -> np.ndarray:
    """A plastic projection's final weights from a script's output, in spikesim's synapse order."""
    lut = {(int(i), int(j)): w for i, j, w in out[f"weights_{proj.index}"]}
    pre, post = proj.connections()
    return np.array([lut[(int(i), int(j))] for i, j in zip(pre, post)])


def assert_spikes_within_one_step(ours, theirs, what="", exact=False):
    """Same number of spikes per neuron, and matched spike times within one step (or identical)."""
    (t1, s1), (t2, s2) = ours, theirs
    if exact:
        assert spike_set(t1, s1) == spike_set(t2, s2), what
    assert len(t1) == len(t2), f"{what}: {len(t1)} spikes in spikesim, {len(t2)} in NEST"
    for n in np.unique(np.concatenate([s1, s2])).astype(int):
        a, b = np.sort(t1[s1 == n]), np.sort(t2[s2 == n])
        assert a.shape == b.shape, f"{what}: neuron {n} fires {a.size} vs {b.size} times"
        assert np.all(np.abs(a - b) <= DT + 1e-9), f"{what}: neuron {n}: {a} vs {b}"


def deterministic_network(seed: int = 3):
    """Array sources, both cell types, current injections, mixed delays: no randomness at run time."""
    rng = np.random.default_rng(seed)
    net = ss.Network(dt=DT, seed=seed, dtype="float64")
    trains = [(np.flatnonzero(rng.random(1000) < 0.02) + 2) * DT for _ in range(20)]
    src = net.add_population(20, ss.SpikeSourceArray(trains), label="src")
    a = net.add_population(10, ss.IF_curr_exp(tau_refrac=2.0, tau_m=np.linspace(10.0, 30.0, 10),
                                              tau_syn_E=3.0), label="curr",
                           initial_v=ss.RandomDistribution("uniform", low=-65.0, high=-55.0))
    b = net.add_population(4, ss.IF_cond_exp(tau_refrac=1.0), label="cond")
    net.connect(src, a, ss.FixedProbability(0.5), weight=ss.RandomDistribution("uniform", low=0.5, high=2.0),
                delay=ss.RandomDistribution("uniform", low=0.1, high=2.0))
    net.connect(a, b, ss.AllToAll(), weight=0.01, delay=0.5)
    net.connect(b, a, ss.AllToAll(), weight=-0.8, delay=1.0, receptor_type="inhibitory")
    net.connect(src[:5], b, ss.AllToAll(), weight=0.004, delay=0.2, receptor_type="inhibitory")
    ss.DCSource(amplitude=0.6, start=20.0, stop=60.0).inject_into(a[2:6])
    ss.StepCurrentSource([5.0, 40.0, 80.0], [0.2, 1.0, 0.0]).inject_into(b)
    recs = [net.record(p, "spikes") for p in net.populations]
    return net, recs


def stdp_toy(multiplicative=False, nest_convention=False, periods=25):
    """Pre spikes 1-5 ms and post spikes ~11-14 ms into each 20 ms period: every pair >= 6 ms apart.

    Posts are forced by a strong teacher input (their spikes do not depend on
    the plastic weights); a last presynaptic volley 200 ms after the end lets
    NEST apply the potentiation it defers to the next presynaptic spike.
    Delays are 0.1 ms (even presynaptic neurons) and 1.0 ms (odd ones).
    ``nest_convention=True`` moves every presynaptic train ``2 d`` earlier:
    spikesim then pairs the spikes at NEST's intervals (see the module notes).
    """
    rng = np.random.default_rng(5)
    n_pre, n_post = 8, 3
    d_pre = np.where(np.arange(n_pre) % 2 == 0, 0.1, 1.0)
    net = ss.Network(dt=DT, seed=2, dtype="float64")
    pre_t = [np.array([20.0 * k + rng.integers(10, 50) * DT for k in range(1, periods)]
                      + [20.0 * periods + 200.0]) for _ in range(n_pre)]
    if nest_convention:
        pre_t = [t - 2.0 * d for t, d in zip(pre_t, d_pre)]
    teach_t = [np.array([20.0 * k + rng.integers(110, 140) * DT for k in range(1, periods)])
               for _ in range(n_post)]
    pre = net.add_population(n_pre, ss.SpikeSourceArray(pre_t), label="pre")
    teach = net.add_population(n_post, ss.SpikeSourceArray(teach_t), label="teacher")
    post = net.add_population(n_post, ss.IF_curr_exp(tau_syn_E=1.0, tau_refrac=5.0), label="post")
    net.connect(teach, post, ss.OneToOne(), weight=100.0, delay=DT)
    wd = (ss.MultiplicativeWeightDependence(0.0, 1.0) if multiplicative
          else ss.AdditiveWeightDependence(0.0, 1.0, absolute=True))
    syn = ss.STDP(ss.SpikePairRule(tau_plus=20.0, tau_minus=15.0, A_plus=0.01, A_minus=0.0105), wd)
    proj = net.connect(pre, post, ss.AllToAll(), weight=0.5, delay=np.repeat(d_pre, n_post),
                       synapse=syn)
    recs = [net.record(p, "spikes") for p in net.populations]
    return net, proj, recs


STDP_T = 25 * 20.0 + 250.0


def stdp_reference(multiplicative=False):
    """(initial, spikesim's final, spikesim's final at NEST's pairing intervals) weights, post recorder."""
    net, proj, recs = stdp_toy(multiplicative)
    w0 = proj.weight.copy()
    net.run(STDP_T)
    net_n, proj_n, recs_n = stdp_toy(multiplicative, nest_convention=True)
    net_n.run(STDP_T)
    assert spike_set(recs[2].spikes.times, recs[2].spikes.senders) == \
        spike_set(recs_n[2].spikes.times, recs_n[2].spikes.senders)  # posts are teacher-forced
    return w0, proj.weight.copy(), proj_n.weight.copy(), recs[2]


# ------------------------------------------------------------------ refusals (no NEST needed)
def _plastic_net(syn, receptor="excitatory", post_cell=None, w=0.5):
    net = ss.Network(dt=DT, seed=1)
    pre = net.add_population(5, ss.SpikeSourcePoisson(rate=10.0), label="pre")
    post = net.add_population(5, post_cell or ss.IF_curr_exp(), label="post")
    net.connect(pre, post, ss.AllToAll(), weight=w, receptor_type=receptor, synapse=syn)
    return net


def _refused(net) -> str:
    with pytest.raises(ExportError) as exc:
        to_pynn_script(net)
    assert exc.value.rule in str(exc.value)
    return exc.value.rule


def test_refusals_name_their_rule():
    add = ss.AdditiveWeightDependence(0.0, 1.0)
    assert _refused(_plastic_net(ss.STDP(ss.TripletRule(), add))) == "triplet-stdp"
    assert _refused(_plastic_net(ss.STDP(ss.SpikePairRule(interaction="nearest"), add))) == "stdp-nearest"
    assert _refused(_plastic_net(ss.STDP(ss.SpikePairRule(), add, window="anti_hebbian"))) == "stdp-window"
    assert _refused(_plastic_net(ss.STDP(ss.SpikePairRule(), add, window="symmetric"))) == "stdp-window"
    assert _refused(_plastic_net(ss.STDP(ss.SpikePairRule(), add, same_step_pairs=False))) \
        == "stdp-same-step"
    assert _refused(_plastic_net(ss.STDP(ss.SpikePairRule(), ss.AdditiveWeightDependence(0.1, 1.0)))) \
        == "stdp-w-min"
    assert _refused(_plastic_net(ss.STDP(ss.SpikePairRule(), ss.AdditiveWeightDependence(-1.0, 0.0)),
                                 receptor="inhibitory", w=-0.5)) == "stdp-negative-weights"
    assert _refused(_plastic_net(ss.STDP(ss.SpikePairRule(A_plus=0.0, A_minus=0.01), add))) \
        == "stdp-A_plus-zero"
    net = _plastic_net(ss.STDP(ss.SpikePairRule(), add))
    net.projections[0].modulate(potentiation=0.5)
    assert _refused(net) == "modulated-stdp"
    net = _plastic_net(ss.STDP(ss.SpikePairRule(tau_minus=20.0), add))
    net.connect(net.populations[0], net.populations[1], ss.OneToOne(), weight=0.5,
                synapse=ss.STDP(ss.SpikePairRule(tau_minus=30.0), add))
    assert _refused(net) == "stdp-tau_minus"


def test_refuses_astrocytes_and_first_step_spikes():
    net = ss.Network(dt=DT, seed=1)
    net.add_population(10, ss.IF_curr_exp(), label="n")
    net.add_astrocytes(2, ss.LiRinzel())
    assert _refused(net) == "astrocytes"
    net = ss.Network(dt=DT, seed=1)
    net.add_population(2, ss.SpikeSourceArray([[DT, 5.0], [3.0]]), label="early")
    assert _refused(net) == "spike-in-first-step"


def test_script_is_valid_python_and_maps_what_it_should(tmp_path):
    net, _ = deterministic_network()
    pois = net.add_population(7, ss.SpikeSourcePoisson(rate=np.arange(7.0), start=5.0, duration=50.0,
                                                       rate_changes=([10.0, 30.0], [1.0, 2.0])),
                              label="pois")
    net.connect(pois, net.populations[1][:7], ss.OneToOne(), weight=0.1)
    text = to_pynn_script(net, tmp_path / "n.py", duration=200.0)
    compile(text, "n.py", "exec")
    assert (tmp_path / "n.py").read_text(encoding="utf-8") == text
    for what in ("sim.IF_curr_exp(", "sim.IF_cond_exp(", "sim.SpikeSourceArray(", "sim.SpikeSourcePoisson(",
                 "sim.FromListConnector(", "sim.DCSource(", "sim.StepCurrentSource(", "initialize(v="):
        assert what in text, what
    with pytest.raises(ValueError):
        to_pynn_script(net, duration=-1.0)
    with pytest.raises(ValueError):
        to_pynn_script(net, simulator="nest; import os")


# ------------------------------------------------------------------ against pyNN.nest


@pytest.fixture(scope="module")
def pynn_nest():
    """Skip without NEST or PyNN (found, not imported: the scripts import them in a subprocess)."""
    for name in ("nest", "pyNN"):
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"{name} is not installed")


@pytest.mark.nest
def test_deterministic_network_same_spikes(tmp_path, pynn_nest):
    net, recs = deterministic_network()
    to_pynn_script(net, tmp_path / "det_pynn.py", duration=100.0)
    net.run(100.0)
    out = run_script(tmp_path / "det_pynn.py", tmp_path)
    assert list(out["labels"]) == [p.label for p in net.populations]
    for k, rec in enumerate(recs):
        ours = (rec.spikes.times, rec.spikes.senders)
        # sources and exactly integrated IF_curr_exp cells: identical; IF_cond_exp: within a step
        assert_spikes_within_one_step(ours, (out[f"times_{k}"], out[f"senders_{k}"]), rec.population.label,
                                      exact=rec.population.label != "cond")
    assert sum(len(r.spikes) for r in recs[1:]) > 20  # the test has something to compare


@pytest.mark.nest
def test_cuba_rates_match(tmp_path, pynn_nest):
    net, recs = cuba(n_neurons=1600, seed=1, dtype="float64")
    to_pynn_script(net, tmp_path / "cuba_pynn.py", duration=1000.0)
    net.run(1000.0)
    out = run_script(tmp_path / "cuba_pynn.py", tmp_path)
    for k, rec in enumerate(recs):
        n = rec.population.size
        ours, theirs = len(rec.spikes) / n, len(out[f"times_{k}"]) / n
        assert ours > 2.0  # self-sustained activity, as in the benchmark
        assert abs(theirs / ours - 1.0) < 0.05, (rec.population.label, ours, theirs)
        early = rec.spikes.times <= 100.0
        assert spike_set(rec.spikes.times[early], rec.spikes.senders[early]) == \
            spike_set(*(a[out[f"times_{k}"] <= 100.0] for a in (out[f"times_{k}"], out[f"senders_{k}"])))


@pytest.mark.nest
def test_hostile_labels_are_data_not_code(tmp_path, pynn_nest):
    hostile = ["'; __import__('os').system('touch PWNED'); '",
               '"""\n__import__("os").system("touch PWNED")\n"""',
               "\\\n__import__('os').system('touch PWNED')  # \\",
               "@BUILD@ @SCHEDULE@ @DATA@ {0} %s %(x)r",
               "ünïcødé 🧠 \u2028 \t end"]
    net = ss.Network(dt=DT, seed=1)
    src = net.add_population(3, ss.SpikeSourceArray([[1.0, 2.0], [3.0], [4.0]]), label=hostile[0])
    pops = [net.add_population(2, ss.IF_curr_exp(), label=lab) for lab in hostile[1:]]
    for j, p in enumerate(pops):
        net.connect(src, p, ss.AllToAll(), weight=5.0, label=hostile[-1 - j] + "proj")
    script = tmp_path / "ne't \"x\".py"  # the file name also reaches the code (data file name)
    to_pynn_script(net, script, duration=20.0, embed=False)
    assert (tmp_path / "ne't \"x\".npz").exists()
    out = run_script(script, tmp_path)
    assert not (tmp_path / "PWNED").exists() and not os.path.exists("PWNED")
    assert list(out["labels"]) == hostile
    assert all(len(out[f"times_{k}"]) > 0 for k in range(1, len(hostile)))


@pytest.mark.nest
def test_poisson_rate_changes_map(tmp_path, pynn_nest):
    net = ss.Network(dt=DT, seed=4)
    rates = np.array([[20.0] * 100 + [60.0] * 100, [5.0] * 200])  # per neuron in the first segment
    net.add_population(200, ss.SpikeSourcePoisson(rate=40.0, start=50.0, duration=550.0,
                                                  rate_changes=([250.0, 450.0], rates)), label="p")
    to_pynn_script(net, tmp_path / "pois.py", duration=700.0)
    out = run_script(tmp_path / "pois.py", tmp_path, "--seed", "7")
    t, s = out["times_0"], out["senders_0"]
    # (window, neurons, expected Hz): silent before start and after start + duration
    for (lo, hi), sel, rate in [((0, 50), slice(0, 200), 0.0), ((50, 250), slice(0, 200), 40.0),
                                ((250, 450), slice(0, 100), 20.0), ((250, 450), slice(100, 200), 60.0),
                                ((450, 600), slice(0, 200), 5.0), ((600, 700), slice(0, 200), 0.0)]:
        idx = np.arange(200)[sel]
        n = np.sum((t > lo + 1.0) & (t <= hi - 1.0) & np.isin(s, idx))
        expect = rate * idx.size * (hi - lo - 2.0) * 1e-3
        assert abs(n - expect) <= 4.0 * np.sqrt(max(expect, 1.0)), ((lo, hi), rate, n, expect)


@pytest.mark.nest
def test_pair_stdp_weights(tmp_path, pynn_nest):
    w0, w_ss, w_ref, post_rec = stdp_reference()
    net, proj, _ = stdp_toy()
    text = to_pynn_script(net, tmp_path / "stdp_pynn.py", duration=STDP_T)
    assert "sim.STDPMechanism(" in text and "DEFAULT_STDP_DELAY = STDP_DELAY = 'dendritic'" in text
    assert "w_max=1.0, multiplicative=False" in text
    out = run_script(tmp_path / "stdp_pynn.py", tmp_path)
    assert spike_set(out["times_2"], out["senders_2"]) == spike_set(post_rec.spikes.times,
                                                                   post_rec.spikes.senders)
    w_nest = exported_weights(out, proj)
    np.testing.assert_allclose(w_nest, w_ref, rtol=0, atol=1e-9)
    # the delay convention is visible: same direction, but the d = 1 ms synapses differ clearly
    assert (np.sign(w_nest - w0) == np.sign(w_ss - w0)).all()
    assert np.abs(w_nest - w_ss).max() > 0.01
