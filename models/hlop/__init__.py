"""Hebbian learning based orthogonal projection for continual learning (HLOP; Xiao et al.,
ICLR 2024).

Modules: :mod:`.experiment` (permuted MNIST, the continual learner, ACC/BWT),
:mod:`.snn` (the spiking network), :mod:`.subspace` (the Hebbian subspaces),
:mod:`.baselines` (fine-tuning, EWC, multitask), :mod:`.deploy` (into the spikesim kernel)
and :mod:`.cli` (``spikesim hlop``). The names of :mod:`.experiment` are loaded on first
use, so that ``spikesim.models.hlop.cli`` and ``.deploy`` do not import torch.
"""
from importlib import import_module

_EXPERIMENT = ("load_mnist_idx", "permuted_mnist", "ContinualLearner", "run_experiment", "acc_bwt",
               "SpikingMLP")
__all__ = list(_EXPERIMENT)


def __getattr__(name):
    if name in _EXPERIMENT:
        return getattr(import_module(".experiment", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
