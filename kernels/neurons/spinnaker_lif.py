"""sPyNNaker's LIF step, shared by :mod:`.if_curr_exp_spinnaker` and :mod:`.if_cond_exp_spinnaker`.

Source: sPyNNaker's C neuron code (``neural_modelling/src/neuron/``):
``models/neuron_model_lif_impl.h`` (membrane and refractory timer),
``synapse_types/exp_synapse_utils.h`` (exponential synapses),
``threshold_types/threshold_type_static.h`` and the step order of
``implementations/neuron_impl_standard.h``. One timer tick of one neuron is

1. this tick's ring-buffer input ``w`` is added to the synaptic state, scaled by
   the synapse's initial factor: :math:`I_x \\leftarrow I_x + \\frac{\\tau_x}{h}
   (1 - e^{-h/\\tau_x})\\, w_x`;
2. outside the refractory period the membrane takes one exponential-Euler step with
   the total input current ``I`` (nA) held constant over the tick,

   .. math::

       \\alpha = R I + v_{rest}, \\qquad v \\leftarrow \\alpha - e^{-h/\\tau_m} (\\alpha - v),
       \\qquad R = \\tau_m / c_m;

   inside it the refractory timer counts down and ``v`` stays where it is;
3. ``v >= v_thresh`` is a spike: ``v = v_reset`` and the timer is set to
   ``ceil(tau_refrac / h)`` ticks;
4. the synaptic state decays, :math:`I_x \\leftarrow e^{-h/\\tau_x} I_x` (spikesim's
   models do this at the start of the next step, before step 1, so that the state holds
   the values of the tick, which SpiNNaker records).

SpiNNaker does this in s16.15 fixed point; spikesim in floating point.
"""
import numpy as np

from .._config import jit
from .propagators import mean_decay


@jit
def lif_tick(v, r, current, alpha_rest, r_m, exp_tc, vth, vreset, nref):
    """Steps 2 and 3 above for one neuron; returns ``(v, r, spike)``."""
    if r > 0:
        return v, r - 1, False
    alpha = current * r_m + alpha_rest
    vn = alpha - exp_tc * (alpha - v)
    if vn >= vth:
        return vreset, nref, True
    return vn, r, False


def synapse_factors(tau, dt: float):
    """``(init, decay)`` of an exponential synapse of time constant ``tau`` (ms) at step ``dt``:
    ``init = tau/dt (1 - e^{-dt/tau})`` (``decay_and_init``), ``decay = e^{-dt/tau}``."""
    return mean_decay(tau, dt), np.exp(-dt / np.asarray(tau, dtype=np.float64))


def refractory_ticks(tau_refrac, dt: float):
    """``ceil(tau_refrac / dt)`` (``lif_ceil_accum``), with a tolerance of 1e-9 for binary fractions."""
    return np.ceil(np.asarray(tau_refrac, dtype=np.float64) / dt - 1e-9)


def membrane_columns(p: dict, dt: float, i_inj=0.0) -> list:
    """The membrane columns of :func:`lif_tick`, in its order: ``r_m, exp_tc, alpha_rest,
    v_thresh, v_reset, n_ref`` (``i_inj`` an injected current, nA, added to ``i_offset``)."""
    tau_m, cm = np.asarray(p["tau_m"], np.float64), np.asarray(p["cm"], np.float64)
    r_m = tau_m / cm
    return [r_m, np.exp(-dt / tau_m), r_m * (np.asarray(p["i_offset"]) + i_inj) + p["v_rest"],
            p["v_thresh"], p["v_reset"], refractory_ticks(p["tau_refrac"], dt)]
