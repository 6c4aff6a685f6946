"""Twin of spikesim.kernels.rewiring: the rewiring attempts in plain Python.

Bogdan et al. 2018 / sPyNNaker's synaptogenesis, written from its description, over
an obvious representation: a table of slots per post neuron, each empty or holding
one synapse ``(entry, pre, weight, delay)``. Row counts are counted, not stored.
The random numbers are the kernel's counter-based draws, with Python integers.
"""
import math

M64 = (1 << 64) - 1


def draw(seed, c, q):
    """The 32-bit uniform integer of draw ``q`` of attempt ``c``."""
    z = (int(seed) ^ ((int(c) * 0x9E3779B97F4A7C15) & M64)
         ^ (((int(q) + 1) * 0xC2B2AE3D27D4EB4F) & M64)) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    z = z ^ (z >> 31)
    return z >> 32


def rand_int(r32, n):
    return (r32 * n) >> 32 if n > 0 else 0


def formation_table(p, sigma, grid):
    """sPyNNaker's 16-bit table: int(p exp(-d2 / (2 sigma^2)) * 65535) while > 0, even length."""
    gx, gy = grid
    coords = [((k // gx) if gx > 1 else 0, (k % gy) if gy > 1 else 0) for k in range(gx * gy)]
    largest = 0
    for a in coords:
        for b in coords:
            dx, dy = abs(a[0] - b[0]), abs(a[1] - b[1])
            if dx > gx * 0.5:
                dx -= gx
            if dy > gy * 0.5:
                dy -= gy
            largest = max(largest, dx * dx + dy * dy)
    out = []
    for k in range(largest + 1):
        v = int(p * math.exp(-k / (2.0 * sigma * sigma)) * 65535)
        if v > 0:
            out.append(v)
    if len(out) % 2:
        out.append(0)
    return out


def d2(i, j, gx, gy):
    px, qx = (i // gx, j // gx) if gx > 1 else (0, 0)
    py, qy = (i % gy, j % gy) if gy > 1 else (0, 0)
    dx, dy = abs(px - qx), abs(py - qy)
    if gx > 1 and dx > gx // 2:
        dx -= gx
    if gy > 1 and dy > gy // 2:
        dy -= gy
    return dx * dx + dy * dy


class Group:
    """One rewiring process.

    ``entries``: dicts with ``pre_lo, n_pre, w_init, thresh, p_dep, p_pot, table, grid``;
    ``slots[j][s]``: None or ``[e, i, w, d]``; ``received``: (lo, hi, entry or -1)
    ranges of global ids.
    """

    def __init__(self, seed, n_post, s_max, fast, period, replace, partner, buf, dlo, dhi,
                 entries, slots, received, count=0):
        self.__dict__.update(seed=seed, n_post=n_post, s_max=s_max, fast=fast, period=period,
                             replace=replace, partner=partner, buf=buf, dlo=dlo, dhi=dhi,
                             entries=entries, slots=slots, received=received, count=count)
        self.stats = [0] * 10

    def row_count(self, e, i):
        return sum(1 for col in self.slots for x in col if x is not None and x[0] == e
                   and x[1] == i)

    def pair_exists(self, e, i, j):
        return any(x is not None and x[0] == e and x[1] == i for x in self.slots[j])

    def step(self, t, spikes):
        n = self.fast
        if n == 0:
            if (t + 1) % self.period:
                return
            n = 1
        pool = []
        if self.partner == 1:
            for j in spikes:
                if len(pool) >= self.buf:
                    break
                if any(lo <= j < hi for lo, hi, _ in self.received):
                    pool.append(j)
        for _ in range(n):
            self.attempt(pool)

    def attempt(self, pool):
        c, seed = self.count, self.seed
        self.count += 1
        st = self.stats
        st[0] += 1
        j = rand_int(draw(seed, c, 0), self.n_post)
        s = rand_int(draw(seed, c, 1), self.s_max)
        syn = self.slots[j][s]
        if syn is not None:
            e, i, w, d = syn
            ent = self.entries[e]
            r32 = draw(seed, c, 4)
            if abs(w) < ent["thresh"]:
                st[6] += 1
                if r32 > int(ent["p_dep"] * 0xFFFFFFFF):
                    return
                st[7] += 1
            else:
                st[8] += 1
                if r32 > int(ent["p_pot"] * 0xFFFFFFFF):
                    return
                st[9] += 1
            self.slots[j][s] = None
            return
        if self.partner == 0:
            e = rand_int(draw(seed, c, 2), len(self.entries))
            i = rand_int(draw(seed, c, 3), self.entries[e]["n_pre"])
        else:
            if not pool:
                st[1] += 1
                return
            gid = pool[rand_int(draw(seed, c, 3), len(pool))]
            e = next(ee for lo, hi, ee in self.received if lo <= gid < hi)
            if e < 0:
                st[1] += 1
                return
            i = gid - self.entries[e]["pre_lo"]
        if self.row_count(e, i) >= self.s_max:
            st[2] += 1
            return
        if not self.replace and self.pair_exists(e, i, j):
            st[3] += 1
            return
        st[4] += 1
        ent = self.entries[e]
        dd = d2(i, j, *ent["grid"])
        if dd >= len(ent["table"]):
            return
        if rand_int(draw(seed, c, 4), 65535) > ent["table"][dd]:
            return
        delay = self.dlo + rand_int(draw(seed, c, 5), self.dhi - self.dlo)
        self.slots[j][s] = [e, i, ent["w_init"], delay]
        st[5] += 1
