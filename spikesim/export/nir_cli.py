"""``spikesim import-nir FILE.nir -o net.h5``: a NIR graph as a saved spikesim network."""
from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    """Register the ``import-nir`` command.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``spikesim`` command line's sub-command parsers.
    """
    from .._argtypes import number

    p = sub.add_parser(
        "import-nir", help="read a NIR graph (nir.read) and save it as a spikesim network (HDF5)",
        description="Builds the network with spikesim.export.from_nir and saves it with "
                    "Network.save. Input nodes become SpikeSourceArray populations without "
                    "spikes (a NIR graph holds no input data; set them after loading). The "
                    "source graph that to_nir uses to write the nodes back "
                    "(Network.nir_source) is saved with the network.")
    p.add_argument("graph", help="a NIR file (HDF5, read with nir.read; nothing is unpickled)")
    p.add_argument("-o", "--output", required=True, help="the network file to write (.h5)")
    p.add_argument("--dt", type=number("--dt", float, 0, inclusive=False), default=0.1,
                   help="time step, ms (default %(default)s)")
    p.add_argument("--time-unit", choices=["ms", "s"], default=None,
                   help="unit of the graph's time constants (default: the graph's metadata, else "
                        "guessed with a warning; snnTorch, Norse and Rockpool write seconds)")
    p.add_argument("--scheme", choices=["exact", "euler"], default="exact",
                   help="discretisation of leaky nodes: exact propagators, or forward Euler as "
                        "snnTorch's and Norse's importers (default %(default)s)")
    p.add_argument("--reset", choices=["value", "subtract"], default=None,
                   help="reset mode of every spiking node (default: node metadata, else value)")
    p.add_argument("--refractory-ms", type=number("--refractory-ms", float, 0), default=None,
                   help="refractory period of every spiking node, ms (default: node metadata, "
                        "else 0)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--seed", type=int, default=None)
    p.set_defaults(func=import_nir)


def import_nir(args: argparse.Namespace) -> int:
    """Run ``import-nir``: read the graph, build the network, print a summary, save it.

    Parameters
    ----------
    args : argparse.Namespace
        ``graph``, ``output``, ``dt`` (ms), ``time_unit``, ``scheme``, ``reset``,
        ``refractory_ms`` (ms), ``dtype``, ``seed``.

    Returns
    -------
    int
        0. Errors (:class:`~spikesim.export.ExportError` is a ``ValueError``)
        reach ``spikesim.cli.main``, which prints them and returns 2.
    """
    import numpy as np

    from . import from_nir

    net = from_nir(args.graph, dt=args.dt, seed=args.seed, time_unit=args.time_unit,
                   dtype=args.dtype, scheme=args.scheme, reset=args.reset,
                   refractory=args.refractory_ms)
    src = getattr(net, "nir_source", None)
    n_syn = sum(p.n_synapses for p in net.projections)
    print(f"spikesim import-nir: {args.graph}: {len(net.populations)} populations, "
          f"{net.n_neurons} neurons, {len(net.projections)} projections, {n_syn} synapses, "
          f"dt={net.dt} ms" + (f", time unit {src.options['time_unit']}, scheme "
                               f"{src.options['scheme']}" if src is not None else ""))
    for pop in net.populations:
        shape = src.shapes.get(pop.label) if src is not None else None
        print(f"  {pop.label}: {pop.size} x {type(pop.celltype).__name__}"
              + (f" (shape {tuple(int(s) for s in np.atleast_1d(shape))})" if shape else ""))
    if src is not None and src.outputs:
        print("  outputs: " + ", ".join(f"{o} <- {p.label}" for o, p in src.outputs.items()))
    net.save(args.output)
    print(f"  wrote {args.output}")
    return 0
