"""The NALSM astrocyte (Ivanov & Michmizos 2021, NeurIPS), over flat arrays.

Per step, with ``c`` the signed count of the spikes an astrocyte listens to in the step:

.. math::

    A \\leftarrow A + \\frac{dt}{\\tau_A} (w_A c + b_A - A), \\qquad
    (A, w_A, b_A) \\leftarrow g (A, w_A, b_A)

where ``g`` is the per-step decay factor (1 for none). How ``A`` scales plasticity is in
:mod:`.plasticity` (``Plastic.astro_side``).
"""
from collections import namedtuple

from ._config import jit

Astro = namedtuple("Astro", [
    "A",      # float64 (n_astro,)
    "par",    # float64 (n_astro, 4): dt / tau_A, w_A, b_A, per-step decay g
    "nb_ptr",  # int64 (N + 1,): astrocytes listening to neuron j: nb_astro[nb_ptr[j]:nb_ptr[j+1]]
    "nb_astro",  # int32
    "nb_sign",  # float64: +1 (counts) or -1 (subtracts)
    "acc",    # float64 (n_astro,): scratch
    "A_prev",  # float64 (n_astro,): A before the last step (what the two-thread loop's
               # potentiation, one step late, reads)
])


@jit
def step_astrocytes(spikes, ns, ast):
    """Advance every NALSM astrocyte by one step with the spikes of the step."""
    n_a = ast.A.shape[0]
    if n_a == 0:
        return
    for a in range(n_a):
        ast.acc[a] = 0.0
        ast.A_prev[a] = ast.A[a]
    for m in range(ns):
        j = spikes[m]
        for e in range(ast.nb_ptr[j], ast.nb_ptr[j + 1]):
            ast.acc[ast.nb_astro[e]] += ast.nb_sign[e]
    for a in range(n_a):
        p = ast.par[a]
        A = ast.A[a] + p[0] * (p[1] * ast.acc[a] + p[2] - ast.A[a])
        g = p[3]
        ast.A[a] = A * g
        p[1] *= g
        p[2] *= g
