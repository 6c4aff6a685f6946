"""The NALSM astrocyte: a slow integrator of network activity that scales STDP.

Ivanov & Michmizos, "Increasing Liquid State Machine Performance with
Edge-of-Chaos Dynamics Organized by Astrocyte-modulated Plasticity"
(NeurIPS 2021). Each astrocyte integrates the spikes it listens to,

.. math::

    A \\leftarrow A + \\frac{dt}{\\tau_A}\\big(w_A (\\textstyle\\sum s_{\\text{liquid}}
    - \\sum s_{\\text{input}}) + b_A - A\\big),

once per step (the paper's update at ``dt = 1 ms``), and its ``A`` scales the
STDP depression and/or potentiation of the projections it modulates
(:meth:`spikesim.Projection.modulate`; NALSM scales the depression of synapses
from excitatory and input neurons and the potentiation of those from inhibitory ones). ``b_A = A(0)``. An optional decay
multiplies ``A``, ``w_A`` and ``b_A`` by a factor per ms after each update
(NALSM's 0.99 per ms within a sample).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as V


@dataclass(frozen=True)
class NALSMAstrocyte:
    """Parameters of NALSM astrocytes (pass to :meth:`Network.add_astrocytes`).

    Parameters
    ----------
    tau_A : float
        Integration time constant, ms (default 100).
    w_A : float
        Weight of one spike (dimensionless; the paper uses 0.015 for a
        1,000-neuron liquid, 0.0075 for 8,000).
    b_A : float
        Bias and initial value ``A(0)`` (default 0.15).
    decay : float
        Factor per ms in (0, 1] applied to ``A``, ``w_A`` and ``b_A`` after
        each step's update (as ``decay ** dt``); 1 means none.

    ``add_astrocytes(n, NALSMAstrocyte(...), positive=[liquid], negative=[inputs],
    density=1.0)``: each astrocyte listens to a random fraction ``density``
    (0.1 to 1) of the neurons of the ``positive`` populations (their spikes
    add) and of the ``negative`` ones (their spikes subtract). One astrocyte
    with ``density=1`` is NALSM's global astrocyte.
    """

    tau_A: float = 100.0
    w_A: float = 0.015
    b_A: float = 0.15
    decay: float = 1.0

    def __post_init__(self) -> None:
        V.positive_scalar("NALSMAstrocyte.tau_A", self.tau_A)
        V.finite_scalar("NALSMAstrocyte.w_A", self.w_A)
        V.finite_scalar("NALSMAstrocyte.b_A", self.b_A)
        d = V.positive_scalar("NALSMAstrocyte.decay", self.decay)
        if d > 1.0:
            raise ValueError(f"NALSMAstrocyte.decay must be in (0, 1], got {self.decay!r}")

    def _add_to(self, net, n: int, label, positive=(), negative=(), density: float = 1.0):
        return NALSMAstrocyteGroup(net, n, self, label or f"nalsm_astrocytes{len(net.astrocytes)}",
                                   positive, negative, density)


class NALSMAstrocyteGroup:
    """Astrocytes made by :meth:`Network.add_astrocytes` with an :class:`NALSMAstrocyte`.

    ``A`` (read-only view) is the live activity of each astrocyte.
    """

    in_kernel = True

    def __init__(self, net, n, model: NALSMAstrocyte, label: str, positive, negative,
                 density) -> None:
        if net.dt > model.tau_A:
            raise ValueError(f"NALSMAstrocyte.tau_A must be >= dt ({net.dt!r} ms), "
                             f"got {model.tau_A!r} ms")
        density = V.probability("density", density)
        if density < 0.1 and n > 1 or density == 0.0:
            raise ValueError(f"density must be in [0.1, 1] (the NALSM sparse variant), got {density!r}")
        self.net, self.n, self.model, self.label = net, n, model, label
        gids, astros, signs = [], [], []
        cover = np.zeros((n, net.n_neurons), bool)
        for sign, pops in ((1.0, positive), (-1.0, negative)):
            if not isinstance(pops, (list, tuple)):
                pops = [pops]
            for p in pops:
                net._own("positive" if sign > 0 else "negative", p)
                ids = p.population.first + np.asarray(p.local_indices, np.int64)
                for a in range(n):
                    pick = ids if density >= 1.0 else ids[net.rng.random(ids.shape[0]) < density]
                    gids.append(pick)
                    astros.append(np.full(pick.shape[0], a, np.int64))
                    signs.append(np.full(pick.shape[0], sign))
                    cover[a, pick] = True
        if not gids:
            raise ValueError("add_astrocytes needs at least one population in positive= or negative=")
        self._listen_gid = np.concatenate(gids)
        self._listen_astro = np.concatenate(astros)
        self._listen_sign = np.concatenate(signs)
        self._cover = cover
        self._A = np.full(n, float(model.b_A))
        self._par = np.tile([net.dt / model.tau_A, model.w_A, model.b_A, model.decay ** net.dt], (n, 1))
        net.astrocytes.append(self)

    @property
    def A(self) -> np.ndarray:
        out = self._A.view()
        out.flags.writeable = False
        return out

    def reset(self, w_A: float | None = None, b_A: float | None = None) -> None:
        """Set ``A`` back to ``b_A`` and undo the decay of ``w_A`` and ``b_A`` (or set new values)."""
        w = self.model.w_A if w_A is None else V.finite_scalar("w_A", w_A)
        b = self.model.b_A if b_A is None else V.finite_scalar("b_A", b_A)
        self._par[:, 1] = w
        self._par[:, 2] = b
        self._A[:] = b

    def _assign_synapses(self, proj) -> np.ndarray:
        """Astrocyte of each synapse of ``proj``: one of those listening to its target, or -1."""
        gid = proj.post_population.first + proj.post.astype(np.int64)
        cov = self._cover[:, gid]  # (n, n_syn)
        if self.n == 1:
            return np.where(cov[0], 0, -1).astype(np.int32)
        # a random listening astrocyte per synapse: argmax of random keys over the covering ones
        keys = np.where(cov, self.net.rng.random(cov.shape), -1.0)
        pick = np.argmax(keys, axis=0)
        return np.where(cov.any(axis=0), pick, -1).astype(np.int32)

    def _save(self, h) -> None:
        m = self.model
        h.attrs.update(label=self.label, n=self.n, tau_A=m.tau_A, w_A=m.w_A, b_A=m.b_A, decay=m.decay)
        for name in ("_A", "_par", "_listen_gid", "_listen_astro", "_listen_sign"):
            h.create_dataset(name.lstrip("_"), data=getattr(self, name))

    @classmethod
    def _load(cls, net, h) -> "NALSMAstrocyteGroup":
        model = NALSMAstrocyte(tau_A=float(h.attrs["tau_A"]), w_A=float(h.attrs["w_A"]),
                               b_A=float(h.attrs["b_A"]), decay=float(h.attrs["decay"]))
        n = int(h.attrs["n"])
        g = cls.__new__(cls)
        g.net, g.n, g.model, g.label = net, n, model, str(h.attrs["label"])
        g._A = V.finite_array("A", h["A"][()]).copy()
        g._par = np.asarray(h["par"][()], np.float64).copy()
        g._listen_gid = np.asarray(h["listen_gid"][()], np.int64)
        g._listen_astro = np.asarray(h["listen_astro"][()], np.int64)
        g._listen_sign = np.asarray(h["listen_sign"][()], np.float64)
        k = g._listen_gid.shape[0]
        if g._A.shape != (n,) or g._par.shape != (n, 4) or not np.isfinite(g._par).all() or \
                g._listen_astro.shape != (k,) or g._listen_sign.shape != (k,) or \
                (k and (g._listen_gid.min() < 0 or g._listen_gid.max() >= net.n_neurons or
                        g._listen_astro.min() < 0 or g._listen_astro.max() >= n)):
            raise ValueError(f"astrocyte group {g.label!r}: stored arrays are inconsistent")
        g._cover = np.zeros((n, net.n_neurons), bool)
        g._cover[g._listen_astro, g._listen_gid] = True
        net.astrocytes.append(g)
        return g

    def __repr__(self) -> str:
        return f"NALSMAstrocyteGroup({self.label!r}, n={self.n})"
