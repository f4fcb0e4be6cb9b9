"""Per-contact random draws: handle times, patience and marks, keyed so a contact keeps its numbers.

Contact k of a part of a day gets draw k of every per-contact stream of that part, from its
trial's region of the stream (:func:`simroi.queueing.contact_draws.draw_by_groups`): a scenario
with more volume has the same first contacts plus more, so program, baseline and sweep points
share their customers (common random numbers). Here, what the model makes of those draws.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import special

__all__ = [
    "STANDARD_DRAW",
    "handle_times",
    "lognormal_parameters",
    "patience_times",
    "sort_groups",
]

# Per-contact draws use the distribution's fastest standard form: a standard normal for a
# lognormal, a standard exponential for an exponential or Weibull, a uniform for a gamma.
STANDARD_DRAW = {
    "lognormal": "normal",
    "exponential": "exponential",
    "weibull": "exponential",
    "gamma": "uniform",
}


def handle_times(
    z: np.ndarray, mean: np.ndarray, cv: np.ndarray, dist: str, out: np.ndarray
) -> None:
    """Handle times from standard draws ``z`` (see ``STANDARD_DRAW``) with per-trial mean and cv,
    written into ``out``."""
    if dist == "exponential":
        np.multiply(mean, z, out=out)
    elif dist == "lognormal":
        mu, sigma = lognormal_parameters(mean, cv)
        np.multiply(sigma, z, out=out)
        out += mu
        np.exp(out, out=out)
    else:
        shape = 1.0 / cv**2
        np.multiply(special.gammaincinv(shape, z), mean / shape, out=out)


def lognormal_parameters(mean: np.ndarray, cv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The log-scale mean and standard deviation ``(mu, sigma)`` of a lognormal with per-trial
    ``mean`` and coefficient of variation ``cv``: a handle time is ``exp(sigma × z + mu)``."""
    sigma2 = np.log1p(cv**2)
    return np.log(mean) - sigma2 / 2, np.sqrt(sigma2)


def patience_times(
    z: np.ndarray, mean: np.ndarray, dist: str, shape: float | np.ndarray
) -> np.ndarray:
    """Patience from standard draws ``z`` (see ``STANDARD_DRAW``) with per-trial mean.

    ``z`` is (contacts, trials), ``mean`` (trials,) seconds; ``shape`` (the Weibull shape or the
    lognormal sigma) a number or per trial (trials,). A shape that is the same in every trial
    is applied as that number, exactly as a fixed shape always was.
    """
    if dist == "exponential":
        return mean * z
    given = np.asarray(shape, dtype=np.float64)
    k: float | np.ndarray = given
    if given.size and (given == given.flat[0]).all():
        k = float(given.flat[0])
    if dist == "weibull":
        scale = mean / special.gamma(1.0 + 1.0 / k)
        return scale * z ** (1.0 / k)
    mu = np.log(mean) - k**2 / 2
    return np.exp(mu + k * z)


def sort_groups(day_pieces: list[list[tuple[int, int, int, int]]]) -> list[tuple[int, int, int]]:
    """Column ranges with the last row any of their contacts can be in: ``(a, b, rows)``."""
    groups = []
    pieces = [p for day in day_pieces for p in day]
    for off in sorted({p[2] for p in pieces}):
        own = [p for p in pieces if p[2] == off]
        edges = sorted({0, *(n for _, _, _, n in own)})
        for a, b in itertools.pairwise(edges):
            rows = max(hi for _, hi, _, n in own if n > a)
            groups.append((off + a, off + b, rows))
    return groups
