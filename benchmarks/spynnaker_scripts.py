"""How many of sPyNNaker's own non-hardware scripts run unchanged on spikesim.

The scripts are sPyNNaker's integration tests and examples, fetched (not vendored:
they never enter this repository) into a directory, keeping their repository paths:

- ``SpiNNakerManchester/sPyNNaker``: ``spynnaker_integration_tests/scripts/`` (the
  helpers: ``synfire_runner.py``, ``checker.py``, ``pattern_spiker.py``, ...) and, for
  every script of ``spynnaker_integration_tests/quick_test/``, its current version
  under ``spynnaker_integration_tests/test_<topic>/`` (the quick_test copies use a
  transitional API that was removed upstream). Scripts that only exercise hardware
  (iobuf, several boards, on-chip compressors, power, debug reports, live I/O) may be
  stored as one-line stubs starting ``# NEEDS-BOARD: <reason>``.
- ``ndhamne/PyNN8Examples``: ``examples/spynnaker_example.py`` (under
  ``PyNN8Examples/``).
- ``SpiNNakerManchester/PyNNExamples`` (under ``PyNNExamples/``): the current versions of
  ``examples/*.py`` (the 26 its ``integration_tests/test_scripts.py`` lists, and the
  neuromodulation and structural examples beside them) and
  ``examples/extra_models_examples/*.py``; and the current sPyNNaker integration tests of
  ``test_stdp/`` that have no ``quick_test`` copy (neuromodulation, multiplicative,
  triplet, record-weights, self-connection, ``IF_curr_delta``).

Any way of fetching works (a clone, or one file at a time); e.g.
``git clone --depth 1 https://github.com/SpiNNakerManchester/sPyNNaker`` and copy
``spynnaker_integration_tests/`` into ``/tmp/spy_scripts/``.

Run (from the repository root)::

    python benchmarks/spynnaker_scripts.py /tmp/spy_scripts --timeout 180

What it does, per script (``test_*.py`` files and ``examples/*.py``):

1. A copy of the whole directory is made in a temporary directory with only the
   import lines changed: ``pyNN.spiNNaker``, ``spynnaker8``, ``spynnaker.pyNN`` (and
   sPyNNaker's ``spynnaker.plot_utils`` / ``spynnaker.spike_checker``) become
   ``spikesim.pynn.spynnaker``; the originals are not touched. ``MPLBACKEND=Agg``,
   so ``plt.show()`` does not block.
2. A shim is put on ``PYTHONPATH`` (written by this file, see ``SHIM``): sPyNNaker's
   test base class ``spinnaker_testbase.BaseTestCase`` as ``unittest.TestCase`` with
   ``runsafe(f)`` calling ``f()``, and the few names the scripts import that have no
   meaning without a board (the board-log check ``assert_logs_messages``, SpiNNMan's
   exception classes). ``spinn_front_end_common``'s ``ConfigurationException`` is
   the front end's own (:mod:`spikesim.pynn.spynnaker.exceptions`).
3. Unit-test scripts run with ``python -m pytest`` in a subprocess with a timeout;
   plain example scripts run with ``python``. Tests that only exercise hardware inside
   an otherwise runnable script are deselected and listed (``BOARD_ONLY_TESTS``).

Result per script: ``passed`` (every selected test passed), ``failed`` (first error
line, and the count of passing tests), or ``needs-board`` (with the reason: a stub,
or the script imports board-only APIs, ``BOARD_ONLY_IMPORTS``). Written to
``benchmarks/results/spynnaker_scripts.json``; a summary table is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: import rewrites: (pattern on an import line, replacement)
REWRITES = [
    (re.compile(r"^(\s*)import\s+(pyNN\.spiNNaker|spynnaker8|spynnaker\.pyNN)\s+as\s+(\w+)"),
     r"\1import spikesim.pynn.spynnaker as \3"),
    (re.compile(r"^(\s*)from\s+(pyNN\.spiNNaker|spynnaker8|spynnaker\.pyNN)\s+import\s"),
     r"\1from spikesim.pynn.spynnaker import "),
    (re.compile(r"^(\s*)from\s+(?:spynnaker8|spynnaker\.pyNN)\.([\w.]+)\s+import\s"),
     r"\1from spikesim.pynn.spynnaker.\2 import "),
    (re.compile(r"^(\s*)import\s+spynnaker\.(plot_utils|spike_checker)\s+as\s+(\w+)"),
     r"\1import spikesim.pynn.spynnaker.\2 as \3"),
]

#: imports that only make sense with a SpiNNaker machine -> needs-board
BOARD_ONLY_IMPORTS = {
    "spinn_front_end_common.utilities.database":
        "live I/O: a DatabaseConnection to the running board (run_forever / request_stop)",
    "spynnaker_external_device_plugin_manager": "live I/O: external-device database sockets",
    "pacman.exceptions": "expects the placer to run out of SDRAM on the board (PacmanException)",
    "spynnaker.pyNN.data": "machine data view (SpynnakerDataView) to skip when the board "
                           "overloads (SpinnmanTimeoutException)",
    "get_machine(": "inspects the SpiNNaker machine (get_machine, Ethernet chips, several boards)",
    "external_devices.SpikeInjector": "live I/O: spikes injected over Ethernet while it runs",
    "activate_live_output_for": "live I/O: spikes streamed out of the board while it runs",
}

#: single tests inside runnable scripts that only exercise hardware
BOARD_ONLY_TESTS = {
    "test_poisson_spike_source.py::TestPoissonSpikeSource::test_poisson_live_rates":
        "live Poisson rate control over Ethernet (external_devices)",
    "test_synaptic_expander.py::TestSynapticExpander::test_bad_normal_clipping":
        "expects the board's synapse expander to fail (SpiNNManCoresNotInStateException)",
}

SHIM = {
    "spinnaker_testbase/__init__.py": '''\
"""spikesim's stand-in for sPyNNaker's test base: unittest.TestCase plus runsafe()."""
import sys
import unittest

from .root_test_case import RootTestCase  # noqa: F401


class BaseTestCase(unittest.TestCase):
    def runsafe(self, method, retry_delay=3.0):
        method()

    def assert_logs_messages(self, log_records, sub_message, log_level="ERROR", count=1,
                             allow_more=False):
        # counts sPyNNaker tool-chain log lines (e.g. auto-pause-resume cycles on a board)
        print(f"SHIM: board log check skipped: {sub_message!r}", file=sys.stderr)

    def assert_not_spin_three(self):
        pass

    def known_issue(self, issue):
        raise unittest.SkipTest(issue)
''',
    "spinnaker_testbase/root_test_case.py": '''\
class RootTestCase:
    @staticmethod
    def assert_not_spin_three():
        """(a SpiNN-3 board check; there is no board)"""
''',
    "spinn_front_end_common/__init__.py": "",
    "spinn_front_end_common/utilities/__init__.py": "",
    "spinn_front_end_common/utilities/exceptions.py":
        "from spikesim.pynn.spynnaker.exceptions import ConfigurationException  # noqa: F401\n",
    "spinnman/__init__.py": "",
    "spinnman/exceptions.py": '''\
class SpinnmanException(Exception):
    """(SpiNNMan: board communication errors; never raised here)"""


class SpinnmanTimeoutException(SpinnmanException):
    pass


class SpiNNManCoresNotInStateException(SpinnmanException):
    pass
''',
}


def rewrite(source: str) -> tuple[str, int]:
    """``source`` with sPyNNaker's import lines pointed at spikesim; and how many changed."""
    out, n = [], 0
    for line in source.splitlines(keepends=True):
        new = line
        for pat, rep in REWRITES:
            new = pat.sub(rep, new)
        n += new != line
        out.append(new)
    return "".join(out), n


def discover(root: Path) -> list[Path]:
    scripts = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if path.name == "__init__.py":
            continue
        if path.name.startswith("test_") or "examples" in rel.parts[:-1]:
            scripts.append(rel)
    return scripts


def board_reason(text: str) -> str | None:
    m = re.match(r"#\s*NEEDS-BOARD:\s*(.*)", text)
    if m:
        return m.group(1).strip()
    for key, reason in BOARD_ONLY_IMPORTS.items():
        if key in text:
            return reason
    return None


def _junit(path: Path):
    """(passed, failed, first error line, failed test names) from a junit xml file."""
    if not path.exists():
        return 0, 0, None, []
    root = ET.parse(path).getroot()
    passed = failed = 0
    first, names = None, []
    for case in root.iter("testcase"):
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is not None:
            failed += 1
            names.append(case.get("name"))
            if first is None:
                first = f"{case.get('name')}: " + _first_line(bad)
        elif case.find("skipped") is None:
            passed += 1
    return passed, failed, first, names


def _first_line(node) -> str:
    """The error of a junit failure: its message, or for a collection error the last
    exception line of its traceback."""
    msg = (node.get("message") or "").strip()
    if msg and msg != "collection failure":
        return msg.splitlines()[0]
    return _last_error(node.text or msg or "?")


def run_one(rel: Path, work: Path, shim: Path, timeout: float, original: Path) -> dict:
    src = work / rel
    text = (original / rel).read_text()  # board-only APIs are named as the script names them
    result = {"script": str(rel)}
    reason = board_reason(text)
    if reason:
        result.update(status="needs-board", reason=reason)
        return result
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(shim), str(work), str(ROOT),
                                           os.environ.get("PYTHONPATH", "")]))
    is_test = src.name.startswith("test_")
    xml = work / f".junit_{abs(hash(str(rel)))}.xml"
    if is_test:
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "--junitxml", str(xml), src.name]
        for key, why in BOARD_ONLY_TESTS.items():
            fname, cls, test = key.split("::")
            if src.name == fname:
                cmd += ["--deselect", key]   # node ids are relative to the cwd, src.parent
                result.setdefault("board_only_tests", {})[f"{cls}::{test}"] = why
    else:
        cmd = [sys.executable, str(src)]
    t0 = time.time()
    try:
        proc = subprocess.run(cmd, cwd=src.parent, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        result.update(status="failed", reason=f"timeout after {timeout:.0f} s",
                      seconds=round(time.time() - t0, 1))
        return result
    result["seconds"] = round(time.time() - t0, 1)
    out = proc.stdout + proc.stderr
    if "SHIM: board log check skipped" in out:
        result["note"] = "its board-log check (assert_logs_messages) has no meaning here and " \
                         "was skipped"
    if is_test:
        passed, failed, first, names = _junit(xml)
        result.update(tests_passed=passed, tests_failed=failed)
        if proc.returncode == 0 and failed == 0 and passed > 0:
            result["status"] = "passed"
        else:
            result["status"] = "failed"
            result["reason"] = first or _last_error(out)
            result["failed_tests"] = names
    else:
        if proc.returncode == 0:
            result["status"] = "passed"
        else:
            result.update(status="failed", reason=_last_error(out))
    return result


def _last_error(out: str) -> str:
    lines = [ln for ln in out.strip().splitlines() if ln.strip()]
    for ln in reversed(lines):
        if re.match(r"^(E\s+)?\w+(\.\w+)*(Error|Exception|Exit)\b", ln.strip()):
            return ln.strip()
    return lines[-1].strip() if lines else "no output"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scripts_dir", nargs="?", default="/tmp/spy_scripts")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds per script")
    ap.add_argument("--only", default=None, help="run scripts whose path contains this")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/spynnaker_scripts.json"))
    args = ap.parse_args(argv)
    root = Path(args.scripts_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="spy_run_") as tmp:
        tmp = Path(tmp)
        work, shim = tmp / "scripts", tmp / "shim"
        shutil.copytree(root, work)
        changed = 0
        for path in work.rglob("*.py"):
            new, n = rewrite(path.read_text())
            if n:
                path.write_text(new)
                changed += n
        for rel, text in SHIM.items():
            (shim / rel).parent.mkdir(parents=True, exist_ok=True)
            (shim / rel).write_text(text)
        for pkg in {p.parent for p in work.rglob("*.py")}:  # their packages import as packages
            if pkg != work and not (pkg / "__init__.py").exists():
                (pkg / "__init__.py").write_text("")
        scripts = [s for s in discover(work) if args.only is None or args.only in str(s)]
        results = []
        for rel in scripts:
            r = run_one(rel, work, shim, args.timeout, root)
            results.append(r)
            print(f"{r['status']:12s} {r['script']}"
                  + (f"  -- {r.get('reason')}" if r.get("reason") else ""), flush=True)
    counts = {k: sum(r["status"] == k for r in results)
              for k in ("passed", "failed", "needs-board")}
    ran = counts["passed"] + counts["failed"]
    summary = {"scripts": len(results), "ran": ran, **counts,
               "import_lines_changed": changed, "timeout_s": args.timeout}
    if args.only is None:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"summary": summary, "results": results}, indent=1) + "\n")
    print()
    print(f"{'status':12s} {'count':>5s}")
    for k in ("passed", "failed", "needs-board"):
        print(f"{k:12s} {counts[k]:5d}")
    print(f"{'ran':12s} {ran:5d}   (of {len(results)} scripts)")
    return summary


if __name__ == "__main__":
    main()
