"""Neuron cell types, named and parameterised as PyNN's standard cells, one per model module
of :mod:`spikesim.kernels.neurons`; the spike sources (:mod:`spikesim.spike_sources`) are
re-exported here, so ``spikesim.cells`` names every cell type.

Units (PyNN): ms, mV, nA, nF, uS, Hz. Every parameter may be a scalar, a
per-neuron array, or a :class:`~spikesim.random.RandomDistribution`.
"""
from __future__ import annotations

import numpy as np

from .kernels.neurons import if_cond_exp, if_curr_exp
from .kernels.neurons import if_cond_alpha, if_curr_alpha, if_curr_delta, if_curr_dual_exp
from .kernels.neurons import eif_cond_alpha_isfa_ista, eif_cond_exp_isfa_ista, izhikevich
from .kernels.neurons import hh_cond_exp
from .kernels.neurons import izk_cond_exp, izk_curr_exp
from .kernels.neurons import if_cond_exp_spinnaker, if_curr_delta_spinnaker, if_curr_exp_spinnaker
from .kernels.neurons import adex_multisyn_alpha, lif_multisyn_exp
from .kernels.neurons import if_cond_exp_stoc, if_curr_exp_ca2_adaptive, if_curr_exp_semd
from .kernels.neurons import cuba_li_step, cuba_lif_step
from .celltype import KIND_NEURON, KIND_SOURCE, CellType  # noqa: F401
from .spike_sources import (SpikeSourceArray, SpikeSourceGamma, SpikeSourcePoisson,  # noqa: F401
                            SpikeSourcePoissonRefractory, check_poisson_rate, rate_at_steps)


class NeuronType(CellType):
    """A neuron model declared by one module of :mod:`spikesim.kernels.neurons`.

    Subclasses set ``model`` (the module); parameters, defaults, validation,
    recordables and the kernel columns all come from it.
    """

    kind = KIND_NEURON
    model = None

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        m = cls.model
        if m is None:
            return
        cls.default_parameters = dict(m.PARAMETERS)
        cls.recordables = ("spikes",) + tuple(m.STATE)
        cls.positive_parameters = tuple(m.POSITIVE)
        cls.non_negative_parameters = tuple(m.NON_NEGATIVE)
        cls.flag_parameters = tuple(m.FLAGS)
        if cls.__doc__ is None:
            cls.__doc__ = m.__doc__

    def __init__(self, reset: str | None = None, **parameters) -> None:
        if reset is not None:
            if "reset_subtract" not in self.default_parameters:
                raise ValueError(f"{type(self).__name__} has no reset mode; got reset={reset!r}")
            if reset not in ("value", "subtract"):
                raise ValueError(f"{type(self).__name__}.reset must be 'value' or 'subtract', "
                                 f"got {reset!r}")
            parameters["reset_subtract"] = 1.0 if reset == "subtract" else 0.0
        super().__init__(**parameters)

    @property
    def conductance_based(self) -> bool:
        """True when weights onto this model are conductances (uS, never negative)."""
        return bool(getattr(self.model, "CONDUCTANCE", False))

    @property
    def receptor_types(self) -> tuple:
        return tuple(self.model.RECEPTORS)

    def _check_relations(self, p: dict) -> None:
        self.model.check(p)

    def columns(self, p: dict, dt: float, i_inj=0.0) -> np.ndarray:
        """Kernel parameter columns (the model's ``COLUMNS``), float64.

        Returns shape ``(n_cols,)`` if every input is a scalar, else ``(n_cols, n)``.
        ``i_inj`` (nA) is injected current added to ``i_offset``.
        """
        return self.model.columns(p, dt, i_inj)

    def initial_state(self, p: dict, n: int) -> dict:
        """Initial value of every state variable: ``{name: float64 array (n,)}``."""
        out = {}
        for var in self.model.STATE:
            v = self.model.INITIAL.get(var, 0.0)
            v = p[v] if isinstance(v, str) else v
            out[var] = np.broadcast_to(np.asarray(v, np.float64), (n,)).copy()
        return out


MAX_REFRACTORY_STEPS = int(np.iinfo(np.int16).max)  # the refractory countdown is int16


def check_columns(celltype, cols: np.ndarray, dtype) -> None:
    """Refuse parameters whose propagators are not finite in the network's dtype."""
    name = type(celltype).__name__
    m = celltype.model
    if "n_ref" in m.COLUMNS:
        nref = cols[m.COLUMNS.index("n_ref")]
        if np.max(nref, initial=0) > MAX_REFRACTORY_STEPS:
            raise ValueError(f"{name}.tau_refrac is {float(np.max(nref))!r} steps; at most "
                             f"{MAX_REFRACTORY_STEPS} steps are supported")
    with np.errstate(over="ignore", invalid="ignore"):
        stored = cols.astype(dtype)
    if not np.isfinite(stored).all():
        bad = sorted({m.COLUMNS[int(k)] for k in np.nonzero(~np.isfinite(stored))[0]})
        raise ValueError(f"{name}: parameters {sorted(m.PARAMETERS)} give non-finite update "
                         f"coefficients ({bad}) in {np.dtype(dtype)} at this dt; check for "
                         "extreme values")


class IF_curr_exp(NeuronType):
    model = if_curr_exp


class IF_cond_exp(NeuronType):
    model = if_cond_exp


class IF_curr_alpha(NeuronType):
    model = if_curr_alpha


class IF_cond_alpha(NeuronType):
    model = if_cond_alpha


class IF_curr_delta(NeuronType):
    model = if_curr_delta


class IF_curr_dual_exp(NeuronType):
    model = if_curr_dual_exp


class CubaLIFStep(NeuronType):
    """Current-based LIF stepped as snnTorch's ``Synaptic`` and Norse's NIR ``CubaLIF`` (the
    membrane takes the synaptic current of the same step); :class:`IF_curr_exp` is NEST's."""

    model = cuba_lif_step
    __doc__ = __doc__ + "\n" + cuba_lif_step.__doc__


class CubaLIStep(NeuronType):
    """Non-spiking readout: :class:`CubaLIFStep` without threshold (record ``v``)."""

    model = cuba_li_step
    __doc__ = __doc__ + "\n" + cuba_li_step.__doc__


class Izhikevich(NeuronType):
    model = izhikevich


class IzkCurrExp(NeuronType):
    """sPyNNaker's ``Izhikevich`` (not PyNN's :class:`Izhikevich`); ``spikesim.pynn.spynnaker``
    is to offer it under sPyNNaker's name ``Izhikevich``."""

    model = izk_curr_exp
    __doc__ = __doc__ + "\n" + izk_curr_exp.__doc__


class IFCurrExpSpiNNaker(NeuronType):
    """sPyNNaker's ``IF_curr_exp`` in SpiNNaker's discretisation (``spikesim.pynn.spynnaker``'s
    ``IF_curr_exp``); :class:`IF_curr_exp` is NEST's exact integration."""

    model = if_curr_exp_spinnaker
    __doc__ = __doc__ + "\n" + if_curr_exp_spinnaker.__doc__


class IFCurrDeltaSpiNNaker(NeuronType):
    """sPyNNaker's ``IF_curr_delta`` in SpiNNaker's discretisation (``spikesim.pynn.spynnaker``'s
    ``IF_curr_delta``); :class:`IF_curr_delta` is PyNN's and NEST's (weights in mV)."""

    model = if_curr_delta_spinnaker
    __doc__ = __doc__ + "\n" + if_curr_delta_spinnaker.__doc__


class IFCondExpSpiNNaker(NeuronType):
    """sPyNNaker's ``IF_cond_exp`` in SpiNNaker's discretisation (``spikesim.pynn.spynnaker``'s
    ``IF_cond_exp``)."""

    model = if_cond_exp_spinnaker
    __doc__ = __doc__ + "\n" + if_cond_exp_spinnaker.__doc__


class Izhikevich_cond(NeuronType):
    model = izk_cond_exp


class EIF_cond_exp_isfa_ista(NeuronType):
    model = eif_cond_exp_isfa_ista


class LIFMultisynExp(NeuronType):
    """LIF with four exponential current receptors ``r0``..``r3`` (PyNN's ``PointNeuron`` of
    ``LIF`` and ``CurrExpPostSynapticResponse``; NEST ``iaf_psc_exp_multisynapse``)."""

    model = lif_multisyn_exp
    __doc__ = __doc__ + "\n" + lif_multisyn_exp.__doc__


class AdExpMultisynAlpha(NeuronType):
    """AdEx with four alpha conductance receptors ``r0``..``r3`` (PyNN's ``PointNeuron`` of
    ``AdExp`` and ``AlphaPSR``; NEST ``aeif_cond_alpha_multisynapse``)."""

    model = adex_multisyn_alpha
    __doc__ = __doc__ + "\n" + adex_multisyn_alpha.__doc__


class EIF_cond_alpha_isfa_ista(NeuronType):
    model = eif_cond_alpha_isfa_ista


class HH_cond_exp(NeuronType):
    model = hh_cond_exp


class IFCurrExpCa2Adaptive(NeuronType):
    model = if_curr_exp_ca2_adaptive


class IF_curr_exp_sEMD(NeuronType):
    model = if_curr_exp_semd


class IFCondExpStoc(NeuronType):
    """sPyNNaker's IFCondExpStoc; each neuron's random generator is seeded from the network's."""

    model = if_cond_exp_stoc
    _seeds = None

    def resolve(self, n: int, rng: np.random.Generator) -> dict:
        p = super().resolve(n, rng)
        self._seeds = if_cond_exp_stoc.seed_rows(rng, n)  # read by initial_state() next
        return p

    def initial_state(self, p: dict, n: int) -> dict:
        out = super().initial_state(p, n)
        if self._seeds is not None and self._seeds[0].shape == (n,):
            out["rng_hi"], out["rng_lo"] = (a.copy() for a in self._seeds)
        return out


def _all_subclasses(cls) -> list:
    out = []
    for c in cls.__subclasses__():
        out += [c] + _all_subclasses(c)
    return out


#: every cell type of this module (what a network file may name)
CELL_TYPES = tuple(c for c in _all_subclasses(NeuronType) if c.model is not None
                   and c.__module__ == __name__) + (SpikeSourceArray, SpikeSourcePoisson,
                                                    SpikeSourceGamma, SpikeSourcePoissonRefractory)
