"""The NIR paper's graphs in spikesim, Norse and snnTorch, driven by the same input spikes.

For each graph in ../shared/nir-paper, one input spike tensor ``x[t, ...]``
(0/1 per step) drives all three simulators; the script reports the spike
count of every output neuron and the per-neuron differences, and writes
``benchmarks/results/nir_compare.json``.

Inputs: ``lif_norse.nir`` gets the input column of the paper's
``lif_exact.csv``; the CNN (2x34x34, N-MNIST's shape; the data set is not
here) and the Braille RNN (12 channels) get seeded Bernoulli events
(``--rate`` per element and step). Step ``h = 0.1 ms = 1e-4 s`` (the step
the Braille graphs were exported at by snnTorch, and lif_exact.csv's).

How each simulator reads the graphs (facts from their importers; see the
report's ``notes``):

- Norse (``norse.torch.from_nir(graph, dt=h)``): forward Euler; ``LIF`` and
  ``CubaLIF`` membranes see this step's input (``v_t`` uses ``I_t``);
  ``IF`` integrates the input per step; reset to 0 (``reset_method``
  selects subtraction for the subtract graph).
- snnTorch (``snntorch.import_nir``): ``beta = 1 - h/tau`` with
  ``h = 1e-4 s`` fixed; IF nodes become ``Leaky(beta=0.9)``; reset to zero.
  Its ``import_from_nir`` fails on the Braille graphs with nirtorch 2.6, so
  this script builds the same snnTorch modules (``_nir_to_snntorch_module``
  after snnTorch's own RNN-subgraph rewrite) and runs them in graph order.
- spikesim (``spikesim.export.from_nir``): ``scheme="euler"``, which steps
  ``CubaLIF`` as Norse does (``spikesim.cells.CubaLIFStep``: ``v`` takes the
  synaptic current of its own step). Every projection takes one step (the
  kernel's minimum delay), so spikesim's output lags by one step per
  projection (``lag``), removed before counting; recurrent loops take one
  step in all three.

Run: ``python benchmarks/nir_compare.py [--steps 300] [--rate 0.05]``.
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
PAPER = HERE.parents[1] / "shared" / "nir-paper"
H = 1e-4  # s
DT = 0.1  # ms

GRAPHS = {
    # label: (file, spikesim time unit, reset, lag of spikesim's output in steps)
    "lif_norse.nir": ("lif_norse.nir", "s", "value", 1),      # 1 projection, delta synapse
    "lif_norse.nir, random input": ("lif_norse.nir", "s", "value", 1),
    "cnn_sinabs.nir": ("cnn_sinabs.nir", "ms", "value", 5),   # 5 projections, IF layers
    "braille_noDelay_bias_zero.nir": ("braille_noDelay_bias_zero.nir", "s", "value", 2),
    "braille_noDelay_noBias_subtract.nir": ("braille_noDelay_noBias_subtract.nir", "s",
                                            "subtract", 2),   # 2 projections
}


def make_input(name, graph, steps, rate, seed):
    """0/1 input tensor ``(steps, *input shape)``; the random LIF input has 4x the rate."""
    shape = tuple(int(s) for s in np.atleast_1d(graph.nodes["input"].input_type["input"]))
    if name.startswith("lif") and "random" in name:
        rate = min(1.0, 4 * rate)
    elif name == "lif_norse.nir":  # the whole reference input (1000 steps)
        ref = np.loadtxt(PAPER / "lif_exact.csv", delimiter=",")
        return ref[:, 0].reshape(-1, *shape).astype(np.float32)
    rng = np.random.default_rng(seed)
    return (rng.random((steps,) + shape) < rate).astype(np.float32)


def run_spikesim(graph, x, unit, reset, lag, scheme="euler"):
    """Spike count per output neuron over the input's steps (spikesim's lag removed)."""
    from spikesim.export import from_nir

    steps = x.shape[0]
    flat = x.reshape(steps, -1)
    times = [(np.flatnonzero(flat[:, j]) + 1) * DT for j in range(flat.shape[1])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        net = from_nir(graph, dt=DT, time_unit=unit, scheme=scheme, reset=reset,
                       spike_times={"input": times})
        build = time.perf_counter() - t0
    out = net.nir_source.outputs["output"]
    rec = net.record(out, "spikes")
    t0 = time.perf_counter()
    net.run((steps + lag) * DT, progress=False)
    run = time.perf_counter() - t0
    step = np.round(rec.spikes.times / DT).astype(int) - 1
    keep = (step >= lag) & (step < steps + lag)
    return np.bincount(rec.spikes.senders[keep], minlength=out.size), build, run


def _run_torch(model, x, stateful):
    import torch

    counts, state = None, None
    with torch.no_grad():
        for t in range(x.shape[0]):
            inp = torch.from_numpy(x[t][None])
            if stateful:
                out, state = model(inp, state)
            else:
                out = model(inp)
            out = out[0] if isinstance(out, tuple) else out
            c = out.detach().numpy().reshape(-1)
            counts = c.copy() if counts is None else counts + c
    return counts


def run_norse(graph, x, reset):
    import norse.torch as nt
    from norse.torch.functional import reset as nreset

    method = nreset.reset_subtract if reset == "subtract" else nreset.reset_value
    model = nt.from_nir(graph, dt=H, reset_method=method, ignore_warnings=True)
    return _run_torch(model, x, stateful=True)


class _Chain:
    """snnTorch's own modules for each node, run in graph order (feed-forward graphs)."""

    def __init__(self, graph):
        import nir
        import snntorch.import_nir as si

        g = si._replace_rnn_subgraph_with_nirgraph(graph)
        order, node = [], "input"
        nxt = {a: b for a, b in g.edges}
        while node in nxt:
            node = nxt[node]
            if node != "output":
                order.append(node)
        # the recurrent subgraph becomes RSynaptic/RLeaky; snnTorch 1.0.0's RSynaptic with
        # init_hidden=True and reset_delay=False divides a None spike (TypeError), so it is
        # built with init_hidden=False and stepped with its state passed explicitly
        self.mods = [si._nir_to_snntorch_module(g.nodes[n], init_hidden=not isinstance(
            g.nodes[n], nir.NIRGraph)) for n in order]
        self.names = order
        self.state = [None] * len(self.mods)

    def __call__(self, x):
        import torch

        for k, m in enumerate(self.mods):
            if m is None:
                raise RuntimeError("snnTorch has no module for a node of this graph")
            if getattr(m, "init_hidden", True) is False and hasattr(m, "recurrent"):
                if self.state[k] is None:
                    self.state[k] = tuple(torch.zeros_like(x) for _ in range(3 if hasattr(
                        m, "alpha") else 2))
                out = m(x, *self.state[k])
                self.state[k] = out
                x = out[0]
                continue
            x = m(x)
            if isinstance(x, tuple):  # modules built with init_hidden=False return (spk, mem)
                x = x[0]
        return x


def run_snntorch(graph, x, reset):
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # snnTorch prints its weight-scaling notes
        chain = _Chain(graph)
        if reset == "subtract":
            for m in chain.mods:
                if hasattr(m, "reset_mechanism"):
                    m.reset_mechanism = "subtract"
        return _run_torch(chain, x, stateful=False), [type(m).__name__ for m in chain.mods]


def main(argv=None):
    import nir
    import torch

    torch.set_num_threads(1)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--rate", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "results" / "nir_compare.json"))
    args = ap.parse_args(argv)
    report = {"steps": args.steps, "rate": args.rate, "seed": args.seed, "h_s": H,
              "machine": platform.platform(), "torch": torch.__version__, "graphs": {}}
    for name, (file, unit, reset, lag) in GRAPHS.items():
        graph = nir.read(PAPER / file)
        x = make_input(name, graph, args.steps, args.rate, args.seed)
        row = {"input_spikes": int(x.sum()), "lag_steps": lag, "reset": reset}
        ours, build, run = run_spikesim(graph, x, unit, reset, lag)
        row["spikesim"] = ours.tolist()
        row["spikesim_build_s"], row["spikesim_run_s"] = round(build, 3), round(run, 3)
        for sim, fn in (("norse", run_norse), ("snntorch", run_snntorch)):
            try:
                res = fn(nir.read(PAPER / file), x, reset)
                if sim == "snntorch":
                    res, row["snntorch_modules"] = res
                row[sim] = np.asarray(res).astype(int).tolist()
            except Exception as exc:  # report what the importer could not do
                row[sim] = None
                row[sim + "_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        for a, b in (("spikesim", "norse"), ("spikesim", "snntorch"), ("norse", "snntorch")):
            if row.get(a) is not None and row.get(b) is not None:
                d = np.asarray(row[a]) - np.asarray(row[b])
                row[f"diff_{a}_{b}"] = d.tolist()
                row[f"max_abs_diff_{a}_{b}"] = int(np.abs(d).max())
        report["graphs"][name] = row
        print(name, {k: v for k, v in row.items() if not k.startswith("diff_")})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print("wrote", args.out)
    return report


if __name__ == "__main__":
    main()
