"""sPyNNaker's cortical microcircuit (SpiNNakerManchester/microcircuit_model) on spikesim.

    python benchmarks/spynnaker_microcircuit.py /path/to/microcircuit_model --scale 0.1
    python benchmarks/spynnaker_microcircuit.py CHECKOUT --scale 0.05 --k-scale 0.1 --json out.json

The checkout is the repository's root: ``run_microcircuit.py`` next to the
``microcircuit`` package (Python 3 versions, ``import pyNN.spiNNaker as sim``).
Nothing from it enters this repository, and the checkout is not modified.

What it does:

1. Starts a child Python (``MPLBACKEND=Agg``) in a fresh working folder (the script
   writes ``results/`` relative to the working folder). The child reads
   ``run_microcircuit.py``, replaces its one ``import pyNN.spiNNaker as sim`` line
   (or an older ``import spynnaker8 as sim``) by ``import spikesim.pynn.spynnaker as
   sim`` in memory -- exactly one such line must exist -- and executes it as
   ``__main__`` with the checkout first on ``sys.path``. No other line changes.
2. Passes the script's own command-line options ``spinnaker --n_scaling S
   --k_scaling K`` (``K`` defaults to ``S``), so the scale is chosen the way the
   script offers.
3. Reads the script's printed timings (``Creating the network took``,
   ``Simulation took``, ``Writing data took``) and its ``Mean rates`` lines, and
   computes the per-population rates itself from the written spike files
   (``results/spikes_<layer><pop>.pkl``): spikes in the recording window divided by
   recorded neurons and window length.
4. On failure, returns the last lines of the traceback.

``--poisson-inputs counts|events`` passes ``setup(poisson_inputs=...)`` in the child
(by wrapping the front end's ``setup`` there; the script is not changed): ``counts``, the
default, delivers each neuron's own ``SpikeSourcePoisson`` as per-step counts
(:mod:`spikesim.pynn.poisson_fold`), ``events`` as spike events.

``--workaround-delay-extensions`` (off by default) lets the child accept sPyNNaker's
two-argument ``set_allow_delay_extensions(neuron_type, allow)`` by wrapping the
one-argument spikesim function in the child process only; when it is on, the result
says so. Without it the script runs with only its import line changed.

From Python: ``run(checkout, scale, k_scale=None, timeout=900.0)`` returns a dict.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
POPULATIONS = [f"{layer}{pop}" for layer in ("L23", "L4", "L5", "L6") for pop in ("E", "I")]
#: Potjans & Diesmann (2014), full-scale rates (spikes/s), for a loose comparison
PUBLISHED_RATES = {"L23E": 0.9, "L23I": 2.8, "L4E": 4.4, "L4I": 5.7,
                   "L5E": 7.6, "L5I": 8.7, "L6E": 1.1, "L6I": 7.7}
TIMING_KEYS = {"Creating the network took": "build_s", "Simulation took": "simulation_s",
               "Writing data took": "writing_s"}

# The child: rewrite the import line in memory and execute the script as __main__.
_CHILD = r"""
import re, sys, types
script, checkout, workaround, poisson = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
source = open(script, encoding="utf8").read()
pattern = re.compile(r"^(?P<indent>[ \t]*)import (pyNN\.spiNNaker|spynnaker8) as sim[ \t]*$", re.M)
found = pattern.findall(source)
if len(found) != 1:
    sys.exit(f"spynnaker_microcircuit: expected one sPyNNaker import line in {script}, "
             f"found {len(found)}")
source = pattern.sub(lambda m: m.group("indent") + "import spikesim.pynn.spynnaker as sim", source)
print("spynnaker_microcircuit: import line ->  import spikesim.pynn.spynnaker as sim", flush=True)
if workaround:
    import spikesim.pynn.spynnaker as _front
    _one_arg = _front.set_allow_delay_extensions
    def set_allow_delay_extensions(*args):
        return _one_arg(args[-1])
    _front.set_allow_delay_extensions = set_allow_delay_extensions
    print("spynnaker_microcircuit: WORKAROUND set_allow_delay_extensions(neuron_type, allow) "
          "accepted in this process", flush=True)
if poisson != "default":
    import spikesim.pynn.spynnaker as _front
    _setup = _front.setup
    def setup(*args, **kwargs):
        kwargs.setdefault("poisson_inputs", poisson)
        return _setup(*args, **kwargs)
    _front.setup = setup
    print(f"spynnaker_microcircuit: setup(poisson_inputs={poisson!r})", flush=True)
sys.path.insert(0, checkout)
sys.argv = [script] + sys.argv[5:]
module = types.ModuleType("__main__")
module.__file__ = script
sys.modules["__main__"] = module
exec(compile(source, script, "exec"), module.__dict__)
"""


def _parse_timings(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        for prefix, key in TIMING_KEYS.items():
            if line.startswith(prefix):
                match = re.search(r"([-+0-9.eE]+)\s*s\s*$", line)
                if match:
                    out[key] = float(match.group(1))
    return out


def _parse_script_rates(text: str) -> dict:
    lines = text.splitlines()
    if "Mean rates" not in lines:
        return {}
    out = {}
    for line in lines[lines.index("Mean rates") + 1:]:
        parts = line.split()
        if len(parts) != 3 or parts[0] + parts[1] not in POPULATIONS:
            break
        out[parts[0] + parts[1]] = float(parts[2])
    return out


def _rates_from_files(results: Path) -> dict:
    """Spikes per recorded neuron per second, from the script's neo pickle files."""
    import neo  # noqa: PLC0415 (only needed after a run)

    out = {}
    for name in POPULATIONS:
        path = results / f"spikes_{name}.pkl"
        if not path.exists():
            continue
        block = neo.io.PickleIO(str(path)).read_block()
        trains = block.segments[0].spiketrains
        if not len(trains):
            out[name] = {"rate_hz": float("nan"), "recorded": 0, "spikes": 0}
            continue
        t0 = float(trains[0].t_start.rescale("ms").magnitude)
        t1 = float(trains[0].t_stop.rescale("ms").magnitude)
        spikes = sum(len(st) for st in trains)
        out[name] = {"rate_hz": spikes / len(trains) / ((t1 - t0) / 1000.0),
                     "recorded": len(trains), "spikes": spikes, "window_ms": [t0, t1]}
    return out


def run(checkout, scale: float, k_scale: float | None = None, timeout: float = 900.0,
        workdir=None, workaround_delay_extensions: bool = False,
        poisson_inputs: str = "default") -> dict:
    """Run the checkout's run_microcircuit.py on spikesim; return timings, rates, status."""
    checkout = Path(checkout).resolve()
    script = checkout / "run_microcircuit.py"
    if not script.exists() or not (checkout / "microcircuit").is_dir():
        raise FileNotFoundError(f"{checkout} is not a microcircuit_model checkout "
                                "(run_microcircuit.py and microcircuit/ expected)")
    k_scale = scale if k_scale is None else k_scale
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="microcircuit_"))
    work.mkdir(parents=True, exist_ok=True)
    script_args = ["spinnaker", "--n_scaling", repr(float(scale)), "--k_scaling",
                   repr(float(k_scale))]
    cmd = [sys.executable, "-c", _CHILD, str(script), str(checkout),
           "1" if workaround_delay_extensions else "0", poisson_inputs, *script_args]
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True,
                              timeout=timeout)
        returncode, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        returncode = None
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
    wall = time.perf_counter() - t0
    (work / "stdout.txt").write_text(stdout)
    (work / "stderr.txt").write_text(stderr)
    result = {
        "checkout": str(checkout), "workdir": str(work),
        "command": "run_microcircuit.py " + " ".join(script_args),
        "n_scaling": float(scale), "k_scaling": float(k_scale),
        "workaround_delay_extensions": bool(workaround_delay_extensions),
        "poisson_inputs": poisson_inputs,
        "returncode": returncode, "timed_out": returncode is None, "wall_s": wall,
        "timings": _parse_timings(stdout), "script_rates": _parse_script_rates(stdout),
        "rates": {}, "error": None,
    }
    try:
        result["rates"] = _rates_from_files(work / "results")
    except Exception as exc:  # noqa: BLE001 (report, do not hide the run's own result)
        result["rates_error"] = f"{type(exc).__name__}: {exc}"
    if returncode != 0:
        result["error"] = "\n".join(stderr.strip().splitlines()[-8:]) or "timed out"
    return result


def _report(result: dict) -> str:
    lines = [f"command: {result['command']}  (workdir {result['workdir']})"]
    if result["workaround_delay_extensions"]:
        lines.append("WORKAROUND: set_allow_delay_extensions(neuron_type, allow) accepted")
    status = ("timed out" if result["timed_out"] else
              "ran to the end" if result["returncode"] == 0 else
              f"failed (exit {result['returncode']})")
    lines.append(f"status: {status}; wall {result['wall_s']:.1f} s")
    names = {v: k for k, v in TIMING_KEYS.items()}
    for key, value in result["timings"].items():
        lines.append(f"{names[key]} {value:.2f} s")
    if result["rates"]:
        lines.append(f"{'pop':<5} {'rate (Hz)':>9} {'script':>7} {'P&D 2014':>8} {'recorded':>8}")
        for name in POPULATIONS:
            r = result["rates"].get(name)
            if r is None:
                continue
            script_rate = result["script_rates"].get(name, float("nan"))
            lines.append(f"{name:<5} {r['rate_hz']:9.2f} {script_rate:7.2f} "
                         f"{PUBLISHED_RATES[name]:8.1f} {r['recorded']:8d}")
    if result["error"]:
        lines.append("error (last traceback lines):")
        lines.extend("    " + line for line in result["error"].splitlines())
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", help="root of a microcircuit_model checkout")
    parser.add_argument("--scale", type=float, default=0.1, help="n_scaling (default 0.1)")
    parser.add_argument("--k-scale", type=float, default=None,
                        help="k_scaling (default: the same as --scale)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds (default 900)")
    parser.add_argument("--workdir", default=None, help="working folder (default: a temp folder)")
    parser.add_argument("--workaround-delay-extensions", action="store_true",
                        help="accept sPyNNaker's two-argument set_allow_delay_extensions "
                             "in the child process")
    parser.add_argument("--poisson-inputs", default="default",
                        choices=["default", "counts", "events"],
                        help="setup(poisson_inputs=...) in the child: each neuron's Poisson "
                             "source as counts (the front end's default) or as spike events")
    parser.add_argument("--json", default=None, help="write the result here")
    args = parser.parse_args(argv)
    result = run(args.checkout, args.scale, args.k_scale, args.timeout, args.workdir,
                 args.workaround_delay_extensions, args.poisson_inputs)
    print(_report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0 if result["returncode"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
