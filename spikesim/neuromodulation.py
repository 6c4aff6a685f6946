"""Dopamine-modulated STDP: sPyNNaker's ``Neuromodulation`` (Izhikevich 2007).

A projection onto receptor type ``"reward"`` or ``"punishment"`` with
``synapse=Neuromodulation(...)`` makes its postsynaptic population *modulated*: each
spike of its sources adds (reward) or subtracts (punishment) its weight, a dopamine
concentration, to the dopamine trace ``D`` of its targets, and every STDP projection onto
that population (made before or after) stops changing its weight directly. Its STDP
rule drives an eligibility trace ``c`` instead, and the weight follows ``dw/dt = c D``
(Izhikevich 2007, Cereb. Cortex 17:2443; sPyNNaker's
``synapse_dynamics_stdp_izhikevich_neuromodulation.c``). Equations, timing and the
event history are in :mod:`spikesim.kernels.neuromodulation`. Such a projection:

- uses a ``SpikePairRule`` (all-to-all, hebbian) with an additive or multiplicative
  weight dependence, or a ``Vogels2011Rule`` (sPyNNaker's neuromodulated Vogels binary),
  which bounds ``c``; the amplitudes are scaled as that weight dependence scales them
  (``absolute=True``: sPyNNaker's absolute amplitudes);
- is timed with its delay as dendritic (sPyNNaker), and its weight changes only at its
  presynaptic spikes, bounded by the neuromodulation's ``[w_min, w_max]``;
- runs on one thread; it is not saved (:func:`spikesim.save`) or exported (PyNN script,
  NEST, NIR, SpiNNaker description): those refuse such a network.

Modulatory projections deliver no current. One ``Neuromodulation`` (``tau_c``, ``tau_d``,
bounds) and one STDP rule per modulated population, as in sPyNNaker.
"""
from __future__ import annotations

from dataclasses import dataclass


from . import _validate as V
from .plasticity import RecurrentRule, SpikePairRule, Vogels2011Rule

__all__ = ["Neuromodulation", "MODULATORY"]

MODULATORY = ("reward", "punishment")


@dataclass(frozen=True)
class Neuromodulation:
    """The synapse type of a reward or punishment projection (sPyNNaker's ``Neuromodulation``).

    Parameters
    ----------
    tau_c : float
        Decay time constant of the eligibility trace, ms (> 0). sPyNNaker's default 1000.
    tau_d : float
        Decay time constant of the dopamine trace, ms (> 0). Default 200.
    w_min, w_max : float
        Bounds of the modulated weights (>= 0, ``w_min <= w_max``). Defaults 0 and 1.
    """

    tau_c: float = 1000.0
    tau_d: float = 200.0
    w_min: float = 0.0
    w_max: float = 1.0

    def __post_init__(self) -> None:
        V.positive_scalar("Neuromodulation.tau_c", self.tau_c)
        V.positive_scalar("Neuromodulation.tau_d", self.tau_d)
        lo = V.non_negative_scalar("Neuromodulation.w_min", self.w_min)
        hi = V.non_negative_scalar("Neuromodulation.w_max", self.w_max)
        if lo > hi:
            raise ValueError(f"Neuromodulation.w_min ({lo!r}) must be <= w_max ({hi!r})")


def spec_of(proj) -> Neuromodulation | None:
    """The modulation of an STDP projection onto a modulated population, else None."""
    if proj.synapse is None:
        return None
    return getattr(proj.post_population, "_neuromodulation", None)


def connect_modulatory(net, pre, post, connector, weight, delay, receptor_type, label, synapse,
                       stored=None):
    """``Network.connect`` for ``receptor_type`` "reward" / "punishment" (see module docs).

    ``stored``: ``(indptr, targets)`` of a projection given as CSR (``_restore_projection``;
    ``delay`` then in steps), instead of ``connector``.
    """
    if not isinstance(synapse, Neuromodulation):
        raise TypeError(f"receptor_type={receptor_type!r} needs synapse=spikesim.Neuromodulation"
                        f"(...), got {synapse!r}")
    qpop = post.population
    old = getattr(qpop, "_neuromodulation", None)
    if old is not None and old != synapse:
        raise ValueError(f"post population {qpop.label!r} is already modulated with {old!r}; "
                         f"one Neuromodulation per population (as sPyNNaker), got {synapse!r}")
    for j in net.projections:
        if j.synapse is not None and j.post_population is qpop:
            check_rule(j)
    if stored is None:
        proj = net._connect(pre, post, connector, weight, delay, "excitatory", label)
    else:
        proj = net._restore_projection(pre, post, "excitatory", label, *stored, weight, delay, None)
    proj.receptor_type = receptor_type
    qpop._neuromodulation = synapse
    return proj


def check_rule(proj) -> None:
    """Refuse an STDP projection the lazy kernel cannot run (dopamine-modulated STDP, or a
    RecurrentRule), naming what is wrong."""
    s = proj.synapse
    recurrent = isinstance(s.timing, RecurrentRule)
    bad = None
    if not recurrent and not isinstance(s.timing, Vogels2011Rule) and (
            not isinstance(s.timing, SpikePairRule) or s.timing.interaction != "all_to_all"):
        bad = (f"timing={s.timing!r} (needs SpikePairRule with interaction='all_to_all', or "
               "Vogels2011Rule)")
    elif s.window != "hebbian" or s.sign != 1:
        bad = f"window={s.window!r}, sign={s.sign!r} (needs 'hebbian', 1)"
    elif s.delay_model != "dendritic":
        bad = f"delay_model={s.delay_model!r} (needs 'dendritic', as sPyNNaker)"
    if bad is not None:
        what = ("with RecurrentRule" if recurrent else
                f"onto modulated population {proj.post_population.label!r}")
        raise ValueError(f"projection {proj.label!r} {what}: this rule takes {bad}")


def refuse(net, what: str) -> None:
    """Exporters and io: refuse a network with dopamine-modulated STDP or a RecurrentRule,
    naming a projection (their state and rules have no counterpart there)."""
    for j in net.projections:
        if j.receptor_type in MODULATORY or spec_of(j) is not None:
            rule = "dopamine-modulated STDP"
        elif j.synapse is not None and isinstance(j.synapse.timing, RecurrentRule):
            rule = "RecurrentRule"
        else:
            continue
        raise NotImplementedError(f"{what} does not support {rule} (projection {j.label!r}, "
                                  f"receptor_type={j.receptor_type!r}); it runs in spikesim only")
