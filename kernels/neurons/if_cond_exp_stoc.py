"""IFCondExpStoc: conductance-based LIF neuron with a stochastic (escape-noise) threshold.

sPyNNaker ``IFCondExpStoc`` (``spynnaker.pyNN.extra_models``; C:
``threshold_type_maass_stochastic.h``) after Habenschuss, Jonke & Maass 2013,
*Stochastic computations in cortical microcircuit models*, PLoS Comput.
Biol. 9:e1003311. The membrane and the conductances are those of
:mod:`.if_cond_exp` (exponential integrator, step-mean conductance). After the
membrane update a neuron that is not refractory fires with probability

.. math::

    p(v) = \\begin{cases} 0.8 \\left(1 - \\exp\\left(-\\frac{h}{10}
        \\frac{e^{(v - v_{thresh})/du_{th}}}{\\tau_{th}}\\right)\\right)
        & (v - v_{thresh})/du_{th} < 5 \\\\ 0.8 & \\text{otherwise} \\end{cases}

(``h`` the step in ms; sPyNNaker's ``PROB_SATURATION`` 0.8, its factor
``h/10`` and its cut at exponent 5 kept as they are), then ``v = v_reset``
and the refractory countdown starts, as in :mod:`.if_curr_exp`. sPyNNaker
compares against a 16-bit random number and tests the threshold in
refractory steps as well (its clamped ``v = v_reset`` then fires with
``p(v_reset)``, at least 2**-16 per step); here refractory neurons cannot fire
and the comparison is ``u < p`` with ``u`` uniform on [0, 1) in steps of
2**-48.

Random numbers: each neuron carries its own generator in two state rows,
``rng_hi`` and ``rng_lo`` (the high and low 24 bits of a 48-bit linear
congruential generator, ``x <- (25214903917 x + 11) mod 2**48``, the
constants of POSIX ``drand48``; ``u = x / 2**48``), drawn once per step. So
the same network seed gives the same spikes for any thread split, ``run(a);
run(b)`` equals ``run(a + b)``, the generator state is saved with the
network state, and the NumPy twin draws the same numbers. Both halves are
integers below 2**24, exact in float32 state. The cell type
(:class:`spikesim.cells.IFCondExpStoc`) seeds the rows per neuron from the
network's generator when the population is added (:func:`seed_rows`).
Limits: an LCG is a weak generator (fine for threshold decisions, not for
statistics that need more than ~2**40 draws per neuron); a network whose
state rows are set by hand to equal values gives equal streams.

Parameters (sPyNNaker's names and defaults): ``tau_m`` 20 ms, ``cm`` 1 nF,
``v_rest`` -65 mV, ``v_reset`` -65 mV, ``v_thresh`` -50 mV, ``tau_syn_E``
5 ms, ``tau_syn_I`` 5 ms, ``tau_refrac`` 0.1 ms, ``i_offset`` 0 nA,
``e_rev_E`` 0 mV, ``e_rev_I`` -70 mV, ``du_th`` 0.5 mV (threshold
softness), ``tau_th`` 20 ms (threshold time constant).
"""
import numpy as np

from .._config import jit
from . import if_cond_exp as _cond
from .propagators import check_reset_below_threshold, stack

NAME = "IFCondExpStoc"
STATE = ("v", "gsyn_exc", "gsyn_inh", "rng_hi", "rng_lo")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("g_l", "h_over_cm", "f_e", "f_i", "p11e", "p11i", "e_rev_E", "e_rev_I", "drive",
           "v_thresh", "v_reset", "n_ref", "du_th_inv", "hazard_dt")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ()

PARAMETERS = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                  tau_syn_E=5.0, tau_syn_I=5.0, tau_refrac=0.1, i_offset=0.0, e_rev_E=0.0,
                  e_rev_I=-70.0, du_th=0.5, tau_th=20.0)
UNITS = dict(tau_m="ms", cm="nF", v_rest="mV", v_reset="mV", v_thresh="mV", tau_syn_E="ms",
             tau_syn_I="ms", tau_refrac="ms", i_offset="nA", e_rev_E="mV", e_rev_I="mV",
             du_th="mV", tau_th="ms", v="mV", gsyn_exc="uS", gsyn_inh="uS", rng_hi="",
             rng_lo="")
POSITIVE = ("tau_m", "cm", "tau_syn_E", "tau_syn_I", "du_th", "tau_th")
NON_NEGATIVE = ("tau_refrac",)
FLAGS = ()
EXTENSIONS = ()
INITIAL = dict(v="v_rest", gsyn_exc=0.0, gsyn_inh=0.0, rng_hi=0.0, rng_lo=0.0)
CONDUCTANCE = True
#: the NumPy twin draws the same random numbers (per-neuron generator in the state)
RANDOM = True

#: sPyNNaker's saturation probability and the exponent from which it applies
P_SAT, X_SAT = 0.8, 5.0
#: drand48's multiplier and increment; the state is 48 bits split into two 24-bit rows
LCG_A, LCG_C = 0x5DEECE66D, 0xB
MASK48, MASK24, TWO24, TWO_M48 = (1 << 48) - 1, (1 << 24) - 1, float(1 << 24), 2.0 ** -48

TRANSLATIONS = {"pynn": None, "nest": None, "nir": None, "spinnaker": "IFCondExpStoc"}


@jit
def fire_probability(v, vth, du_inv, hazard_dt):
    """Firing probability in one step at membrane potential ``v`` (mV)."""
    x = (v - vth) * du_inv
    if x >= X_SAT:
        return P_SAT
    return -P_SAT * np.expm1(-np.exp(x) * hazard_dt)


@jit
def step(v, ge, gi, hi, lo, r, in_e, in_i, gl, hcm, fe, fi, p11e, p11i, ee, ei, drive, vth,
         vreset, nref, du_inv, hazard_dt):
    gem = fe * ge
    gim = fi * gi
    gt = gl + gem + gim
    vinf = (drive + gem * ee + gim * ei) / gt
    vn = vinf + (v - vinf) * np.exp(-gt * hcm)
    x = np.int64(hi) * np.int64(TWO24) + np.int64(lo)
    x = (x * np.int64(LCG_A) + np.int64(LCG_C)) & np.int64(MASK48)
    u = x * TWO_M48
    spike = False
    if r > 0:
        vn = v
        r = r - 1
    elif u < fire_probability(vn, vth, du_inv, hazard_dt):
        spike = True
        vn = vreset
        r = nref
    return (vn, p11e * ge + in_e, p11i * gi + in_i, float(x >> np.int64(24)),
            float(x & np.int64(MASK24)), r, spike)


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    return stack(_cond.membrane_columns(p, dt, i_inj)
                 + [1.0 / np.asarray(p["du_th"]), dt / 10.0 / np.asarray(p["tau_th"])])


def seed_rows(rng: np.random.Generator, n: int) -> tuple:
    """Per-neuron generator states ``(rng_hi, rng_lo)`` (float64 arrays) drawn from ``rng``."""
    x = rng.integers(1, 1 << 48, n, dtype=np.int64)
    return (x >> 24).astype(np.float64), (x & MASK24).astype(np.float64)


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
