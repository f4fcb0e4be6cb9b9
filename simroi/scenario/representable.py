"""Whether a distribution's parameters can be computed with in double precision.

A distribution can satisfy every rule of its family and still be out of reach of floating
point: a gamma whose shape (mean/sd)² underflows to 0 or overflows, a beta whose sd² underflows.
The loader refuses those with one line naming the values, instead of failing later with a
division by zero deep inside a quantile function.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["numeric_problems"]


def numeric_problems(dist: Any) -> list[str]:
    """One line if the mean, variance or inverse-CDF parameters of ``dist`` are not finite.

    ``dist`` is a distribution whose own rules hold (see ``DistributionBase._problems``).
    """
    try:
        form = dist._closed_form()
        values = [dist.mean(), dist.var()]
        if form is not None:
            _, scale, loc = form
            values += [scale, loc]
        if all(math.isfinite(v) for v in values) and (form is None or form[1] > 0):
            return []
        what = "a parameter that is not a finite number"
    except (ZeroDivisionError, OverflowError, ValueError, FloatingPointError) as error:
        what = f"{type(error).__name__}: {error}"
    return [
        f"{dist.describe()} cannot be computed in double precision ({what}): give values of "
        "ordinary magnitude"
    ]
