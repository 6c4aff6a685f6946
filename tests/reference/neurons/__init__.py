"""NumPy twins of the neuron models in :mod:`spikesim.kernels.neurons`, one module each.

Each twin module has ``step(rows, ref, inputs, c)``: ``rows`` the state arrays
in the model's ``STATE`` order, ``inputs`` the receptor inputs, ``c`` a dict of
the model's columns by name (scalars or arrays). It returns
``(new_rows, new_ref, spike)``. ``random_state(rng, n)`` draws a plausible
state for tests (one from which some neurons fire in the step), and the
optional ``HET_RANGES = {parameter: (low, high)}`` names parameters the
per-neuron test draws uniformly (default: ``v_thresh`` in -55..-45 mV).
"""
import importlib


def twin(name: str):
    """The twin module of model module ``name``."""
    return importlib.import_module(f"{__name__}.{name}")


def columns_by_name(model, cols):
    """``{column name: values}`` from a ``(k,)`` or ``(k, n)`` column array."""
    return {c: cols[i] for i, c in enumerate(model.COLUMNS)}
