"""Neuron models: one module each, read by the engine generator and the API layer.

A model module declares everything about its neuron; nothing outside it names
the model. The engine (:mod:`spikesim.kernels.codegen`) reads these names:

``NAME``
    PyNN / sPyNNaker cell-type name, e.g. ``"IF_curr_exp"``.
``STATE``
    State variables in row order, with PyNN's recordable names; ``"v"`` first.
``RECEPTORS``
    Receptor types in ring-buffer order (a projection's ``receptor_type``).
``COLUMNS``
    Kernel parameter columns, in the order :func:`step` takes them.
``INT_COLUMNS``
    Columns passed to :func:`step` as ``int16`` (step counts).
``SWITCH_COLUMNS``
    0/1 columns the homogeneous loop is compiled for both values of (so the
    common case carries no test in its inner loop).
``step(*state, r, *inputs, *columns) -> (*state, r, spike)``
    One time step of one neuron, a scalar ``@njit`` function with no Python
    objects: ``r`` is the int16 refractory countdown, ``inputs`` this step's
    ring-buffer input per receptor.
``FUSE`` (optional)
    ``dict(receptor, into, equal, state)``: with ``Network(fuse_receptors=True)``,
    receptor ``receptor`` may deliver into ring plane ``into`` when the two
    parameters ``equal`` hold equal values (both inputs then obey one linear
    equation); the block loop passes 0 as its input, and the summed current
    lives in ``state[1]`` while ``state[0]`` stays 0.
``columns(p, dt, i_inj) -> ndarray``
    NumPy: the columns from the PyNN parameters ``p`` (floats or arrays), the
    step ``dt`` (ms) and an injected current ``i_inj`` (nA). Shape
    ``(len(COLUMNS),)`` or ``(len(COLUMNS), n)``.

and these for the API layer and the exporters:

``PARAMETERS`` (defaults, PyNN names), ``UNITS``, ``POSITIVE``,
``NON_NEGATIVE``, ``FLAGS`` (0/1 parameters), ``EXTENSIONS`` (spikesim-only
flags that exporters refuse when set), ``check(p)`` (relations between
parameters, raises ``ValueError``), ``INITIAL`` (initial values of the state
variables, numbers or parameter names), ``CONDUCTANCE`` (optional, True when
weights are conductances), ``TICK_VALUES`` (optional: state variables that hold the
value used during the last step rather than the value at its end; SpiNNaker-style
models, whose recordings the sPyNNaker front end moves one step back), and ``TRANSLATIONS``, the rows the exporters and
the NEST backend read:

- ``"pynn"``: PyNN / sPyNNaker cell name (or None);
- ``"nest"``: ``(NEST model, {pynn parameter: (NEST parameter, scale)})``;
- ``"nest_derived"`` (optional): ``p -> {NEST parameter: value}`` for NEST
  parameters that are not one PyNN parameter times a scale;
- ``"nest_state"``: ``{state variable: (NEST name, factor NEST -> spikesim)}``;
- ``"nest_initial"`` (optional, default ``("v",)``): state NEST lets a script set;
- ``"nest_receptors"``: ``{receptor: (NEST receptor port, weight sign)}``;
- ``"nir"``: ``(NIR node type, {NIR field: fn(p, f)}, metadata parameters)`` or None:
  ``p`` the per-neuron parameters, ``f`` the factor from ms to the graph's time unit;
- ``"spinnaker"``: sPyNNaker name or None.

``LIBRARY`` lists the model modules this package ships, by module name.
"""
LIBRARY = ("if_curr_exp", "if_cond_exp", "izhikevich", "eif_cond_exp_isfa_ista",
           "eif_cond_alpha_isfa_ista", "hh_cond_exp", "if_curr_exp_ca2_adaptive", "if_curr_exp_semd", "if_cond_exp_stoc", "if_curr_alpha", "if_cond_alpha", "if_curr_delta", "if_curr_dual_exp",
           "izk_curr_exp", "izk_cond_exp", "lif_multisyn_exp", "adex_multisyn_alpha",
           "if_curr_exp_spinnaker", "if_cond_exp_spinnaker", "if_curr_delta_spinnaker",
           "cuba_lif_step",
           "cuba_li_step")
