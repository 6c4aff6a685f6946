"""sPyNNaker's LIF cells: PyNN's cell types computed in SpiNNaker's discretisation.

``IF_curr_exp``, ``IF_cond_exp`` and ``IF_curr_delta`` of ``spikesim.pynn.spynnaker`` (and
``extra_models.IFCurDelta``) keep PyNN's parameters and defaults and run
:class:`spikesim.IFCurrExpSpiNNaker`, :class:`spikesim.IFCondExpSpiNNaker` and
:class:`spikesim.IFCurrDeltaSpiNNaker`.
"""
import spikesim as _ss
import spikesim.pynn as _backend


def _spinnaker_lif(base, ss_class):
    """PyNN's cell type ``base`` (same parameters and defaults) computed as SpiNNaker does; it
    records and initialises every state variable of the spikesim model (sPyNNaker's
    ``IF_curr_delta`` has ``isyn_exc`` / ``isyn_inh`` where PyNN's has ``v`` only)."""
    model = ss_class.model
    initial = {**base.default_initial_values,
               **{v: 0.0 for v in model.STATE if v not in base.default_initial_values}}
    recordable = list(base.recordable) + [v for v in model.STATE if v not in base.recordable]
    units = {**{v: model.UNITS[v] for v in model.STATE if v in model.UNITS}, **base.units}
    return type(base.__name__, (base,), {"_ss_class": ss_class, "__module__": __package__,
                                         "__doc__": ss_class.__doc__,
                                         "default_initial_values": initial,
                                         "recordable": recordable, "units": units})


IF_curr_exp = _spinnaker_lif(_backend.IF_curr_exp, _ss.IFCurrExpSpiNNaker)
IF_cond_exp = _spinnaker_lif(_backend.IF_cond_exp, _ss.IFCondExpSpiNNaker)
IF_curr_delta = _spinnaker_lif(_backend.IF_curr_delta, _ss.IFCurrDeltaSpiNNaker)
