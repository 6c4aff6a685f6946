"""sPyNNaker's splitters: how a population is cut into machine vertices on the board.

Scripts hand one to a population with ``additional_parameters={"splitter": ...}``. spikesim
has no cores or machine vertices, so a splitter is accepted and changes nothing; it keeps
its arguments for inspection.
"""


class _Splitter:
    def __init__(self, *args, **kwargs) -> None:
        self.args, self.kwargs = args, kwargs

    def __repr__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{type(self).__name__}({', '.join(parts)})"


class SplitterAbstractPopulationVertexFixed(_Splitter):
    """Neurons and synapses on the same cores (sPyNNaker's default). No effect here."""


class SplitterAbstractPopulationVertexNeuronsSynapses(_Splitter):
    """Neurons and synapses on separate cores (``n_synapse_vertices``, ...). No effect here."""


class SplitterPoissonDelegate(_Splitter):
    """Poisson sources folded into their targets' cores. No effect here."""


class SplitterFixedLegacy(_Splitter):
    """Legacy one-vertex-per-core split. No effect here."""
