"""Twin of CubaLIStep: CubaLIFStep's update without threshold; never spikes, ``ref`` unchanged."""
import numpy as np

SPIKES = False  # a readout: test_kernel_twins expects no spike
HET_RANGES = {"tau_m": (5.0, 30.0), "tau_syn_E": (1.0, 8.0), "v_rest": (-70.0, -50.0)}


def step(rows, ref, inputs, c):
    v, ie, ii = rows
    ie = c["p11e"] * ie + c["ib_e"] + inputs[0]
    ii = c["p11i"] * ii + c["ib_i"] + inputs[1]
    vn = c["p22"] * v + c["k"] * (ie + ii) + c["v_const"]
    return [vn, ie, ii], ref, np.zeros(np.shape(vn), bool)


def random_state(rng, n):
    return [rng.uniform(-70, -45, n), rng.uniform(0, 2, n), rng.uniform(-2, 2, n)]
