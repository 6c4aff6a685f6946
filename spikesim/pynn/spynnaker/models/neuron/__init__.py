"""``spynnaker.pyNN.models.neuron``."""
