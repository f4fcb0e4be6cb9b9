"""The per-contact standard draws, compiled: numpy's PCG64 and its ziggurats, inline.

:func:`simroi.queueing.contact_draws.draw_by_groups` fills per-contact tables with standard
normals, exponentials and uniforms, column group by column group, each group from its own
region of a PCG64 stream. numpy draws a group into a buffer that is then copied in. numba's
``Generator``, used here before, called the bit generator through a pointer for every number:
in a block's tables it made 92–136 M numbers/s, against numpy's 253 M exponentials and 451 M
uniforms a second into a buffer (benchmarks/README.md, "The draws written out").

Here the generator is numpy's PCG64 written out (a 128-bit linear congruential step, then the
XSL-RR output: numpy's ``pcg64_next64``), so a number costs a multiply, an add and a rotate in
registers, and the normal's and exponential's ziggurats are numpy's (``distributions.c``: the
same tables, shipped in :mod:`simroi.queueing.ziggurat`, the same C library exp and log1p in
their rare paths). A group's state goes in as four unsigned words and comes back advanced: the
numbers, and the stream after them, are numpy's (``tests/queueing/test_compiled_draws.py``
compares the bits of millions of draws, which reach the rare paths). Groups are independent
streams, so a kernel draws them in parallel (the same bits on any number of threads).

A group's numbers are made in a buffer of its own, then copied into the table: written one by
one straight into a month's table, fresh from memory, a 500-trial block's draws took 1.46 s
against 0.91–1.0 s this way, and 1.35 s with numba's ``Generator`` (one-thread profiles,
benchmarks/README.md). The state stays in registers while a group is drawn: the draws are
functions of the state's words that return the words advanced, inlined into their callers by
numba (``inline="always"``); kept in the state's array from number to number, a normal or an
exponential took half as long again (``benchmarks/kernel_bench.py``; benchmarks/README.md,
"Registers instead of memory", which also says what the variants that were not inlined did).

Like :mod:`simroi.model.compiled`, this module imports numba and is reached only when a compiled
run asks for it (:func:`simroi.model.kernels.prepare`).
"""

from __future__ import annotations

import itertools
from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from simroi.queueing.compiled import kernel
from simroi.queueing.ziggurat import (
    fe_double,
    fi_double,
    ke_double,
    ki_double,
    we_double,
    wi_double,
    ziggurat_exp_r,
    ziggurat_nor_inv_r,
    ziggurat_nor_r,
)

__all__ = ["KERNELS", "exponential", "fill_groups", "warm_up"]

_jit = kernel()
#: Inlined where it is called (numba's IR inlining): a draw's loop in the caller's registers.
_inline = numba.njit(inline="always", nogil=True, error_model="numpy")

#: numpy's PCG64 multiplier (``PCG_DEFAULT_MULTIPLIER_128``), as its high and low words.
_MULTIPLIER_HIGH = np.uint64(2549297995355413924)
_MULTIPLIER_LOW = np.uint64(4865540595714422341)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53: numpy's next_double

#: The standard draws, by the name :mod:`simroi.queueing.contact_draws` uses.
_KINDS = {"normal": 0, "exponential": 1, "uniform": 2}


def _multiply_high_typed(typingctx: Any, a: Any, b: Any) -> Any:
    """The high 64 bits of the 128-bit product of two unsigned 64-bit words (one ``mul``)."""
    if a != types.uint64 or b != types.uint64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        return builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))

    return types.uint64(types.uint64, types.uint64), codegen


_multiply_high: Any = intrinsic(_multiply_high_typed)


@_inline
def _step(
    high: np.uint64, low: np.uint64, inc_high: np.uint64, inc_low: np.uint64
) -> tuple[np.uint64, np.uint64, np.uint64]:
    """numpy's ``pcg64_next64``: state ← state × multiplier + increment (mod 2¹²⁸), then the
    XSL-RR output of the new state, (high ⊕ low) rotated right by the state's top 6 bits.
    Returns the new state's high and low words and the output; the state stays in registers
    (kept in an array, it went through memory on every number)."""
    product_low = low * _MULTIPLIER_LOW
    product_high = _multiply_high(low, _MULTIPLIER_LOW) + low * _MULTIPLIER_HIGH
    product_high += high * _MULTIPLIER_LOW
    new_low = product_low + inc_low
    carry = np.uint64(1) if new_low < product_low else np.uint64(0)
    new_high = product_high + inc_high + carry
    word = new_high ^ new_low
    turn = new_high >> np.uint64(58)
    return new_high, new_low, (word >> turn) | (word << ((np.uint64(64) - turn) & np.uint64(63)))


@_jit
def _unit(word: np.uint64) -> float:
    """numpy's ``next_double`` of a word: its top 53 bits, times 2⁻⁵³."""
    return float(word >> np.uint64(11)) * _TO_UNIT


@_inline
def _normal(
    high: np.uint64, low: np.uint64, inc_high: np.uint64, inc_low: np.uint64
) -> tuple[np.uint64, np.uint64, float]:
    """numpy's ``random_standard_normal`` (the 256-layer ziggurat) from the stream whose state
    is ``high, low`` (increment ``inc_high, inc_low``): the state after it, and the number."""
    while True:
        high, low, r = _step(high, low, inc_high, inc_low)
        idx = r & np.uint64(0xFF)
        r >>= np.uint64(8)
        sign = r & np.uint64(1)
        rabs = (r >> np.uint64(1)) & np.uint64(0x000FFFFFFFFFFFFF)
        x = float(rabs) * wi_double[idx]
        if sign:
            x = -x
        if rabs < ki_double[idx]:
            return high, low, x
        if idx == 0:
            while True:
                high, low, w1 = _step(high, low, inc_high, inc_low)
                high, low, w2 = _step(high, low, inc_high, inc_low)
                xx = -ziggurat_nor_inv_r * np.log1p(-_unit(w1))
                yy = -np.log1p(-_unit(w2))
                if yy + yy > xx * xx:
                    if (rabs >> np.uint64(8)) & np.uint64(1):
                        return high, low, -(ziggurat_nor_r + xx)
                    return high, low, ziggurat_nor_r + xx
        else:
            high, low, w = _step(high, low, inc_high, inc_low)
            below = idx - np.uint64(1)
            if (fi_double[below] - fi_double[idx]) * _unit(w) + fi_double[idx] < np.exp(
                -0.5 * x * x
            ):
                return high, low, x


@_inline
def exponential(
    high: np.uint64, low: np.uint64, inc_high: np.uint64, inc_low: np.uint64
) -> tuple[np.uint64, np.uint64, float]:
    """numpy's ``random_standard_exponential`` (the 256-layer ziggurat), as :func:`_normal`;
    inlined where it is called (:mod:`simroi.queueing.compiled_study` draws a day's gaps,
    handle times and patience with it, each stream's words in registers)."""
    while True:
        high, low, word = _step(high, low, inc_high, inc_low)
        ri = word >> np.uint64(3)
        idx = ri & np.uint64(0xFF)
        ri >>= np.uint64(8)
        x = float(ri) * we_double[idx]
        if ri < ke_double[idx]:
            return high, low, x
        high, low, w = _step(high, low, inc_high, inc_low)
        if idx == 0:
            return high, low, ziggurat_exp_r - np.log1p(-_unit(w))
        below = idx - np.uint64(1)
        if (fe_double[below] - fe_double[idx]) * _unit(w) + fe_double[idx] < np.exp(-x):
            return high, low, x


@_jit
def _fill_group(s: np.ndarray, kind: int, out: np.ndarray, c0: int, c1: int, rows: int) -> None:
    """Rows ``:rows`` of columns ``c0:c1`` of ``out``, row by row, from the stream ``s``:
    made in a buffer, then copied in. The state stays in registers until the group is drawn
    (kept in ``s`` as the numbers are made, it went through memory on every number)."""
    buf = np.empty((rows, c1 - c0))
    high, low, inc_high, inc_low = s[0], s[1], s[2], s[3]
    for r in range(rows):
        for c in range(c1 - c0):
            if kind == 0:
                high, low, buf[r, c] = _normal(high, low, inc_high, inc_low)
            elif kind == 1:
                high, low, buf[r, c] = exponential(high, low, inc_high, inc_low)
            else:
                high, low, word = _step(high, low, inc_high, inc_low)
                buf[r, c] = _unit(word)
    s[0], s[1] = high, low
    for r in range(rows):
        for c in range(c1 - c0):
            out[r, c0 + c] = buf[r, c]


@kernel(parallel=True)
def _fill(states: np.ndarray, kind: int, out: np.ndarray, groups: np.ndarray) -> None:
    """See :func:`fill_groups`."""
    for g in numba.prange(groups.shape[0]):
        _fill_group(states[g], kind, out, groups[g, 0], groups[g, 1], groups[g, 2])


def fill_groups(states: np.ndarray, kind: str, out: np.ndarray, groups: np.ndarray) -> None:
    """Fill each group's rectangle of ``out`` with standard draws of ``kind`` from its stream.

    Parameters
    ----------
    states : numpy.ndarray, shape (groups, 4), uint64
        Each group's PCG64 stream (:func:`simroi.queueing.contact_draws.pcg64_words`);
        advanced in place past its draws.
    kind : str
        ``"normal"``, ``"exponential"`` or ``"uniform"``: ``standard_normal``,
        ``standard_exponential`` or ``random``.
    out : numpy.ndarray, shape (rows, columns), float64, C-contiguous and writable
        The table; outside the groups' rectangles it is left as it was.
    groups : numpy.ndarray, shape (groups, 3), int64
        ``(c0, c1, rows)``: group g fills rows ``:rows`` of columns ``c0:c1``, row by row, as
        ``rng.standard_normal((rows, c1 − c0))`` would (its numbers, and its stream after them).
        The rectangles must not overlap (groups are drawn in parallel).
    """
    if not (out.flags.c_contiguous and out.flags.writeable and out.dtype == np.float64):
        raise ValueError("draws go straight into a C-contiguous, writable float64 table")
    if not (states.dtype == np.uint64 and states.ndim == 2 and states.shape[1] == 4):
        raise ValueError(f"states must be (groups, 4) uint64 (got {states.shape} {states.dtype})")
    if groups.shape != (states.shape[0], 3) or not np.issubdtype(groups.dtype, np.integer):
        raise ValueError(
            f"groups must be ({states.shape[0]}, 3) integers (got {groups.shape} {groups.dtype})"
        )
    for c0, c1, rows in groups.tolist():
        if not (0 <= c0 <= c1 <= out.shape[1] and 0 <= rows <= out.shape[0]):
            raise ValueError(
                f"columns {c0}:{c1} and rows :{rows} must lie in the table {out.shape}"
            )
    spans = sorted((c0, c1) for c0, c1, rows in groups.tolist() if c1 > c0 and rows > 0)
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:  # two threads would write the same cells
            raise ValueError(f"groups' columns must not overlap (got {spans})")
    _fill(states, _KINDS[kind], out, groups.astype(np.int64, copy=False))


KERNELS = (_fill,)


def warm_up() -> None:
    """Compile (or load from the cache) the kernel, for every kind."""
    for kind in _KINDS:
        states = np.ones((1, 4), dtype=np.uint64)
        fill_groups(states, kind, np.zeros((2, 1)), np.array([(0, 1, 2)], dtype=np.int64))
