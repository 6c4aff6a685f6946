"""Speed per sample of the NIR paper's N-MNIST CNN (cnn_sinabs.nir, 2x34x34 input).

Same input events, one thread everywhere (``NUMBA_NUM_THREADS=1``,
``torch.set_num_threads(1)``), float32 everywhere. N-MNIST itself is not here:
each sample is ``--steps`` steps of uniformly placed events at ``--rate`` per
input element and step (default 0.0065: about 4,500 events in 300 steps, the
size of an N-MNIST sample binned at 1 ms).

- spikesim: ``from_nir`` once (build time reported apart), then the samples
  one after another in one network, ``reset_state`` between them; event-driven.
- snnTorch: its importer cannot run this graph (no ``SumPool2d``; ``IF``
  becomes ``Leaky(beta=0.9)``), so the same graph is built from snnTorch and
  torch modules by hand: ``Conv2d``/``Linear`` with the graph's weights,
  ``snn.Leaky(beta=1, threshold=1, reset_mechanism="zero", reset_delay=False)``
  for ``IF``, ``LPPool2d(1, 2)`` for ``SumPool2d`` (sum over non-negative spikes).
  Run with batch 1 (one sample at a time, as spikesim) and with ``--batch``
  samples at once (its best throughput per sample).
- Norse (``norse.torch.from_nir``), batch 1, when installed.

The three give the same output spike counts on the same input (checked here
and in benchmarks/nir_compare.py). Writes ``benchmarks/results/nir_speed.json``.
Run: ``python benchmarks/nir_speed.py [--samples 20] [--steps 300]``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

if __name__ == "__main__":  # one thread when run as a script; an import (the tests) changes nothing
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
GRAPH = HERE.parents[1] / "shared" / "nir-paper" / "cnn_sinabs.nir"
DT = 0.1  # ms; IF nodes have no time constant, so dt only labels the steps
LAG = 5   # spikesim: one step per projection


def events(n, steps, rate, seed):
    rng = np.random.default_rng(seed)
    return (rng.random((n, steps, 2, 34, 34), dtype=np.float32) < rate).astype(np.float32)


def run_spikesim(graph, x):
    from spikesim.export import from_nir

    n, steps = x.shape[:2]
    window = steps + LAG + 1
    flat = x.reshape(n, steps, -1)
    times = []
    for j in range(flat.shape[2]):
        k, t = np.nonzero(flat[:, :, j])
        times.append(np.sort((k * window + t + 1) * DT))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        net = from_nir(graph, dt=DT, time_unit="ms", dtype="float32",
                       spike_times={"input": times})
        build = time.perf_counter() - t0
    out = net.nir_source.outputs["output"]
    rec = net.record(out, "spikes")
    net.run(window * DT, progress=False)  # first sample: JIT compilation, timed apart
    net.reset_state()
    t0 = time.perf_counter()
    for _ in range(n - 1):
        net.run(window * DT, progress=False)
        net.reset_state()
    per = (time.perf_counter() - t0) / max(n - 1, 1)
    step = np.round(rec.spikes.times / DT).astype(np.int64) - 1
    k, t = step // window, step % window
    keep = (t >= LAG) & (t < steps + LAG)
    counts = np.zeros((n, out.size), np.int64)
    np.add.at(counts, (k[keep], rec.spikes.senders[keep]), 1)
    syn = sum(p.n_synapses for p in net.projections)
    return counts, per, build, syn


def snntorch_model(graph):
    """The graph from snnTorch/torch modules (see the module docstring)."""
    import snntorch as snn
    import torch

    order, node, nxt = [], "input", dict(graph.edges)
    while nxt.get(node, "output") != "output":
        node = nxt[node]
        order.append(graph.nodes[node])
    mods = []
    for nd in order:
        kind = type(nd).__name__
        if kind == "Conv2d":
            w = torch.as_tensor(np.asarray(nd.weight, np.float32))
            m = torch.nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]),
                                stride=tuple(int(s) for s in nd.stride),
                                padding=tuple(int(s) for s in nd.padding), bias=True)
            m.weight.data, m.bias.data = w, torch.as_tensor(np.asarray(nd.bias, np.float32))
        elif kind == "Affine":
            w = torch.as_tensor(np.asarray(nd.weight, np.float32))
            m = torch.nn.Linear(w.shape[1], w.shape[0])
            m.weight.data, m.bias.data = w, torch.as_tensor(np.asarray(nd.bias, np.float32))
        elif kind == "IF":
            assert np.all(np.asarray(nd.r) == 1) and np.all(np.asarray(nd.v_reset) == 0)
            thr = float(np.unique(nd.v_threshold)[0])
            m = snn.Leaky(beta=1.0, threshold=thr, reset_mechanism="zero", reset_delay=False,
                          init_hidden=True)
        elif kind == "SumPool2d":
            m = torch.nn.LPPool2d(1, tuple(int(k) for k in nd.kernel_size),
                                  stride=tuple(int(s) for s in nd.stride))
        elif kind == "Flatten":
            m = torch.nn.Flatten(int(nd.start_dim) + 1, int(nd.end_dim))
        else:
            raise ValueError(kind)
        mods.append(m)
    return torch.nn.Sequential(*mods)


def run_torch_model(model, x, batch, stateful):
    """Output counts and seconds per sample; ``stateful``: Norse's ``(out, state)`` calling."""
    import snntorch.utils as su
    import torch

    n, steps = x.shape[:2]
    counts = []
    with torch.no_grad():
        t0 = time.perf_counter()
        for s in range(0, n, batch):
            xb = torch.from_numpy(np.ascontiguousarray(x[s:s + batch].transpose(1, 0, 2, 3, 4)))
            state = None
            if not stateful:
                su.reset(model)
            c = 0
            for t in range(steps):
                if stateful:
                    out, state = model(xb[t], state)
                else:
                    out = model(xb[t])
                c = c + (out[0] if isinstance(out, tuple) else out)
            counts.append(c.numpy().reshape(xb.shape[1], -1))
        per = (time.perf_counter() - t0) / n
    return np.concatenate(counts).astype(np.int64), per


def main(argv=None):
    import nir
    import torch

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--rate", type=float, default=0.0065)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "results" / "nir_speed.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    graph = nir.read(GRAPH)
    x = events(args.samples, args.steps, args.rate, args.seed)
    report = {"samples": args.samples, "steps": args.steps, "rate": args.rate,
              "input_events_per_sample": float(x.reshape(args.samples, -1).sum(1).mean()),
              "threads": 1, "precision": "float32", "machine": platform.platform(),
              "torch": torch.__version__, "cpu_count": os.cpu_count(),
              "load_average_at_start": os.getloadavg()}
    c_ss, per, build, syn = run_spikesim(graph, x)
    report.update(spikesim_s_per_sample=per, spikesim_build_s=build, spikesim_synapses=syn,
                  output_spikes_per_sample=float(c_ss.sum(1).mean()))
    model = snntorch_model(graph)
    run_torch_model(model, x[:1, :5], 1, False)  # warm-up
    for b in (1, args.batch):
        c_st, per_st = run_torch_model(model, x, b, False)
        report[f"snntorch_batch{b}_s_per_sample"] = per_st
        report[f"snntorch_batch{b}_counts_equal_spikesim"] = bool((c_st == c_ss).all())
    try:
        import norse.torch as nt

        norse_model = nt.from_nir(nir.read(GRAPH), dt=1e-4)
        c_no, per_no = run_torch_model(norse_model, x, 1, True)
    except Exception as exc:  # Norse not installed or its importer failed
        report["norse_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    else:
        report["norse_batch1_s_per_sample"] = per_no
        report["norse_counts_equal_spikesim"] = bool((c_no == c_ss).all())
    report["load_average_at_end"] = os.getloadavg()  # other jobs share the machine
    report["speedup_vs_snntorch_batch1"] = report["snntorch_batch1_s_per_sample"] / per
    report[f"speedup_vs_snntorch_batch{args.batch}"] = \
        report[f"snntorch_batch{args.batch}_s_per_sample"] / per
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
