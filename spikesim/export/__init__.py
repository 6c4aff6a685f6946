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


_EXTENSION_TEXT = {
    "integrate_refractory": ("integrate_refractory=1 (the membrane integrates while refractory)",
                             "its LIF neurons hold v during the refractory period"),
    "reset_subtract": ("reset='subtract' (v -= v_thresh - v_reset at a spike)",
                       "its LIF neurons reset v to v_reset"),
}


def refuse_extensions(net, target: str) -> None:
    """:class:`ExportError` if a population sets one of its model's non-standard options.

    The options are the model's ``EXTENSIONS`` (e.g. ``integrate_refractory``,
    ``reset_subtract``); the rule is the option's name with hyphens.
    """
    _refuse_poisson_inputs(net, target)
    for pop in net.populations:
        for ext in getattr(getattr(pop.celltype, "model", None), "EXTENSIONS", ()):
            if np.any(np.asarray(pop.params.get(ext, 0)) != 0):
                what, why = _EXTENSION_TEXT.get(ext, (f"{ext} set", "it has no such option"))
                raise ExportError(f"population {pop.label!r}: {what} has no {target} "
                                  f"equivalent; {why}", ext.replace("_", "-"))


def _refuse_poisson_inputs(net, target: str) -> None:
    """Count-based Poisson inputs (Network.add_poisson_input) are not exported yet."""
    for inp in getattr(net, "poisson_inputs", None) or []:
        raise ExportError(f"Poisson input {inp.label!r} (Network.add_poisson_input) is not "
                          f"exported to {target}; use a SpikeSourcePoisson per neuron connected "
                          "OneToOne to export it", "poisson-input")


def _refuse_rewiring(net, target: str) -> None:
    """Synaptic rewiring (spikesim.rewiring) has no counterpart in the exported formats."""
    for g in getattr(net, "_rewiring", None) or []:
        raise ExportError(f"population {g.post.label!r} rewires its synapses (structural "
                          f"plasticity); {target} export does not carry rewiring", "rewiring")


def to_pynn_script(net, path=None, duration: float = 1000.0, simulator: str = "nest", **kwargs) -> str:
    """A standalone PyNN script for ``net``; see :mod:`spikesim.export.pynn_script`."""
    from .pynn_script import to_pynn_script as f

    _refuse_rewiring(net, "PyNN-script")
    return f(net, path=path, duration=duration, simulator=simulator, **kwargs)


def to_nir(net, *args, **kwargs):
    """``net`` as a NIR graph; see :mod:`spikesim.export.nir`."""
    from .nir import to_nir as f

    _refuse_rewiring(net, "NIR")
    return f(net, *args, **kwargs)


def from_nir(graph, *args, **kwargs):
    """A spikesim network from a NIR graph; see :mod:`spikesim.export.nir`."""
    from .nir import from_nir as f

    return f(graph, *args, **kwargs)


def to_spinnaker(net, out_dir, **kwargs):
    """A SpiNNaker-style machine description of ``net``; see :mod:`spikesim.export.spinnaker`."""
    from .spinnaker import to_spinnaker as f

    _refuse_rewiring(net, "SpiNNaker-description")
    _refuse_poisson_inputs(net, "SpiNNaker-description")
    return f(net, out_dir, **kwargs)


__all__ = ["ExportError", "from_nir", "to_nir", "to_pynn_script", "to_spinnaker"]
