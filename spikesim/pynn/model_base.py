"""What every PyNN model type of the spikesim backend shares.

Every translation is the identity: spikesim uses PyNN's parameter names and units, so the
"native" parameters of a model are its PyNN parameters.
"""
from __future__ import annotations

from pyNN.standardmodels import build_translations


def _identity(model) -> dict:
    return build_translations(*[(name, name) for name in model.default_parameters])


class _CellType:
    """Mixin: initial values may be given to the constructor (sPyNNaker's ``IF_curr_exp(v=-60)``)."""

    _ss_class = None

    def __init__(self, **parameters):
        initial = {k: parameters.pop(k) for k in list(parameters)
                   if k in type(self).default_initial_values}
        super().__init__(**parameters)
        if initial:
            self.default_initial_values = {**type(self).default_initial_values, **initial}

    @staticmethod
    def to_spikesim_parameters(native: dict) -> dict:
        return {k: v for k, v in native.items() if k != "_size"}
