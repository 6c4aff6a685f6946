"""PyNN's own system scenarios (test/system/scenarios of the PyNN source release) on spikesim.pynn.

    python benchmarks/pynn_scenarios.py                       # PyNN 0.13.0, writes results/pynn_scenarios.json
    python benchmarks/pynn_scenarios.py --against nest        # also run them on pyNN.nest, for reference
    python benchmarks/pynn_scenarios.py --sdist pynn-0.13.0.tar.gz --json out.json

What it does:

1. ``pip download pyNN==VERSION --no-binary :all: --no-deps`` into a temporary
   folder (or takes ``--sdist``) and unpacks it there; nothing from it enters
   the repository.
2. Copies ``test/system/scenarios`` next to a fresh ``fixtures.py``. In PyNN,
   ``run_with_simulators("nest", "neuron", "brian2")`` parametrizes each scenario
   with a lazily imported ``pyNN.<name>`` per listed simulator; here it
   parametrizes every scenario with one module, ``spikesim.pynn`` (whatever
   simulators the scenario lists -- the list is kept in the JSON as
   ``registered_for``). The scenario files themselves are unchanged.
3. Runs pytest on them in a child process (``MPLBACKEND=Agg``, an empty pytest
   configuration, so the repository's own pytest settings do not apply) and
   reads its JUnit XML.
4. Classifies every failure -- a model spikesim does not have (named from the
   ``NotImplementedError`` that spikesim.pynn raises), off-grid spike times,
   or anything else with the first line of its message -- and writes the
   counts and reasons to JSON.

The installed PyNN must be the version of the scenarios (``spikesim.pynn`` is
built on it); a mismatch is an error.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
MODULES = {"spikesim": "spikesim.pynn", "nest": "pyNN.nest", "brian2": "pyNN.brian2"}

FIXTURES = '''\
"""Written by spikesim's benchmarks/pynn_scenarios.py in place of PyNN's fixtures.py:
every scenario is parametrized with one simulator module, {module}."""
import importlib

import pytest

_module = importlib.import_module("{module}")


def run_with_simulators(*sim_names):
    return pytest.mark.parametrize("sim", [pytest.param(_module, id="{sim_id}")])
'''

OFF_GRID = re.compile(r"spike_precision\s*=\s*[\"']off_grid[\"']")
MODEL_MISSING = re.compile(r"The (\w+) model is not available for this simulator")


def fetch_sdist(version: str, dest: str) -> str:
    cmd = [sys.executable, "-m", "pip", "download", f"pyNN=={version}", "--no-binary", ":all:",
           "--no-deps", "--disable-pip-version-check", "-d", dest]
    print("$", " ".join(cmd))
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    found = [f for f in os.listdir(dest) if f.lower().startswith("pynn-") and f.endswith(".tar.gz")]
    if len(found) != 1:
        raise RuntimeError(f"expected one PyNN sdist in {dest}, found {found}")
    return os.path.join(dest, found[0])


def unpack(sdist: str, dest: str) -> str:
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # Python without extraction filters: refuse absolute or escaping paths
            for m in tar.getmembers():
                if m.name.startswith("/") or ".." in m.name.split("/"):
                    raise RuntimeError(f"unsafe path in {sdist}: {m.name}")
            tar.extractall(dest)
    (top,) = [d for d in os.listdir(dest) if os.path.isdir(os.path.join(dest, d))]
    return os.path.join(dest, top)


def registrations(scenarios: str) -> dict:
    """{'file.py::test_name': [simulators listed in run_with_simulators(...)]}, read with ast."""
    out = {}
    for name in sorted(os.listdir(scenarios)):
        if not (name.startswith("test") and name.endswith(".py")):
            continue
        with open(os.path.join(scenarios, name)) as f:
            tree = ast.parse(f.read())
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for dec in node.decorator_list:
                if (isinstance(dec, ast.Call) and getattr(dec.func, "id", "") == "run_with_simulators"):
                    out[f"{name}::{node.name}"] = [a.value for a in dec.args
                                                   if isinstance(a, ast.Constant)]
    return out


def run_pytest(scenarios_src: str, workdir: str, sim_id: str, timeout_s: float) -> tuple:
    """Copy the scenarios into workdir, swap in our fixtures.py, run pytest.

    Returns (JUnit XML root, pytest's summary line, wall time in s).
    """
    module = MODULES[sim_id]
    dst = os.path.join(workdir, "scenarios")
    shutil.copytree(scenarios_src, dst)
    with open(os.path.join(dst, "fixtures.py"), "w") as f:
        f.write(FIXTURES.format(module=module, sim_id=sim_id))
    ini = os.path.join(workdir, "pytest.ini")
    with open(ini, "w") as f:
        f.write("[pytest]\n")
    xml = os.path.join(workdir, "junit.xml")
    cmd = [sys.executable, "-m", "pytest", "-c", ini, "--rootdir", workdir, "-p", "no:cacheprovider",
           "-q", "-rs", "--junitxml", xml, "scenarios"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    print(f"$ (cd {workdir} && python {' '.join(cmd[1:])})   # sim = {module}")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, check=False, cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=timeout_s)
    wall = time.perf_counter() - t0
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    print(f"  {summary}   [{wall:.1f} s]")
    if not os.path.exists(xml):
        raise RuntimeError(f"pytest wrote no report (exit {proc.returncode}):\n{proc.stdout[-3000:]}"
                           f"\n{proc.stderr[-3000:]}")
    return ET.parse(xml).getroot(), summary, wall


def classify(message: str, source: str) -> dict:
    """Category and one-line reason of a failure, from its message (and the test's source)."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    m = MODEL_MISSING.search(message)
    if m:
        model = m.group(1)
        extra = ""
        if "PointNeuron" in source and model in ("AdExp", "LIF", "AlphaPSR",
                                                  "CurrExpPostSynapticResponse"):
            extra = " (first component of a composed PointNeuron cell type)"
        return {"category": "model not available in spikesim", "model": model,
                "reason": f"{model} is not available in spikesim{extra}: spikesim.pynn raises "
                          f"NotImplementedError"}
    if OFF_GRID.search(source):
        actual = re.search(r"ACTUAL: (array\([^)]*\))", message)
        desired = re.search(r"DESIRED: (array\([^)]*\))", message)
        got = (f": got {_values(actual.group(1))} ms, expected {_values(desired.group(1))} ms"
               if actual and desired else "")
        return {"category": "off-grid spike times",
                "reason": "needs setup(spike_precision='off_grid') (spike times between time "
                          "steps); spikesim is grid-based and setup() refuses the option "
                          "with NotImplementedError" + got}
    return {"category": "other", "reason": first[:300]}


def _values(numpy_repr: str) -> str:
    """'array([ 0.05, 10.  ])' -> '[0.05, 10.0]'."""
    return "[" + ", ".join(str(float(x)) for x in re.findall(r"[-+0-9.eE]+", numpy_repr)) + "]"


def collect(root, regs: dict, scenarios: str) -> dict:
    passed, failed, skipped = [], [], []
    sources = {}
    for tc in root.iter("testcase"):
        cls, name = tc.get("classname", ""), tc.get("name", "")
        fname = cls.split(".")[-1] + ".py"
        func = name.split("[")[0]
        key = f"{fname}::{func}"
        entry = {"test": key, "registered_for": regs.get(key, [])}
        fail = tc.find("failure")
        if fail is None:
            fail = tc.find("error")
        skip = tc.find("skipped")
        if fail is not None:
            if fname not in sources:
                with open(os.path.join(scenarios, fname)) as f:
                    sources[fname] = f.read()
            src = _function_source(sources[fname], func)
            msg = (fail.get("message") or "") + "\n" + (fail.text or "")
            entry.update(classify(msg, src))
            entry["message"] = (fail.get("message") or "").strip().splitlines()[0][:200] \
                if (fail.get("message") or "").strip() else ""
            failed.append(entry)
        elif skip is not None:
            entry["reason"] = (skip.get("message") or "").strip()
            skipped.append(entry)
        else:
            passed.append(key)
    return {"passed": passed, "failed": failed, "skipped": skipped}


def _function_source(text: str, func: str) -> str:
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == func:
            return ast.get_source_segment(text, node) or ""
    return ""


def summarize(res: dict) -> dict:
    counts = {"passed": len(res["passed"]), "failed": len(res["failed"]),
              "skipped": len(res["skipped"])}
    counts["total"] = sum(counts.values())
    by_cat = {}
    for f in res["failed"]:
        by_cat.setdefault(f["category"], Counter())[f.get("model", f["test"])] += 1
    return {"counts": counts,
            "failed_by_category": {c: dict(v.most_common()) for c, v in by_cat.items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pynn-version", default="0.13.0")
    ap.add_argument("--sdist", default=None, help="use this PyNN sdist instead of downloading it")
    ap.add_argument("--against", default="",
                    help="comma-separated reference backends to run the same scenarios on: nest, brian2")
    ap.add_argument("--json", default=os.path.join(RESULTS, "pynn_scenarios.json"))
    ap.add_argument("--timeout-s", type=float, default=1800.0, help="per simulator")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    a = ap.parse_args(argv)

    installed = importlib.metadata.version("PyNN")
    if installed != a.pynn_version:
        print(f"error: installed PyNN is {installed}, the scenarios are from {a.pynn_version}",
              file=sys.stderr)
        return 2
    against = [s for s in a.against.split(",") if s]
    for s in against:
        if s not in MODULES or s == "spikesim":
            print(f"error: unknown reference backend {s!r} (nest, brian2)", file=sys.stderr)
            return 2

    tmp = tempfile.mkdtemp(prefix="spikesim-pynn-scenarios-")
    try:
        sdist = a.sdist or fetch_sdist(a.pynn_version, os.path.join(tmp, "download"))
        with open(sdist, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        top = unpack(sdist, os.path.join(tmp, "src"))
        scenarios = os.path.join(top, "test", "system", "scenarios")
        regs = registrations(scenarios)
        not_collected = [k for k in regs if not k.split("::")[1].startswith("test")]

        runs = {}
        for sim_id in ["spikesim", *against]:
            workdir = os.path.join(tmp, f"run-{sim_id}")
            os.makedirs(workdir)
            try:
                root, line, wall = run_pytest(scenarios, workdir, sim_id, a.timeout_s)
            except subprocess.TimeoutExpired:
                runs[sim_id] = {"module": MODULES[sim_id], "status": "timeout"}
                continue
            res = collect(root, regs, scenarios)
            runs[sim_id] = {"module": MODULES[sim_id], "status": "ok", "pytest_summary": line,
                            "wall_s": round(wall, 2), **summarize(res), **res}
    finally:
        if a.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    ours = runs["spikesim"]
    versions = {"spikesim": _version("spikesim"), "PyNN": installed, "neo": _version("neo"),
                "numba": _version("numba"), "python": platform.python_version()}
    if "nest" in against:
        versions["nest-simulator"] = _version("nest-simulator")
    if "brian2" in against:
        versions["Brian2"] = _version("Brian2")
    payload = {
        "benchmark": "pynn_scenarios",
        "what": "PyNN's test/system/scenarios, every scenario parametrized with sim=spikesim.pynn",
        "pynn_sdist": {"file": os.path.basename(sdist), "sha256": sha,
                       "source": "PyPI" if a.sdist is None else "local file"},
        "command": "python benchmarks/pynn_scenarios.py" + (f" --against {a.against}" if against else ""),
        "versions": versions,
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
        "registered_scenarios": len(regs),
        "not_collected": [f"{k} (name lacks the test prefix: pytest collects it for no simulator)"
                          for k in not_collected],
        "counts": ours.get("counts"),
        "wall_s": ours.get("wall_s"),
        "failed_by_category": ours.get("failed_by_category"),
        "failures": [{k: f[k] for k in ("test", "category", "model", "reason", "message",
                                        "registered_for") if k in f}
                     for f in ours.get("failed", [])],
        "skipped": ours.get("skipped"),
        "passed": ours.get("passed"),
        "runs": {k: {kk: vv for kk, vv in v.items() if kk not in ("passed",)}
                 for k, v in runs.items() if k != "spikesim"},
    }
    for sim_id, r in payload["runs"].items():
        if r.get("status") == "ok":
            ok_there = set(runs[sim_id]["passed"])
            r["spikesim_failures_that_pass_here"] = sorted(
                f["test"] for f in ours["failed"] if f["test"] in ok_there)
    print_report(payload, runs)
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(payload, f, indent=1)
        f.write("\n")
    print("wrote", a.json)
    return 0


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def print_report(payload: dict, runs: dict) -> None:
    print()
    print(f"PyNN {payload['versions']['PyNN']} system scenarios ({payload['registered_scenarios']} "
          f"registered, {len(payload['not_collected'])} not collected by pytest)")
    for r in runs.values():
        if r.get("status") != "ok":
            print(f"  {r['module']:<14} {r.get('status')}")
            continue
        c = r["counts"]
        print(f"  {r['module']:<14} {c['passed']} passed, {c['failed']} failed, "
              f"{c['skipped']} skipped  ({r['wall_s']:.1f} s)")
    if payload["failures"]:
        print("\nspikesim.pynn failures:")
        for cat, models in (payload["failed_by_category"] or {}).items():
            n = sum(models.values())
            detail = ", ".join(f"{m} {k}" for m, k in models.items())
            print(f"  {cat} ({n}): {detail}")
        print()
        for f in payload["failures"]:
            print(f"  {f['test']:<72} {f['reason']}")
    for s in payload["skipped"] or []:
        print(f"  skipped: {s['test']}: {s['reason']}")


if __name__ == "__main__":
    sys.exit(main())
