"""The ``spikesim`` command line: ``demo``, ``bench``, ``export``, ``import-nir``, ``info``."""
from __future__ import annotations

import argparse
import os
import sys
import time

from ._argtypes import number


def demo(args) -> int:
    """Run the CUBA network, print rates and throughput, write a raster PNG and an HDF5 recording."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._validate import time_to_steps
    from .examples import cuba
    from .plot import rate as plot_rate
    from .plot import raster

    n_steps = time_to_steps("--duration-ms", args.duration_ms, 0.1, minimum=2)
    os.makedirs(args.out, exist_ok=True)
    h5 = os.path.join(args.out, "cuba_spikes.h5")
    t0 = time.perf_counter()
    net, _ = cuba(args.neurons, seed=args.seed, record=False)
    recs = [net.record(p, "spikes", stream_to=h5) for p in net.populations]
    rate = net.record(net.populations[0], "rate")
    t_build = time.perf_counter() - t0
    n_syn = sum(p.n_synapses for p in net.projections)
    print(f"spikesim demo: CUBA network, {net.n_neurons} LIF neurons "
          f"({net.populations[0].size} exc, {net.populations[1].size} inh), {n_syn} synapses, "
          f"dt={net.dt} ms, built in {t_build:.2f} s")
    t0 = time.perf_counter()
    net.run(net.dt, progress=False)  # compiles the kernel (or loads it from Numba's cache)
    t_jit = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.run((n_steps - 1) * net.dt)
    t_loop = time.perf_counter() - t0
    spikes = sum(len(r.spikes) for r in recs)
    duration_s = net.t / 1000.0
    for r in recs:
        print(f"  {r.population.label}: {len(r.spikes)} spikes, "
              f"{len(r.spikes) / r.population.size / duration_s:.2f} Hz mean rate")
    events = spikes * n_syn / net.n_neurons
    print(f"  simulated {net.t:.1f} ms in {t_loop:.3f} s after {t_jit:.2f} s JIT/cache load; "
          f"{net.n_neurons * net.step / t_loop / 1e6:.0f} M neuron updates/s, "
          f"{events / t_loop / 1e6:.1f} M synaptic events/s, "
          f"realtime factor {duration_s / t_loop:.1f}x")
    fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True, height_ratios=[3, 1])
    raster(recs, ax=axes[0], max_neurons=400, colors=["tab:red", "tab:blue"])
    axes[0].set_title(f"CUBA, {net.n_neurons} neurons (first 400 of each population)")
    plot_rate(rate, bin_ms=2.0, ax=axes[1])
    fig.tight_layout()
    png = os.path.join(args.out, "cuba_raster.png")
    fig.savefig(png, dpi=120)
    net.close()
    print(f"  wrote {png} and {h5}")
    return 0


def bench(args) -> int:
    """Run the CUBA benchmark (static, or with STDP) or the microcircuit side by side against
    reference simulators."""
    from .bench.runner import run_cuba_bench, run_stdp_bench

    against = [s.strip() for s in args.against.split(",") if s.strip()] if args.against else []
    if args.network == "microcircuit":
        if args.repeat != 1:
            raise SystemExit(f"spikesim bench: --repeat is for cuba and stdp, got --repeat "
                             f"{args.repeat} with microcircuit (it has --realisations)")
        # a published model (models/microcircuit): the CLI reaches it as for ca3/hlop/lsm
        from .models.microcircuit.bench import run_microcircuit_bench

        threads = 2 if args.threads == "auto" else args.threads
        run_microcircuit_bench(scale=args.scale, duration_ms=args.duration_ms,
                               against=[a for a in against if a != "brian2"], json_path=args.json,
                               seed=55 if args.seed is None else args.seed, threads=threads,
                               k_scale=args.k_scale, drive=args.drive, warmup_ms=args.warmup_ms,
                               precision=args.precision or "float32", timeout_s=args.timeout_s,
                               realisations=args.realisations,
                               fuse_receptors=not args.no_fuse_receptors)
        return 0
    run = run_stdp_bench if args.network == "stdp" else run_cuba_bench
    run(neurons=args.neurons, duration_ms=args.duration_ms, against=against,
        json_path=args.json, seed=1 if args.seed is None else args.seed, threads=args.threads,
        fresh_numba_cache=args.fresh_numba_cache, timeout_s=args.timeout_s,
        precision=args.precision, repeat=args.repeat)
    return 0


def export(args) -> int:
    """Load a network file and write it as a PyNN script, a NIR graph or a SpiNNaker description."""
    from . import export as X
    from .io import load

    net = load(args.network)
    if args.to == "pynn":
        X.to_pynn_script(net, path=args.output, duration=args.duration_ms, stdp_delay=args.stdp_delay)
    elif args.to == "nir":
        import nir

        nir.write(args.output, X.to_nir(net))
    else:
        X.to_spinnaker(net, args.output)
    print(f"wrote {args.output} ({args.to})")
    return 0


def info(args) -> int:
    """Print what a network file (``net.save``) or a recording file (``stream_to=``) holds."""
    from .io import _open, load, load_recording

    with _open(args.file) as f:
        fmt = f.attrs.get("format")
    if fmt == "spikesim-recording":
        for name, data in load_recording(args.file).items():
            parts = []
            for var, d in data.items():
                if var == "spikes":
                    parts.append(f"{len(d)} spikes from {d.n} neurons")
                elif var == "rate":
                    parts.append(f"rate over {d.counts.shape[0]} steps")
                else:
                    parts.append(f"{var}: {d.values.shape[0]} samples x {d.values.shape[1]} neurons")
            print(f"{name}: " + "; ".join(parts))
        return 0
    net = load(args.file)
    print(f"spikesim network: dt={net.dt} ms, dtype={net.dtype}, t={net.t:g} ms, seed={net.seed}")
    print(f"{len(net.populations)} populations, {net.n_neurons} neurons:")
    for p in net.populations:
        print(f"  {p.label!r}: {p.size} x {type(p.celltype).__name__}")
    n_syn = sum(j.n_synapses for j in net.projections)
    print(f"{len(net.projections)} projections, {n_syn} synapses:")
    for j in net.projections:
        kind = "static" if not j.plastic else type(j.synapse.timing).__name__
        print(f"  {j.label!r}: {j.n_synapses} synapses, {j.receptor_type}, {kind}")
    for g in net.astrocytes:
        print(f"  astrocytes: {g!r}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spikesim", description="Event-driven spiking network simulator")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="run the CUBA network and write a raster and an HDF5 recording")
    p.add_argument("--neurons", type=number("--neurons", int, 0, inclusive=False), default=4000)
    p.add_argument("--duration-ms", type=number("--duration-ms", float, 0, inclusive=False), default=1000.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="./spikesim-out", help="output folder (default ./spikesim-out)")
    p.set_defaults(func=demo)

    p = sub.add_parser("bench", help="benchmark against Brian2 and NEST",
                       description="cuba: the CUBA network; stdp: CUBA with additive pair STDP "
                                   "on the excitatory-to-excitatory synapses; microcircuit: the "
                                   "Potjans & Diesmann 2014 cortical microcircuit (spikesim and "
                                   "NEST at the same --threads)")
    p.add_argument("network", choices=["cuba", "stdp", "microcircuit"])
    p.add_argument("--neurons", type=number("--neurons", int, 0, inclusive=False), default=4000)
    p.add_argument("--duration-ms", type=number("--duration-ms", float, 0, inclusive=False), default=1000.0)
    p.add_argument("--against", default="brian2,nest",
                   help="comma-separated reference simulators: brian2, nest (empty for none)")
    p.add_argument("--json", default=None, help="write results to this JSON file")
    p.add_argument("--seed", type=int, default=None,
                   help="network seed (default 1; microcircuit 55, the reference rng_seed)")
    p.add_argument("--scale", type=number("--scale", float, 0, inclusive=False), default=0.1,
                   help="microcircuit: neuron scaling in (0, 1] (default 0.1)")
    p.add_argument("--k-scale", type=number("--k-scale", float, 0, inclusive=False), default=None,
                   help="microcircuit: in-degree scaling (default: --scale)")
    p.add_argument("--drive", choices=["poisson", "dc"], default="poisson",
                   help="microcircuit: background drive")
    p.add_argument("--warmup-ms", type=number("--warmup-ms", float, 0, inclusive=False),
                   default=100.0, help="microcircuit: biological time before the timed loop")
    p.add_argument("--realisations", type=number("--realisations", int, 0, inclusive=False),
                   default=1, help="microcircuit: network realisations (seeds) of each reference "
                   "simulator, for the KS spread between them")
    p.add_argument("--no-fuse-receptors", action="store_true",
                   help="microcircuit: keep spikesim's excitatory and inhibitory currents apart "
                        "(default: summed in one ring plane, spikesim.fusion)")
    p.add_argument("--precision", choices=["float32", "float64"], default=None,
                   help="spikesim's and Brian2's precision (NEST computes in float64); default: "
                        "spikesim float32, Brian2 float64")
    p.add_argument("--threads", default="auto", help="a number: every simulator's threads "
                   "(equal-thread comparison); auto: spikesim chooses, Brian2 and NEST one "
                   "(microcircuit: default 2)",
                   type=lambda t: t if t == "auto" else number("--threads", int, 0, inclusive=False)(t))
    p.add_argument("--fresh-numba-cache", action="store_true",
                   help="JIT spikesim into an empty Numba cache (first-call compile time)")
    p.add_argument("--timeout-s", type=number("--timeout-s", float, 0, inclusive=False), default=None,
                   help="kill a simulator's child process after this many seconds")
    p.add_argument("--repeat", type=number("--repeat", int, 0, inclusive=False), default=1,
                   help="cuba, stdp: rounds of side-by-side runs; each column is the simulator's "
                        "median round, and the table lists the loop ratio of every round")
    p.set_defaults(func=bench)

    p = sub.add_parser("export", help="export a saved network (net.save) to PyNN, NIR or SpiNNaker")
    p.add_argument("network", help="a network file written by net.save()")
    p.add_argument("--to", required=True, choices=["pynn", "nir", "spinnaker"])
    p.add_argument("-o", "--output", required=True,
                   help="pynn: the script (.py); nir: the graph (.nir/.h5); spinnaker: a directory")
    p.add_argument("--duration-ms", type=number("--duration-ms", float, 0, inclusive=False),
                   default=1000.0, help="pynn: simulated time the script runs")
    p.add_argument("--stdp-delay", choices=["dendritic", "axonal"], default="dendritic",
                   help="pynn: STDP delay convention of the script: PyNN's STDPMechanism (NEST's "
                        "stdp_synapse, dendritic) or spikesim's axonal one on NEST through "
                        "spikesim.nest_ext (default %(default)s)")
    p.set_defaults(func=export)

    from .models.ca3.cli import add_parser as add_ca3  # the models register their own commands

    add_ca3(sub)
    from .models.hlop.cli import add_parser as add_hlop
    from .models.lsm.cli import add_parser as add_lsm

    add_hlop(sub)
    add_lsm(sub)

    from .export.nir_cli import add_parser as add_import_nir

    add_import_nir(sub)

    p = sub.add_parser("info", help="summarise a spikesim network or recording file (HDF5)")
    p.add_argument("file")
    p.set_defaults(func=info)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"spikesim: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
