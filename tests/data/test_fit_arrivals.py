"""Arrivals fitted to interval counts simulated from a known profile, weekdays and busyness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from simroi.data.fit import FittedInput, Unfitted
from simroi.data.fit_arrivals import (
    DailyTotals,
    contacts_per_customer_per_year,
    fit_arrivals,
    fit_busyness,
    intervals_from_contacts,
)
from simroi.data.fit_dispersion import dispersion_loglik
from simroi.data.frames import ANSWERED, ContactLog, DataSource, IntervalReport
from simroi.estimates import Z_ONE_SIDED_95

SOURCE = DataSource(Path("intervals.csv"), "intervals", 0)
MONDAY = np.datetime64("2024-01-01")  # a Monday
# Truths: closed Sundays, open 08:00-20:00 with a rising profile, 400 contacts per open day.
WEEKDAY = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.0])
PROFILE = np.zeros(24)
PROFILE[8:20] = np.linspace(1.0, 2.0, 12)
PROFILE /= PROFILE.sum()
LEVEL = 400.0
CV = 0.15
RUNS = 200
COVERED = (0.84, 0.96)  # 3 binomial standard errors of 0.9 at 200 runs


def simulate(
    rng: np.random.Generator,
    weeks: int = 8,
    cv: float = CV,
    outlier: tuple[int, float] | None = None,
) -> IntervalReport:
    """Hourly Poisson counts, day rate LEVEL x weekday factor x gamma(mean 1, cv) busyness."""
    days = weeks * 7
    weekday = np.arange(days) % 7
    busy = rng.gamma(1 / cv**2, cv**2, size=days) if cv > 0 else np.ones(days)
    rate = LEVEL * WEEKDAY[weekday] / WEEKDAY[:6].mean() * busy
    if outlier is not None:
        rate[outlier[0]] *= outlier[1]
    counts = rng.poisson(rate[:, None] * PROFILE[None, :])
    dates = (MONDAY + np.arange(days)).astype("datetime64[s]")
    start = dates[:, None] + (np.arange(24) * 3600).astype("timedelta64[s]")[None, :]
    return IntervalReport(SOURCE, "phone", 60, start.ravel(), counts.ravel().astype(float))


def test_profile_weekdays_and_hours_are_recovered_from_poisson_counts() -> None:
    rng = np.random.default_rng(20240101)
    fit = fit_arrivals(simulate(rng, weeks=12), rng=rng)
    profile = np.array(fit.intraday_profile.value)
    assert fit.intraday_profile_minutes == 60 and profile.size == 24
    assert profile.sum() == pytest.approx(1.0)
    # each hour's share within 4 standard errors of the truth (closed hours are exactly 0)
    open_hours = PROFILE > 0
    z = (profile[open_hours] - PROFILE[open_hours]) / fit.profile_se[open_hours]
    assert np.all(np.abs(z) < 4)
    assert np.all(profile[~open_hours] == 0)
    factors = np.array(fit.weekday_factors.value)
    truth = WEEKDAY / WEEKDAY.mean()
    assert factors.mean() == pytest.approx(1.0)
    assert factors[6] == 0.0
    # relative s.e. of a weekday's mean over 12 days: √(cv² + 1/μ)/√12; the divisor (the mean
    # of six such means) adds a sixth of that variance
    se = truth[:6] * np.hypot(CV, 1 / np.sqrt(LEVEL)) / np.sqrt(12) * np.sqrt(7 / 6)
    assert np.all(np.abs(factors[:6] - truth[:6]) < 4 * se)
    assert isinstance(fit.hours, FittedInput)
    assert fit.hours.value == {
        "open": "08:00",
        "close": "20:00",
        "days": ["mon", "tue", "wed", "thu", "fri", "sat"],
    }


def test_daily_volume_and_contact_rate_intervals_cover_the_level() -> None:
    rng = np.random.default_rng(7)
    # the model's rate: LEVEL per open day, six open days a week, over 50,000 customers
    truth = LEVEL * 6 / 7 * 365.25 / 50_000
    hits = rate_hits = 0
    runs = 200
    for _ in range(runs):
        volume = fit_arrivals(simulate(rng, weeks=4), rng=rng).volume
        low, high = volume.interval90
        hits += low <= LEVEL <= high
        rate = contacts_per_customer_per_year(volume, 50_000, source=SOURCE, channel="phone")
        rate_hits += rate.interval90[0] <= truth <= rate.interval90[1]
    assert COVERED[0] <= hits / runs <= COVERED[1]
    assert COVERED[0] <= rate_hits / runs <= COVERED[1]


def test_contacts_per_customer_per_year_matches_the_models_daily_rate() -> None:
    rng = np.random.default_rng(8)
    fit = fit_arrivals(simulate(rng, weeks=12), rng=rng)
    rate = contacts_per_customer_per_year(fit.volume, 50_000, source=SOURCE, channel="phone")
    # The model's daily rate is customers × rate / 365.25 averaged over 7 weekdays (Sunday 0).
    per_week_day = 50_000 * rate.value / 365.25
    assert per_week_day == pytest.approx(fit.daily.totals.mean(), rel=0.01)


def test_busyness_interval_covers_the_true_cv_about_90_percent() -> None:
    rng = np.random.default_rng(20240611)
    hits = 0
    runs = 200
    for _ in range(runs):
        fit = fit_arrivals(simulate(rng, weeks=8), rng=rng)
        assert isinstance(fit.busyness_cv, FittedInput)
        low, high = fit.busyness_cv.interval90
        hits += low <= CV <= high
    assert COVERED[0] <= hits / runs <= COVERED[1]


def test_an_injected_outlier_day_is_listed_and_left_out() -> None:
    rng = np.random.default_rng(3)
    fit = fit_arrivals(simulate(rng, weeks=8, outlier=(17, 3.0)), rng=rng)
    assert MONDAY + np.timedelta64(17, "D") in fit.outliers
    assert fit.outliers.size <= 2
    assert isinstance(fit.busyness_cv, FittedInput)
    assert fit.busyness_cv.value < 0.3  # a 3× day left in would push the cv far above 0.15


def test_poisson_days_give_a_busyness_near_zero() -> None:
    rng = np.random.default_rng(4)
    fit = fit_arrivals(simulate(rng, weeks=8, cv=0.0), rng=rng)
    assert isinstance(fit.busyness_cv, FittedInput)
    low, high = fit.busyness_cv.interval90
    assert low == 0.0 or low < 0.02
    assert high < 0.1


def test_a_single_day_cannot_tell_busyness() -> None:
    rng = np.random.default_rng(5)
    report = simulate(rng, weeks=1)
    first_day = report.start < np.datetime64("2024-01-02")
    one = IntervalReport(SOURCE, "phone", 60, report.start[first_day], report.offered[first_day])
    fit = fit_arrivals(one, rng=rng)
    assert isinstance(fit.busyness_cv, Unfitted)
    assert "two or more open days" in fit.busyness_cv.reason
    assert np.array(fit.intraday_profile.value).sum() == pytest.approx(1.0)


def test_binned_contacts_give_the_same_arrival_fit_as_their_counts() -> None:
    rng = np.random.default_rng(6)
    report = simulate(rng, weeks=2)
    counts = report.offered.astype(int)
    # spread each hour's contacts uniformly over the hour
    arrived = np.repeat(report.start, counts) + rng.integers(0, 3600, counts.sum()).astype(
        "timedelta64[s]"
    )
    arrived.sort()
    n = arrived.size
    log = ContactLog(
        DataSource(Path("contacts.csv"), "contacts", n),
        "phone",
        arrived,
        np.full(n, ANSWERED, dtype=np.int8),
        np.zeros(n),
        np.full(n, 300.0),
    )
    binned = intervals_from_contacts(log, 60)
    assert binned.offered.sum() == n
    # the log ends with its last contact's day (a closed Sunday has none): the rest are zeros
    np.testing.assert_array_equal(binned.offered, report.offered[: binned.rows])
    assert report.offered[binned.rows :].sum() == 0
    assert np.all(binned.handle_seconds_mean[binned.answered > 0] == 300.0)
    a = fit_arrivals(report, rng=np.random.default_rng(1))
    b = fit_arrivals(binned, rng=np.random.default_rng(1))
    assert a.weekday_factors.value == b.weekday_factors.value
    assert a.intraday_profile.value == b.intraday_profile.value


def test_a_deferrable_channel_takes_its_hours_from_the_agents_column() -> None:
    # email arrives every day and every hour; agents work Monday to Friday, 09:00-17:00
    rng = np.random.default_rng(9)
    days, slots = 28, 96
    counts = rng.poisson(3.0, size=(days, slots)).astype(float)
    weekday = np.arange(days) % 7
    slot = np.arange(slots)
    staffed = (weekday[:, None] < 5) & (slot[None, :] >= 36) & (slot[None, :] < 68)
    dates = (MONDAY + np.arange(days)).astype("datetime64[s]")
    start = dates[:, None] + (slot * 900).astype("timedelta64[s]")[None, :]
    report = IntervalReport(
        SOURCE,
        "email",
        15,
        start.ravel(),
        counts.ravel(),
        agents=np.where(staffed, 4.0, 0.0).ravel(),
    )
    fit = fit_arrivals(report, rng=rng)
    assert isinstance(fit.hours, FittedInput)
    assert fit.hours.value == {
        "open": "09:00",
        "close": "17:00",
        "days": ["mon", "tue", "wed", "thu", "fri"],
    }
    # contacts still arrive at the weekend: those weekdays keep their volume
    assert min(fit.weekday_factors.value) > 0.8
    keys = [f.key for f in fit.inputs()]
    assert keys[:3] == ["hours", "busyness_cv", "intraday_profile_minutes"]
    minutes = fit.inputs()[2]
    assert isinstance(minutes, FittedInput) and minutes.value == 15
    assert len(fit.intraday_profile.value) == 1440 // 15


@settings(max_examples=40, deadline=None)
@given(
    counts=arrays(np.float64, (14, 24), elements=st.integers(0, 50).map(float)),
    closed=st.sets(st.integers(0, 6), max_size=6),
)
def test_profile_sums_to_one_and_weekday_factors_average_one(
    counts: np.ndarray, closed: set[int]
) -> None:
    counts[np.isin(np.arange(14) % 7, sorted(closed))] = 0.0
    counts[np.arange(14) % 7 == min(set(range(7)) - closed), 10] += 1.0  # one weekday open
    dates = (MONDAY + np.arange(14)).astype("datetime64[s]")
    start = dates[:, None] + (np.arange(24) * 3600).astype("timedelta64[s]")[None, :]
    report = IntervalReport(SOURCE, "phone", 60, start.ravel(), counts.ravel())
    fit = fit_arrivals(report, rng=np.random.default_rng(0))
    assert sum(fit.intraday_profile.value) == pytest.approx(1.0)
    factors = np.array(fit.weekday_factors.value)
    assert factors.mean() == pytest.approx(1.0)
    assert np.all(factors[sorted(closed)] == 0.0)


def _daily(rng: np.random.Generator, weeks: int, cv: float, level: float) -> DailyTotals:
    """Day totals only (one interval a day), drawn as :func:`simulate` draws them."""
    days = weeks * 7
    weekday = np.arange(days) % 7
    busy = rng.gamma(1 / cv**2, cv**2, size=days)
    totals = rng.poisson(level * WEEKDAY[weekday] / WEEKDAY[:6].mean() * busy).astype(float)
    return DailyTotals(MONDAY + np.arange(days), weekday, totals, totals[:, None], None)


@pytest.mark.parametrize(
    ("level", "cv", "seed"),
    [(30.0, 0.15, 11), (400.0, 0.6, 12)],
    ids=["poisson-noise-dominates", "busyness-dominates"],
)
def test_busyness_interval_covers_where_poisson_noise_or_busyness_dominates(
    level: float, cv: float, seed: int
) -> None:
    # at 30 a day Poisson noise (cv 0.18) exceeds the busyness; at 400 and cv 0.6 the reverse
    rng = np.random.default_rng(seed)
    hits = 0
    estimates = np.empty(RUNS)
    for i in range(RUNS):
        busy, _, _ = fit_busyness(
            _daily(rng, 8, cv, level), WEEKDAY > 0, source=SOURCE, channel="phone"
        )
        assert isinstance(busy, FittedInput)
        low, high = busy.interval90
        hits += low <= cv <= high
        estimates[i] = busy.value
    assert COVERED[0] <= hits / RUNS <= COVERED[1]
    # the estimate is unbiased within 3 of its standard errors
    assert abs(estimates.mean() - cv) < 3 * estimates.std(ddof=1) / np.sqrt(RUNS)


@pytest.mark.parametrize("cv", [0.02, 0.3, 1.5])
def test_dispersion_likelihood_matches_scipys_negative_binomial(cv: float) -> None:
    rng = np.random.default_rng(13)
    groups = np.arange(42) % 6
    means = np.array([50.0, 400.0, 2000.0, 3.0, 0.5, 120.0, 0.0])
    totals = rng.poisson(means[groups] * rng.gamma(1 / cv**2, cv**2, groups.size)).astype(float)
    fitted = np.bincount(groups, totals, minlength=7) / np.maximum(
        np.bincount(groups, minlength=7), 1
    )
    mu = fitted[groups]
    r = 1 / cv**2
    nb = stats.nbinom.logpmf(totals, r, r / (r + mu)).sum()
    poisson = stats.poisson.logpmf(totals, mu).sum()
    cox_reid = 0.5 * np.log1p(cv**2 * fitted[:6]).sum()
    (got,) = dispersion_loglik(np.array([cv]), totals, groups, fitted)
    assert got == pytest.approx(nb - poisson + cox_reid, rel=1e-9, abs=1e-7)


@pytest.mark.parametrize("cv", [1e-6, 1e-4, 0.01, 0.2])
def test_dispersion_likelihood_stays_accurate_as_the_cv_vanishes(cv: float) -> None:
    # scipy's negative binomial loses digits as its size 1/cv^2 grows; the oracle here is the
    # defining sum: per day sum_{k<x} log(1 + k a) - (1/a + x) log(1 + a m) + m, a = cv^2
    totals = np.array([0.0, 1.0, 7.0, 400.0, 5000.0, 380.0, 4900.0])
    groups = np.array([0, 0, 1, 2, 3, 2, 3])
    means = np.array([0.5, 7.0, 390.0, 4950.0, 0.0, 0.0, 0.0])
    a = cv**2
    per_day = [
        np.log1p(np.arange(int(x)) * a).sum() - (1 / a + x) * np.log1p(a * m) + m
        for x, m in zip(totals, means[groups], strict=True)
    ]
    oracle = sum(per_day) + 0.5 * np.log1p(a * means[:4]).sum()
    (got,) = dispersion_loglik(np.array([cv]), totals, groups, means)
    assert got == pytest.approx(oracle, rel=1e-6, abs=1e-9)
    assert dispersion_loglik(np.array([0.0]), totals, groups, means)[0] == 0.0


def test_one_week_gives_the_contact_rate_a_poisson_interval_and_says_so() -> None:
    rng = np.random.default_rng(14)
    fit = fit_arrivals(simulate(rng, weeks=1), rng=rng)
    assert isinstance(fit.busyness_cv, Unfitted) and fit.volume.busyness_assumed
    rate = contacts_per_customer_per_year(fit.volume, 50_000, source=SOURCE, channel="phone")
    # one date per weekday: the model's standard error with cv 0, sqrt(sum of the six daily
    # means) / 6, scaled to the rate
    totals = fit.daily.totals[:6]
    se = np.sqrt(totals.sum()) / 6 * 6 / 7 * 365.25 / 50_000
    low, high = rate.interval90
    assert high - low == pytest.approx(2 * Z_ONE_SIDED_95 * se, rel=1e-9)
    assert low < rate.value < high
    assert "busyness not fitted" in rate.note and "cv 0" in rate.note
    assert "normal" in rate.method


def test_an_all_zero_report_leaves_the_profile_and_weekdays_unfitted() -> None:
    dates = (MONDAY + np.arange(14)).astype("datetime64[s]")
    start = dates[:, None] + (np.arange(24) * 3600).astype("timedelta64[s]")[None, :]
    fit = fit_arrivals(IntervalReport(SOURCE, "phone", 60, start.ravel(), np.zeros(14 * 24)))
    keys = {f.key: f for f in fit.inputs()}
    assert set(keys) == {
        "hours",
        "busyness_cv",
        "intraday_profile",
        "intraday_profile_concentration",
        "weekday_factors",
        "weekday_factors_concentration",
    }
    for f in keys.values():
        assert isinstance(f, Unfitted), f.key
    assert "no open day" in keys["intraday_profile"].reason  # type: ignore[union-attr]


def test_partial_and_outlier_days_stay_out_of_the_profile() -> None:
    rng = np.random.default_rng(15)
    full = simulate(rng, weeks=8, outlier=(17, 3.0))
    # the export starts at 14:00 on the first day: its morning rows are missing
    keep = full.start >= MONDAY.astype("datetime64[s]") + np.timedelta64(14, "h")
    report = IntervalReport(SOURCE, "phone", 60, full.start[keep], full.offered[keep])
    fit = fit_arrivals(report)
    assert MONDAY + np.timedelta64(17, "D") in fit.outliers
    # the oracle: mean share over the open days other than the first and the outliers
    by_day = full.offered.reshape(56, 24)
    use = (WEEKDAY[np.arange(56) % 7] > 0) & ~np.isin(MONDAY + np.arange(56), fit.outliers)
    use[0] = False
    shares = by_day[use] / by_day[use].sum(axis=1, keepdims=True)
    np.testing.assert_allclose(fit.intraday_profile.value, shares.mean(axis=0), rtol=1e-12)
    assert fit.intraday_profile.n == int(use.sum())
    assert "partial or outlier" in fit.intraday_profile.note
