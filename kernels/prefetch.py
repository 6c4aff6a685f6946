"""A software prefetch hint for Numba kernels (LLVM's ``llvm.prefetch`` intrinsic).

The plastic kernels read and write weights and trace records scattered over
tens of megabytes (L3, not L1/L2). The CPU overlaps only a few such misses on
its own; asking for the lines of the next ~16 synapses ahead of use lets many
misses overlap. A prefetch is only a hint: it never faults, never changes a
value, and the results are bit-identical with or without it.
"""
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from ._config import jit

#: synapses prefetched ahead of use in the scattered inner loops
AHEAD = 16
#: synapses prefetched ahead in static delivery into ring slots spread over tens of MB:
#: a bare delivery loop at the full-scale microcircuit's sizes took 11 ns per event without
#: prefetch, 7.8 / 5.8 / 4.9 / 5.3 ns with 16 / 32 / 64 / 128 ahead
#: (benchmarks/microcircuit_delivery_bound.py)
DELIVERY_AHEAD = 64
#: Cache lines of a row's arrays that :func:`prefetch_row` asks for (the CPU's own prefetcher
#: follows a longer row once it is under way)
ROW_LINES = 8


def _prefetch_call(builder, ptr, rw: int) -> None:
    i32 = ir.IntType(32)
    fnty = ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer(), i32, i32, i32])
    fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
    # (address, read/write, locality 3 = keep in all cache levels, data cache)
    builder.call(fn, [ptr, ir.Constant(i32, rw), ir.Constant(i32, 3), ir.Constant(i32, 1)])


def _make_prefetch(rw: int):
    """An intrinsic hinting that ``arr[idx]`` will be read (``rw=0``) or written (``rw=1``)."""

    def hint(typingctx, arr, idx):
        if not isinstance(arr, types.Array) or not isinstance(idx, types.Integer):
            return None
        sig = types.void(arr, idx)

        def codegen(context, builder, signature, args):
            aryty, idxty = signature.args
            ary = context.make_array(aryty)(context, builder, args[0])
            i8p = ir.IntType(8).as_pointer()
            i = context.cast(builder, args[1], idxty, types.int64)
            stride0 = cgutils.unpack_tuple(builder, ary.strides, aryty.ndim)[0]
            ptr = builder.gep(builder.bitcast(ary.data, i8p), [builder.mul(i, stride0)])
            _prefetch_call(builder, ptr, rw)
            return context.get_dummy_value()

        return sig, codegen

    hint.__name__ = hint.__qualname__ = "prefetch" if rw else "prefetch_read"
    return hint


#: ``prefetch(arr, idx)``: ``arr[idx]`` (the first element of row ``idx`` if ``arr`` is 2-D)
#: will be written soon (the line is fetched for ownership). ``idx`` need not be checked:
#: an address outside ``arr`` is never read.
prefetch = intrinsic(_make_prefetch(1))

#: ``prefetch_read(arr, idx)``: as :data:`prefetch` for data that will only be read; use it
#: for data other threads read too, so that the line is shared, not taken from them.
prefetch_read = intrinsic(_make_prefetch(0))


@intrinsic
def prefetch_2d(typingctx, arr, i, j):
    """``prefetch_2d(arr, i, j)``: ``arr[i, j]`` of a 2-D array will be written soon.

    The address is computed from the strides and never read, so ``i`` and ``j`` need not
    be checked."""
    if not isinstance(arr, types.Array) or arr.ndim != 2 or not isinstance(i, types.Integer) \
            or not isinstance(j, types.Integer):
        return None
    sig = types.void(arr, i, j)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        s0, s1 = cgutils.unpack_tuple(builder, ary.strides, 2)
        ii = context.cast(builder, args[1], signature.args[1], types.int64)
        jj = context.cast(builder, args[2], signature.args[2], types.int64)
        off = builder.add(builder.mul(ii, s0), builder.mul(jj, s1))
        ptr = builder.gep(builder.bitcast(ary.data, ir.IntType(8).as_pointer()), [off])
        _prefetch_call(builder, ptr, 1)
        return context.get_dummy_value()

    return sig, codegen


@jit
def prefetch_row(arr, a, b):
    """Hint that ``arr[a:b]`` will be read: its first :data:`ROW_LINES` cache lines.

    Called for every row of a step before any is delivered, so the rows' cache misses
    overlap. Only touching a row's first value left the rest of it to miss during delivery:
    CUBA 20k at one thread spent 39 ms of its 1 s loop delivering 219,160 rows of 40
    synapses that way, 15 ms with whole rows prefetched (rdtsc around the two passes, same
    spikes)."""
    step = max(64 // arr.itemsize, 1)
    for k in range(a, min(b, a + ROW_LINES * step), step):
        prefetch_read(arr, k)
