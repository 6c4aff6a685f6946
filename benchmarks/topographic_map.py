"""Topographic map formation by synaptic rewiring (Bogdan, Rowley, Rhodes & Furber 2018,
Front. Neurosci. 12:434, after Bamford, Murray & Willshaw 2010), as an sPyNNaker script
run through ``import spikesim.pynn.spynnaker as sim``.

A ``n x n`` layer of Poisson sources drives a ``n x n`` layer of conductance-based LIF
neurons through a structural feedforward projection; the target layer also rewires its
own lateral projection. Every 20 ms the stimulus moves to a random grid location and
source ``i`` fires at ``f_base + f_peak exp(-d(i, s)^2 / (2 sigma_stim^2))`` (periodic
distance; ``f_base`` 5 Hz, ``f_peak`` 152.8 Hz, ``sigma_stim`` 2, so 20 Hz on average on
a 16 x 16 grid). The paper's parameters: ``s_max`` 32, ``sigma_form_forward`` 2.5,
``p_form_forward`` 0.16, ``sigma_form_lateral`` 1, ``p_form_lateral`` 1,
``p_elim_dep`` 0.0245, ``p_elim_pot`` 1.36e-4, ``f_rew`` 10 kHz, ``g_max`` 0.2 uS, STDP
``A+ = 0.1 g_max``, ``B = 1.2``, ``tau+ = 20 ms``, ``tau- = 64 ms``, ``A- = A+ tau+ B /
tau-``; LIF ``v_rest`` -70 mV, threshold -54 mV, ``tau_m`` 20 ms, ``tau_ex`` 5 ms,
``E_ex`` 0 mV, with ``cm`` 20 nF so that ``g_max`` is 0.2 of the leak conductance (the
paper's conductances are relative to it; Bogdan's sPyNNaker scripts use 20 nF and a
5 ms refractory period). Our choices where the paper leaves freedom: each target neuron starts
with ``s_max / 2`` feedforward synapses from sources drawn uniformly (weight ``g_max``),
no lateral ones; new synapses get ``g_max``; the elimination threshold is ``g_max / 2``.

Two cases (the paper's): ``"rewiring"`` (static synapses, RandomSelection) and
``"stdp"`` (StructuralMechanismSTDP with LastNeuronSelection).

The figure of merit is the mean receptive-field distance (Bamford et al. 2010's AD):
for each target neuron the grid point that minimises the weight-weighted sum of squared
periodic distances to its feedforward sources is its receptive-field centre; AD is the
mean periodic distance between that centre and the neuron's own position (neurons with
no feedforward synapse left out). Uniformly random connectivity gives AD near the mean
distance on the torus (about 4 on 16 x 16); a topographic map gives a small AD.

    python benchmarks/topographic_map.py --case stdp --duration-s 300 \
        --json benchmarks/results/topographic_map.json
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np

PAPER = dict(s_max=32, sigma_form_forward=2.5, p_form_forward=0.16, sigma_form_lateral=1.0,
             p_form_lateral=1.0, p_elim_dep=0.0245, p_elim_pot=1.36e-4, f_rew=1e4, g_max=0.2,
             f_base=5.0, f_peak=152.8, sigma_stim=2.0, t_stim=20.0, tau_plus=20.0,
             tau_minus=64.0, b=1.2, cm=20.0, tau_refrac=5.0, v_thresh=-54.0)


def positions(n: int) -> np.ndarray:
    """Grid coordinates of neuron ``id``: ``(id // n, id % n)`` (sPyNNaker's convention)."""
    ids = np.arange(n * n)
    return np.column_stack([ids // n, ids % n])


def torus_d2(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Squared periodic distances between points ``a`` (k, 2) and ``b`` (m, 2): (k, m)."""
    d = np.abs(a[:, None, :] - b[None, :, :])
    d = np.minimum(d, n - d)
    return (d ** 2).sum(axis=-1)


def stimulus_spikes(n: int, duration_ms: float, rng, p=PAPER, dt: float = 1.0) -> list:
    """Spike times (ms, one list per source, on the ``dt`` grid, at most one per step)."""
    pos = positions(n)
    n_win = int(np.ceil(duration_ms / p["t_stim"]))
    centres = pos[rng.integers(0, n * n, n_win)]
    gauss = np.exp(-torus_d2(centres, pos, n) / (2 * p["sigma_stim"] ** 2))
    rates = p["f_base"] + p["f_peak"] * gauss
    counts = rng.poisson(rates * p["t_stim"] / 1000.0)  # (n_win, n*n)
    win, src = np.nonzero(counts)
    reps = counts[win, src]
    win, src = np.repeat(win, reps), np.repeat(src, reps)
    t = win * p["t_stim"] + rng.uniform(0.0, p["t_stim"], win.shape[0])
    steps = np.floor(t / dt).astype(np.int64)
    keep = steps * dt < duration_ms
    key = np.unique(src[keep] * (1 << 40) + steps[keep])
    src_u, steps_u = key >> 40, key & ((1 << 40) - 1)
    out = [[] for _ in range(n * n)]
    for s, st in zip(src_u.tolist(), steps_u.tolist()):
        out[s].append(float(st * dt + dt))  # strictly after 0, on the grid
    return out


def receptive_field_distance(conns, n: int) -> tuple[float, int]:
    """Mean receptive-field distance (AD) and the number of target neurons it covers.

    ``conns``: rows ``(pre, post, weight)`` of the feedforward projection.
    """
    pos = positions(n)
    conns = np.asarray(conns, np.float64).reshape(-1, 3)
    if conns.shape[0] == 0:
        return float("nan"), 0
    pre, post, w = conns[:, 0].astype(int), conns[:, 1].astype(int), conns[:, 2]
    cand_d2 = torus_d2(pos, pos, n)  # (candidate, source)
    dists = []
    for j in np.unique(post):
        sel = post == j
        cost = cand_d2[:, pre[sel]] @ w[sel]
        if w[sel].sum() <= 0:
            continue
        c = int(np.argmin(cost))
        dists.append(np.sqrt(torus_d2(pos[c:c + 1], pos[j:j + 1], n)[0, 0]))
    return (float(np.mean(dists)) if dists else float("nan")), len(dists)


def run(n: int = 16, duration_s: float = 10.0, case: str = "stdp", seed: int = 1,
        samples: int = 5, p=PAPER) -> dict:
    """Build and run the model; AD and connection counts at ``samples + 1`` times."""
    import spikesim.pynn.spynnaker as sim

    rng = np.random.default_rng(seed)
    N = n * n
    dt = 1.0
    duration_ms = duration_s * 1000.0
    t0 = time.perf_counter()
    sim.setup(timestep=dt)
    spikes = stimulus_spikes(n, duration_ms, rng, p, dt)
    source = sim.Population(N, sim.SpikeSourceArray(spike_times=spikes), label="source")
    target = sim.Population(N, sim.IF_cond_exp(v_rest=-70.0, v_reset=-70.0,
                                               v_thresh=p["v_thresh"], tau_m=20.0,
                                               tau_syn_E=5.0, e_rev_E=0.0, cm=p["cm"],
                                               tau_refrac=p["tau_refrac"]), label="target")
    target.record("spikes")
    g_max = p["g_max"]
    s_max = p["s_max"]
    init = []
    for j in range(N):
        for i in rng.choice(N, s_max // 2, replace=False):
            init.append((int(i), j, g_max, dt))
    formation = sim.DistanceDependentFormation(
        grid=[n, n], p_form_forward=p["p_form_forward"], sigma_form_forward=p["sigma_form_forward"],
        p_form_lateral=p["p_form_lateral"], sigma_form_lateral=p["sigma_form_lateral"])
    elimination = sim.RandomByWeightElimination(threshold=g_max / 2,
                                                prob_elim_depressed=p["p_elim_dep"],
                                                prob_elim_potentiated=p["p_elim_pot"])
    common = dict(formation=formation, elimination=elimination, f_rew=p["f_rew"],
                  initial_weight=g_max, initial_delay=dt, s_max=s_max, seed=seed)
    if case == "stdp":
        a_plus = 0.1 * g_max
        a_minus = a_plus * p["tau_plus"] * p["b"] / p["tau_minus"]
        syn = sim.StructuralMechanismSTDP(
            partner_selection=sim.LastNeuronSelection(),
            timing_dependence=sim.SpikePairRule(tau_plus=p["tau_plus"], tau_minus=p["tau_minus"],
                                                A_plus=a_plus, A_minus=a_minus),
            weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=g_max),
            weight=g_max, delay=dt, **common)
    elif case == "rewiring":
        syn = sim.StructuralMechanismStatic(partner_selection=sim.RandomSelection(),
                                            weight=g_max, delay=dt, **common)
    else:
        raise ValueError(f"case must be 'stdp' or 'rewiring', got {case!r}")
    ff = sim.Projection(source, target, sim.FromListConnector(init), synapse_type=syn,
                        receptor_type="excitatory", label="ff")
    lat = sim.Projection(target, target, sim.FromListConnector([]), synapse_type=syn,
                         receptor_type="excitatory", label="lateral")
    build_s = time.perf_counter() - t0
    out = dict(times_s=[], ad=[], n_covered=[], n_ff=[], n_lat=[], mean_ff_weight=[])

    def sample(t_s):
        conns = ff.get("weight", format="list")
        ad, cov = receptive_field_distance(conns, n)
        w = np.asarray(conns, np.float64).reshape(-1, 3)[:, 2]
        out["times_s"].append(t_s)
        out["ad"].append(ad)
        out["n_covered"].append(cov)
        out["n_ff"].append(len(ff))
        out["n_lat"].append(len(lat))
        out["mean_ff_weight"].append(float(w.mean()) if w.size else float("nan"))

    sample(0.0)
    t_loop = time.perf_counter()
    for k in range(1, samples + 1):
        sim.run(duration_ms / samples)
        sample(duration_s * k / samples)
    loop_s = time.perf_counter() - t_loop
    group = ff._parts[0].rewiring
    stats = group.stats
    n_spikes = sum(len(st) for st in target.get_data("spikes").segments[0].spiketrains)
    out["target_rate_hz"] = n_spikes / N / duration_s
    sim.end()
    return dict(case=case, n=n, duration_s=duration_s, seed=seed, dt_ms=dt, parameters=dict(p),
                attempts_per_step=group.fast, build_s=build_s, loop_s=loop_s,
                rewiring_stats=stats, **out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--duration-s", type=float, default=300.0)
    ap.add_argument("--case", choices=["stdp", "rewiring", "both"], default="both")
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    cases = ["rewiring", "stdp"] if a.case == "both" else [a.case]
    results = {}
    for case in cases:
        r = run(a.n, a.duration_s, case, a.seed, a.samples)
        results[case] = r
        print(f"{case}: AD {r['ad'][0]:.2f} -> {r['ad'][-1]:.2f} over {a.duration_s:g} s; "
              f"ff {r['n_ff'][0]} -> {r['n_ff'][-1]}, lateral {r['n_lat'][-1]}; "
              f"loop {r['loop_s']:.1f} s ({r['attempts_per_step']} attempts per step)")
    doc = dict(benchmark="topographic_map", command=" ".join(["python"] + sys.argv),
               machine=platform.platform(), python=platform.python_version(), results=results)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
