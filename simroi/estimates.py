"""Monte Carlo estimates from per-trial samples: means and probabilities, their errors, intervals.

A mean estimated from *n* trials has the Monte Carlo standard error ``sd/sqrt(n)`` and the 95%
confidence interval ``mean ± z·s.e.`` (:func:`mean_estimate`). A probability estimated from *n*
trials is the share of trials in which the event happens; its Monte Carlo standard error is
``sqrt(p(1 − p)/n)`` (:func:`probability`). An undefined value (NaN: ROI in a trial with
no incremental cost) is never an event of the kind "the value is positive" or "better": it
counts as the worst value there is. The z values intervals use are named for the interval they
make. A leaf module (it imports nothing of simroi), so every stage, down to the stopping rule of
``--trials auto``, the queue study and the scenario's quantile parameterisations, computes these
alike.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "Z_ONE_SIDED_90",
    "Z_ONE_SIDED_95",
    "Z_TWO_SIDED_95",
    "MeanEstimate",
    "Probability",
    "ci95",
    "mean_estimate",
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


class MeanEstimate(NamedTuple):
    """A mean estimated from trials, with its Monte Carlo standard error."""

    value: float
    mcse: float

    @property
    def ci95(self) -> tuple[float, float]:
        """The 95% confidence interval of the mean, ``value ± z·mcse`` (NaN ends without mcse)."""
        return ci95(self.value, self.mcse)


def ci95(value: float, mcse: float) -> tuple[float, float]:
    """``value ± z·mcse`` with the z of a two-sided 95% interval (:data:`Z_TWO_SIDED_95`)."""
    return value - Z_TWO_SIDED_95 * mcse, value + Z_TWO_SIDED_95 * mcse


def mean_estimate(values: np.ndarray) -> MeanEstimate:
    """The mean of per-trial ``values`` and its Monte Carlo standard error ``sd/sqrt(n)``.

    Parameters
    ----------
    values : numpy.ndarray, shape (trials,)
        Defined values only (the caller leaves undefined trials out).

    Returns
    -------
    MeanEstimate
        ``(value, mcse)``, ``sd`` with ``n − 1`` degrees of freedom; ``mcse`` is NaN for one
        value (one trial has no spread to estimate) and both are NaN for none.
    """
    values = np.asarray(values, dtype=float)
    n = values.size
    if n == 0:
        return MeanEstimate(math.nan, math.nan)
    mean = float(values.mean())
    if n == 1:
        return MeanEstimate(mean, math.nan)
    return MeanEstimate(mean, float(values.std(ddof=1)) / math.sqrt(n))


class Probability(NamedTuple):
    """A probability estimated from trials, with its Monte Carlo standard error."""

    value: float
    mcse: float


def probability(event: np.ndarray) -> Probability:
    """The share of trials in which ``event`` holds, with its standard error.

    Parameters
    ----------
    event : numpy.ndarray of bool, shape (trials,)
        Or of floats in [0, 1]: the share of each trial the event gets (alternatives tied for
        the best share the trial, as in P(best)).

    Returns
    -------
    Probability
        ``(value, mcse)`` with ``mcse = sqrt(value·(1 − value)/trials)``; both NaN for no trials.
    """
    event = np.asarray(event)
    if event.dtype != bool:
        event = event.astype(float)
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
