"""Other simulators that run a spikesim network as it is.

``spikesim.backends.nest.run(net, duration)`` builds the network in PyNEST,
simulates it there and fills the network's recorders. Backends are imported
on call, so this package needs none of them installed.
"""
from __future__ import annotations

BACKENDS = ("nest",)


def run(net, duration: float, backend: str = "nest", **kwargs) -> dict:
    """Simulate ``net`` for ``duration`` ms on ``backend`` (see that backend's ``run``)."""
    if backend == "nest":
        from .nest import run as f
    else:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    return f(net, duration, **kwargs)


__all__ = ["BACKENDS", "run"]
