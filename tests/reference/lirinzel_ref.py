"""NumPy twin of :mod:`spikesim.kernels.lirinzel`: one astrocyte at a time, parameters by name."""
import numpy as np

from spikesim.kernels.lirinzel import PARAMETER_NAMES


def derivatives(y: np.ndarray, p: dict) -> np.ndarray:
    """``d/dt [IP3, Ca, h]`` of NEST's astrocyte_lr_1994, written out term by term."""
    ip3, ca, h = y
    c = np.clip(ca, 0.0, p["Ca_tot"])
    ca_er = (p["Ca_tot"] - c) / p["ratio_ER_cyt"]
    m_inf = ip3 / (ip3 + p["Kd_IP3_1"])
    n_inf = c / (c + p["Kd_act"])
    j_channel = p["ratio_ER_cyt"] * p["rate_IP3R"] * m_inf ** 3 * n_inf ** 3 * h ** 3 * (ca_er - c)
    j_leak = p["ratio_ER_cyt"] * p["rate_L"] * (ca_er - c)
    j_pump = p["rate_SERCA"] * c ** 2 / (p["Km_SERCA"] ** 2 + c ** 2)
    alpha = p["k_IP3R"] * p["Kd_inh"] * (ip3 + p["Kd_IP3_1"]) / (ip3 + p["Kd_IP3_2"])
    beta = p["k_IP3R"] * c
    return np.array([(p["IP3_0"] - ip3) / p["tau_IP3"],
                     j_channel - j_pump + j_leak,
                     alpha * (1.0 - h) - beta * h])


def advance(ip3, ca, h, drive, par, length, n_sub):
    """Same contract as the kernel, but returns new arrays instead of writing in place."""
    p = dict(zip(PARAMETER_NAMES, np.asarray(par, dtype=np.float64)))
    out = np.empty((3, len(ip3)))
    dt = length / n_sub
    for i in range(len(ip3)):
        y = np.array([ip3[i], ca[i], h[i]], dtype=np.float64)
        for _ in range(n_sub):
            k1 = derivatives(y, p)
            k2 = derivatives(y + dt / 2 * k1, p)
            k3 = derivatives(y + dt / 2 * k2, p)
            k4 = derivatives(y + dt * k3, p)
            y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            y[1] = np.clip(y[1], 0.0, p["Ca_tot"])
        y[0] += p["delta_IP3"] * drive[i]
        out[:, i] = y
    return out[0], out[1], out[2]


def sic(ca, par) -> np.ndarray:
    """SIC in pA: ``SIC_scale * ln((Ca - SIC_th) / 1 nM)`` where that log is positive, else 0."""
    p = dict(zip(PARAMETER_NAMES, np.asarray(par, dtype=np.float64)))
    y = (np.asarray(ca, dtype=np.float64) - p["SIC_th"]) * 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 1.0, p["SIC_scale"] * np.log(np.where(y > 1.0, y, 1.0)), 0.0)
