"""The engine specialised for the neuron models a network uses, generated as Python source.

For a tuple of model modules (:mod:`spikesim.kernels.neurons`) this writes one
module holding:

- per model, a homogeneous and a per-neuron block loop around the model's
  scalar ``step`` (the state rows and receptor rows sliced once per block,
  the parameter columns read once per block, every ``SWITCH_COLUMNS`` flag
  turned into separate loops);
- ``update_range``, which walks the segments and calls the loop of the
  segment's model (its ``seg_kind`` is the model's position in the tuple);
- per synapse dynamic (:mod:`spikesim.kernels.synapses`), a row loop around its
  ``release``, and ``deliver_dynamic``, which picks the projection's;
- the drivers of :mod:`.engine` and :mod:`.plastic_engine` and ``deliver_spikes``,
  copied from their source, so that they call these.

The file is written once under ``$SPIKESIM_CACHE/engines`` (default
``~/.cache/spikesim/engines``) and named by a hash of its text and of every
kernel source file, so Numba's on-disk cache of it stays valid until any
kernel changes. Numba cannot cache a function that takes another compiled
function as an argument, which is why the engine is generated instead.
"""
import hashlib
import importlib
import importlib.util
import inspect
import os
import pathlib
import sys
import tempfile

from ._config import kernel_hash

_loaded: dict = {}


#: Suffix of an engine model name whose ``FUSE`` receptor shares its partner's ring plane
FUSED = "+fused"


def model_module(name: str):
    """The model module ``spikesim.kernels.neurons.<name>`` (``name`` may end in ``FUSED``)."""
    return importlib.import_module(f"{__package__}.neurons.{name.removesuffix(FUSED)}")


def planes(m, fused: bool) -> tuple:
    """Ring plane of each of the model's receptors (the fused receptor takes its partner's)."""
    if not fused:
        return tuple(range(len(m.RECEPTORS)))
    if m.RECEPTORS[-1] != m.FUSE["receptor"]:  # the other receptors keep their planes
        raise ValueError(f"{m.NAME}: FUSE['receptor'] must be the last of RECEPTORS")
    return tuple(m.RECEPTORS.index(m.FUSE["into"] if r == m.FUSE["receptor"] else r)
                 for r in m.RECEPTORS)


def _block_loop(m, k: int, het: bool, fused: bool = False, dry: bool = False) -> str:
    """Source of one model's block loop (homogeneous or per-neuron parameters).

    ``fused``: the ``FUSE`` receptor's input is already in its partner's plane, so
    the loop passes 0 for it and the other receptors read their planes (:func:`planes`).
    ``dry``: no receptor reads the ring (every input is 0; :mod:`.direct` adds the input
    into the model's ``INPUT_STATE`` rows after the update); named ``..._dry``.
    """
    ns, nr = len(m.STATE), len(m.RECEPTORS)
    gone = m.RECEPTORS.index(m.FUSE["receptor"]) if fused else -1
    plane = planes(m, fused)
    cols = m.COLUMNS
    sig = "het" if het else "par"
    name = f"m{k}_{'het' if het else 'hom'}{'_dry' if dry else ''}"
    lines = ["@jit", f"def {name}(lo, hi, S, ref, buf, slot, fired, {sig}):"]
    lines.append(f"    # {m.NAME}: {ns} state rows, {nr} receptors{', fused' if fused else ''}"
                 f"{', no ring' if dry else ''}")
    for s in range(ns):
        lines.append(f"    x{s} = S[{s}, lo:hi]")
    for q in range(nr):
        if q != gone and not dry:
            lines.append(f"    in{q} = buf[{plane[q]}, slot, lo:hi]")
    lines.append("    r_ = ref[lo:hi]")
    lines.append("    z = S.dtype.type(0)")
    lines.append("    any_fired = False")
    if het:
        lines.append("    het = het[:, lo:hi]")

    def col(c, i):
        src = f"het[{i}, i]" if het else f"par[{i}]"
        if c in m.INT_COLUMNS:
            return f"np.int16({src})"
        return src

    switches = [] if het else [c for c in m.COLUMNS if c in m.SWITCH_COLUMNS]
    if not het:
        for i, c in enumerate(cols):
            if c not in m.SWITCH_COLUMNS:
                lines.append(f"    c{i} = {col(c, i)}")

    def body(indent, fixed):
        pad = " " * indent
        args = [f"x{s}[i]" for s in range(ns)] + ["r_[i]"] + [
            "z" if q == gone or dry else f"in{q}[i]" for q in range(nr)]
        for i, c in enumerate(cols):
            if het:
                args.append(f"{col(c, i)} != 0" if c in m.SWITCH_COLUMNS else col(c, i))
            elif c in fixed:
                args.append(fixed[c])
            else:
                args.append(f"c{i}")
        outs = [f"a{s}" for s in range(ns)] + ["r", "s"]
        out = [f"{pad}for i in range(x0.shape[0]):",
               f"{pad}    {', '.join(outs)} = _m{k}.step({', '.join(args)})"]
        out += [f"{pad}    x{s}[i] = a{s}" for s in range(ns)]
        out += [f"{pad}    r_[i] = r"]
        out += [f"{pad}    in{q}[i] = z" for q in range(nr) if q != gone and not dry]
        # whether any neuron fired, as an OR: a count (an int64 sum) kept the loop at four
        # lanes and cost a third of the update (benchmarks/README.md)
        out += [f"{pad}    fired[i] = s", f"{pad}    any_fired |= s"]
        return out

    def branches(indent, todo, fixed):
        if not todo:
            return body(indent, fixed)
        c = todo[0]
        i = cols.index(c)
        pad = " " * indent
        return ([f"{pad}if par[{i}] != 0:"] + branches(indent + 4, todo[1:], {**fixed, c: "True"})
                + [f"{pad}else:"] + branches(indent + 4, todo[1:], {**fixed, c: "False"}))

    lines += branches(4, switches, {})
    lines.append("    return any_fired")
    return "\n".join(lines) + "\n"


def _update_range(n_models: int, dry: bool = False) -> str:
    """``update_range``, or with ``dry`` ``update_range_dry``, which calls the models'
    ``_dry`` loops (those without a ring; :mod:`.direct`)."""
    x = "_dry" if dry else ""
    lines = ['@jit',
             f'def update_range{x}(a, b, S, ref, buf, slot, seg_lo, seg_hi, seg_kind, seg_het,',
             '                 seg_par, het, fired, spikes, ns):',
             '    """Update neurons ``a:b`` (any segments they span); append spikers to ``spikes``.',
             '',
             '    Neurons are updated in blocks of ``BLOCK``; only blocks in which some',
             '    neuron fired are scanned for their indices. ``seg_kind`` is the model\'s',
             '    position in this engine (negative: a spike source, not updated).',
             '    ``het`` is None when no segment has per-neuron parameters (Numba then',
             '    never compiles the per-neuron loops).',
             '    """',
             '    fired_words = fired.view(np.uint64)',
             '    for s in range(seg_lo.shape[0]):',
             '        kind = seg_kind[s]',
             '        if kind < 0:',
             '            continue',
             '        het_s = seg_het[s]',
             '        par = seg_par[s]',
             '        for lo in range(max(seg_lo[s], a), min(seg_hi[s], b), BLOCK):',
             '            hi = min(lo + BLOCK, seg_hi[s], b)',
             '            nf = False']
    for k in range(n_models):
        kw = "if" if k == 0 else "elif"
        lines += [f'            {kw} kind == {k}:',
                  '                if het is not None and het_s:',
                  f'                    nf = m{k}_het{x}(lo, hi, S, ref, buf, slot, fired, het)',
                  '                else:',
                  f'                    nf = m{k}_hom{x}(lo, hi, S, ref, buf, slot, fired, par)']
    lines += ['            if nf:',
              '                ns = scan_fired(fired, fired_words, hi - lo, lo, spikes, ns)',
              '    return ns']
    return "\n".join(lines) + "\n"


def _dynamics(n_dyn: int) -> str:
    """Source of the per-dynamic row loops and of ``deliver_dynamic``, which picks one."""
    out = []
    for k in range(n_dyn):
        out.append(f"""@jit
def dyn{k}_row(ring, start, stop, post_lo, t, slot_mask, post, weight, delay, S, P, last, dt,
              seed, base):
    wmask = 0 if weight.shape[0] == 1 else -1
    dmask = 0 if delay.shape[0] == 1 else -1
    for s in range(start, stop):
        h = -1.0 if last[s] == 0 else (t + 1 - last[s]) * dt  # -1: the first spike
        last[s] = t + 1
        f = _s{k}.release(h, S, P, s, uniform(seed, base + s, t))
        if f != 0.0:
            ring[(t + delay[s & dmask]) & slot_mask, post_lo + post[s]] += weight[s & wmask] * f
""")
    lines = ["@jit",
             "def deliver_dynamic(dyn, pj, ring, start, stop, post_lo, t, slot_mask, post, weight,",
             "                    delay):",
             '    """Deliver synapses ``start:stop`` of a row of projection ``pj`` through its dynamic."""',
             "    o = dyn.off[pj]",
             "    kind = dyn.kind[pj]",
             "    S = dyn.S[:, o:]",
             "    P = dyn.P[:, o:]",
             "    last = dyn.last[o:]"]
    for k in range(n_dyn):
        kw = "if" if k == 0 else "elif"
        lines += [f"    {kw} kind == {k}:",
                  f"        dyn{k}_row(ring, start, stop, post_lo, t, slot_mask, post, weight, delay,",
                  "                  S, P, last, dyn.dt[0], dyn.seed[0], o)"]
    if not n_dyn:
        lines.append("    pass")
    out.append("\n".join(lines) + "\n")
    return "\n\n".join(out)


def _driver_source(fn) -> str:
    """A driver's source with its ``@driver`` marker turned into the project's ``@jit``."""
    src = inspect.getsource(fn)
    head, _, rest = src.partition("\n")
    if not head.startswith("@driver"):
        raise RuntimeError(f"{fn.__name__} is not marked @driver")
    kind = getattr(fn, "__spikesim_driver__", "serial")
    deco = {"serial": "@jit", "parallel": "@jit(parallel=PARALLEL)",
            "inline": '@jit(inline="always")'}[kind]
    return deco + "\n" + rest


def dynamic_module(name: str):
    """The synapse dynamic module ``spikesim.kernels.synapses.<name>``."""
    return importlib.import_module(f"{__package__}.synapses.{name}")


def source(names: tuple, dynamics: tuple = ()) -> str:
    """The generated engine's source for neuron models ``names`` and synapse ``dynamics``."""
    from . import engine, plastic_engine

    mods = [model_module(n) for n in names]
    dmods = [dynamic_module(n) for n in dynamics]
    parts = [f'"""spikesim engine for models {", ".join(m.NAME for m in mods)}; synapse '
             f'dynamics {", ".join(m.NAME for m in dmods) or "none"}.',
             '',
             'Generated by spikesim.kernels.codegen; do not edit.',
             '"""',
             'import numpy as np',
             'from numba import prange',
             f'from {__package__}._config import jit',
             f'from {__package__}.arrival import arrive, push_history',
             f'from {__package__}.convolution import deliver_conv',
             f'from {__package__}.delivery import (add_row_at, deliver_events, gather_row,',
             '                                     prefetch_rows)',
             f'from {__package__}.direct import deliver_direct, prefetch_direct, push_spikes',
             f'from {__package__}.engine import (BLOCK, PARALLEL, count_and_record,',
             '                                   flush_subnormal, sample_state, scan_fired,',
             '                                   take_events)',
             f'from {__package__}.synapses import uniform',
             f'from {__package__}.rewiring import rewire_step',
             f'from {__package__}.lazy_rules import lazy_step',
             f'from {__package__}.plasticity import (process_arrivals, push_emissions, sample_weights,',
             '                                   step_astrocytes, step_modulators)',
             f'from {__package__}.potentiation import potentiate, potentiate_delayed']
    parts += [f'from {__package__}.neurons import {n.removesuffix(FUSED)} as _m{k}'
              for k, n in enumerate(names)]
    parts += [f'from {__package__}.synapses import {n} as _s{k}' for k, n in enumerate(dynamics)]
    parts.append("")
    for k, m in enumerate(mods):
        fused = names[k].endswith(FUSED)
        parts.append(_block_loop(m, k, het=False, fused=fused))
        parts.append(_block_loop(m, k, het=True, fused=fused))
        parts.append(_block_loop(m, k, het=False, fused=fused, dry=True))
        parts.append(_block_loop(m, k, het=True, fused=fused, dry=True))
    parts.append(_update_range(len(mods)))
    parts.append(_update_range(len(mods), dry=True))
    parts.append(_dynamics(len(dmods)))
    for fn in (engine.deliver_spikes, engine.update_part, engine.pass_on, engine.run_chunk,
               engine.run_chunk_parallel, plastic_engine.run_chunk_plastic,
               plastic_engine.run_chunk_plastic_parallel):
        parts.append(_driver_source(fn))
    return "\n\n".join(parts)


def cache_dir() -> pathlib.Path:
    """Folder of the generated engines (``$SPIKESIM_CACHE/engines``)."""
    base = os.environ.get("SPIKESIM_CACHE") or pathlib.Path.home() / ".cache" / "spikesim"
    return pathlib.Path(base) / "engines"


def engine_for(names: tuple, dynamics: tuple = ()):
    """The compiled-on-demand engine for neuron models ``names`` and synapse ``dynamics``.

    Both are module names, in the order ``seg_kind`` and ``Dynamics.kind`` number them.
    """
    names, dynamics = tuple(names), tuple(dynamics)
    mod = _loaded.get((names, dynamics))
    if mod is not None:
        return mod
    text = source(names, dynamics)
    digest = hashlib.sha256((text + kernel_hash()).encode()).hexdigest()[:20]
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"engine_{'_'.join(names + dynamics).replace('+', '-')[:80]}_{digest}.py"
    if not path.exists():
        # written once and atomically: rewriting would change the file's time stamp and
        # invalidate Numba's cache of it
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    modname = f"{__package__}._engine_{digest}"
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    spec.loader.exec_module(mod)
    _loaded[(names, dynamics)] = mod
    return mod
