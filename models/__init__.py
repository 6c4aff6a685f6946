"""Published network models built on the spikesim API (installed as ``spikesim.models``)."""
from .lsm import Liquid, LSMParams  # noqa: F401  (LSM / NALSM, Ivanov & Michmizos 2021)
