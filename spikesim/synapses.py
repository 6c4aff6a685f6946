"""Synapse dynamics of static projections: short-term plasticity and stochastic release.

``net.connect(pre, post, connector, weight=..., synapse=ss.TsodyksMarkram(U=0.5,
tau_rec=800.0))`` gives every synapse of the projection its own state; each
transmitted spike is scaled by the dynamic (see the kernel modules in
:mod:`spikesim.kernels.synapses` for the equations). Parameters are scalars,
per-synapse arrays in the projection's storage order, or
:class:`~spikesim.random.RandomDistribution` s drawn per synapse from the
network's generator.

A dynamic does not combine with STDP on one projection (PyNN's synapse types
are one or the other, too).
"""
from __future__ import annotations

import numpy as np

from . import _validate as V
from .kernels.synapses import bernoulli, tsodyks, tsodyks2
from .random import RandomDistribution


class SynapseDynamics:
    """Base class: a synapse dynamic declared by a module of :mod:`spikesim.kernels.synapses`."""

    module = None
    defaults: dict = {}

    def __init__(self, **parameters) -> None:
        unknown = set(parameters) - set(self.defaults)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no parameter(s) {sorted(unknown)}; "
                            f"valid: {sorted(self.defaults)}")
        self.parameters = {**self.defaults, **parameters}
        for name, value in self.parameters.items():
            if value is not None and not isinstance(value, RandomDistribution):
                self._check(name, np.asarray(value, np.float64))

    def _check(self, name: str, a: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def resolve(self, m: int, rng, post_celltype, receptor_type: str) -> np.ndarray:
        """Per-synapse parameters ``(len(PARAMS), m)`` float64, validated."""
        rows = []
        for name in self.module.PARAMS:
            value = self.parameters[name]
            if value is None:
                value = self._default_from_target(name, post_celltype, receptor_type)
            if isinstance(value, RandomDistribution):
                value = value.draw(rng, m)
            a = np.asarray(value, np.float64)
            if a.ndim > 1 or (a.ndim == 1 and a.shape[0] != m):
                raise ValueError(f"{type(self).__name__}.{name} needs a scalar or {m} values (one "
                                 f"per synapse), got shape {a.shape}")
            rows.append(np.broadcast_to(self._check(name, a), (m,)))
        return np.array(rows, np.float64).reshape(len(rows), m)

    def _default_from_target(self, name, post_celltype, receptor_type):
        raise ValueError(f"{type(self).__name__}.{name} must be given")

    def initial_state(self, P: np.ndarray) -> np.ndarray:
        """Initial per-synapse state ``(len(STATE), m)`` from the parameters ``P``."""
        m = P.shape[1]
        rows = []
        for var in self.module.STATE:
            v = self.module.INITIAL[var]
            rows.append(P[self.module.PARAMS.index(v)] if isinstance(v, str) else np.full(m, v))
        return np.array(rows, np.float64).reshape(len(rows), m)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.parameters.items()
                         if not isinstance(v, np.ndarray))
        return f"{type(self).__name__}({args})"


def _in_unit(label, a, low_open=True):
    bad = ~np.isfinite(a) | (a > 1) | ((a <= 0) if low_open else (a < 0))
    if bad.any():
        rng = "(0, 1]" if low_open else "[0, 1]"
        raise ValueError(f"{label} must lie in {rng}, got {float(a[bad].ravel()[0])!r}")
    return a


def _check_stp(cls: str, name: str, a):
    """Short-term plasticity parameters: U in (0, 1], tau_facil >= 0, other taus > 0."""
    label = f"{cls}.{name}"
    if name == "U":
        return _in_unit(label, a)
    if name == "tau_facil":
        return V.non_negative(label, a)
    return V.positive(label, a)


class TsodyksMarkram(SynapseDynamics):
    """Tsodyks-Markram short-term plasticity, as PyNN's ``TsodyksMarkramSynapse``.

    Tsodyks, Uziel & Markram (2000); NEST ``tsodyks_synapse``. See
    :mod:`spikesim.kernels.synapses.tsodyks` for the equations.

    Parameters
    ----------
    U : float in (0, 1]
        Utilisation increment per spike.
    tau_rec : float, ms (> 0)
        Recovery time constant (depression).
    tau_facil : float, ms (>= 0)
        Facilitation time constant; 0 turns facilitation off.
    tau_psc : float, ms (> 0), optional
        Decay of the active resources; by default the target's synaptic time
        constant for the receptor (``tau_syn_E`` or ``tau_syn_I``), as pyNN.nest sets it.
    """

    module = tsodyks
    defaults = dict(U=0.5, tau_rec=100.0, tau_facil=0.0, tau_psc=None)

    def _check(self, name, a):
        return _check_stp("TsodyksMarkram", name, a)


class Tsodyks2(SynapseDynamics):
    """Markram-Tsodyks short-term plasticity in two variables (NEST ``tsodyks2_synapse``).

    Parameters ``U`` (0, 1], ``tau_rec`` ms (> 0), ``tau_facil`` ms (>= 0); see
    :mod:`spikesim.kernels.synapses.tsodyks2`.
    """

    module = tsodyks2
    defaults = dict(U=0.5, tau_rec=800.0, tau_facil=0.0)

    def _check(self, name, a):
        return _check_stp("Tsodyks2", name, a)


class SimpleStochastic(SynapseDynamics):
    """Each spike passes with probability ``p`` in [0, 1] (PyNN ``SimpleStochasticSynapse``).

    Draws are counter-based from the network seed, the synapse and the step,
    so they do not depend on the number of threads.
    """

    module = bernoulli
    defaults = dict(p=0.5)

    def _check(self, name, a):
        return _in_unit("SimpleStochastic.p", a, low_open=False)


def dynamic_state(dyn: SynapseDynamics, m: int, rng, post, receptor_type: str,
                  targets: np.ndarray) -> dict:
    """Per-synapse parameters, initial and current state of a projection with dynamic ``dyn``.

    ``targets``: the target neuron (index in ``post``) of each synapse, storage order.
    """
    if isinstance(dyn, TsodyksMarkram) and dyn.parameters["tau_psc"] is None:
        par = {"excitatory": "tau_syn_E", "inhibitory": "tau_syn_I"}.get(receptor_type)
        if par not in post.params:
            raise ValueError(f"TsodyksMarkram.tau_psc must be given for receptor_type="
                             f"{receptor_type!r} of {type(post.celltype).__name__}")
        tau = np.broadcast_to(np.asarray(post.params[par], np.float64), (post.size,))
        dyn = type(dyn)(**{**dyn.parameters, "tau_psc": tau[targets]})
    P = dyn.resolve(m, rng, post.celltype, receptor_type)
    S0 = dyn.initial_state(P)
    return dict(dynamics=dyn, P=P, S0=S0, S=S0.copy(), last=np.zeros(m, np.int64))
