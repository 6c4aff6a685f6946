"""``spynnaker.pyNN.models.spike_source``."""
