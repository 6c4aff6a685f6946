"""PyNN current sources of the spikesim backend: DCSource, StepCurrentSource, ACSource,
NoisyCurrentSource, each backed by the spikesim source of the same name, with PyNN's
``record()`` / ``get_data()`` of the injected current.
"""
from __future__ import annotations

import numpy as np
from pyNN import errors
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import StandardCurrentSource, electrodes

import spikesim as ss
from spikesim.currents import CurrentSource

from .model_base import _identity
from .simulator import state

class _Proxy(CurrentSource):
    """What the spikesim network holds: the schedule of a PyNN current source, read live."""

    def __init__(self, owner):
        self.owner = owner

    @property
    def sampled(self):
        return self.owner._ss_source.sampled

    def bound(self):
        return self.owner._ss_source.bound()

    @property
    def per_target(self):
        return getattr(self.owner._ss_source, "per_target", False)

    def schedule(self, dt=None, until=None, *args):
        return self.owner._ss_source.schedule(dt, until, *args)


class _CurrentSource(StandardCurrentSource):
    """A PyNN current source backed by a spikesim DCSource / StepCurrentSource."""

    def __init__(self, **parameters):
        object.__setattr__(self, "_targets", [])
        super().__init__(**parameters)
        ps = self.translate(self.parameter_space)
        ps.shape = (1,)
        ps.evaluate(simplify=True)
        object.__setattr__(self, "_native", dict(ps.items()))
        self._rebuild()

    def _rebuild(self):
        object.__setattr__(self, "_ss_source", self._make(self._native))

    def set_native_parameters(self, parameters):
        parameters.shape = (1,)
        parameters.evaluate(simplify=True)
        old = dict(self._native)
        self._native.update(parameters.items())
        try:
            self._rebuild()
        except (TypeError, ValueError) as exc:
            self._native.clear()
            self._native.update(old)
            raise errors.InvalidParameterValueError(str(exc)) from None
        state.net._runtime.invalidate()  # the schedule changed: the runtime re-reads it

    def get_native_parameters(self):
        # as pyNN.nest does: plain floats and arrays (so that ``source.times[0]`` works)
        return ParameterSpace({k: (np.asarray(v.value) if isinstance(v, Sequence) else v)
                               for k, v in self._native.items()})

    def record(self):
        """Record the injected current (read with :meth:`get_data`)."""
        object.__setattr__(self, "_recording", True)

    def _get_data(self):
        """``(times ms, current nA)`` on the time grid from 0 to the current time.

        The value at ``t`` is the current applied over the step that starts at ``t`` (PyNN's
        convention); a per-target noise source reports its first target's current.
        """
        if not getattr(self, "_recording", False):
            raise errors.RecordingError("current", "record() was not called for this source")
        from spikesim.currents import amplitude_at, injection_schedule

        net, dt = state.net, state.dt
        n = net.step
        k = next((i for i, (src, _, _) in enumerate(net.injections)
                  if isinstance(src, _Proxy) and src.owner is self), None)
        if k is None:
            times, amps = self._ss_source.schedule(dt, n * dt, *((np.zeros(1, np.int64), 0)
                                                              if getattr(self._ss_source,
                                                                         "per_target", False)
                                                              else ()))
        else:
            times, amps = injection_schedule(net, k, n * dt)
        steps = np.rint(np.asarray(times) / dt).astype(np.int64)
        amps = np.asarray(amps, np.float64)
        amps = amps[:, 0] if amps.ndim == 2 else amps
        i = np.array([amplitude_at(steps, amps, s) for s in range(n + 1)])
        return np.arange(n + 1) * dt, i

    def inject_into(self, cells):
        from .populations import split_by_population

        for pop, idx in split_by_population(cells):
            if not pop.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
            state.net.inject(_Proxy(self), pop._ss[idx])
            self._targets.append((pop, idx))


class DCSource(_CurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = _identity(electrodes.DCSource)

    @staticmethod
    def _make(p):
        try:
            return ss.DCSource(amplitude=float(p["amplitude"]), start=float(p["start"]),
                               stop=float(p["stop"]))
        except (TypeError, ValueError) as exc:
            raise errors.InvalidParameterValueError(str(exc)) from None


class StepCurrentSource(_CurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = _identity(electrodes.StepCurrentSource)

    @staticmethod
    def _make(p):
        """Times go onto the time grid (as in ``pyNN.nest``); of several that land on one step,
        the last amplitude wins. ``p`` is updated to the mapped times and amplitudes."""
        times, amps = p["times"], p["amplitudes"]
        times = np.asarray(times.value if isinstance(times, Sequence) else times, np.float64)
        amps = np.asarray(amps.value if isinstance(amps, Sequence) else amps, np.float64)
        try:
            ss.StepCurrentSource(times, amps)  # checks signs, order, lengths, naming them
        except (TypeError, ValueError) as exc:
            raise errors.InvalidParameterValueError(str(exc)) from None
        if times.size:
            steps = np.rint(times / state.dt)
            last = np.r_[steps[1:] != steps[:-1], True]
            times, amps = steps[last] * state.dt, amps[last]
            p["times"], p["amplitudes"] = Sequence(times), Sequence(amps)
            return ss.StepCurrentSource(times, amps)
        return ss.StepCurrentSource(np.zeros(1), np.zeros(1))


class ACSource(_CurrentSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__ + """
    spikesim samples the current at the start of every step (see :class:`spikesim.ACSource`).
    """
    translations = _identity(electrodes.ACSource)

    @staticmethod
    def _make(p):
        try:
            return ss.ACSource(**{k: float(p[k]) for k in ("amplitude", "offset", "frequency",
                                                            "phase", "start", "stop")})
        except (TypeError, ValueError) as exc:
            raise errors.InvalidParameterValueError(str(exc)) from None


class NoisyCurrentSource(_CurrentSource, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__ + """
    spikesim: :class:`spikesim.NoisyCurrentSource` (independent noise per target, as NEST's
    ``noise_generator``; ``dt`` a whole number of steps).
    """
    translations = _identity(electrodes.NoisyCurrentSource)

    @staticmethod
    def _make(p):
        try:
            return ss.NoisyCurrentSource(**{k: float(p[k]) for k in ("mean", "stdev", "start",
                                                                      "stop", "dt")})
        except (TypeError, ValueError) as exc:
            raise errors.InvalidParameterValueError(str(exc)) from None
