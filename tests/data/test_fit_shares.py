"""How sure a fitted profile, set of weekday factors and patience shape are, against the truth.

Each concentration is checked three ways: its formula against the sampling variance of the
fitted shares over many simulated data sets (the truth it stands for), its 90 % interval's
coverage of that truth over 200 data sets (3 binomial standard errors of 0.9), and its form in
the scenario.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from data.test_fit_arrivals import CV, LEVEL, PROFILE, SOURCE, WEEKDAY, simulate
from data.test_fit_forms import _scenario
from data.test_fit_service import PATIENCE_MIN, contacts

from simroi.data.fit import LIMITS, FittedInput, Unfitted
from simroi.data.fit_arrivals import fit_arrivals
from simroi.data.fit_service import PatienceCandidate, _shape_fit, fit_patience
from simroi.data.fit_shares import concentration, profile_concentration, weekday_concentration
from simroi.scenario.rules import scenario_problems

RUNS = 200
COVERED = (0.84, 0.96)  # 3 binomial standard errors of 0.9 at 200 runs


def _poisson_days(rng: np.random.Generator, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Hourly Poisson counts of ``days`` days on PROFILE, each day's total mean LEVEL × a gamma
    busyness (cv CV): the shares of each day (days, 24) and the totals (days,)."""
    busy = rng.gamma(1 / CV**2, CV**2, size=days)
    counts = rng.poisson(LEVEL * busy[:, None] * PROFILE[None, :])
    totals = counts.sum(axis=1)
    return counts / totals[:, None], totals


def test_a_profile_from_poisson_days_is_as_sure_as_n_times_the_harmonic_mean_day() -> None:
    """Given the days' totals, each share of a Poisson day has variance p (1 − p) / N_d, so the
    mean of n days' shares has Σ var = (1 − Σ p²) mean(1/N_d) / n: c + 1 = n / mean(1/N_d).
    The interval covers that truth about 90 % of the time; the estimate is about unbiased."""
    rng = np.random.default_rng(41)
    n = 35
    hits, ratios = 0, []
    for _ in range(RUNS):
        shares, totals = _poisson_days(rng, n)
        fit = profile_concentration(shares, minutes=60, source=SOURCE, channel="phone")
        assert isinstance(fit, FittedInput)
        truth = n / np.mean(1.0 / totals) - 1.0
        low, high = fit.interval90
        hits += low <= truth <= high
        ratios.append(fit.value / truth)
        assert fit.distribution == fit.value and low < fit.value < high
    assert COVERED[0] <= hits / RUNS <= COVERED[1], hits / RUNS
    # 1/c is the unbiased one (a variance); c's mean sits a little above the truth
    assert abs(np.mean(ratios) - 1.0) < 0.05


def test_the_concentration_formula_is_the_spread_of_the_fitted_profile() -> None:
    """Over many data sets the fitted mean shares vary by p (1 − p) / (c + 1) in sum, c the
    concentration the truth gives; the pooled match is exact for Dirichlet-shaped errors.
    Tolerance: the variance of a sum of 12 near-normal variances over RUNS sets, 4 s.e."""
    rng = np.random.default_rng(42)
    n, runs = 28, 2000
    means = np.empty((runs, 24))
    harmonic = np.empty(runs)
    for r in range(runs):
        shares, totals = _poisson_days(rng, n)
        means[r] = shares.mean(axis=0)
        harmonic[r] = np.mean(1.0 / totals)
    c = concentration(PROFILE, means.var(axis=0, ddof=1))
    truth = n / np.mean(harmonic) - 1.0
    assert abs(c / truth - 1.0) < 4 * math.sqrt(2 / (runs - 1)), (c, truth)


def _weekday_truth(weeks: int) -> float:
    """The weekday concentration the simulation's own parameters give: weekday means m_w =
    LEVEL × factor, var m̂_w = (m + cv² m²) / weeks, shares' variances by the delta method."""
    m = LEVEL * WEEKDAY / WEEKDAY[:6].mean()
    var_m = (m + CV**2 * m**2) / weeks
    p = m / m.sum()
    var_p = ((1 - 2 * p) * var_m + p**2 * var_m.sum()) / m.sum() ** 2
    return concentration(p, var_p)


def test_weekday_concentration_matches_the_spread_of_the_fitted_factors_and_covers_it() -> None:
    """The fitted weekday shares over RUNS five-week data sets vary as the truth's
    concentration says (4 s.e. of a variance sum over six open weekdays); each fit's interval
    (from busyness_cv's) covers that truth about 90 % of the time."""
    rng = np.random.default_rng(43)
    weeks = 5
    truth = _weekday_truth(weeks)
    shares = np.empty((RUNS, 7))
    hits = 0
    for r in range(RUNS):
        fit = fit_arrivals(simulate(rng, weeks=weeks))
        c = fit.weekday_concentration
        assert isinstance(c, FittedInput)
        factors = np.array(fit.weekday_factors.value)
        shares[r] = factors / factors.sum()
        low, high = c.interval90
        hits += low <= truth <= high
    assert np.all(shares[:, 6] == 0)  # Sunday stays closed
    spread = concentration(WEEKDAY / WEEKDAY.sum(), shares.var(axis=0, ddof=1))
    assert abs(spread / truth - 1.0) < 4 * math.sqrt(2 / (6 * (RUNS - 1))) * 2, (spread, truth)
    assert COVERED[0] <= hits / RUNS <= COVERED[1], hits / RUNS


def test_arrivals_write_both_concentrations_beside_their_shares() -> None:
    fit = fit_arrivals(simulate(np.random.default_rng(44), weeks=6))
    keys = [f.key for f in fit.inputs()]
    assert keys.index("intraday_profile_concentration") == keys.index("intraday_profile") + 1
    assert keys.index("weekday_factors_concentration") == keys.index("weekday_factors") + 1
    for c in (fit.profile_concentration, fit.weekday_concentration):
        assert isinstance(c, FittedInput) and not c.is_uncertain
        assert 0 < c.value <= LIMITS["concentration"][1] and "Dirichlet" in c.method
        assert c.interval90[0] < c.value < c.interval90[1]


def test_too_few_days_or_one_open_weekday_leave_the_concentration_unfitted() -> None:
    shares, _ = _poisson_days(np.random.default_rng(45), 1)
    one_day = profile_concentration(shares, minutes=60, source=SOURCE, channel="phone")
    assert isinstance(one_day, Unfitted) and "1 full day" in one_day.reason
    means = np.array([500.0, 0, 0, 0, 0, 0, 0])
    busy = Unfitted("busyness_cv", "not fitted", SOURCE, "phone")
    only = weekday_concentration(means, np.array([5, 0, 0, 0, 0, 0, 0]), busy,
                                 source=SOURCE, channel="phone")  # fmt: skip
    assert isinstance(only, Unfitted) and "1 open weekday" in only.reason


def test_without_busyness_the_weekday_concentration_is_a_poisson_upper_bound() -> None:
    means = np.array([500.0, 450, 400, 400, 380, 200, 0])
    days = np.array([1, 1, 1, 1, 1, 1, 0])
    busy = Unfitted("busyness_cv", "not fitted", SOURCE, "phone")
    fit = weekday_concentration(means, days, busy, source=SOURCE, channel="phone")
    assert isinstance(fit, FittedInput)
    assert math.isnan(fit.interval90[0]) and "upper bound" in fit.note
    # Poisson days: var m̂ = m, so Σ var p̂ ≈ (1 − Σp²)/M up to the delta method's terms
    assert fit.value == pytest.approx(means.sum(), rel=0.2)


def test_a_weibull_patience_shape_is_written_as_an_uncertain_input() -> None:
    rng = np.random.default_rng(46)
    patience = PATIENCE_MIN * rng.weibull(2.0, 1500) / math.gamma(1.5)
    fit = fit_patience(contacts(rng, n=1500, patience_min=patience))
    shape = fit.patience_shape
    assert isinstance(shape, FittedInput) and shape.is_uncertain
    low, high = shape.interval90
    assert low < shape.value < high and low < 2.0 < high
    form = shape.distribution
    assert form["dist"] == "normal" and form["low"] >= LIMITS["patience_shape"][0]
    # the loader takes it, as the calibrated file will hold it
    scenario = _scenario({"patience_dist": "weibull", "patience_shape": form}, {})
    assert scenario_problems(scenario, "fitted.toml", is_baseline=False) == []
    # the exponential has no shape: 1, fixed
    plain = fit_patience(contacts(rng, n=1500))
    assert isinstance(plain.patience_shape, FittedInput)
    assert plain.patience_shape.distribution == 1.0 and not plain.patience_shape.is_uncertain


@pytest.mark.slow
def test_weibull_shape_interval_covers_the_truth_under_heavy_censoring() -> None:
    """Weibull shape 2, n = 1500, 80 % censored: the Wald interval of the log shape from the
    observed information covers 2 about 90 % of the time (the family is told apart at this n;
    a sample fitted as lognormal, whose sigma is another quantity, would not count). About a
    minute: scipy's censored fits run one sample at a time."""
    rng = np.random.default_rng(47)
    hits = weibull = 0
    for _ in range(RUNS):
        patience = PATIENCE_MIN * rng.weibull(2.0, 1500) / math.gamma(1.5)
        fit = fit_patience(contacts(rng, n=1500, patience_min=patience))
        assert isinstance(fit.patience_dist, FittedInput)
        if fit.patience_dist.value != "weibull":
            continue
        weibull += 1
        low, high = fit.patience_shape.interval90  # type: ignore[union-attr]
        hits += low <= 2.0 <= high
    assert weibull >= 0.85 * RUNS  # about one sample in fifteen looks lognormal
    assert COVERED[0] <= hits / weibull <= COVERED[1], hits / weibull


def test_a_shape_without_a_finite_standard_error_is_written_fixed() -> None:
    """An observed information that is not invertible gives the interval (0, inf): the shape is
    then written as its point, with the reason."""
    best = PatienceCandidate("weibull", 1.7, 3.0, -100.0, 204.0, 2.7, (2.5, 2.9), "ml",
                             shape_interval90=(0.0, math.inf))  # fmt: skip
    fit = _shape_fit(best, 40, SOURCE, "phone")
    assert fit.distribution == 1.7 and fit.interval90 == (1.7, 1.7) and not fit.is_uncertain
    assert "no standard error" in fit.note
