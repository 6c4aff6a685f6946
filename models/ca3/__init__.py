"""The CA3 content-addressable memory (Casanueva-Morato et al. 2024, Neural Networks).

Modules: :mod:`.memory` (the network and its operations), :mod:`.params` (the paper's
parameters and their mapping onto spikesim's update order), :mod:`.protocols` (operation
streams), :mod:`.experiments` (capacity, spacing, robustness) and :mod:`.cli`
(``spikesim ca3``).
"""
from .memory import DEFAULT_SPACING, KINDS, CA3Memory, Op, OpResult  # noqa: F401
