"""PyNN's composed cell types on spikesim: ``PointNeuron`` of ``LIF`` or ``AdExp`` with named
post-synaptic responses, on spikesim's multisynapse models.
"""
from __future__ import annotations

from pyNN import errors
from pyNN.parameters import ParameterSpace
from pyNN.standardmodels import cells
from pyNN.standardmodels import receptors as _receptors

import spikesim as ss

from .model_base import _CellType, _identity

class LIF(cells.LIF):
    __doc__ = cells.LIF.__doc__ + "\n    spikesim: only as the neuron of a :class:`PointNeuron`."
    translations = _identity(cells.LIF)


class AdExp(cells.AdExp):
    __doc__ = cells.AdExp.__doc__ + "\n    spikesim: only as the neuron of a :class:`PointNeuron`."
    translations = _identity(cells.AdExp)


class CurrExpPostSynapticResponse(_receptors.CurrExpPostSynapticResponse):
    __doc__ = _receptors.CurrExpPostSynapticResponse.__doc__
    translations = _identity(_receptors.CurrExpPostSynapticResponse)
    recordable = list(_receptors.CurrExpPostSynapticResponse.default_initial_values)


class CondAlphaPostSynapticResponse(_receptors.CondAlphaPostSynapticResponse):
    __doc__ = _receptors.CondAlphaPostSynapticResponse.__doc__
    translations = _identity(_receptors.CondAlphaPostSynapticResponse)
    recordable = list(_receptors.CondAlphaPostSynapticResponse.default_initial_values)


class CondExpPostSynapticResponse(_receptors.CondExpPostSynapticResponse):
    __doc__ = (_receptors.CondExpPostSynapticResponse.__doc__
               + "\n    spikesim: no PointNeuron takes it yet (NotImplementedError).")
    translations = _identity(_receptors.CondExpPostSynapticResponse)
    recordable = list(_receptors.CondExpPostSynapticResponse.default_initial_values)


AlphaPSR = CondAlphaPostSynapticResponse

#: (neuron component, post-synaptic response) -> spikesim model with K_MAX receptors r0..r3
_COMPOSED = {(LIF, CurrExpPostSynapticResponse): ss.LIFMultisynExp,
             (AdExp, CondAlphaPostSynapticResponse): ss.AdExpMultisynAlpha}


class PointNeuron(_CellType, cells.PointNeuron):
    """PyNN's composed point neuron on spikesim's multisynapse models.

    ``PointNeuron(LIF(...), **{name: CurrExpPostSynapticResponse(...)})`` runs as
    :class:`spikesim.LIFMultisynExp`, ``PointNeuron(AdExp(...), **{name: AlphaPSR(...)})`` as
    :class:`spikesim.AdExpMultisynAlpha`. The receptors, in PyNN's order (sorted names,
    ``receptor_types``), are the model's ``r0``, ``r1``, ...: ``"AMPA.tau_syn"`` is the
    parameter ``tau_syn_<k>``, ``"AMPA.gsyn"`` / ``"AMPA.isyn"`` the state ``gsyn_<k>`` /
    ``isyn_<k>``. At most four receptors, all of one kind; other neurons or responses raise
    ``NotImplementedError`` naming them.
    """

    def __init__(self, neuron, **post_synaptic_receptors):
        kinds = sorted({type(p).__name__ for p in post_synaptic_receptors.values()})
        if not post_synaptic_receptors:
            raise NotImplementedError("PointNeuron without post-synaptic receptors is not "
                                      "available in spikesim.pynn")
        if len(kinds) > 1:
            raise NotImplementedError(f"PointNeuron with mixed post-synaptic responses {kinds} "
                                      "is not available in spikesim.pynn (one kind per cell)")
        key = (type(neuron), type(next(iter(post_synaptic_receptors.values()))))
        ss_class = _COMPOSED.get(key)
        if ss_class is None:
            raise NotImplementedError(
                f"PointNeuron({type(neuron).__name__}, {kinds[0]}) is not available in "
                "spikesim.pynn (available: "
                + ", ".join(f"{a.__name__} with {b.__name__}" for a, b in _COMPOSED) + ")")
        k_max = ss_class.model.K_MAX
        if len(post_synaptic_receptors) > k_max:
            raise NotImplementedError(
                f"PointNeuron with {len(post_synaptic_receptors)} receptors: spikesim's "
                f"{ss_class.__name__} has at most K_MAX = {k_max}")
        cells.PointNeuron.__init__(self, neuron, **post_synaptic_receptors)
        self._ss_class = ss_class
        self._index = {name: k for k, name in enumerate(self.receptor_types)}

    # ------------------------------------------------------------ names PyNN <-> spikesim
    def _native(self, name: str) -> str:
        if "." not in name:
            return name
        rec, par = name.split(".", 1)
        if rec not in self._index:
            raise errors.NonExistentParameterError(name, "PointNeuron", self.get_parameter_names())
        return f"{par}_{self._index[rec]}"

    def _standard(self, native: str) -> str:
        head, _, k = native.rpartition("_")
        if head and k.isdigit() and int(k) < len(self._index):
            return f"{self.receptor_types[int(k)]}.{head}"
        return native

    def ss_receptor(self, receptor_type: str) -> str:
        """The spikesim receptor (``r<k>``) of a PyNN receptor name."""
        return f"r{self._index[receptor_type]}"

    def ss_variable(self, variable: str) -> str:
        """The spikesim state variable of a PyNN recordable / initial value (``AMPA.gsyn``)."""
        return self._native(variable)

    def get_parameter_names(self):
        return list(self.get_schema())

    def get_schema(self):
        schema = {k: float for k in self.neuron.default_parameters}
        for rec, psr in self.post_synaptic_receptors.items():
            schema.update({f"{rec}.{k}": float for k in psr.default_parameters if k != "locations"})
        return schema

    @property
    def native_parameters(self):
        out = {k: v for k, v in self.neuron.parameter_space.items()}
        for rec, psr in self.post_synaptic_receptors.items():
            out.update({self._native(f"{rec}.{k}"): v for k, v in psr.parameter_space.items()
                        if k != "locations"})
        return ParameterSpace(out, shape=self.parameter_space.shape)

    def get_native_names(self, *names):
        return [self._native(n) for n in (names or self.get_schema())]

    def translate(self, parameters, copy=True):
        parameters.flatten()
        return ParameterSpace({self._native(k): v for k, v in parameters.items()
                               if not isinstance(v, ParameterSpace)}, shape=parameters.shape)

    def reverse_translate(self, native_parameters):
        return ParameterSpace({self._standard(k): v for k, v in native_parameters.items()},
                              shape=native_parameters.shape)

    def computed_parameters_include(self, parameter_names):
        return False
