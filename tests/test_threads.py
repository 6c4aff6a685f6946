"""Threads under load (issue 17, part 4): the governor that switches between the threaded
and the one-thread engine, and the bit-identity that makes switching safe."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import spikesim as ss
from spikesim import threads
from spikesim.examples import cuba


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def _drive(gov, clock, per_step, windows, steps=100):
    """Run ``windows`` windows where a step costs ``per_step[threaded]`` seconds."""
    modes = []
    for _ in range(windows):
        threaded = gov.threaded()
        clock.t += per_step[threaded] * steps
        gov.done(steps)
        modes.append(threaded)
    return modes


def test_governor_follows_the_faster_engine_and_notices_a_change(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(threads.time, "perf_counter", clock)
    gov = threads.ThreadGovernor(2, probe_every=10, keep=3)
    # unloaded: two threads twice as fast -> threaded, apart from warm-up and probes
    modes = _drive(gov, clock, {True: 1e-5, False: 2e-5}, 60)
    assert modes[:4] == [True, False, True, False]  # each engine loaded, then warmed up
    tail = modes[10:]
    assert sum(not m for m in tail) <= len(tail) // 10 + 1
    # a competing process: the threaded engine becomes 20x slower -> one thread
    modes = _drive(gov, clock, {True: 4e-4, False: 2e-5}, 60)
    tail = modes[10:]
    assert sum(tail) <= len(tail) // 10 + 1
    # the load goes away: back to threads after a few probes
    modes = _drive(gov, clock, {True: 1e-5, False: 2e-5}, 80)
    assert all(modes[-20:][i] for i in range(20) if (gov.windows - 20 + i + 1) % 10 != 0)


def test_governor_probes_less_often_while_threads_win_and_still_reacts_to_load(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(threads.time, "perf_counter", clock)
    gov = threads.ThreadGovernor(2, probe_every=10, keep=3, max_backoff=8)
    modes = _drive(gov, clock, {True: 1e-5, False: 2e-5}, 400)
    probes = [i for i, m in enumerate(modes) if not m][2:]  # after the warm-up's two
    gaps = np.diff(probes)
    assert list(gaps[:3]) == [20, 40, 80] and np.all(gaps[3:] == 80)
    # load arrives: the threaded median rises within two windows, then one thread runs
    modes = _drive(gov, clock, {True: 4e-4, False: 2e-5}, 6)
    assert modes[:2] == [True, True] and modes[2:] == [False] * 4
    # the load goes: probes at the base interval while on one thread bring threads back
    modes = _drive(gov, clock, {True: 1e-5, False: 2e-5}, 40)
    assert not modes[0] and sum(modes[-10:]) >= 9


def test_warm_up_and_probe_windows_are_short(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(threads.time, "perf_counter", clock)
    gov = threads.ThreadGovernor(2, probe_every=10, keep=3, short_steps=50)
    sizes = []
    for _ in range(30):
        threaded = gov.threaded()
        n = gov.window_steps(1000)
        sizes.append((threaded, n))
        clock.t += (1e-5 if threaded else 2e-5) * n
        gov.done(n)
    # each engine loaded (no step), then warmed up (a short window)
    assert sizes[:4] == [(True, 0), (False, 0), (True, 50), (False, 50)]
    probes = [k for k, (m, _) in enumerate(sizes) if not m][2:]
    assert probes and all(sizes[k][1] == 50 for k in probes)
    assert all(n == 1000 for k, (m, n) in enumerate(sizes[4:], 4) if k not in probes)
    assert threads.ThreadGovernor(1).window_steps(1000) == 1000


def test_windows_cut_short_by_a_run_end_are_not_timed(monkeypatch):
    """A network's first run(dt) loads both engines and runs one step: that step's time is
    mostly the window's fixed cost, and must not make the threaded engine look slow."""
    clock = FakeClock()
    monkeypatch.setattr(threads.time, "perf_counter", clock)
    gov = threads.ThreadGovernor(2, probe_every=10, keep=3, short_steps=64)
    for expect in (True, False):  # loading: no step
        assert gov.threaded() is expect and gov.window_steps(1) == 0
        clock.t += 0.5  # compiling
        gov.done(0)
    assert gov.threaded() and gov.window_steps(1) == 1
    clock.t += 1e-3  # one step plus the window's fixed cost
    gov.done(1)
    assert not gov.threaded() and gov.window_steps(1000) == 64
    clock.t += 64 * 2e-5
    gov.done(64)
    assert not gov.times[True] and gov.best()
    assert gov.threaded() and gov.window_steps(1000) == 1000  # measured now, in full
    clock.t += 1000 * 1e-5
    gov.done(1000)
    assert gov.times[True][-1] == pytest.approx(1e-5) and gov.best()


def test_governor_with_one_part_never_threads():
    gov = threads.ThreadGovernor(1)
    assert not any(gov.threaded() for _ in range(5))


def test_bounded_spin_waits_respect_the_users_choice(monkeypatch):
    import os
    for k in threads.USER_WAIT_VARIABLES:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setattr(threads, "SET_AT_IMPORT", {})
    threads.bound_spin_waits()
    assert os.environ["GOMP_SPINCOUNT"] == "30000" and os.environ["KMP_BLOCKTIME"] == "1"
    assert "OMP_WAIT_POLICY" not in os.environ
    for user in ({"OMP_WAIT_POLICY": "ACTIVE"}, {"GOMP_SPINCOUNT": "1000"}, {"KMP_BLOCKTIME": "0"}):
        for k in threads.USER_WAIT_VARIABLES:
            monkeypatch.delenv(k, raising=False)
        for k, v in user.items():
            monkeypatch.setenv(k, v)
        threads.bound_spin_waits()
        assert {k: os.environ.get(k) for k in threads.USER_WAIT_VARIABLES if k in os.environ} \
            == user


@pytest.mark.parametrize("stdp", [False, True])
def test_switching_engines_between_windows_changes_nothing(monkeypatch, stdp):
    """Windows alternate between the threaded and the one-thread engine (forced); the
    spikes and weights equal a one-thread run bit for bit."""
    import spikesim.runtime as rt

    def run(forced):
        used = []
        if forced:
            cycle = itertools.cycle([True, False, False, True])
            monkeypatch.setattr(rt, "CHUNK_STEPS", 64)  # many windows
            monkeypatch.setattr(rt.ThreadGovernor, "threaded",
                                lambda self: used.append(next(cycle)) or used[-1])
        net, recs = cuba(20000, threads=2 if forced else 1, stdp=stdp, seed=5)
        net.run(60.0, progress=False)
        monkeypatch.undo()
        w = np.asarray(net.projections[0].weight).copy()
        return net._runtime.n_parts, recs[0].spikes, w, used

    parts, s_forced, w_forced, used = run(True)
    one, s_one, w_one, _ = run(False)
    if parts < 2:
        pytest.skip("no threaded engine here (threading layer without OpenMP/TBB)")
    assert one == 1 and used.count(True) >= 4 and used.count(False) >= 4
    assert len(s_one) > 1000
    assert np.array_equal(s_forced.times, s_one.times)
    assert np.array_equal(s_forced.senders, s_one.senders)
    assert np.array_equal(w_forced, w_one)


def test_other_simulators_do_not_inherit_spikesims_wait_settings(monkeypatch, tmp_path):
    """Brian2 and NEST children of `spikesim bench` run with OpenMP's defaults unless the user
    chose otherwise; spikesim's own children keep spikesim's settings."""
    ours = dict(threads.WAIT_SETTINGS)
    monkeypatch.setattr(threads, "SET_AT_IMPORT", ours)
    env = {**ours, "PATH": "/bin"}
    assert threads.environment_for_others(env) == {"PATH": "/bin"}
    assert env["GOMP_SPINCOUNT"] == "30000"  # the parent's own environment is unchanged
    user = {**env, "GOMP_SPINCOUNT": "500"}  # a value the user set is passed on
    assert threads.environment_for_others(user) == {"PATH": "/bin", "GOMP_SPINCOUNT": "500"}
    from spikesim.bench import runner
    seen = {}

    class Stop(Exception):
        pass

    def fake_popen(cmd, env=None, **kw):
        seen[cmd[4]] = env
        raise Stop

    for k, v in ours.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(runner.subprocess, "Popen", fake_popen)
    for sim in ("spikesim", "brian2", "nest"):
        with pytest.raises(Stop):
            runner._run_child(sim, {"benchmark": "cuba"}, str(tmp_path), False, None)
    assert all(seen["spikesim"][k] == v for k, v in ours.items())
    for sim in ("brian2", "nest"):
        assert not any(k in seen[sim] for k in ours)


def test_spike_sources_count_for_nothing_in_the_thread_split(monkeypatch):
    """A PyNN script that gives each neuron its own SpikeSourcePoisson holds as many sources as
    neurons; split by index, one thread got every neuron (sPyNNaker's microcircuit ran no
    faster on two threads). Sources are not updated and receive nothing: they weigh 0."""
    from spikesim.threads import ThreadGovernor, balanced_bounds

    assert list(balanced_bounds(10, 2, [])) == [0, 5, 10]
    assert list(balanced_bounds(10, 2, [], [(0, 10)])) == [0, 5, 10]  # nothing else to weigh
    b = balanced_bounds(1000, 2, [], [(400, 600)])                   # 400 neurons, then sources
    assert b[0] == 0 and b[2] == 1000 and abs(int(b[1]) - 200) <= 1

    def run(threads):
        monkeypatch.setattr(ThreadGovernor, "threaded", lambda self: self.n_parts > 1)
        net = ss.Network(dt=0.1, seed=3, threads=threads)
        cells = net.add_population(2000, ss.IF_curr_exp(), label="cells")
        src = net.add_population(2000, ss.SpikeSourcePoisson(rate=3000.0), label="bg")
        net.connect(src, cells, ss.OneToOne(), weight=0.3, delay=0.5)
        net.connect(cells, cells, ss.FixedProbability(0.01), weight=0.1, delay=1.0)
        rec = net.record(cells, "spikes")
        net.run(50.0, progress=False)
        monkeypatch.undo()
        return net._runtime, rec.spikes

    rt2, s2 = run(2)
    rt1, s1 = run(1)
    if rt2.n_parts < 2:
        pytest.skip("no threaded engine here (threading layer without OpenMP/TBB)")
    assert abs(int(rt2.bounds[1]) - 1000) <= 1          # the 2,000 cells split in halves
    assert len(s1) > 100
    assert np.array_equal(s1.times, s2.times) and np.array_equal(s1.senders, s2.senders)
