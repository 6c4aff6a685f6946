"""spikesim's NEST module (spikesim.nest_ext): axonal-delay pair STDP inside NEST.

The twin of the module's synapse is spikesim's own STDP kernel (itself
checked against its NumPy twin, Brian2 and the analytic window): an exported
network run on NEST with ``stdp_delay="axonal"`` must give spikesim's spikes
and final weights, on dense random trains where pre and post spikes meet in
the same step and one step apart, for one-step delays and for relayed
longer ones. NEST runs in subprocesses, as a user runs the scripts.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import spikesim as ss
from spikesim.export import ExportError, to_pynn_script

from .test_export_pynn import exported_weights, run_script, spike_set


@pytest.fixture(scope="module")
def module_built():
    for name in ("nest", "pyNN"):
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"{name} is not installed")
    from spikesim import nest_ext

    try:
        return nest_ext.build()
    except nest_ext.NestExtensionError as e:
        pytest.skip(f"spikesim's NEST module cannot be built here: {e}")


def dense_pairs(dt, multiplicative, seed=4, T=600.0, delay_model="axonal"):
    """Random pre trains and teacher-forced post trains, dense enough for same-step pairs.

    Pre neurons 0-3 have a one-step delay, 4-7 a 1 ms + one-step delay (a relay on
    NEST). The posts are driven by a strong teacher; the plastic weights stay far
    below threshold. Teachers stop 100 ms before the end; a last presynaptic volley
    then lets NEST apply the potentiation it defers to the next presynaptic spike.
    """
    rng = np.random.default_rng(seed)
    n_pre, n_post = 8, 3
    steps = int(round((T - 150.0) / dt))
    pre_t = [np.concatenate([(np.flatnonzero(rng.random(steps) < 0.06 * dt) + 2) * dt, [T - 40.0]])
             for _ in range(n_pre)]
    teach_t = [(np.flatnonzero(rng.random(steps) < 0.05 * dt) + 2) * dt for _ in range(n_post)]
    net = ss.Network(dt=dt, seed=2, dtype="float64")
    pre = net.add_population(n_pre, ss.SpikeSourceArray(pre_t), label="pre")
    teach = net.add_population(n_post, ss.SpikeSourceArray(teach_t), label="teacher")
    post = net.add_population(n_post, ss.IF_curr_exp(tau_syn_E=1.0, tau_refrac=dt), label="post")
    net.connect(teach, post, ss.OneToOne(), weight=100.0, delay=dt)
    wd = (ss.MultiplicativeWeightDependence(0.0, 0.4) if multiplicative
          else ss.AdditiveWeightDependence(0.0, 0.4, absolute=True))
    syn = ss.STDP(ss.SpikePairRule(tau_plus=4.0, tau_minus=6.0, A_plus=0.02, A_minus=0.025), wd,
                  delay_model=delay_model)
    d_pre = np.where(np.arange(n_pre) < 4, dt, 1.0 + dt)
    proj = net.connect(pre, post, ss.AllToAll(), weight=0.2, delay=np.repeat(d_pre, n_post),
                       synapse=syn)
    recs = [net.record(p, "spikes") for p in net.populations]
    return net, proj, recs, T


@pytest.mark.nest
@pytest.mark.parametrize("dt", [1.0, 0.1])
@pytest.mark.parametrize("multiplicative", [False, True])
def test_axonal_synapse_on_nest_equals_spikesim(tmp_path, module_built, dt, multiplicative):
    net, proj, recs, T = dense_pairs(dt, multiplicative)
    w0 = proj.weight.copy()
    text = to_pynn_script(net, tmp_path / "axonal.py", duration=T, stdp_delay="axonal")
    net.run(T)
    # the trains really pair in the same step and one step apart (both orders)
    pre_steps = {i: np.rint(recs[0].spikes.times[recs[0].spikes.senders == i] / dt).astype(int)
                 for i in range(8)}
    post_steps = np.rint(recs[2].spikes.times / dt).astype(int)
    gaps = {int(g) for i in range(4) for g in np.subtract.outer(post_steps, pre_steps[i] + 1).ravel()}
    assert {-1, 0, 1} <= gaps
    out = run_script(tmp_path / "axonal.py", tmp_path)
    assert "plastic_projection(" in text and "DEFAULT_STDP_DELAY = STDP_DELAY = 'axonal'" in text
    for k, rec in enumerate(recs):
        assert spike_set(out[f"times_{k}"], out[f"senders_{k}"], dt) == \
            spike_set(rec.spikes.times, rec.spikes.senders, dt), net.populations[k].label
    w_nest = exported_weights(out, proj)
    assert np.abs(proj.weight - w0).max() > 0.02  # the weights did move
    np.testing.assert_allclose(w_nest, proj.weight, rtol=0, atol=1e-9)


@pytest.mark.nest
def test_dendritic_default_still_differs(tmp_path, module_built):
    """The same script with --stdp-delay dendritic (NEST's stdp_synapse) does not match."""
    dt = 1.0
    net, proj, recs, T = dense_pairs(dt, False)
    to_pynn_script(net, tmp_path / "axonal.py", duration=T, stdp_delay="axonal")
    net.run(T)
    out = run_script(tmp_path / "axonal.py", tmp_path, "--stdp-delay", "dendritic")
    w_nest = exported_weights(out, proj)
    assert np.abs(w_nest - proj.weight).max() > 0.05


_NEST_ERRORS = r"""
import sys, nest
from spikesim import nest_ext
nest.ResetKernel()
nest.resolution = 0.5
model = nest_ext.install()
assert nest_ext.install() == model  # idempotent
a, b = nest.Create("parrot_neuron"), nest.Create("iaf_psc_exp")
for spec in (dict(delay=1.0), dict(delay=0.5, A_plus=-1.0), dict(delay=0.5, multiplicative=0.5),
             dict(delay=0.5, tau_plus=0.0), dict(delay=0.5, Wmin=2.0, Wmax=1.0)):
    try:
        nest.Connect(a, b, syn_spec=dict(synapse_model=model, **spec))
        print("ACCEPTED", spec)
    except Exception as e:
        print("ERROR", str(e).replace("\n", " "))
"""


@pytest.mark.nest
def test_synapse_refuses_bad_parameters_by_name(module_built):
    r = subprocess.run([sys.executable, "-c", _NEST_ERRORS], env=dict(os.environ, PYNEST_QUIET="1"),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith(("ERROR", "ACCEPTED"))]
    assert len(lines) == 5 and all(ln.startswith("ERROR") for ln in lines), lines
    assert "delay must equal the resolution (one step, 0.500000 ms), got 1.000000 ms" in lines[0]
    assert "A_plus and A_minus must be >= 0, got -1.000000" in lines[1]
    assert "multiplicative must be 0 (additive) or 1, got 0.500000" in lines[2]
    assert "tau_plus must be > 0 ms, got 0.000000" in lines[3]
    assert "Wmin must be <= Wmax, got 2.000000 > 1.000000" in lines[4]


def test_export_option_is_checked():
    net, _, _, _ = dense_pairs(1.0, False, T=200.0)
    with pytest.raises(ValueError, match="stdp_delay must be one of .*, got 'both'"):
        to_pynn_script(net, stdp_delay="both")
    net2 = ss.Network(dt=1.0)
    a = net2.add_population(2, ss.SpikeSourcePoisson(rate=5.0), label="a")
    b = net2.add_population(2, ss.IF_cond_exp(), label="b")
    net2.connect(a, b, ss.AllToAll(), weight=0.01, receptor_type="inhibitory",
                 synapse=ss.STDP(ss.SpikePairRule(), ss.AdditiveWeightDependence(0.0, 0.1)))
    to_pynn_script(net2)  # dendritic: PyNN's STDPMechanism takes it
    with pytest.raises(ExportError) as exc:
        to_pynn_script(net2, stdp_delay="axonal")
    assert exc.value.rule == "axonal-stdp-inhibitory"
    assert "stdp_delay='axonal'" in str(exc.value) and "excitatory plastic synapses only" in str(exc.value)


def test_build_names_what_is_missing(monkeypatch, tmp_path):
    if importlib.util.find_spec("nest") is None:
        pytest.skip("nest is not installed")
    from spikesim import nest_ext

    monkeypatch.setenv("BOOST_INCLUDEDIR", str(tmp_path / "no-boost"))
    with pytest.raises(nest_ext.NestExtensionError, match="BOOST_INCLUDEDIR=.*no-boost.* has no boost"):
        nest_ext.build(cache_dir=tmp_path, force=True)
    monkeypatch.delenv("BOOST_INCLUDEDIR")
    monkeypatch.setenv("CXX", "no-such-compiler-xyz")
    with pytest.raises(nest_ext.NestExtensionError, match="CXX='no-such-compiler-xyz' is not an executable"):
        nest_ext.build(cache_dir=tmp_path, force=True)
    assert not list(tmp_path.rglob("*.so"))  # nothing half-built is left in the cache
