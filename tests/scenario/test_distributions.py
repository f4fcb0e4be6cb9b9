"""Uncertain inputs: exact moments against sampling, quantiles, parsing and validation messages."""

from __future__ import annotations

import functools
import math
import statistics
import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from pydantic import BaseModel, TypeAdapter, ValidationError
from scipy import special, stats
from strategies import distributions

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
from simroi.scenario.quantiles import beta_ppf, open_uniforms
from simroi.scenario.quantity import DIST_NAMES, Distribution, Quantity, as_distribution

SEED = 20_240_611
N = 200_000

CASES = [
    Fixed(value=3.5),
    Uniform(low=2, high=5),
    Triangular(low=1, mode=2, high=6),
    Triangular(low=0, mode=0, high=1),
    Pert(low=0.6, mode=0.72, high=0.8),
    Pert(low=10, mode=30, high=90, lamb=2),
    Normal(mean=5, sd=2),
    Normal(mean=5, sd=2, low=4, high=9),
    Normal(mean=0, sd=1, low=0),
    Normal(mean=3, sd=1, high=2),
    LogNormal(median=5, p90=9),
    LogNormal(p5=3, p95=9),
    LogNormal(mean=100, cv=0.4),
    LogNormal(mu=1, sigma=0.5),
    Beta(mean=0.7, sd=0.1),
    Beta(mean=0.05, sd=0.04),
    Gamma(mean=4, sd=2),
    Gamma(mean=4, cv=1.5),
    Exponential(mean=7),
    Poisson(mean=3.2),
    Poisson(mean=250),
    Choice(values=[1, 2, 10]),
    Choice(values=[5, -1, 3], weights=[0.2, 0.5, 0.3]),
]


def _support(dist: Distribution) -> tuple[float, float]:
    """The support of each kind, stated independently of the implementation."""
    match dist:
        case Fixed():
            return dist.value, dist.value
        case Uniform() | Triangular() | Pert():
            return dist.low, dist.high
        case Normal():
            low, high = dist.low, dist.high
            return -math.inf if low is None else low, math.inf if high is None else high
        case Beta():
            return 0.0, 1.0
        case Choice():
            return min(dist.values), max(dist.values)
        case _:
            return 0.0, math.inf


_Z90 = statistics.NormalDist().inv_cdf(0.90)  # not scipy's ndtri, which simroi uses
_Z95 = statistics.NormalDist().inv_cdf(0.95)


def _textbook_moments(dist: Distribution) -> tuple[float, float, float]:
    """Mean and variance of each family from its textbook formula, written here independently of
    the implementation, and the magnitude of the parameters (for the rounding tolerance)."""
    match dist:
        case Fixed():
            return dist.value, 0.0, abs(dist.value)
        case Uniform():
            a, b = dist.low, dist.high
            return (a + b) / 2, (b - a) ** 2 / 12, max(abs(a), abs(b))
        case Triangular():
            a, b = dist.low, dist.high
            c = (dist.mode - a) / (b - a)  # the mode's place in [a, b], as a fraction
            return (a + dist.mode + b) / 3, (b - a) ** 2 * (1 - c + c * c) / 18, max(abs(a), abs(b))
        case Pert():
            a, m, b, lamb = dist.low, dist.mode, dist.high, dist.lamb
            mean = (a + lamb * m + b) / (lamb + 2)  # (a + 4m + b) / 6 at the usual lamb = 4
            return mean, (mean - a) * (b - mean) / (lamb + 3), max(abs(a), abs(b))
        case Normal():
            loc, sd = dist.mean_value, dist.sd
            magnitude = max(abs(loc), sd, *(abs(x) for x in (dist.low, dist.high) if x is not None))
            if dist.low is None and dist.high is None:
                return loc, sd * sd, magnitude
            a = -math.inf if dist.low is None else (dist.low - loc) / sd
            b = math.inf if dist.high is None else (dist.high - loc) / sd
            truncated = stats.truncnorm(a, b, loc=loc, scale=sd)
            return float(truncated.mean()), float(truncated.var()), magnitude
        case LogNormal():
            if dist.mean_value is not None and dist.cv is not None:
                sd = dist.cv * dist.mean_value
                return dist.mean_value, sd * sd, dist.mean_value + sd
            if dist.median is not None and dist.p90 is not None:
                mu, sigma = math.log(dist.median), math.log(dist.p90 / dist.median) / _Z90
            elif dist.p5 is not None and dist.p95 is not None:
                mu = math.log(math.sqrt(dist.p5 * dist.p95))  # the median, midway in logs
                sigma = math.log(dist.p95 / dist.p5) / (2 * _Z95)
            else:
                assert dist.mu is not None and dist.sigma is not None
                mu, sigma = dist.mu, dist.sigma
            mean = math.exp(mu + sigma * sigma / 2)
            var = (math.exp(sigma * sigma) - 1) * mean * mean
            return mean, var, mean + math.sqrt(var)
        case Beta():
            return dist.mean_value, dist.sd**2, 1.0
        case Gamma():
            sd = dist.sd if dist.sd is not None else (dist.cv or 0.0) * dist.mean_value
            return dist.mean_value, sd * sd, dist.mean_value + sd
        case Exponential():
            return dist.mean_value, dist.mean_value**2, dist.mean_value
        case Poisson():
            return dist.mean_value, dist.mean_value, dist.mean_value + math.sqrt(dist.mean_value)
        case Choice():
            n = len(dist.values)
            weights = dist.weights if dist.weights is not None else [1 / n] * n
            mean = math.fsum(w * v for w, v in zip(weights, dist.values, strict=True))
            var = math.fsum(w * (v - mean) ** 2 for w, v in zip(weights, dist.values, strict=True))
            return mean, var, max(abs(v) for v in dist.values)
    raise AssertionError(f"no textbook moments for {dist!r}")


@functools.cache
def _draws(case: int) -> np.ndarray:
    """N draws of ``CASES[case]`` at a fixed seed, shared by the mean and variance tests."""
    return CASES[case].sample(N, rng=np.random.default_rng([SEED, case]))


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda i: CASES[i].describe())
def test_sample_mean_matches_exact_mean(case: int) -> None:
    dist, x = CASES[case], _draws(case)
    standard_error = math.sqrt(dist.var() / N)
    assert abs(x.mean() - dist.mean()) <= 4 * standard_error


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda i: CASES[i].describe())
def test_sample_variance_matches_exact_variance(case: int) -> None:
    dist, x = CASES[case], _draws(case)
    s2 = x.var(ddof=1)
    m4 = np.mean((x - x.mean()) ** 4)
    standard_error = math.sqrt(max(m4 - s2 * s2, 0.0) / N)  # SE of the sample variance
    assert abs(s2 - dist.var()) <= 4 * standard_error


@pytest.mark.parametrize(
    ("dist", "oracle"),
    [
        (Normal(mean=5, sd=2, low=4, high=9), stats.truncnorm(-0.5, 2, loc=5, scale=2)),
        (Normal(mean=0, sd=1, low=4), stats.truncnorm(4, np.inf)),
        (Normal(mean=0, sd=1, low=-30, high=-29), stats.truncnorm(-30, -29)),
        (Pert(low=10, mode=30, high=90, lamb=2), stats.beta(1.5, 2.5, loc=10, scale=80)),
        (LogNormal(mu=1, sigma=0.5), stats.lognorm(0.5, scale=math.e)),
        (Beta(mean=0.7, sd=0.1), stats.beta(14, 6)),
        (Gamma(mean=4, sd=2), stats.gamma(4, scale=1)),
        (Triangular(low=1, mode=2, high=6), stats.triang(0.2, loc=1, scale=5)),
    ],
    ids=lambda x: x.describe() if hasattr(x, "describe") else "",
)
def test_closed_form_moments_agree_with_scipy(dist: Distribution, oracle: Any) -> None:
    assert dist.mean() == pytest.approx(oracle.mean(), rel=1e-9, abs=1e-12)
    assert dist.var() == pytest.approx(oracle.var(), rel=1e-7)


def test_pert_mean_is_low_plus_lambda_mode_plus_high_over_lambda_plus_two() -> None:
    for lamb in (1.0, 4.0, 9.5):
        pert = Pert(low=2, mode=3, high=11, lamb=lamb)
        assert pert.mean() == pytest.approx((2 + lamb * 3 + 11) / (lamb + 2), rel=1e-15)


def test_lognormal_interval_reproduces_its_quantiles() -> None:
    np.testing.assert_allclose(LogNormal(p5=3, p95=9).ppf([0.05, 0.95]), [3, 9], rtol=1e-12)
    np.testing.assert_allclose(LogNormal(median=5, p90=9).ppf([0.5, 0.9]), [5, 9], rtol=1e-12)
    by_moments = LogNormal(mean=100, cv=0.4)
    assert by_moments.mean() == pytest.approx(100, rel=1e-12)
    assert math.sqrt(by_moments.var()) / by_moments.mean() == pytest.approx(0.4, rel=1e-12)


def test_choice_ppf_picks_the_least_value_reaching_each_probability() -> None:
    choice = Choice(values=[3, 1, 2], weights=[0.5, 0.25, 0.25])
    q = [1e-9, 0.25, 0.25 + 1e-9, 0.5, 0.5 + 1e-9, 1.0]
    np.testing.assert_array_equal(choice.ppf(q), [1, 1, 2, 2, 3, 3])


@settings(max_examples=200, deadline=None)
@given(distributions())
@example(Beta(mean=0.59375, sd=0.2992837461789877))  # betaincinv gives up at q = 2**-54
def test_closed_form_ppf_is_scipys_to_the_last_bit(dist: Distribution) -> None:
    """Sampling without importing scipy.stats gives the numbers scipy.stats would give, over
    every probability the sampler draws (open uniforms, 2**-54 … 1 − 2**-54) and at the ends —
    except in the beta family's far tails, where boost's root finder gives up: there scipy.stats
    returns a wrong finite value, betaincinv NaN, and the closed form the tail's leading term,
    which must give q back. (Far below the sampler's range the two part ways as well: at
    q = 1e-100 for PERT(0, 0.25, 1) the closed form sqrt(q / 10) = 3.2e-51 is the right one.)"""
    if dist._closed_form() is None:
        return  # truncated normal, Poisson: ppf is scipy's own
    tiny = 2.0**-54
    q = np.array([0.0, tiny, 1e-12, 0.5, 1 - 1e-12, 1 - tiny, 1.0, -0.1, 1.1, np.nan])
    q = np.concatenate([q, np.random.default_rng(4).random(500)])
    inner = (q > 0) & (q < 1)
    with warnings.catch_warnings():  # boost's root finder may warn on extreme shapes, in both
        warnings.simplefilter("ignore", RuntimeWarning)
        ours, theirs = dist.ppf(q), dist._scipy().ppf(q)
        gave_up = np.zeros(q.shape, dtype=bool)
        if isinstance(dist, Beta | Pert):
            shape = dist._shape()
            gave_up = inner & np.isnan(special.betaincinv(*shape, q))
            tail = beta_ppf(*shape, q[gave_up])
            np.testing.assert_allclose(special.betainc(*shape, tail), q[gave_up], rtol=1e-6)
    np.testing.assert_array_equal(ours[~gave_up], theirs[~gave_up])
    assert np.isfinite(ours[inner]).all()


def test_loading_and_simulating_the_default_scenario_leave_scipy_stats_unimported() -> None:
    """Each worker process and the parent start half a second sooner without it (checked in a
    fresh process: this test session has imported it)."""
    code = (
        "import sys\n"
        "from simroi.scenario.load import load_scenario\n"
        "from simroi.model.block import simulate_block\n"
        "loaded = load_scenario()\n"
        "simulate_block(loaded, entropy=1, block=0, trials=2)\n"
        "assert 'scipy.stats' not in sys.modules, 'scipy.stats was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@settings(max_examples=100, deadline=None)
@given(distributions())
def test_ppf_is_monotone_and_within_the_support(dist: Distribution) -> None:
    q = np.concatenate([[1e-12, 1e-6], np.linspace(0.001, 0.999, 199), [1 - 1e-6, 1 - 1e-12]])
    x = dist.ppf(q)
    low, high = _support(dist)
    slack = 1e-9 * max([1.0, *(abs(b) for b in (low, high) if math.isfinite(b))])
    assert x.shape == q.shape and x.dtype == np.float64
    assert np.all(np.isfinite(x))
    assert np.all(np.diff(x) >= -slack)
    assert np.all(x >= low - slack) and np.all(x <= high + slack)
    if isinstance(dist, Poisson):
        np.testing.assert_array_equal(x, np.round(x))
    if isinstance(dist, Choice):
        assert set(x) <= set(dist.values)


def _assert_textbook_moments(dist: Distribution) -> None:
    """``mean()`` and ``var()`` equal the family's textbook formula.

    The closed forms are sums of terms as large as the parameters squared (the triangular
    variance's a² + b² + c² − ab − ac − bc, for one), so floating point leaves an error of about
    1e-16 × magnitude² (3e-6 relative for a triangular 0.01 wide at ±1000): the absolute
    tolerance is 100 times that, the relative one 1e-9.
    """
    mean, var, magnitude = _textbook_moments(dist)
    assert dist.mean() == pytest.approx(mean, rel=1e-9, abs=1e-14 * magnitude)
    assert dist.var() == pytest.approx(var, rel=1e-9, abs=1e-14 * magnitude**2)


@settings(max_examples=100, deadline=None)
@given(distributions())
def test_every_distribution_describes_itself_and_has_exact_moments(dist: Distribution) -> None:
    text = dist.describe()
    if isinstance(dist, Fixed):
        assert float(text) == pytest.approx(dist.value, rel=1e-11, abs=1e-300)  # 12 digits
    else:  # its family by name, on one line
        assert dist.dist in text.lower() and "\n" not in text and text == text.strip()
    _assert_textbook_moments(dist)
    assert dist.is_fixed == isinstance(dist, Fixed)
    assert TypeAdapter(Distribution).validate_python(dist.model_dump()) == dist


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda i: CASES[i].describe())
def test_exact_moments_of_the_sampled_cases_are_the_textbook_ones(case: int) -> None:
    """With the sampling tests above, closes the loop: sample moments (at a fixed seed, within 4
    standard errors) = ``mean()``/``var()`` = the formula written here."""
    _assert_textbook_moments(CASES[case])


@settings(max_examples=50, deadline=None)
@given(distributions())
def test_same_generator_state_gives_identical_samples(dist: Distribution) -> None:
    first = dist.sample(50, rng=np.random.default_rng(7))
    second = dist.sample(50, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(first, second)


def test_fixed_sampling_draws_nothing_from_the_generator() -> None:
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    np.testing.assert_array_equal(Fixed(value=2).sample(4, rng=rng), [2, 2, 2, 2])
    assert rng.bit_generator.state == before


def test_open_uniforms_are_strictly_inside_the_unit_interval() -> None:
    u = open_uniforms(100_000, rng=np.random.default_rng(SEED))
    assert u.dtype == np.float64 and u.min() > 0 and u.max() < 1


def test_describe_reads_the_way_people_estimate() -> None:
    assert Pert(low=0.6, mode=0.72, high=0.8).describe() == "PERT(0.6, 0.72, 0.8)"
    assert LogNormal(p5=3, p95=9).describe() == "lognormal 90% in [3, 9]"
    assert Fixed(value=5.0).describe() == "5"
    assert Normal(mean=1, sd=2, low=0).describe() == "normal(mean=1, sd=2, low=0)"
    assert Gamma(mean=4, cv=0.5).describe() == "gamma(mean=4, cv=0.5)"
    weighted = Choice(values=[1, 2], weights=[0.25, 0.75]).describe()
    assert weighted == "choice(values=[1, 2], weights=[0.25, 0.75])"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"dist": "uniform", "low": 5, "high": 3}, "low must be < high (got low=5, high=3)"),
        (
            {"dist": "triangular", "low": 5, "mode": 4, "high": 3},
            "low must be < high (got low=5, mode=4, high=3)",
        ),
        (
            {"dist": "triangular", "low": 1, "mode": 5, "high": 4},
            "mode must be in [low, high] (got low=1, mode=5, high=4)",
        ),
        (
            {"dist": "pert", "low": 5, "mode": 4, "high": 3},
            "low must be < high (got low=5, mode=4, high=3)",
        ),
        (
            {"dist": "pert", "low": 1, "mode": 2, "high": 3, "lamb": 0},
            "lamb must be > 0 (got lamb=0)",
        ),
        ({"dist": "normal", "mean": 1, "sd": 0}, "sd must be > 0 (got sd=0)"),
        (
            {"dist": "normal", "mean": 1, "sd": 1, "low": 5, "high": 3},
            "low must be < high (got low=5, high=3)",
        ),
        (
            {"dist": "normal", "mean": 0, "sd": 1, "low": 50},
            "must hold some probability of normal(mean=0, sd=1) (got low=50",
        ),
        ({"dist": "lognormal", "p5": 9, "p95": 3}, "p5 must be < p95 (got p5=9, p95=3)"),
        (
            {"dist": "lognormal", "median": 5, "p90": 4},
            "median must be < p90 (got median=5, p90=4)",
        ),
        ({"dist": "lognormal", "p5": -1, "p95": 3}, "p5 must be > 0 (got p5=-1)"),
        ({"dist": "lognormal", "median": 0, "p90": 3}, "median must be > 0 (got median=0)"),
        ({"dist": "lognormal", "mean": 5, "cv": 0}, "cv must be > 0 (got cv=0)"),
        ({"dist": "lognormal", "mean": -5, "cv": 1}, "mean must be > 0 (got mean=-5)"),
        ({"dist": "lognormal", "mu": 1, "sigma": -1}, "sigma must be > 0 (got sigma=-1)"),
        (
            {"dist": "lognormal", "median": 5, "p95": 9},
            "exactly one of (median, p90), (p5, p95), (mean, cv), (mu, sigma) (got median, p95)",
        ),
        (
            {"dist": "lognormal", "median": 5, "p90": 9, "mu": 1, "sigma": 1},
            "(got median, p90, mu, sigma)",
        ),
        ({"dist": "lognormal"}, "(got none)"),
        ({"dist": "beta", "mean": 1.2, "sd": 0.1}, "mean must be in (0, 1) (got mean=1.2)"),
        (
            {"dist": "beta", "mean": 0.5, "sd": 0.6},
            "needs sd² < mean·(1 − mean) = 0.25, i.e. sd < 0.5 (got sd=0.6, sd²=0.36)",
        ),
        ({"dist": "beta", "mean": 0.5, "sd": -0.1}, "sd must be > 0 (got sd=-0.1)"),
        ({"dist": "gamma", "mean": 4, "sd": 1, "cv": 0.2}, "exactly one of sd, cv (got both)"),
        ({"dist": "gamma", "mean": 4}, "exactly one of sd, cv (got neither)"),
        ({"dist": "gamma", "mean": -4, "cv": 0.2}, "mean must be > 0 (got mean=-4)"),
        ({"dist": "gamma", "mean": 4, "sd": 0}, "sd must be > 0 (got sd=0)"),
        ({"dist": "exponential", "mean": 0}, "mean must be > 0 (got mean=0)"),
        ({"dist": "poisson", "mean": -2}, "mean must be > 0 (got mean=-2)"),
        ({"dist": "choice", "values": []}, "values must not be empty"),
        (
            {"dist": "choice", "values": [1, 2], "weights": [1.0]},
            "one entry per value (got 2 values, 1 weights)",
        ),
        (
            {"dist": "choice", "values": [1, 2], "weights": [1.5, -0.5]},
            "weights must be ≥ 0 (got weights=1.5, -0.5)",
        ),
        (
            {"dist": "choice", "values": [1, 2], "weights": [0.3, 0.6]},
            "weights must sum to 1 within 1e-9 (got sum=0.9)",
        ),
    ],
    ids=lambda x: x["dist"] if isinstance(x, dict) else "",
)
def test_each_rule_names_itself_and_the_bad_values(table: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        TypeAdapter(Distribution).validate_python(table)
    (error,) = excinfo.value.errors()
    assert message in error["msg"]


class _Spec(BaseModel):
    handle_time_minutes: Quantity


def test_quantity_parses_plain_numbers_as_floats() -> None:
    for raw in (3, 3.5, np.float64(2.5), np.int64(4)):
        value = _Spec.model_validate({"handle_time_minutes": raw}).handle_time_minutes
        assert type(value) is float and value == float(raw)


def test_quantity_parses_an_inline_table_by_its_dist() -> None:
    table = {
        "dist": "pert",
        "low": 0.6,
        "mode": 0.72,
        "high": 0.8,
        "source": "SQM Group FCR 67-72%",
    }
    value = _Spec.model_validate({"handle_time_minutes": table}).handle_time_minutes
    assert value == Pert(low=0.6, mode=0.72, high=0.8, source="SQM Group FCR 67-72%")
    assert value.source == "SQM Group FCR 67-72%"
    gamma = _Spec.model_validate({"handle_time_minutes": {"dist": "gamma", "mean": 4, "cv": 0.5}})
    assert gamma.handle_time_minutes == Gamma(mean=4, cv=0.5)


@pytest.mark.parametrize("table", [{"dist": "nope"}, {"low": 1, "high": 2}])
def test_quantity_with_unknown_or_missing_dist_lists_the_valid_names(
    table: dict[str, object],
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        _Spec.model_validate({"handle_time_minutes": table})
    (error,) = excinfo.value.errors()
    assert error["type"] == "unknown_distribution"
    assert all(name in error["msg"] for name in DIST_NAMES)


def test_distribution_with_unknown_dist_lists_the_valid_names() -> None:
    with pytest.raises(ValidationError) as excinfo:
        TypeAdapter(Distribution).validate_python({"dist": "nope"})
    assert all(f"'{name}'" in str(excinfo.value) for name in DIST_NAMES)


def test_quantity_rejects_unknown_keys() -> None:
    table = {"dist": "uniform", "low": 1, "high": 2, "hgih": 3}
    with pytest.raises(ValidationError) as excinfo:
        _Spec.model_validate({"handle_time_minutes": table})
    (error,) = excinfo.value.errors()
    assert error["type"] == "extra_forbidden" and error["loc"][-1] == "hgih"


@pytest.mark.parametrize(
    "raw",
    [True, False, "3", float("nan"), float("inf"), {"dist": "beta", "mean": True, "sd": 0.1}],
    ids=repr,
)
def test_quantity_rejects_booleans_strings_and_non_finite_numbers(raw: object) -> None:
    with pytest.raises(ValidationError) as excinfo:
        _Spec.model_validate({"handle_time_minutes": raw})
    (error,) = excinfo.value.errors()
    assert error["type"] == "number_type"
    assert "must be a" in error["msg"]


def test_distributions_round_trip_through_their_toml_keys() -> None:
    normal = Normal(mean=1, sd=2, low=0)
    dumped = normal.model_dump(exclude_none=True)
    assert dumped == {"dist": "normal", "mean": 1.0, "sd": 2.0, "low": 0.0}
    assert _Spec.model_validate({"handle_time_minutes": dumped}).handle_time_minutes == normal


def test_as_distribution_wraps_numbers_and_passes_distributions_through() -> None:
    assert as_distribution(2.5) == Fixed(value=2.5)
    pert = Pert(low=1, mode=2, high=3)
    assert as_distribution(pert) is pert
    assert len(DIST_NAMES) == 11 and DIST_NAMES[0] == "fixed"


def test_distributions_are_frozen() -> None:
    pert = Pert(low=1, mode=2, high=3)
    with pytest.raises(ValidationError):
        pert.low = 0


def test_triangular_variance_keeps_its_digits_for_a_narrow_range_far_from_zero() -> None:
    # The textbook a² + b² + c² − ab − ac − bc cancels catastrophically here (3e-6 off).
    import scipy.stats

    d = Triangular(low=-1000, mode=-999.995, high=-999.99)
    exact = scipy.stats.triang(0.5, loc=-1000, scale=0.01).var()
    assert d.var() == pytest.approx(exact, rel=1e-9)
