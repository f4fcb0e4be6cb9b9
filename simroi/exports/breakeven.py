"""The "What would have to be true" slide: each top driver's break-even value.

For a result of ``simroi sensitivity --breakeven``: one row per driver (the tornado's order) with
the input's assumed median and range, the value at which the median NPV crosses zero and the
value at which P(ROI > 0) reaches 50 %, each marked when it lies outside the input's range, and
the method at the foot. The numbers are those the command stored
(:func:`simroi.report.alternatives.stored_breakeven`); nothing is recomputed here.
"""

from __future__ import annotations

from pptx.util import Inches

from simroi.exports.slides import MUTED, SlideDeck
from simroi.report.alternatives import (
    BREAKEVEN_HEADER,
    breakeven_cells,
    breakeven_sentence,
    stored_breakeven,
)
from simroi.report.types import RunReport

__all__ = ["breakeven_slide"]


def breakeven_slide(d: SlideDeck, r: RunReport) -> None:
    """Add the slide when the run holds break-evens; nothing otherwise."""
    breakeven = stored_breakeven(r)
    if breakeven is None or not breakeven.rows:
        return
    slide, (x, y, w, hh) = d.slide(
        f"What would have to be true: {breakeven_sentence(breakeven)}",
        "Each row holds one input fixed in every trial while every other input stays "
        "uncertain, on the same random numbers, and finds the value at which the median NPV "
        "crosses zero and the value at which the chance of a positive ROI reaches one half. "
        "'≤' means the target holds at or below the value, '≥' at or above it; a value outside "
        "the input's stated range is marked, and 'never' means that no value searched (the "
        "range, then outward within the input's limits) gets there on its own.",
    )
    d.table(
        slide,
        (x, y, w, hh - int(Inches(1.0))),
        BREAKEVEN_HEADER,
        breakeven_cells(breakeven),
        [2.6, 1.3, 1.7, 2.4, 2.4],
        # Left-aligned throughout: the break-evens are short phrases, and right-aligned columns
        # would shrink the font until "Median assumed" fits on one line.
        size=15,
    )
    d.text(
        slide,
        (x, y + hh - int(Inches(0.95)), w, int(Inches(0.95))),
        [(f"Method: {breakeven.method}.", 12, False)],
        color=MUTED,
    )
