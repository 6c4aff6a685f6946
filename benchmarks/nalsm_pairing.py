"""How much do same-step spike pairs weigh in NALSM's plasticity? (benchmarks/lsm_vs_authors.md)

spikesim's axonal STDP pairs a presynaptic spike emitted in step ``t`` with a postsynaptic
spike of step ``t`` itself (post before the arrival, so it depresses); the authors' code
(combra-lab/NALSM ``NALSM_STDP.py``) reads the traces from before the step and never pairs
them. This script measures, per plastic synapse group, the depression term both codes share
(``sum s_pre(t) x_post(t)``, ``x`` the trace of the spikes before ``t``; the depression of
excitatory and input synapses, the weakening of inhibitory ones) against the extra term of
the same-step pairs (``c sum s_pre(t) s_post(t)``), and the other term (``sum x_pre(t)
s_post(t)``) for scale, on the liquid of a finished, cached ``spikesim lsm``
run with ``hop_ms=1`` (the authors' clock: every spike moves its targets in the next step):

- ``features``: ``--samples`` validation digits x 250 ms from W_INI, as feature extraction;
- ``w_ini``: ``--init-samples`` training digits x 20 ms with the weights carried over and
  no learning-rate decay, as the W_INI phase, starting from the run's final W_INI.

The rates (``eta``, the astrocyte's ``A``) multiply both pre-spike terms alike at a given
step, so they are left out of the sums. Reads only W_INI from the cache; about 30 s.

    python benchmarks/nalsm_pairing.py DIR/<key> --data ../shared/datasets/mnist \\
        --json benchmarks/results/nalsm_pairing_seed4.json
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys

import numpy as np


def pair_sums(L, inp, T, w_start, d, c) -> dict:
    """Per projection: (pre-spike term, same-step extra, post-spike term) summed over samples."""
    N, n_in = L.liquid.size, L.n_inputs
    _, kept = L.run_samples(inp, T, w_start, keep_spikes=list(range(len(inp))))
    out = {}
    for k in range(len(inp)):
        steps, senders = kept[k]
        S = np.zeros((T, N + n_in))
        S[steps, senders] = 1.0
        S[:T - 1, N:] = inp[k][1:]  # input spikes in the authors' clock (tests/test_lsm.py)
        X = np.zeros_like(S)  # x(t) = sum over spikes before t of c d^(t - t_spike)
        for t in range(1, T):
            X[t] = d * (X[t - 1] + c * S[t - 1])
        for name, j in L.projections.items():
            pre, post = j.connections()
            if name.startswith("input"):
                pre = pre + N
            got = ((S[:, pre] * X[:, post]).sum(), c * (S[:, pre] * S[:, post]).sum(),
                   (X[:, pre] * S[:, post]).sum())
            out[name] = [a + b for a, b in zip(out.get(name, (0.0, 0.0, 0.0)), got)]
    return {k: dict(pre_term=v[0], same_step_extra=v[1], post_term=v[2],
                    extra_percent=100.0 * v[1] / v[0]) for k, v in out.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir", type=pathlib.Path, help="a cached nalsm run with hop_ms=1")
    ap.add_argument("--data", required=True, help="full MNIST folder")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--init-samples", type=int, default=200)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    from lsm_readout_check import run_settings
    from spikesim.models.lsm import Liquid, init_params
    from spikesim.models.lsm.cache import FeatureCache
    from spikesim.models.lsm.pipeline import load_dataset

    s, P = run_settings(a.run_dir)
    if s["mode"] != "nalsm" or P.hop_ms != 1:
        raise SystemExit(f"run_dir: needs a nalsm run with hop_ms=1, got mode {s['mode']!r}, "
                         f"hop_ms={P.hop_ms}")
    w = FeatureCache.open(a.run_dir).load_w_ini()
    if w is None:
        raise SystemExit(f"run_dir: {a.run_dir} holds no w_ini.npz")
    w_ini = w[0]
    data = load_dataset("mnist", a.data, s["seed"], s["n_samples"], s["duration_ms"], None,
                        s["split_seed"])
    src, (tr, va, _) = data["source"], data["split"]
    out = dict(run_dir=str(a.run_dir), seed=s["seed"], params=s["params"],
               command=" ".join(["python", *sys.argv]))
    d, c = P.trace_decay, P.trace_jump
    L = Liquid(src.n_inputs, "nalsm", P, s["seed"])
    out["features"] = pair_sums(L, src.spikes(va[:a.samples], 2, s["duration_ms"]),
                                s["duration_ms"], w_ini, d, c)
    L0 = Liquid(src.n_inputs, "nalsm", init_params(P), s["seed"])
    L0.set_weights(w_ini)
    out["w_ini"] = pair_sums(L0, src.spikes(tr[:a.init_samples], 1, data["init_ms"]),
                             data["init_ms"], None, d, c)
    for phase in ("features", "w_ini"):
        print(phase)
        for name, r in out[phase].items():
            print(f"  {name:7s} pre-spike term {r['pre_term']:10.1f}  same-step extra "
                  f"{r['same_step_extra']:9.1f} ({r['extra_percent']:5.1f} %)  post-spike term "
                  f"{r['post_term']:10.1f}")
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
