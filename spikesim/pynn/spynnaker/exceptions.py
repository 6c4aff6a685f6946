"""sPyNNaker's exception classes (``spynnaker.pyNN.exceptions``), raised by the front end
where sPyNNaker raises them.

- :class:`SpynnakerException`: the base of them all.
- :class:`ConfigurationException`: a request the configuration cannot satisfy (sPyNNaker
  takes it from ``spinn_front_end_common``), e.g. ``get_data`` of a variable that was not
  recorded.
- :class:`SynapticConfigurationException`: plastic projections onto one population with
  different STDP rules (sPyNNaker keeps one rule per postsynaptic population).
- :class:`SpynnakerConnectionError`: a connector that cannot be realised (e.g. more
  connections without replacement than there are partners); it is also PyNN's
  ``ConnectionError``, so PyNN-style code that catches that still does.
"""
from pyNN import errors as _errors


class SpynnakerException(Exception):
    """Base of sPyNNaker's exceptions."""


class ConfigurationException(SpynnakerException):
    """A request that the configuration cannot satisfy."""


class SynapticConfigurationException(ConfigurationException):
    """Synapses that sPyNNaker cannot combine (different plasticity onto one population)."""


class InvalidParameterType(SpynnakerException):
    """A parameter of the wrong type."""


class SpynnakerConnectionError(SpynnakerException, _errors.ConnectionError):
    """A connector that cannot be realised for these populations."""


class SpynnakerRecordingError(ConfigurationException, _errors.RecordingError):
    """Data asked for a variable that was not recorded."""

    def __init__(self, message):
        Exception.__init__(self, message)
        self.message = message

    def __str__(self):
        return self.message
