"""Monte Carlo estimates from per-trial samples: probabilities, their errors, normal quantiles.

A probability estimated from *n* trials is the share of trials in which the event happens; its
Monte Carlo standard error is ``sqrt(p(1 − p)/n)``. An undefined value (NaN: ROI in a trial with
no incremental cost) is never an event of the kind "the value is positive" or "better": it
counts as the worst value there is. The z values intervals use are named for the interval they
make. A leaf module (it imports nothing of simroi), so every stage, down to the stopping rule of
``--trials auto`` and the scenario's quantile parameterisations, computes these alike.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "Z_ONE_SIDED_90",
    "Z_ONE_SIDED_95",
    "Z_TWO_SIDED_95",
    "Probability",
    "prob_positive",
    "probability",
]

#: z of a two-sided 95% interval (mean ± z·s.e.): the standard normal 97.5th percentile,
#: ``scipy.special.ndtri(0.975)``.
Z_TWO_SIDED_95 = 1.959963984540054
#: The standard normal 95th percentile, ``ndtri(0.95)``: P5 and P95 lie this many sd from the
#: mean, so a 90% interval (P5–P95) spans twice it.
Z_ONE_SIDED_95 = 1.6448536269514722
#: The standard normal 90th percentile, ``ndtri(0.90)``: P90 lies this many sd above the mean.
Z_ONE_SIDED_90 = 1.2815515655446004


class Probability(NamedTuple):
    """A probability estimated from trials, with its Monte Carlo standard error."""

    value: float
    mcse: float


def probability(event: np.ndarray) -> Probability:
    """The share of trials in which ``event`` holds, with its standard error.

    Parameters
    ----------
    event : numpy.ndarray of bool, shape (trials,)

    Returns
    -------
    Probability
        ``(value, mcse)`` with ``mcse = sqrt(value·(1 − value)/trials)``; both NaN for no trials.
    """
    event = np.asarray(event, dtype=bool)
    n = event.size
    if n == 0:
        return Probability(math.nan, math.nan)
    p = float(event.mean())
    return Probability(p, math.sqrt(max(p * (1 - p), 0.0) / n))


def prob_positive(values: np.ndarray) -> Probability:
    """P(value > 0) over trials, an undefined (NaN) value counting as not positive.

    This is P(ROI > 0) wherever it is shown: a trial without incremental cost has no ROI, and
    it is not a trial in which the program pays.
    """
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return probability(values > 0)
