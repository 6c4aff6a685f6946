"""Liquid state machines with astrocyte-modulated plasticity (NALSM; Ivanov & Michmizos
2021, NeurIPS).

Modules: :mod:`.liquid` (the liquid, its parameters and input encoding),
:mod:`.pipeline` (datasets, simulation, features), :mod:`.readout` (the linear readout)
and :mod:`.cli` (``spikesim lsm``).
"""
from .liquid import (MODES, Liquid, LSMParams, bernoulli_events, grid_for,  # noqa: F401
                     init_params, input_neuron_spikes, paper_synapse)
