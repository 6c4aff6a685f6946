"""``spynnaker.pyNN.models.populations``: the front end's Population and PopulationView."""
from spikesim.pynn.populations import Assembly, Population, PopulationView  # noqa: F401
