"""Hypothesis strategies shared by the property tests (STYLE.md habit 8).

Parameters are kept to moderate magnitudes: wide enough to exercise every rule and parametrization,
narrow enough that the closed forms are not at the mercy of floating-point overflow.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from simroi.randomness import Streams
from simroi.scenario.distributions import (
    Beta,
    Choice,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Pert,
    Poisson,
    Triangular,
    Uniform,
)
from simroi.scenario.quantity import Distribution

locations = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
scales = st.floats(min_value=1e-2, max_value=1e3, allow_nan=False, allow_infinity=False)
fractions = st.floats(min_value=0.0, max_value=1.0)
spreads = st.floats(min_value=0.05, max_value=2.0)  # coefficients of variation, log-sds


@st.composite
def three_points(draw: st.DrawFn) -> tuple[float, float, float]:
    """``low ≤ mode ≤ high`` with ``low < high``."""
    low, width, at = draw(locations), draw(scales), draw(fractions)
    return low, low + at * width, low + width


@st.composite
def normals(draw: st.DrawFn) -> Normal:
    mean, sd = draw(locations), draw(scales)
    below = draw(st.none() | st.floats(min_value=-3.0, max_value=1.0))
    above = draw(st.none() | st.floats(min_value=0.1, max_value=3.0))
    low = None if below is None else mean + below * sd
    high = None if above is None else mean + max(above, (below or 0.0) + 0.1) * sd
    return Normal(mean=mean, sd=sd, low=low, high=high)


@st.composite
def lognormals(draw: st.DrawFn) -> LogNormal:
    median, spread = draw(st.floats(min_value=0.01, max_value=1e3)), draw(spreads)
    form = draw(st.sampled_from(["median", "p5", "mean", "mu"]))
    if form == "median":
        return LogNormal(median=median, p90=median * math.exp(1.2816 * spread))
    if form == "p5":
        return LogNormal(
            p5=median * math.exp(-1.645 * spread), p95=median * math.exp(1.645 * spread)
        )
    if form == "mean":
        return LogNormal(mean=median, cv=spread)
    return LogNormal(mu=math.log(median), sigma=spread)


@st.composite
def betas(draw: st.DrawFn) -> Beta:
    mean = draw(st.floats(min_value=0.02, max_value=0.98))
    share = draw(st.floats(min_value=0.05, max_value=0.95))  # sd as a share of its upper limit
    return Beta(mean=mean, sd=share * math.sqrt(mean * (1 - mean)))


@st.composite
def gammas(draw: st.DrawFn) -> Gamma:
    mean, cv = draw(scales), draw(spreads)
    return Gamma(mean=mean, cv=cv) if draw(st.booleans()) else Gamma(mean=mean, sd=cv * mean)


@st.composite
def choices(draw: st.DrawFn) -> Choice:
    values = draw(st.lists(locations, min_size=1, max_size=6))
    if draw(st.booleans()):
        return Choice(values=values)
    raw = np.array(draw(st.lists(fractions, min_size=len(values), max_size=len(values)))) + 0.01
    return Choice(values=values, weights=(raw / raw.sum()).tolist())


def distributions() -> st.SearchStrategy[Distribution]:
    """Any valid distribution, of every kind and parametrization."""
    return st.one_of(
        locations.map(lambda v: Fixed(value=v)),
        three_points().map(lambda p: Uniform(low=p[0], high=p[2])),
        three_points().map(lambda p: Triangular(low=p[0], mode=p[1], high=p[2])),
        st.tuples(three_points(), st.floats(min_value=0.5, max_value=20.0)).map(
            lambda a: Pert(low=a[0][0], mode=a[0][1], high=a[0][2], lamb=a[1])
        ),
        normals(),
        lognormals(),
        betas(),
        gammas(),
        scales.map(lambda m: Exponential(mean=m)),
        st.floats(min_value=0.05, max_value=500.0).map(lambda m: Poisson(mean=m)),
        choices(),
    )


def streams() -> st.SearchStrategy[Streams]:
    """A block's streams for any 128-bit root entropy."""
    return st.builds(Streams, entropy=st.integers(0, 2**128 - 1), block=st.integers(0, 10_000))


@st.composite
def monotone_curves(draw: st.DrawFn, bands: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A response-time curve that never rewards a slower reply, fastest band first: churn
    multipliers (1, bands), ≥ 1 and non-decreasing, and spend uplifts (1, bands), ≥ 0 and
    non-increasing."""
    churn_steps = draw(st.lists(st.floats(0.0, 0.2), min_size=bands, max_size=bands))
    uplift_steps = draw(st.lists(st.floats(0.0, 0.1), min_size=bands, max_size=bands))
    churn = 1.0 + np.cumsum(churn_steps)
    uplift = np.cumsum(uplift_steps)[::-1].copy()
    return churn[None, :], uplift[None, :]


@st.composite
def share_vectors(draw: st.DrawFn, max_size: int = 30) -> np.ndarray:
    """Shares of a day or a week: (k,) ≥ 0, summing to 1, some of them 0 (closed), at least one
    positive."""
    weights = draw(
        st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 10.0)), min_size=1, max_size=max_size)
    )
    values = np.array(weights)
    if values.sum() == 0:
        values[draw(st.integers(0, values.size - 1))] = 1.0
    return values / values.sum()
