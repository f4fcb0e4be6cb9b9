"""Ordered inputs: when comonotone draws keep ``a ≤ b`` in every trial.

An ``[[orderings]]`` group draws its inputs *comonotonically*: every input from the same
uniforms, each through its own inverse CDF (:mod:`simroi.scenario.sampling`). Each input keeps its
distribution exactly, and the draws are fully rank-correlated. Then ``a ≤ b`` holds in every trial
exactly when ``a``'s quantile function lies nowhere above ``b``'s (``b`` first-order
stochastically dominates ``a``). :func:`first_crossing` checks that on a fine grid of
probabilities, so that the loader can refuse ranges that no trial-by-trial order can reconcile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simroi.scenario.quantiles import FloatArray
from simroi.scenario.quantity import Quantity, as_distribution

__all__ = ["ORDERING_GRID", "Crossing", "first_crossing"]

#: The probabilities at which two ordered inputs' quantiles are compared: 2,001 points, evenly
#: spaced in (0, 1) with the extreme tails 1e-9 and 1 − 1e-9 at the ends.
ORDERING_GRID: FloatArray = np.concatenate([[1e-9], np.linspace(0.0, 1.0, 2001)[1:-1], [1 - 1e-9]])


@dataclass(frozen=True)
class Crossing:
    """Where the earlier input's quantile exceeds the later one's.

    Attributes
    ----------
    probability : float
        The smallest probability on :data:`ORDERING_GRID` where it does.
    earlier, later : float
        The two quantiles there, in each input's units; ``earlier > later``.
    """

    probability: float
    earlier: float
    later: float


def first_crossing(earlier: Quantity, later: Quantity) -> Crossing | None:
    """The first probability at which ``earlier``'s quantile exceeds ``later``'s, or None.

    Parameters
    ----------
    earlier, later : float or Distribution
        Two inputs that must hold ``earlier ≤ later`` in every trial; a plain number is a fixed
        input (a constant quantile).

    Returns
    -------
    Crossing or None
        None when ``earlier``'s quantile is at most ``later``'s at every point of
        :data:`ORDERING_GRID`, so that comonotone draws keep the order.
    """
    a = as_distribution(earlier).ppf(ORDERING_GRID)
    b = as_distribution(later).ppf(ORDERING_GRID)
    above = np.flatnonzero(a > b)
    if above.size == 0:
        return None
    i = int(above[0])
    return Crossing(float(ORDERING_GRID[i]), float(a[i]), float(b[i]))
