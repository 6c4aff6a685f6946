"""Parameters of the Potjans & Diesmann (2014) cortical microcircuit, and the scaling rule.

Pure NumPy (no spikesim import): the NEST child of ``spikesim bench microcircuit``
loads this file by path, so that both simulators build the model from the same
numbers.

Sources (every table below names its own):

- [PD14] Potjans TC, Diesmann M (2014) The cell-type specific cortical microcircuit:
  relating structure and activity in a full-scale spiking network model.
  Cereb Cortex 24:785-806, Tables 4 and 5.
- [INM6] INM-6/microcircuit-PD14-model, ``PyNEST/src/microcircuit/parameter_definitions.py``
  and ``helpers.py`` (the reference implementation; same values as the NEST example
  ``pynest/examples/Potjans_2014/network_params.py`` except where noted).
- [NEST] nest-simulator, ``pynest/examples/Potjans_2014`` (``network_params.py``,
  ``network.py``): connection rule ``fixed_total_number`` with NEST's defaults
  (autapses and multapses allowed), weight and delay ``redraw`` bounds, the doubled
  L4E -> L2/3E weight.

Units are NEST's here (pA, pF, mV, ms, Hz); :mod:`.network` converts to PyNN's.
"""
from __future__ import annotations

import warnings

import numpy as np

#: Population names, in the order of every table [PD14 Table 4; INM6 ``populations``].
POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")

#: Neurons per population at full scale [PD14 Table 5 "N"; INM6 ``full_num_neurons``].
FULL_NUM_NEURONS = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])

#: Connection probabilities, row = target, column = source [PD14 Table 5; INM6 ``conn_probs``].
CONN_PROBS = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])

#: Neuron model ``iaf_psc_exp`` / PyNN ``IF_curr_exp`` [PD14 Table 5; INM6 E_L, V_th, V_reset,
#: C_m, tau_m, t_ref, tau_syn].
NEURON = dict(E_L=-65.0, V_th=-50.0, V_reset=-65.0, C_m=250.0, tau_m=10.0, t_ref=2.0,
              tau_syn=0.5)

#: Mean excitatory PSP amplitude (mV), relative weight of inhibition, relative SD of weights
#: [PD14 Table 5: w = 87.8 pA = 0.15 mV, g = -4, sd 10 %; INM6 PSP_exc_mean, g, weight_rel_std].
PSP_EXC_MEAN, G, WEIGHT_REL_STD = 0.15, -4.0, 0.1
#: Mean delays (ms) of excitatory and inhibitory connections and their relative SD
#: [PD14 Table 5: 1.5 +- 0.75 ms and 0.8 +- 0.4 ms; INM6/NEST use 0.75 ms for inhibition].
DELAY_EXC_MEAN, DELAY_INH_MEAN, DELAY_REL_STD = 1.5, 0.75, 0.5

#: External (cortico-cortical) in-degrees per population, their rate (Hz) and delay (ms)
#: [PD14 Table 5 "K_ext", nu_bg = 8 Hz; INM6 K_ext, bg_rate, delay_poisson].
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
BG_RATE, DELAY_POISSON = 8.0, 1.5

#: Full-scale mean rates (Hz) used to compensate in-degree scaling [INM6 ``full_mean_rates``;
#: the NEST example uses slightly different numbers from an older NEST version].
FULL_MEAN_RATES = np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])

#: Initial membrane potentials, "optimized" (per population, normal) [INM6 V0_mean_optimized,
#: V0_std_optimized].
V0_MEAN = np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43])
V0_STD = np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48])

#: Published mean rates of the full-scale model with Poisson drive (Hz), for the bench's
#: comparison [PD14 Fig. 6 / INM6 reference data; the same numbers as FULL_MEAN_RATES].
PUBLISHED_RATES = FULL_MEAN_RATES

DT = 0.1  # ms [INM6 sim_resolution]


def psc_over_psp(C_m: float, tau_m: float, tau_syn: float) -> float:
    """pA of a PSC whose PSP peaks at 1 mV [INM6 ``postsynaptic_potential_to_current``]."""
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / C_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac ** tau_m - frac ** tau_syn))


def full_num_synapses() -> np.ndarray:
    """Total synapses per (target, source) at full scale [INM6 ``num_synapses_from_conn_probs``]:
    ``log(1 - C) / log(1 - 1/(N_pre N_post))``, the number of independent draws of a pair
    that give each pair a connection with probability ``C`` (PD14 Eq. 1)."""
    prod = np.outer(FULL_NUM_NEURONS, FULL_NUM_NEURONS).astype(np.float64)
    return np.log(1.0 - CONN_PROBS) / np.log((prod - 1.0) / prod)


def derive(scale: float = 1.0, k_scale: float | None = None, drive: str = "poisson") -> dict:
    """Every number the network is built from, for neuron scaling ``scale`` and in-degree
    scaling ``k_scale`` (default: ``scale``), as the NEST/PyNN versions derive them
    [INM6 ``network.py: __derive_parameters``, ``helpers.adjust_weights_and_input_to_synapse_scaling``].

    - neurons ``round(N_full * scale)``; synapses ``round(K_full * scale * k_scale)`` per pair;
    - external in-degrees ``round(K_ext * k_scale)`` (Poisson rate ``8 Hz x`` that);
    - below ``k_scale = 1`` weights (recurrent and external) are divided by ``sqrt(k_scale)``
      and a DC current ``1e-3 tau_syn (1 - sqrt(k_scale)) * (recurrent input at the full-scale
      rates [+ the external input with Poisson drive])`` keeps the mean input;
    - ``drive="dc"`` replaces the Poisson input by its mean, ``1e-3 nu_bg K_ext w_ext tau_syn``.

    Returns a dict (NEST units: pA, mV, ms, Hz) with ``num_neurons`` (8,), ``num_synapses``
    (8, 8) target x source, ``weight_mean`` (8, 8) pA, ``delay_mean`` (8, 8) ms,
    ``ext_indegrees`` (8,), ``poisson_rate`` (8,) Hz (0 with DC drive), ``weight_ext`` pA,
    ``dc_amp`` (8,) pA and the scalars of this module.
    """
    scale = float(scale)
    k_scale = scale if k_scale is None else float(k_scale)
    if not (np.isfinite(scale) and 0 < scale <= 1):
        raise ValueError(f"scale must be in (0, 1], got {scale!r}")
    if not (np.isfinite(k_scale) and 0 < k_scale <= 1):
        raise ValueError(f"k_scale must be in (0, 1], got {k_scale!r}")
    if drive not in ("poisson", "dc"):
        raise ValueError(f"drive must be 'poisson' or 'dc', got {drive!r}")
    full_syn = full_num_synapses()
    num_neurons = np.round(FULL_NUM_NEURONS * scale).astype(int)
    num_synapses = np.round(full_syn * scale * k_scale).astype(np.int64)
    ext_indegrees = np.round(K_EXT * k_scale).astype(int)
    conv = psc_over_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn"])
    psp = np.zeros((8, 8))
    psp[:, 0::2] = PSP_EXC_MEAN
    psp[:, 1::2] = PSP_EXC_MEAN * G
    psp[0, 2] = 2.0 * PSP_EXC_MEAN  # L4E -> L2/3E doubled [PD14 Table 5; NEST network_params]
    w = psp * conv
    w_ext = PSP_EXC_MEAN * conv
    tau_syn = NEURON["tau_syn"]
    dc = np.zeros(8) if drive == "poisson" else BG_RATE * K_EXT * w_ext * tau_syn * 1e-3
    if k_scale != 1.0:
        indeg = full_syn / FULL_NUM_NEURONS[:, None]
        input_rec = np.sum(w * indeg * FULL_MEAN_RATES, axis=1)
        dc = dc + 1e-3 * tau_syn * (1.0 - np.sqrt(k_scale)) * input_rec
        if drive == "poisson":
            dc = dc + 1e-3 * tau_syn * (1.0 - np.sqrt(k_scale)) * w_ext * K_EXT * BG_RATE
        w = w / np.sqrt(k_scale)
        w_ext = w_ext / np.sqrt(k_scale)
        if drive == "dc":  # as INM6 network.py: the down-scaled DC may leave neurons silent
            rheobase = NEURON["C_m"] * (NEURON["V_th"] - NEURON["E_L"]) / NEURON["tau_m"]
            low = [p for p, a in zip(POPULATIONS, dc) if a < rheobase]
            if low:
                warnings.warn(f"microcircuit: populations {low} are sub-threshold with the "
                              f"down-scaled DC input (k_scale={k_scale:g}) and may not fire",
                              RuntimeWarning, stacklevel=3)
    delay = np.zeros((8, 8))
    delay[:, 0::2] = DELAY_EXC_MEAN
    delay[:, 1::2] = DELAY_INH_MEAN
    return dict(populations=POPULATIONS, scale=scale, k_scale=k_scale, drive=drive,
                num_neurons=num_neurons, num_synapses=num_synapses, weight_mean=w,
                weight_rel_std=WEIGHT_REL_STD, delay_mean=delay, delay_rel_std=DELAY_REL_STD,
                ext_indegrees=ext_indegrees,
                poisson_rate=(BG_RATE * ext_indegrees).astype(float) if drive == "poisson"
                else np.zeros(8),
                weight_ext=float(w_ext), delay_poisson=DELAY_POISSON, dc_amp=dc,
                neuron=dict(NEURON), v0_mean=V0_MEAN.copy(), v0_std=V0_STD.copy(), dt=DT)
