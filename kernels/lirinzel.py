"""Li-Rinzel astrocyte calcium dynamics: RK4 step and slow inward current (SIC).

Equations of NEST's ``astrocyte_lr_1994`` (NEST 3.10, ``models/astrocyte_lr_1994.cpp``),
from Li & Rinzel (1994, J. Theor. Biol. 166:461), De Young & Keizer (1992, PNAS
89:9895) and, for input and output, Nadkarni & Jung (2003, PRL 91:268101).
State per astrocyte: ``IP3`` (uM), ``Ca`` (cytosolic calcium, uM), ``h``
(fraction of IP3 receptors not inactivated by calcium). Time in ms.

.. math::

    \\frac{d[IP_3]}{dt} = \\frac{[IP_3]_0 - [IP_3]}{\\tau_{IP3}}
        + \\Delta_{IP3} J_{syn}(t)

    \\frac{d[Ca]}{dt} = J_{channel} - J_{pump} + J_{leak}, \\qquad
    \\frac{dh}{dt} = \\alpha_h (1 - h) - \\beta_h h

    c = \\max(0, \\min([Ca], Ca_{tot})), \\quad
    c_{ER} = \\frac{Ca_{tot} - c}{r_{ER}}, \\quad
    m_\\infty = \\frac{[IP_3]}{[IP_3] + K_{d,IP3,1}}, \\quad
    n_\\infty = \\frac{c}{c + K_{d,act}}

    J_{channel} = r_{ER}\\, r_{IP3R}\\, m_\\infty^3 n_\\infty^3 h^3 (c_{ER} - c), \\quad
    J_{leak} = r_{ER}\\, r_L (c_{ER} - c), \\quad
    J_{pump} = \\frac{r_{SERCA}\\, c^2}{K_{m,SERCA}^2 + c^2}

    \\alpha_h = k_{IP3R} K_{d,inh} \\frac{[IP_3] + K_{d,IP3,1}}{[IP_3] + K_{d,IP3,2}}, \\qquad
    \\beta_h = k_{IP3R}\\, c

    I_{SIC} = SIC_{scale}\\, H(\\ln y) \\ln y, \\qquad y = ([Ca] - SIC_{th}) / \\mathrm{nM}
    \\quad (\\text{pA})

``J_syn`` is a sum of delta pulses: each arriving spike adds
``delta_IP3 * weight`` to ``IP3``. As in NEST, the jumps of one step are added
after the step has been integrated, and ``Ca`` is clamped to ``[0, Ca_tot]``
after integration (here after every RK4 substep).
"""
import numpy as np

from ._config import jit

PARAMETER_NAMES = ("Ca_tot", "IP3_0", "Kd_IP3_1", "Kd_IP3_2", "Kd_act", "Kd_inh", "Km_SERCA",
                   "SIC_scale", "SIC_th", "delta_IP3", "k_IP3R", "rate_IP3R", "rate_L",
                   "rate_SERCA", "ratio_ER_cyt", "tau_IP3")
NPAR = len(PARAMETER_NAMES)
(CA_TOT, IP3_0, KD_IP3_1, KD_IP3_2, KD_ACT, KD_INH, KM_SERCA, SIC_SCALE, SIC_TH, DELTA_IP3,
 K_IP3R, RATE_IP3R, RATE_L, RATE_SERCA, RATIO_ER_CYT, TAU_IP3) = range(NPAR)


@jit
def rhs(ip3, ca, h, par):
    """Time derivatives ``(dIP3/dt, dCa/dt, dh/dt)`` (uM/ms, uM/ms, 1/ms) without input."""
    c = min(max(ca, 0.0), par[CA_TOT])
    alpha = par[K_IP3R] * par[KD_INH] * (ip3 + par[KD_IP3_1]) / (ip3 + par[KD_IP3_2])
    beta = par[K_IP3R] * c
    c2 = c * c
    pump = par[RATE_SERCA] * c2 / (par[KM_SERCA] * par[KM_SERCA] + c2)
    m = ip3 / (ip3 + par[KD_IP3_1])
    nn = c / (c + par[KD_ACT])
    c_er = (par[CA_TOT] - c) / par[RATIO_ER_CYT]
    leak = par[RATIO_ER_CYT] * par[RATE_L] * (c_er - c)
    mnh = m * nn * h
    channel = par[RATIO_ER_CYT] * par[RATE_IP3R] * mnh * mnh * mnh * (c_er - c)
    return (par[IP3_0] - ip3) / par[TAU_IP3], channel - pump + leak, alpha * (1.0 - h) - beta * h


@jit
def advance(ip3, ca, h, drive, par, length, n_sub):
    """Advance every astrocyte by ``length`` ms in ``n_sub`` classical RK4 substeps, in place.

    After the integration ``IP3 += delta_IP3 * drive`` (``drive``: summed
    weights of the spikes that arrived during the step).

    Parameters
    ----------
    ip3, ca, h : float64 arrays (n,)
        State (uM, uM, 1), updated in place.
    drive : float64 array (n,)
        Summed input weights per astrocyte.
    par : float64 array (NPAR,)
        Parameters in the order of :data:`PARAMETER_NAMES`.
    length : float
        Step length in ms (> 0).
    n_sub : int
        Number of equal RK4 substeps (>= 1).
    """
    dt = length / n_sub
    half = 0.5 * dt
    ca_tot = par[CA_TOT]
    for i in range(ip3.shape[0]):
        x, y, z = ip3[i], ca[i], h[i]
        for _ in range(n_sub):
            k1x, k1y, k1z = rhs(x, y, z, par)
            k2x, k2y, k2z = rhs(x + half * k1x, y + half * k1y, z + half * k1z, par)
            k3x, k3y, k3z = rhs(x + half * k2x, y + half * k2y, z + half * k2z, par)
            k4x, k4y, k4z = rhs(x + dt * k3x, y + dt * k3y, z + dt * k3z, par)
            x = x + dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
            y = y + dt / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
            z = z + dt / 6.0 * (k1z + 2.0 * k2z + 2.0 * k3z + k4z)
            y = min(max(y, 0.0), ca_tot)
        ip3[i] = x + par[DELTA_IP3] * drive[i]
        ca[i] = y
        h[i] = z


@jit
def sic(ca, par, out):
    """Slow inward current (pA) of every astrocyte into ``out``: ``SIC_scale ln(y)`` if ``y > 1``."""
    for i in range(ca.shape[0]):
        y = (ca[i] - par[SIC_TH]) * 1000.0
        out[i] = np.log(y) * par[SIC_SCALE] if y > 1.0 else 0.0
