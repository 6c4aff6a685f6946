"""Chips, placement, routing keys and multicast routing tables of a SpiNNaker-style machine.

Conventions (SpiNNaker datasheet, PACMAN):

* A chip ``(x, y)`` has six links, numbered ``0`` east ``(+1, 0)``, ``1``
  north-east ``(+1, +1)``, ``2`` north ``(0, +1)``, ``3`` west, ``4``
  south-west, ``5`` south; link ``k`` and ``(k + 3) % 6`` are opposite.
* A routing entry is ``(key, mask, route)`` with 32-bit key and mask; a
  packet with key ``k`` matches when ``k & mask == key``. The first matching
  entry wins. ``route`` is a bit field: bits 0-5 are the links, bit
  ``6 + p`` is core ``p`` (18 cores, bits 6-23).
* A packet that matches no entry and arrived over a link leaves by the
  opposite link (*default routing*); one from a local core that matches
  nothing is dropped. So an entry that only sends a packet straight on may
  be left out of the table.
* At most 1024 entries per chip router.

Boards (``board=``):

``"spinn5"``
    The 48-chip SpiNN-5 board: chips with ``0 <= x, y <= 7``,
    ``y - x <= 3`` and ``x - y <= 4`` (the hexagonal board drawn on the
    8 x 8 grid without its two missing corners), no wrap-around links.
``"spinn3"``
    The 4-chip SpiNN-3 board, ``2 x 2``.
``(width, height)``
    A rectangular virtual machine of ``width x height`` chips without
    wrap-around (as sPyNNaker's virtual machines).

Every chip offers application cores 1-16: core 0 is the monitor processor
and core 17 is left to the system (some SpiNN-5 chips have only 17 working
cores), so 16 of the 18 cores run neurons.

Placement
    Machine vertices are placed in order (population after population,
    slice after slice) on the free cores of chips sorted by distance from
    the Ethernet chip ``(0, 0)`` (a radial placer, as PACMAN's).
Keys
    Zoned, as PACMAN's allocator: every application vertex gets one aligned
    block of ``2^(slice bits + atom bits)`` keys; a slice's key is the block
    base plus ``slice index << atom bits``, and the neuron index is in the low
    bits. A slice's mask leaves exactly ``ceil(log2(slice size))`` low bits
    free (``ceil(log2(size)) + ceil(log2(stages))`` for a delay-extension
    slice, whose key is ``base | (stage - 1) << ceil(log2(size)) | neuron``).
Routes
    Dimension-order routing on the hexagonal mesh: first along the diagonal
    (links 1/4) while ``dx`` and ``dy`` have the same sign, then along x,
    then along y. These paths are minimal and prefix-closed, so the union of
    the paths from one source to all its targets is a tree, and they never
    leave a SpiNN-5 board or a rectangle (both are convex for this order).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LINKS = ((1, 0), (1, 1), (0, 1), (-1, 0), (-1, -1), (0, -1))
LINK_NAMES = ("E", "NE", "N", "W", "SW", "S")
N_LINKS = 6
CORES_PER_CHIP = 18
APP_CORES = tuple(range(1, 17))
MAX_ENTRIES = 1024
SDRAM_BYTES = 128 * 2 ** 20
SDRAM_RESERVED = 8 * 2 ** 20  # system, neuron parameters, recording (simplified)
FULL = 0xFFFFFFFF


@dataclass(frozen=True)
class Board:
    """A machine: its chips, application cores and router size."""

    name: str
    chips: tuple
    app_cores: tuple = APP_CORES
    max_entries: int = MAX_ENTRIES
    sdram_bytes: int = SDRAM_BYTES

    @property
    def n_cores(self) -> int:
        return len(self.chips) * len(self.app_cores)


def board_layout(board) -> Board:
    """The :class:`Board` named by ``board`` (see the module docstring)."""
    if isinstance(board, Board):
        return board
    if board == "spinn5":
        chips = [(x, y) for x in range(8) for y in range(8) if y - x <= 3 and x - y <= 4]
        return Board("spinn5", tuple(chips))
    if board == "spinn3":
        return Board("spinn3", ((0, 0), (0, 1), (1, 0), (1, 1)))
    if isinstance(board, (tuple, list)) and len(board) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in board):
        w, h = int(board[0]), int(board[1])
        return Board(f"grid{w}x{h}", tuple((x, y) for x in range(w) for y in range(h)))
    raise ValueError(f"board must be 'spinn5', 'spinn3' or (width, height) of a virtual machine, "
                     f"got {board!r}")


def route_bits(links=(), cores=()) -> int:
    r = 0
    for k in links:
        r |= 1 << k
    for p in cores:
        r |= 1 << (N_LINKS + p)
    return r


def route_parts(route: int) -> tuple[list, list]:
    """``(links, cores)`` of a route bit field."""
    links = [k for k in range(N_LINKS) if route >> k & 1]
    cores = [p for p in range(CORES_PER_CHIP) if route >> (N_LINKS + p) & 1]
    return links, cores


# ---------------------------------------------------------------- placement
def radial_order(board: Board) -> list:
    def dist(c):
        x, y = c
        return max(abs(x), abs(y)) if x * y >= 0 else abs(x) + abs(y)
    return sorted(board.chips, key=lambda c: (dist(c), c))


def place(n_vertices: int, board: Board) -> tuple[list, int]:
    """``([(x, y, p) or None per vertex], n_unplaced)``, cores filled chip by chip."""
    slots = [(x, y, p) for (x, y) in radial_order(board) for p in board.app_cores]
    out = [slots[i] if i < len(slots) else None for i in range(n_vertices)]
    return out, max(0, n_vertices - len(slots))


# ---------------------------------------------------------------- keys
def bits_for(n: int) -> int:
    """``ceil(log2(n))`` for ``n >= 1`` (0 for 1)."""
    return int(n - 1).bit_length()


def allocate_keys(app_slices: list) -> tuple[list, int]:
    """Zoned key allocation.

    ``app_slices[a]`` lists ``(n_atoms, stage_bits)`` of application vertex
    ``a``'s slices. Returns ``(keys, total)`` with ``keys[a][s] = (key, mask)``
    and ``total`` the size of the key space used (must be <= 2^32).
    """
    need = []
    for slices in app_slices:
        atom = max((bits_for(n) + sb for n, sb in slices), default=0)
        need.append(atom + bits_for(max(len(slices), 1)))
    order = sorted(range(len(app_slices)), key=lambda a: (-need[a], a))
    base, keys = 0, [None] * len(app_slices)
    for a in order:
        slices = app_slices[a]
        atom = max((bits_for(n) + sb for n, sb in slices), default=0)
        keys[a] = [(base + (s << atom), (FULL << (bits_for(n) + sb)) & FULL)
                   for s, (n, sb) in enumerate(slices)]
        base += 1 << need[a]
    return keys, base


# ---------------------------------------------------------------- routing
def dor_path(src, dst) -> list:
    """Dimension-order path ``[(chip, out_link), ...]`` from ``src`` to ``dst`` (excluding dst)."""
    x, y = src
    dx, dy = dst[0] - x, dst[1] - y
    steps = []
    if dx * dy > 0:
        k = min(abs(dx), abs(dy))
        steps += [1 if dx > 0 else 4] * k
        dx -= k if dx > 0 else -k
        dy -= k if dy > 0 else -k
    steps += [0 if dx > 0 else 3] * abs(dx)
    steps += [2 if dy > 0 else 5] * abs(dy)
    out = []
    for link in steps:
        out.append(((x, y), link))
        x, y = x + LINKS[link][0], y + LINKS[link][1]
    return out


@dataclass
class RoutingEntry:
    key: int
    mask: int
    route: int

    def matches(self, key: int) -> bool:
        return (key & self.mask) == self.key

    def to_json(self) -> dict:
        links, cores = route_parts(self.route)
        return {"key": self.key, "mask": self.mask, "route": self.route,
                "links": [LINK_NAMES[k] for k in links], "cores": cores}


@dataclass
class RoutingTable:
    """The multicast table of one chip (entries in priority order)."""

    chip: tuple
    entries: list = field(default_factory=list)
    n_routes: int = 0          # key spaces through this chip before compression
    n_default_routed: int = 0  # entries dropped because default routing does their job
    merged: bool = False       # entries were merged (trie covering) to fit

    def lookup(self, key: int):
        for e in self.entries:
            if (key & e.mask) == e.key:
                return e
        return None


def multicast_trees(sources: list, placements: list) -> dict:
    """Routing trees ``{vertex: {chip: [in_link or None, out_links set, cores set]}}``.

    ``sources`` is a list of ``(vertex, [target vertex, ...])``. ``in_link`` is
    the link the packet travelled along to reach the chip (None at the source).
    """
    trees = {}
    for v, targets in sources:
        src = placements[v]
        if src is None:
            continue
        tree = {src[:2]: [None, set(), set()]}
        for t in targets:
            tp = placements[t]
            if tp is None:
                continue
            for chip, link in dor_path(src[:2], tp[:2]):
                tree[chip][1].add(link)
                nxt = (chip[0] + LINKS[link][0], chip[1] + LINKS[link][1])
                node = tree.setdefault(nxt, [link, set(), set()])
                assert node[0] == link, "dimension-order paths must form a tree"
            tree[tp[:2]][2].add(tp[2])
        trees[v] = tree
    return trees


def build_tables(trees: dict, keys: dict, board: Board, compress="auto") -> dict:
    """Per-chip tables from routing trees; ``keys[v] = (key, mask)``.

    ``compress``: ``False`` keeps one entry per key space on every chip it
    passes; ``"auto"``/``True`` drops default-routable entries and merges
    entries (trie covering, :func:`merge_entries`) on chips that still hold
    more than ``board.max_entries``; ``"always"`` merges on every chip.
    """
    raw = {c: [] for c in board.chips}
    through = {c: [] for c in board.chips}  # default-routed key spaces
    for v, tree in trees.items():
        key, mask = keys[v]
        for chip, (in_link, outs, cores) in tree.items():
            route = route_bits(outs, cores)
            # in_link is the direction of travel: the packet came in through the port
            # opposite to it and default routing sends it on in the same direction
            if compress is not False and in_link is not None and not cores and outs == {in_link}:
                through[chip].append((key, mask, route))
            else:
                raw[chip].append((key, mask, route))
    tables = {}
    for chip in board.chips:
        ents = sorted(raw[chip])
        t = RoutingTable(chip, n_routes=len(ents) + len(through[chip]),
                         n_default_routed=len(through[chip]))
        if compress == "always" or (compress not in (False,) and len(ents) > board.max_entries):
            ents = merge_entries(ents, [(k, m) for k, m, _ in through[chip]])
            t.merged = True
        t.entries = [RoutingEntry(int(k), int(m), int(r)) for k, m, r in ents]
        tables[chip] = t
    return tables


def merge_entries(entries: list, protected: list) -> list:
    """Merge same-route entries into ternary entries that cover no other key space.

    ``entries`` are disjoint ``(key, mask, route)``; ``protected`` are the
    ``(key, mask)`` spaces that pass through by default routing. A group of
    entries with one route becomes one entry whose mask keeps only the bits
    all its keys agree on, if that entry covers no key space of another route
    and no protected space; otherwise the group is split on its highest
    differing bit and each half is tried again (singletons always succeed).
    Merged entries of different routes may overlap only on keys that never
    reach this chip, so their order does not matter.
    """
    if not entries:
        return []
    keys = np.array([e[0] for e in entries], np.int64)
    masks = np.array([e[1] for e in entries], np.int64)
    routes = np.array([e[2] for e in entries], np.int64)
    pk = np.array([p[0] for p in protected], np.int64)
    pm = np.array([p[1] for p in protected], np.int64)
    out = []

    def covers_foreign(k, m, route):
        bad = ((keys ^ k) & masks & m) == 0
        bad &= routes != route
        if bad.any():
            return True
        return bool(pk.size and (((pk ^ k) & pm & m) == 0).any())

    def merge(idx, route):
        k0 = int(keys[idx[0]])
        diff = 0
        for i in idx:
            diff |= int(keys[i]) ^ k0
        m = int(np.bitwise_and.reduce(masks[idx])) & ~diff & FULL
        k = k0 & m
        if len(idx) == 1 or not covers_foreign(k, m, route):
            out.append((k, m, route))
            return
        bit = diff.bit_length() - 1
        hi = [i for i in idx if keys[i] >> bit & 1]
        lo = [i for i in idx if not keys[i] >> bit & 1]
        merge(lo, route)
        merge(hi, route)

    for route in np.unique(routes):
        merge(list(np.flatnonzero(routes == route)), int(route))
    return sorted(out)


def trace(tables: dict, src_chip, key: int, max_hops: int = 10000) -> tuple[set, list]:
    """Follow a packet with ``key`` sent by a core on ``src_chip`` through ``tables``.

    Returns ``(delivered, problems)``: the ``(x, y, core)`` it reaches and a list
    of strings describing drops, packets leaving the machine and loops.
    """
    delivered, problems = set(), []
    frontier = [(tuple(src_chip), None)]
    seen = set()
    hops = 0
    while frontier:
        chip, in_link = frontier.pop()
        if (chip, in_link) in seen:
            problems.append(f"loop at chip {chip}")
            continue
        seen.add((chip, in_link))
        hops += 1
        if hops > max_hops:
            problems.append("too many hops")
            break
        table = tables.get(chip)
        if table is None:
            problems.append(f"packet left the machine at {chip}")
            continue
        e = table.lookup(key)
        if e is None:
            if in_link is None:
                problems.append(f"packet from a core on {chip} matches no entry (dropped)")
                continue
            links, cores = [in_link], []  # straight on: out of the port opposite the arrival port
        else:
            links, cores = route_parts(e.route)
        for p in cores:
            delivered.add((chip[0], chip[1], p))
        for k in links:
            frontier.append(((chip[0] + LINKS[k][0], chip[1] + LINKS[k][1]), k))
    return delivered, problems
