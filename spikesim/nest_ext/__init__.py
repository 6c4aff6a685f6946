"""spikesim's NEST extension module: pair STDP with spikesim's (axonal) delay convention.

NEST's ``stdp_synapse`` times every pair from the presynaptic *emission* and
shifts the postsynaptic spikes by the delay (dendritic delay:
``dt = t_post + d - t_pre``); spikesim, Brian2 with a delayed ``pre`` pathway and
the NALSM / CA3 models here time them from the *arrival*
(``dt = t_post - (t_pre + d)``). The same spikes then pair ``2 d`` apart, which
changes what a network learns (the CA3 memory forgets nothing on NEST with
``stdp_synapse``). No NEST 3.10 synapse model has an axonal STDP delay and
pyNN.nest refuses ``dendritic_delay_fraction != 1``.

This package compiles a small NEST module (C++, ``axonal_stdp_synapse.h``)
that adds ``spikesim_axonal_stdp_synapse``: all-to-all pair STDP, additive or
multiplicative, bounds ``[Wmin, Wmax]``, timed from the arrival exactly as
spikesim's kernel (:mod:`spikesim.plasticity`). Its delay must be one time
step (then NEST knows every postsynaptic spike the depression needs when the
presynaptic spike is sent); a longer axonal delay is built by relaying the
presynaptic spikes through a ``parrot_neuron`` first, which
:func:`spikesim.export.to_pynn_script` does (``stdp_delay="axonal"``).

Building needs a C++20 compiler (``$CXX``, else ``g++`` or ``c++``), the
headers of the installed NEST (pip's ``nest-simulator`` ships them) and the
Boost headers NEST's headers include (the ``boost-headers`` package, in the
``nest`` extra, or a system Boost; ``$BOOST_INCLUDEDIR`` overrides). The
library is cached per NEST version and source hash under
``$SPIKESIM_CACHE`` (default ``~/.cache/spikesim``); the first build takes
about 15 s.

Examples
--------
>>> import nest
>>> from spikesim import nest_ext
>>> model = nest_ext.install()          # doctest: +SKIP
>>> nest.Connect(a, b, syn_spec={"synapse_model": model, "delay": nest.resolution,
...              "tau_plus": 20.0, "A_plus": 10.0, "A_minus": 10.5, "Wmax": 500.0})  # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import subprocess
import sysconfig

MODEL = "spikesim_axonal_stdp_synapse"
MODULE = "spikesim_nest"
_HERE = pathlib.Path(__file__).resolve().parent
SOURCES = ("spikesim_nest.cpp", "axonal_stdp_synapse.h", "shim/ltdl.h")


class NestExtensionError(RuntimeError):
    """The NEST extension module cannot be built or loaded (the message says why)."""


def _nest_dir() -> pathlib.Path:
    import importlib.util

    spec = importlib.util.find_spec("nest")
    if spec is None or spec.origin is None:
        raise NestExtensionError("NEST is not installed (pip install nest-simulator)")
    return pathlib.Path(spec.origin).parent


def _boost_include() -> pathlib.Path:
    env = os.environ.get("BOOST_INCLUDEDIR")
    if env:
        if not (pathlib.Path(env) / "boost" / "type_index.hpp").is_file():
            raise NestExtensionError(f"BOOST_INCLUDEDIR={env!r} has no boost/type_index.hpp")
        return pathlib.Path(env)
    for c in (pathlib.Path(sysconfig.get_paths()["purelib"]) / "boost_headers" / "include",
              pathlib.Path("/usr/include"), pathlib.Path("/usr/local/include")):
        if (c / "boost" / "type_index.hpp").is_file():
            return c
    raise NestExtensionError("the Boost headers that NEST's headers include were not found: "
                             "pip install boost-headers (or install a system Boost, or set "
                             "BOOST_INCLUDEDIR)")


def _compiler() -> str:
    env = os.environ.get("CXX")
    if env:
        if shutil.which(env) is None:
            raise NestExtensionError(f"CXX={env!r} is not an executable compiler")
        return shutil.which(env)
    for name in ("g++", "c++"):
        if shutil.which(name):
            return shutil.which(name)
    raise NestExtensionError("no C++ compiler found (set CXX, or install g++)")


def _nest_version(nest_dir: pathlib.Path) -> str:
    cfg = nest_dir / "include" / "nest" / "config.h"
    if not cfg.is_file():
        raise NestExtensionError(f"the installed NEST has no headers ({cfg} is missing)")
    for line in cfg.read_text(errors="replace").splitlines():
        if line.startswith("#define NEST_VERSION "):
            return line.split('"')[1]
    return "unknown"


def library_path(cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """Where :func:`build` puts the module for the installed NEST and these sources."""
    nest_dir = _nest_dir()
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((_HERE / name).read_bytes())
    digest.update(str(nest_dir).encode())
    base = pathlib.Path(cache_dir or os.environ.get("SPIKESIM_CACHE")
                        or pathlib.Path.home() / ".cache" / "spikesim")
    tag = f"nest{_nest_version(nest_dir)}-{digest.hexdigest()[:12]}"
    return base / "nest_ext" / tag / f"{MODULE}.so"


def build(cache_dir: str | os.PathLike | None = None, force: bool = False) -> pathlib.Path:
    """Compile the module (unless cached) and return the path of the shared library.

    Parameters
    ----------
    cache_dir : path, optional
        Cache root (default ``$SPIKESIM_CACHE`` or ``~/.cache/spikesim``).
    force : bool
        Rebuild even if the cached library exists.

    Raises
    ------
    NestExtensionError
        NEST, its headers, the Boost headers or a compiler are missing, or compilation fails
        (the compiler's messages are included).
    """
    out = library_path(cache_dir)
    if out.is_file() and not force:
        return out
    nest_dir = _nest_dir()
    kernel = nest_dir / "nestkernel_api.so"
    if not kernel.is_file():
        raise NestExtensionError(f"{kernel} not found: this NEST installation is not pip's "
                                 "nest-simulator wheel, build the module with NEST's own tools")
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    cmd = [_compiler(), "-std=c++20", "-O2", "-fPIC", "-shared", "-fopenmp",
           # pip's nest-simulator wheel is built with the pre-C++11 std::string ABI (manylinux2014)
           "-D_GLIBCXX_USE_CXX11_ABI=0",
           f"-I{nest_dir / 'include' / 'nest'}", f"-I{_boost_include()}", f"-I{_HERE}",
           f"-I{_HERE / 'shim'}", str(_HERE / "spikesim_nest.cpp"),
           "-o", str(tmp), str(kernel), f"-Wl,-rpath,{nest_dir}"]
    out.parent.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise NestExtensionError(f"compiling the NEST module failed ({' '.join(cmd)}):\n"
                                 + r.stderr[-4000:])
    os.replace(tmp, out)  # atomic: concurrent builders never load a half-written file
    return out


def install(cache_dir: str | os.PathLike | None = None) -> str:
    """Build if needed, load the module into the running NEST kernel; return :data:`MODEL`.

    Safe to call again (also after ``nest.ResetKernel()``, which unloads modules).
    """
    import nest

    if MODEL not in nest.synapse_models:
        path = build(cache_dir)
        try:
            nest.Install(str(path))
        except Exception as e:  # NEST raises its own kernel exceptions
            raise NestExtensionError(f"NEST could not load {path}: {e}") from e
    return MODEL
