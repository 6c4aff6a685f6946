"""The Potjans & Diesmann (2014) cortical microcircuit (``spikesim.models.microcircuit``).

:func:`microcircuit` builds it with the spikesim API; :mod:`.params` holds the published
parameter tables and the down-scaling rule; :mod:`.stats` the PD14 reference-data
statistics (rates, ISI CVs, spike-count correlations, KS distances); :mod:`.bench` runs it
side by side with NEST (``spikesim bench microcircuit``).
"""
from .network import microcircuit  # noqa: F401
from . import params  # noqa: F401
