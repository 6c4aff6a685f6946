"""Parameters of the CA3 content-addressable memory and their mapping onto spikesim.

The published model (Casanueva-Morato et al., Neural Networks 2024; sPyMem's
``CA3_content_addressable``) was tuned on SpiNNaker. Three of SpiNNaker's
conventions differ from spikesim's (which are NEST's), and the model's logic
rests on exact spike coincidences, so :func:`network_spec` can translate the
published numbers (``mapping="nest"``, the default) or use them verbatim
(``mapping="published"``, kept for comparison: it does not work here).

1. **Update order (delays).** On SpiNNaker a neuron integrates an input in the
   step it arrives and may fire in that step: a hop takes ``d`` ms. Under
   NEST's order (spikesim's) an input arriving at ``t`` enters the synaptic
   current after that step's membrane update, so a hop takes ``d + 1`` ms.
   Give every population an offset ``h`` (ms it lags its SpiNNaker timing)
   and use ``d' = d + h(post) - h(pre) - 1``: every spike then occurs exactly
   ``h`` after its SpiNNaker time and every published coincidence holds.
   :func:`offsets` finds the smallest ``h`` with all ``d' >= 1`` (the graph
   is acyclic apart from cueCont's self-inhibition). Latencies grow by
   ``h(output) = 8`` ms; operation spacing (throughput) is unchanged.
2. **Membrane integration (cm).** SpiNNaker holds the synaptic current
   constant over a step; spikesim integrates it exactly and tests the
   threshold at the end of the step. One input spike of ``w`` nA then lifts
   the membrane by ``w * s_spinn / cm`` there and ``w * s_exact / cm`` here
   (:func:`step_response`); for the fast populations (``tau_m = 0.5`` ms) the
   ratio is 1.67, so a 6 nA synapse from one content bit (6 nA is the
   published ``w_max``) barely reaches threshold. The mapping divides ``cm``
   by that ratio (1.084 for ``tau_m = 3`` ms), which keeps every weight, the
   STDP bounds and amplitudes in nA as published.
3. **STDP pairing (amplitudes).** sPyNNaker treats the whole delay as
   dendritic (``delay_axonal = 0``): it pairs at ``t_post + d - t_pre``.
   spikesim's delay is axonal (``t_post - (t_pre + d)``). With the delays of
   (1), a pair that SpiNNaker sees at ``dt`` is seen here at ``dt - 1`` ms for
   every pair (independent of ``h``). Scaling ``A_plus`` by ``exp(-1/tau_plus)``
   and ``A_minus`` by ``exp(1/tau_minus)`` gives every pair the change it gets
   on SpiNNaker, except a SpiNNaker interval of exactly 0, which spikesim
   depresses by ``A_minus`` (sPyNNaker's pair rule, as its source reads, leaves
   it unchanged). Overwriting a memory forgets through exactly such pairs: a
   content neuron recalled by the cue's first spike fires in the step of the
   cue's second spike. Not checked against SpiNNaker hardware.

"All-to-all without self" between two different populations (cueCue ->
cueCont) excludes neuron ``i -> i`` as sPyNNaker's ``AllToAllConnector``
does; spikesim's and pyNN.nest's ``allow_self`` only act within one
population, so it is built as an explicit list.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

DT = 1.0  # ms, the paper's time step; the model's timing is in whole steps

NEURON = dict(tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0, v_reset=-60.0,
              v_thresh=-57.0, i_offset=0.0)
V_INIT = -60.0
OUTPUT_V_THRESH = -57.5

# name, size ("C", "K", "1", "C+K"), cm (nF), tau_m (ms), v_thresh (mV)
POPULATIONS = (
    ("cueCueRecall", "C", 0.27, 3.0, -57.0),
    ("cueContRecall", "C", 0.14, 0.5, -57.0),
    ("contCueRecall", "K", 0.27, 3.0, -57.0),
    ("contContRecall", "K", 0.27, 3.0, -57.0),
    ("contCond", "K", 0.14, 0.5, -57.0),
    ("contCondInt", "1", 0.14, 0.5, -57.0),
    ("mergeCue", "C", 0.27, 3.0, -57.0),
    ("mergeCont", "K", 0.27, 3.0, -57.0),
    ("output", "C+K", 0.27, 3.0, OUTPUT_V_THRESH),
)

# name, pre, post, connector, weight (nA; "6K" = 6 * K), delay (ms), receptor
# "input" is a SpikeSourceArray of C+K neurons (cues first); "input.cue" / "input.cont"
# and "output.cue" / "output.cont" are its / the output's two parts.
PROJECTIONS = (
    ("in_cue", "input.cue", "cueCueRecall", "one_to_one", 6.0, 1.0, "excitatory"),
    ("in_cont", "input.cont", "contCueRecall", "one_to_one", 6.0, 1.0, "excitatory"),
    ("cueCue_cueCont", "cueCueRecall", "cueContRecall", "one_to_one", 6.0, 2.0, "excitatory"),
    ("cueCue_cueCont_inh", "cueCueRecall", "cueContRecall", "all_but_self", "6K", 3.0,
     "inhibitory"),
    ("cueCont_cueCont_inh", "cueContRecall", "cueContRecall", "all_but_self", "6K", 2.0,
     "inhibitory"),
    ("cueCue_contCond_inh", "cueCueRecall", "contCond", "all_to_all", 6.0, 2.0, "inhibitory"),
    ("contCue_contCond", "contCueRecall", "contCond", "one_to_one", 9.0, 1.0, "excitatory"),
    ("contCue_contCondInt", "contCueRecall", "contCondInt", "all_to_all", 6.0, 1.0, "excitatory"),
    ("contCondInt_contCond", "contCondInt", "contCond", "all_to_all", 2.0, 1.0, "excitatory"),
    ("contCond_contCont", "contCond", "contContRecall", "one_to_one", 6.0, 1.0, "excitatory"),
    ("cue_to_cont", "cueCueRecall", "contCueRecall", "stdp", 0.0, 1.0, "excitatory"),
    ("cont_to_cue", "contContRecall", "cueContRecall", "stdp", 0.0, 1.0, "excitatory"),
    ("cueCue_mergeCue", "cueCueRecall", "mergeCue", "one_to_one", 6.0, 3.0, "excitatory"),
    ("cueCont_mergeCue", "cueContRecall", "mergeCue", "one_to_one", 6.0, 1.0, "excitatory"),
    ("contCue_mergeCont", "contCueRecall", "mergeCont", "one_to_one", 6.0, 3.0, "excitatory"),
    ("contCont_mergeCont", "contContRecall", "mergeCont", "one_to_one", 6.0, 1.0, "excitatory"),
    ("mergeCue_out", "mergeCue", "output.cue", "one_to_one", 6.0, 1.0, "excitatory"),
    ("mergeCont_out", "mergeCont", "output.cont", "one_to_one", 6.0, 1.0, "excitatory"),
)

STDP_PUBLISHED = dict(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0, w_min=0.0,
                      w_max=6.0)

# Operations (paper): learning drives the cue and the content bits at t, t+1, t+2; the next
# operation may start 7 ms after a learn and 6 ms after a recall (by cue or by content).
LEARN_SPIKES = (0.0, 1.0, 2.0)
MIN_SPACING = {"learn": 7.0, "recall": 6.0, "recall_by_content": 6.0}
# On SpiNNaker the output shows the cue 5 ms and the content 6 ms after a recall's input spike
# (by content: the given bits at +5, the cues at +6).
SPINNAKER_LATENCY = 5.0
MAPPINGS = ("nest", "published")


def step_response(tau_m: float, tau_syn: float = 0.3, dt: float = DT) -> tuple[float, float]:
    """Membrane rise (mV per nA, times cm in nF) one step after an input spike arrives.

    Returns ``(spinnaker, exact)``: SpiNNaker adds ``w * tau_syn/dt * (1 - exp(-dt/tau_syn))``
    to the synaptic current and holds it constant over the step (sPyNNaker's exponential
    synapse and closed-form LIF update); spikesim/NEST integrate ``w * exp(-t/tau_syn)``
    exactly and test the threshold at the end of the step.
    """
    spinn = tau_syn / dt * (1.0 - math.exp(-dt / tau_syn)) * tau_m * (1.0 - math.exp(-dt / tau_m))
    exact = tau_m * tau_syn / (tau_m - tau_syn) * (math.exp(-dt / tau_m) - math.exp(-dt / tau_syn))
    return spinn, exact


def _endpoint(name: str) -> str:
    return name.split(".")[0]


def offsets() -> dict:
    """Per-population lag ``h`` (ms) of the NEST-order mapping: the smallest with all ``d' >= 1``."""
    h = {"input": 0.0}
    h.update({p[0]: 0.0 for p in POPULATIONS})
    for _ in range(len(h) + 1):  # longest-path relaxation on an acyclic graph
        changed = False
        for _, pre, post, _, _, d, _ in PROJECTIONS:
            a, b = _endpoint(pre), _endpoint(post)
            if a == b:
                continue  # self-projection: d' = d - 1 (cueCont's lateral inhibition, 2 -> 1)
            need = h[a] + 2.0 - d
            if h[b] < need:
                h[b], changed = need, True
        if not changed:
            return h
    raise RuntimeError("the projection graph has a cycle")  # pragma: no cover


@dataclass(frozen=True)
class Spec:
    """Everything :class:`~spikesim.models.ca3.CA3Memory` builds: cells, delays, STDP."""

    mapping: str
    cm: dict          # population -> cm (nF)
    delays: dict      # projection -> delay (ms)
    stdp: dict        # tau_plus, tau_minus, A_plus, A_minus (nA), w_min, w_max (nA)
    lag: dict         # population -> ms behind its SpiNNaker timing
    latency: float    # ms from a recall's input spike to the cue (by cue) in the output


def network_spec(mapping: str = "nest") -> Spec:
    """The model's numbers for ``mapping`` ("nest": translated; "published": verbatim)."""
    if mapping not in MAPPINGS:
        raise ValueError(f"mapping must be one of {MAPPINGS}, got {mapping!r}")
    cm = {name: c for name, _, c, _, _ in POPULATIONS}
    stdp = dict(STDP_PUBLISHED)
    if mapping == "published":
        delays = {p[0]: p[5] for p in PROJECTIONS}
        # under NEST's order each of the 3 hops input -> cueCue -> mergeCue -> output adds 1 ms
        return Spec(mapping, cm, delays, stdp, {k: 0.0 for k in offsets()},
                    SPINNAKER_LATENCY + 3.0)
    h = offsets()
    delays = {}
    for name, pre, post, _, _, d, _ in PROJECTIONS:
        a, b = _endpoint(pre), _endpoint(post)
        delays[name] = d - 1.0 if a == b else d + h[b] - h[a] - 1.0
    for name, _, c, tau_m, _ in POPULATIONS:
        spinn, exact = step_response(tau_m, NEURON["tau_syn_E"])
        cm[name] = c * exact / spinn
    stdp["A_plus"] = STDP_PUBLISHED["A_plus"] * math.exp(-DT / STDP_PUBLISHED["tau_plus"])
    stdp["A_minus"] = STDP_PUBLISHED["A_minus"] * math.exp(DT / STDP_PUBLISHED["tau_minus"])
    return Spec(mapping, cm, delays, stdp, h, SPINNAKER_LATENCY + h["output"] - h["input"])
