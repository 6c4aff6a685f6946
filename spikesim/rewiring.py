"""Synaptic rewiring (structural plasticity): sPyNNaker's synaptogenesis rules.

Bogdan, Rowley, Rhodes & Furber (2018), "Structural plasticity on the SpiNNaker
many-core neuromorphic system", Front. Neurosci. 12:434, as sPyNNaker implements it
(``spynnaker/pyNN/models/neuron/structural_plasticity/`` for the parameters,
``neural_modelling/src/neuron/structural_plasticity/synaptogenesis/`` for what one
attempt does). A structural projection is an ordinary projection (static or STDP)
whose synapses are also formed and removed while the network runs::

    rule = ss.StructuralPlasticity(ss.RandomSelection(),
                                   ss.DistanceDependentFormation(grid=(16, 16)),
                                   ss.RandomByWeightElimination(threshold=0.1),
                                   f_rew=1e4, initial_weight=0.2, s_max=32)
    ff = net.connect(src, tgt, ss.FromList([], []), synapse=stdp)
    lat = net.connect(tgt, tgt, ss.FromList([], []), synapse=stdp)
    ss.add_rewiring(ff, rule)
    ss.add_rewiring(lat, rule)        # same post population: one process, shared slots

The structural projections onto one population form one rewiring process (a
*group*) with ``s_max`` slots per post neuron; they must share ``f_rew``,
``s_max``, ``initial_weight``, ``initial_delay``, ``with_replacement`` and the
partner-selection rule, as sPyNNaker requires. The attempt itself, its timing in
the step and the memory layout are documented in :mod:`spikesim.kernels.rewiring`.

Differences from sPyNNaker, all documented where they occur: the row limit (a
presynaptic neuron holds at most ``s_max`` synapses of a projection) applies to the
whole post population, not per 256-neuron core; the elimination removes the synapse
of the chosen slot (sPyNNaker removes the first synapse of that pair in the row, the
same unless a pair has several); a partner is drawn uniformly from the presynaptic
population (sPyNNaker's sub-population step is uniform only for a population on one
core); grid coordinates use exact integer division; the random numbers are spikesim's
own counter-based stream (same rules, different draws).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from . import _validate as V

DEFAULT_F_REW = 1e4        # Hz (synapse_dynamics_structural_common.py)
DEFAULT_S_MAX = 32
MAX_SHORT = 65535


def _prob(name: str, v) -> float:
    v = _number(name, v)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {v!r}")
    return v


def _number(name: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {v!r}")
    return float(v)


@dataclass(frozen=True)
class RandomSelection:
    """Partner selection: a presynaptic neuron uniformly at random.

    A structural projection of the group is chosen uniformly, then one of its
    presynaptic neurons (sPyNNaker ``random_selection_impl.h``; Bogdan et al. 2018).
    """

    kind = 0


@dataclass(frozen=True)
class LastNeuronSelection:
    """Partner selection: one of the neurons that spiked in the last step.

    The candidates are the spikes of step ``t`` (the step at whose end the attempt
    runs) from the populations that project onto the group's population, at most
    ``spike_buffer_size`` of them in the engine's spike order (neurons by index, then
    spike sources); one is chosen uniformly; none, or one from a population without a
    structural projection onto the group, ends the attempt (sPyNNaker
    ``last_neuron_selection_impl.h``; Bogdan et al. 2018).

    Parameters
    ----------
    spike_buffer_size : int
        Spikes kept per step (>= 1; sPyNNaker's default 64).
    """

    spike_buffer_size: int = 64
    kind = 1

    def __post_init__(self):
        V.count("LastNeuronSelection.spike_buffer_size", self.spike_buffer_size, 1)


@dataclass(frozen=True)
class DistanceDependentFormation:
    """Formation with a probability that falls with the squared grid distance.

    .. math:: p(d^2) = p_{form} \\exp\\left(-\\frac{d^2}{2\\sigma_{form}^2}\\right)

    (Bogdan et al. 2018, eq. 1; sPyNNaker ``distance_dependent_formation.py`` and
    ``formation_distance_dependent_impl.h``), with ``p_form_lateral`` /
    ``sigma_form_lateral`` when the projection's pre- and postsynaptic populations
    are the same and the forward pair otherwise. Neuron ``id`` sits at ``x = id //
    grid_x``, ``y = id % grid_y`` with periodic boundaries. As in sPyNNaker the
    table holds ``int(p(d^2) * 65535)`` for ``d^2 = 0, 1, ...`` while non-zero
    (padded with one zero to an even length) and a trial forms with probability
    ``(table[d^2] + 1) / 65535``, never past the table's end.

    Parameters
    ----------
    grid : (int, int)
        Grid size ``(grid_x, grid_y)`` (each >= 1).
    p_form_forward, p_form_lateral : float
        Peak formation probabilities, in [0, 1].
    sigma_form_forward, sigma_form_lateral : float
        Spreads, in grid units (> 0).
    """

    grid: tuple = (16, 16)
    p_form_forward: float = 0.16
    sigma_form_forward: float = 2.5
    p_form_lateral: float = 1.0
    sigma_form_lateral: float = 1.0

    def __post_init__(self):
        try:
            g = tuple(int(x) for x in np.asarray(self.grid).ravel())
            raw = np.asarray(self.grid).ravel()
            ok = len(g) == 2 and all(float(x) == y for x, y in zip(raw, g))
        except (TypeError, ValueError):
            ok = False
        if not ok or min(g) < 1:
            raise ValueError(f"DistanceDependentFormation.grid must be two integers >= 1, got "
                             f"{self.grid!r}")
        object.__setattr__(self, "grid", g)
        for name in ("p_form_forward", "p_form_lateral"):
            object.__setattr__(self, name, _prob(f"DistanceDependentFormation.{name}",
                                                 getattr(self, name)))
        for name in ("sigma_form_forward", "sigma_form_lateral"):
            v = _number(f"DistanceDependentFormation.{name}", getattr(self, name))
            if v <= 0:
                raise ValueError(f"DistanceDependentFormation.{name} must be > 0, got {v!r}")
            object.__setattr__(self, name, v)

    def table(self, lateral: bool) -> np.ndarray:
        """The 16-bit probability table by squared distance (sPyNNaker's construction)."""
        p, sigma = ((self.p_form_lateral, self.sigma_form_lateral) if lateral
                    else (self.p_form_forward, self.sigma_form_forward))
        gx, gy = self.grid
        ids = np.arange(gx * gy)
        x = np.unique(ids // gx if gx > 1 else np.zeros(1, np.int64))
        y = np.unique(ids % gy if gy > 1 else np.zeros(1, np.int64))
        dx = np.abs(x[:, None] - x[None, :])
        dy = np.abs(y[:, None] - y[None, :])
        dx = np.where(dx > gx * 0.5, dx - gx, dx)
        dy = np.where(dy > gy * 0.5, dy - gy, dy)
        # the largest squared distance over the grid's neurons (x and y vary independently)
        largest = int((dx ** 2).max() + (dy ** 2).max())
        raw = p * np.exp(-np.arange(largest + 1) / (2.0 * sigma ** 2))
        q = (raw * MAX_SHORT).astype(np.uint16)
        q = q[q > 0]
        if q.size % 2:
            q = np.concatenate([q, np.zeros(1, np.uint16)])
        return q.astype(np.int64)

    def probability(self, d2, lateral: bool = False) -> np.ndarray:
        """Formation probability of one trial at squared distance ``d2`` (with the table's
        quantisation): ``(table[d2] + 1) / 65535``, 0 past the table."""
        tab = self.table(lateral)
        d2 = np.asarray(d2, np.int64)
        inside = d2 < tab.shape[0]
        return np.where(inside, (tab[np.minimum(d2, max(tab.shape[0] - 1, 0))] + 1) / MAX_SHORT
                        if tab.shape[0] else 0.0, 0.0)


@dataclass(frozen=True)
class RandomByWeightElimination:
    """Elimination with a probability set by the synapse's weight.

    A synapse with ``|w| < threshold`` (depressed) is removed with probability
    ``prob_elim_depressed``, any other (potentiated or unchanged, and static ones at
    or above the threshold) with ``prob_elim_potentiated`` (Bogdan et al. 2018;
    sPyNNaker ``random_by_weight_elimination.py``, ``elimination_random_by_weight_impl.h``).
    As there, the test is on 32-bit integers: the probability is
    ``(int(p * (2**32 - 1)) + 1) / 2**32``.

    Parameters
    ----------
    threshold : float
        Weight (nA or uS, a magnitude, >= 0) below which a synapse counts as depressed.
    prob_elim_depressed, prob_elim_potentiated : float
        In [0, 1]; sPyNNaker's defaults 0.0245 and 1.36e-4.
    """

    threshold: float
    prob_elim_depressed: float = 0.0245
    prob_elim_potentiated: float = 1.36e-4

    def __post_init__(self):
        t = _number("RandomByWeightElimination.threshold", self.threshold)
        if t < 0:
            raise ValueError(f"RandomByWeightElimination.threshold must be >= 0 (a weight "
                             f"magnitude), got {t!r}")
        object.__setattr__(self, "threshold", t)
        for name in ("prob_elim_depressed", "prob_elim_potentiated"):
            object.__setattr__(self, name, _prob(f"RandomByWeightElimination.{name}",
                                                 getattr(self, name)))

    @staticmethod
    def limit(p: float) -> int:
        """The 32-bit threshold: eliminated iff ``r32 <= int(p * 0xFFFFFFFF)``."""
        return int(p * 0xFFFFFFFF)

    @staticmethod
    def probability(p: float) -> float:
        """Elimination probability of one trial with rule probability ``p``."""
        return (int(p * 0xFFFFFFFF) + 1) / 2.0 ** 32


def rewiring_schedule(f_rew: float, dt: float) -> tuple[int, int]:
    """``(attempts per step, period in steps)`` as sPyNNaker computes them.

    With ``p_rew = 1 / f_rew`` s and the time step in whole microseconds
    (``synapse_dynamics_structural_common.py``): if ``p_rew * 1000 < dt`` (ms) the
    rewiring is fast, ``int(dt_us / (p_rew * 1e6))`` attempts per step; otherwise one
    attempt every ``int(p_rew * 1e6 / dt_us)`` steps (at least 1). Both truncate, as on
    SpiNNaker: 3 kHz at dt = 0.5 ms gives 1 attempt per step (1.5 kHz), 3 kHz at 0.1 ms
    one every 3 steps (3.33 kHz). Returns ``(fast, 0)`` or ``(0, period)``.
    """
    p_rew = 1.0 / f_rew
    dt_us = dt * 1000.0
    if abs(dt_us - round(dt_us)) < 1e-9:
        dt_us = float(round(dt_us))
    if p_rew * 1000.0 < dt_us / 1000.0:
        return max(int(dt_us / (p_rew * 1e6)), 1), 0
    return 0, max(int((p_rew * 1e6) / dt_us), 1)


@dataclass(frozen=True)
class StructuralPlasticity:
    """Synaptic rewiring of a projection (sPyNNaker ``StructuralMechanismStatic`` /
    ``StructuralMechanismSTDP``'s structural part; Bogdan et al. 2018).

    Parameters
    ----------
    partner_selection : RandomSelection or LastNeuronSelection
    formation : DistanceDependentFormation
    elimination : RandomByWeightElimination
    f_rew : float
        Rewiring attempts per second of simulated time, Hz (> 0; default 10 kHz), per
        postsynaptic population; see :func:`rewiring_schedule`.
    initial_weight : float
        Weight of a new synapse (nA or uS; spikesim's signs: <= 0 on inhibitory current
        synapses). Within the STDP bounds on a plastic projection.
    initial_delay : float or (float, float)
        Delay of a new synapse, ms; a pair ``(lo, hi)`` draws ``lo_steps +
        rand_int(hi_steps - lo_steps)`` steps (so ``hi`` itself is never drawn, as in
        sPyNNaker's ``sp_structs.h``). At least one step.
    s_max : int
        Synapse slots per postsynaptic neuron (its largest structural fan-in) and the
        most synapses a presynaptic neuron holds in one structural projection.
    with_replacement : bool
        True: a pair may get another synapse; False: no formation onto a pair that is
        connected.
    seed : int, optional
        Seed of the rewiring's random numbers (default: from the network's seed).

    Notes
    -----
    A network with rewiring runs on one thread (the attempts sit in the one-thread
    step loop; results do not depend on ``threads`` anyway). ``Network.reset()`` and
    ``reset_state()`` keep the connectivity as it is (as they keep weights); the
    attempt schedule follows the absolute step, the random-number counter keeps
    counting. Saving and exporting a network with rewiring are refused by name.
    """

    partner_selection: object
    formation: object
    elimination: object
    f_rew: float = DEFAULT_F_REW
    initial_weight: float = 0.0
    initial_delay: object = 1.0
    s_max: int = DEFAULT_S_MAX
    with_replacement: bool = True
    seed: int | None = None
    _delay_pair: tuple = field(default=(1.0, 1.0), init=False, repr=False, compare=False)

    def __post_init__(self):
        if not isinstance(self.partner_selection, (RandomSelection, LastNeuronSelection)):
            raise NotImplementedError(f"partner_selection {self.partner_selection!r} is not "
                                      "available (RandomSelection, LastNeuronSelection are)")
        if not isinstance(self.formation, DistanceDependentFormation):
            raise NotImplementedError(f"formation {self.formation!r} is not available "
                                      "(DistanceDependentFormation is)")
        if not isinstance(self.elimination, RandomByWeightElimination):
            raise NotImplementedError(f"elimination {self.elimination!r} is not available "
                                      "(RandomByWeightElimination is)")
        f = _number("f_rew", self.f_rew)
        if f <= 0:
            raise ValueError(f"f_rew must be > 0 Hz, got {self.f_rew!r}")
        object.__setattr__(self, "f_rew", f)
        object.__setattr__(self, "initial_weight", _number("initial_weight", self.initial_weight))
        d = self.initial_delay
        if isinstance(d, (tuple, list)):
            if len(d) != 2:
                raise ValueError(f"initial_delay must be a number or a pair (lo, hi), got {d!r}")
            lo, hi = (_number("initial_delay", x) for x in d)
            if hi < lo:
                raise ValueError(f"initial_delay (lo, hi) needs lo <= hi, got {d!r}")
            object.__setattr__(self, "initial_delay", (lo, hi))
        else:
            lo = hi = _number("initial_delay", d)
            object.__setattr__(self, "initial_delay", lo)
        if lo <= 0:
            raise ValueError(f"initial_delay must be > 0 ms, got {d!r}")
        object.__setattr__(self, "_delay_pair", (lo, hi))
        object.__setattr__(self, "s_max", V.count("s_max", self.s_max, 1))
        if not isinstance(self.with_replacement, (bool, np.bool_)):
            raise ValueError(f"with_replacement must be True or False, got "
                             f"{self.with_replacement!r}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(
                self.seed, numbers.Integral) or self.seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {self.seed!r}")

    def delay_steps(self, dt: float) -> tuple[int, int]:
        """``(lo, hi)`` delay steps of new synapses (``lo == hi`` for a fixed delay)."""
        lo, hi = self._delay_pair
        a, b = int(round(lo / dt)), int(round(hi / dt))
        if a < 1:
            raise ValueError(f"initial_delay {self.initial_delay!r} ms is below one step "
                             f"(dt={dt} ms)")
        if b > np.iinfo(np.uint16).max:
            raise ValueError(f"initial_delay {self.initial_delay!r} ms is above 65535 steps")
        return a, b

    def shares_process_with(self, other: "StructuralPlasticity") -> bool:
        """Whether two rules can drive one postsynaptic population (sPyNNaker's ``is_same_as``)."""
        return (self.f_rew == other.f_rew and self.s_max == other.s_max
                and self.initial_weight == other.initial_weight
                and self.initial_delay == other.initial_delay
                and self.with_replacement == other.with_replacement
                and self.partner_selection == other.partner_selection
                and type(self.formation) is type(other.formation)
                and type(self.elimination) is type(other.elimination))


from .rewiring_runtime import RewiringGroup, StructuralProjection, add_rewiring  # noqa: E402

__all__ = ["DistanceDependentFormation", "LastNeuronSelection", "RandomByWeightElimination",
           "RandomSelection", "RewiringGroup", "StructuralPlasticity", "StructuralProjection",
           "add_rewiring", "rewiring_schedule"]
