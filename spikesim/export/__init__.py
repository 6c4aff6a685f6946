"""Networks leave spikesim: PyNN scripts, NIR graphs, SpiNNaker machine descriptions.

The exporters are imported on first call, so ``import spikesim.export`` needs
neither PyNN nor ``nir``. What does not map is refused with :class:`ExportError`.
"""
from __future__ import annotations

import numpy as np


class ExportError(ValueError):
    """A network (or part of it) that the target cannot represent.

    ``rule`` names the rule that failed (e.g. ``"triplet-stdp"``,
    ``"astrocytes"``), so callers and tests can tell refusals apart
    without parsing the message.
    """

    def __init__(self, message: str, rule: str = "unsupported") -> None:
        super().__init__(f"{message} [rule: {rule}]")
        self.rule = rule


def integrating_refractory(pop) -> bool:
    """True if some neuron of ``pop`` integrates while refractory (``integrate_refractory=1``)."""
    return bool(np.any(np.asarray(pop.params.get("integrate_refractory", 0)) != 0))


def refuse_integrating_refractory(net, target: str) -> None:
    """:class:`ExportError` (rule ``integrate-refractory``) if a population needs that option."""
    for pop in net.populations:
        if integrating_refractory(pop):
            raise ExportError(f"population {pop.label!r}: integrate_refractory=1 (the membrane "
                              f"integrates while refractory) has no {target} equivalent; its "
                              "LIF neurons hold v during the refractory period",
                              "integrate-refractory")


def to_pynn_script(net, path=None, duration: float = 1000.0, simulator: str = "nest", **kwargs) -> str:
    """A standalone PyNN script for ``net``; see :mod:`spikesim.export.pynn_script`."""
    from .pynn_script import to_pynn_script as f

    return f(net, path=path, duration=duration, simulator=simulator, **kwargs)


def to_nir(net, *args, **kwargs):
    """``net`` as a NIR graph; see :mod:`spikesim.export.nir`."""
    from .nir import to_nir as f

    return f(net, *args, **kwargs)


def from_nir(graph, *args, **kwargs):
    """A spikesim network from a NIR graph; see :mod:`spikesim.export.nir`."""
    from .nir import from_nir as f

    return f(graph, *args, **kwargs)


def to_spinnaker(net, out_dir, **kwargs):
    """A SpiNNaker-style machine description of ``net``; see :mod:`spikesim.export.spinnaker`."""
    from .spinnaker import to_spinnaker as f

    return f(net, out_dir, **kwargs)


__all__ = ["ExportError", "from_nir", "to_nir", "to_pynn_script", "to_spinnaker"]
