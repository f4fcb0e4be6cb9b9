"""Handle time and patience fitted to contacts simulated from known distributions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from simroi.data.fit import LIMITS, FittedInput, Unfitted
from simroi.data.fit_service import (
    MIN_CV_CONTACTS,
    fit_handle_time,
    fit_handle_time_intervals,
    fit_patience,
    fit_patience_intervals,
)
from simroi.data.frames import ABANDONED, ANSWERED, ContactLog, DataSource, IntervalReport
from simroi.estimates import Z_ONE_SIDED_95
from simroi.queueing.engine import serve_fcfs
from simroi.queueing.shifts import QueueState, ShiftPattern

SOURCE = DataSource(Path("contacts.csv"), "contacts", 0)
RUNS = 200
# 3 binomial standard errors of 0.9 at 200 runs
COVERED = (0.84, 0.96)
PATIENCE_MIN = 3.0
# Offered waits exponential with a quarter of the mean patience: P(answered) = 1/(1 + 1/4) = 0.8.
OFFERED_WAIT_MIN = 0.25 * PATIENCE_MIN
HANDLE_MEDIAN_S, HANDLE_SIGMA = 300.0, 0.8


def contacts(
    rng: np.random.Generator, n: int = 300, patience_min: np.ndarray | None = None
) -> ContactLog:
    """A phone log: exponential patience (mean 3 min) against exponential offered waits."""
    patience = rng.exponential(PATIENCE_MIN * 60, n) if patience_min is None else patience_min * 60
    offered = rng.exponential(OFFERED_WAIT_MIN * 60, n)
    abandoned = patience < offered
    handle = rng.lognormal(math.log(HANDLE_MEDIAN_S), HANDLE_SIGMA, n)
    return ContactLog(
        SOURCE,
        "phone",
        np.arange(n).astype("datetime64[s]"),
        np.where(abandoned, ABANDONED, ANSWERED).astype(np.int8),
        np.where(abandoned, patience, offered),
        np.where(abandoned, np.nan, handle),
    )


def test_handle_time_mean_and_cv_intervals_cover_the_truth() -> None:
    rng = np.random.default_rng(101)
    mean = HANDLE_MEDIAN_S * math.exp(HANDLE_SIGMA**2 / 2) / 60
    cv = math.sqrt(math.expm1(HANDLE_SIGMA**2))
    mean_hits = cv_hits = 0
    for _ in range(RUNS):
        fit = fit_handle_time(contacts(rng, n=200))
        assert isinstance(fit.mean, FittedInput) and isinstance(fit.cv, FittedInput)
        mean_hits += fit.mean.interval90[0] <= mean <= fit.mean.interval90[1]
        cv_hits += fit.cv.interval90[0] <= cv <= fit.cv.interval90[1]
    assert COVERED[0] <= mean_hits / RUNS <= COVERED[1]
    assert COVERED[0] <= cv_hits / RUNS <= COVERED[1]


def test_lognormal_handle_times_are_best_fitted_as_lognormal() -> None:
    fit = fit_handle_time(contacts(np.random.default_rng(102), n=3000))
    assert min(fit.aic, key=fit.aic.__getitem__) == "lognormal"
    assert isinstance(fit.mean, FittedInput) and fit.mean.note == ""


def test_interval_aht_gives_the_mean_and_keeps_the_cv() -> None:
    rng = np.random.default_rng(103)
    mean = HANDLE_MEDIAN_S * math.exp(HANDLE_SIGMA**2 / 2) / 60
    hits = 0
    for _ in range(RUNS):
        answered = rng.poisson(20, 48).astype(float)
        sums = np.array(
            [rng.lognormal(math.log(HANDLE_MEDIAN_S), HANDLE_SIGMA, int(a)).sum() for a in answered]
        )
        with np.errstate(invalid="ignore"):
            aht = sums / answered
        start = (np.arange(48) * 1800).astype("datetime64[s]")
        report = IntervalReport(
            SOURCE, "phone", 30, start, answered, answered=answered, handle_seconds_mean=aht
        )
        fit = fit_handle_time_intervals(report)
        assert isinstance(fit.mean, FittedInput)
        hits += fit.mean.interval90[0] <= mean <= fit.mean.interval90[1]
    assert COVERED[0] <= hits / RUNS <= COVERED[1]
    assert isinstance(fit.cv, Unfitted) and "cv kept from the scenario" in fit.cv.reason


def test_an_aht_column_of_zeros_is_not_fitted() -> None:
    # A tester's contact log with every handle_seconds 0 wrote a handle time of 5e-7 minutes,
    # which the scenario then refused, blamed on the output file.
    answered = np.full(48, 20.0)
    start = (np.arange(48) * 1800).astype("datetime64[s]")
    report = IntervalReport(
        SOURCE, "phone", 30, start, answered, answered=answered, handle_seconds_mean=answered * 0
    )
    fit = fit_handle_time_intervals(report)
    assert isinstance(fit.mean, Unfitted)
    assert fit.mean.reason == (
        "not fitted: 0 interval(s) with answered contacts and a handle time above 0 (2 or more "
        "needed)"
    )


def test_patience_is_recovered_under_heavy_censoring_where_the_naive_mean_fails() -> None:
    rng = np.random.default_rng(104)
    hits = naive_hits = 0
    answered = 0.0
    for _ in range(RUNS):
        fit = fit_patience(contacts(rng), families=("exponential",))
        assert isinstance(fit.patience_minutes, FittedInput)
        low, high = fit.patience_minutes.interval90
        hits += low <= PATIENCE_MIN <= high
        answered += fit.censored / (fit.censored + fit.abandoned) / RUNS
        # the naive estimate, the mean wait of those who abandoned, with its own 90 % interval
        half = Z_ONE_SIDED_95 * fit.naive_mean / math.sqrt(fit.abandoned)
        naive_hits += abs(fit.naive_mean - PATIENCE_MIN) <= half
    assert answered == pytest.approx(0.8, abs=0.01)
    assert COVERED[0] <= hits / RUNS <= COVERED[1]
    assert naive_hits / RUNS < 0.05  # E[patience | abandoned] = 0.6 min, not 3


def test_patience_family_is_chosen_by_likelihood() -> None:
    rng = np.random.default_rng(105)
    # Weibull patience with shape 2 (impatience rising with the wait) is told from exponential
    weibull = 3.0 * rng.weibull(2.0, 2000) / math.gamma(1.5)
    fit = fit_patience(contacts(rng, n=2000, patience_min=weibull))
    assert isinstance(fit.patience_dist, FittedInput) and fit.patience_dist.value == "weibull"
    assert isinstance(fit.patience_shape, FittedInput)
    best = next(c for c in fit.candidates if c.family == "weibull")
    assert best.shape == pytest.approx(2.0, rel=0.25)
    assert isinstance(fit.patience_minutes, FittedInput)
    low, high = fit.patience_minutes.interval90
    # the mean beyond the longest waits is extrapolated: a wide but honest interval
    assert low < 3.0 < high
    # exponential patience stays exponential
    plain = fit_patience(contacts(rng, n=2000))
    assert isinstance(plain.patience_dist, FittedInput)
    assert plain.patience_dist.value == "exponential"


@pytest.mark.slow
def test_weibull_patience_mean_interval_covers_the_truth_under_heavy_censoring() -> None:
    # Weibull shape 2, n = 600, 80 % censored: the likelihood picks the lognormal for about
    # one sample in seven, whose extrapolated mean misses; the union of the intervals of the
    # families it cannot tell apart (FAMILY_MARGIN) restores the coverage. scipy's censored
    # fits cannot be vectorised over samples: about a minute.
    rng = np.random.default_rng(111)
    hits, families = 0, set()
    for _ in range(RUNS):
        patience = PATIENCE_MIN * rng.weibull(2.0, 600) / math.gamma(1.5)
        fit = fit_patience(contacts(rng, n=600, patience_min=patience))
        assert isinstance(fit.patience_minutes, FittedInput)
        assert isinstance(fit.patience_dist, FittedInput)
        families.add(fit.patience_dist.value)
        low, high = fit.patience_minutes.interval90
        hits += low <= PATIENCE_MIN <= high
    assert COVERED[0] <= hits / RUNS <= COVERED[1]
    assert families == {"weibull", "lognormal"}  # the family is uncertain at this n


def test_kaplan_meier_matches_the_true_survival_within_its_interval() -> None:
    rng = np.random.default_rng(106)
    fit = fit_patience(contacts(rng, n=4000), families=("exponential",))
    for t in (0.1, 0.3, 0.6, 1.0):
        i = np.searchsorted(fit.km_minutes, t, side="right") - 1
        truth = math.exp(-t / PATIENCE_MIN)
        # the 90 % Greenwood interval, widened to 3 of its standard errors (4 points tested)
        se = (fit.km_high[i] - fit.km_low[i]) / (2 * Z_ONE_SIDED_95)
        assert abs(fit.km_survival[i] - truth) < 3 * se


def test_no_abandoned_contacts_leave_patience_unfitted() -> None:
    rng = np.random.default_rng(107)
    log = contacts(rng, n=200, patience_min=np.full(200, np.inf))
    fit = fit_patience(log)
    assert isinstance(fit.patience_minutes, Unfitted)
    assert "no abandoned contacts" in fit.patience_minutes.reason
    assert fit.abandoned == 0 and fit.censored > 0


def _queue_days(
    rng: np.random.Generator, theta_per_min: float, days: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Days of an M/M/10+M queue with a varying arrival rate, served by the model's own FCFS
    engine (one day per trial column): for each day the arrival and service-start times (NaN:
    abandoned) and the patience, in seconds."""
    agents, handle_s = 10, 240.0
    rate_per_s = np.repeat([0.030, 0.045, 0.050, 0.040], 8)  # 8 h in 15-minute steps
    edges = np.arange(rate_per_s.size + 1) * 900.0
    counts = rng.poisson(rate_per_s * 900.0, size=(days, rate_per_s.size))
    rows = int(counts.sum(axis=1).max())
    arrival = np.full((rows, days), np.inf)
    for d in range(days):
        times = np.concatenate(
            [rng.uniform(a, b, c) for a, b, c in zip(edges[:-1], edges[1:], counts[d], strict=True)]
        )
        arrival[: times.size, d] = np.sort(times)
    present = np.isfinite(arrival)
    arrival[~present] = edges[-1]  # padding after the last arrival: changes nothing
    patience = rng.exponential(60.0 / theta_per_min, (rows, days))
    shifts = ShiftPattern.daily(agents, 0.0, 86_400.0)
    start, _ = serve_fcfs(
        arrival,
        rng.exponential(handle_s, (rows, days)),
        patience,
        present,
        shifts,
        QueueState.initial(shifts, days),
    )
    return [
        (arrival[present[:, d], d], start[present[:, d], d], patience[present[:, d], d])
        for d in range(days)
    ]


def _mz_report(day: tuple[np.ndarray, np.ndarray, np.ndarray]) -> IntervalReport:
    """A queue day aggregated into 15-minute intervals as an ACD reports them."""
    arrival, start, _ = day
    answered = np.isfinite(start)
    slots = 32
    slot = np.minimum((arrival // 900).astype(int), slots - 1)
    n_answered = np.bincount(slot[answered], minlength=slots).astype(float)
    waited = np.bincount(slot[answered], (start - arrival)[answered], minlength=slots)
    with np.errstate(invalid="ignore"):
        asa = waited / n_answered
    return IntervalReport(
        SOURCE,
        "phone",
        15,
        (np.arange(slots) * 900).astype("datetime64[s]"),
        np.bincount(slot, minlength=slots).astype(float),
        answered=n_answered,
        abandoned=np.bincount(slot[~answered], minlength=slots).astype(float),
        wait_seconds_mean=asa,
    )


def test_patience_from_a_queue_days_log_covers_the_truth() -> None:
    # the censoring of a real queue: most contacts answered at once, waits dependent in time
    rng = np.random.default_rng(109)
    hits = 0
    runs = 100
    for arrival, start, patience in _queue_days(rng, 1 / 2.0, runs):
        abandoned = ~np.isfinite(start)
        log = ContactLog(
            SOURCE,
            "phone",
            arrival.astype("datetime64[s]"),
            np.where(abandoned, ABANDONED, ANSWERED).astype(np.int8),
            np.where(abandoned, patience, start - arrival),
            np.full(arrival.size, np.nan),
        )
        fit = fit_patience(log, families=("exponential",))
        assert isinstance(fit.patience_minutes, FittedInput)
        hits += fit.patience_minutes.interval90[0] <= 2.0 <= fit.patience_minutes.interval90[1]
    # 3 binomial standard errors of 0.9 at 100 runs
    assert 0.81 <= hits / runs <= 0.99


def test_mandelbaum_zeltyn_recovers_patience_from_queue_aggregates_roughly() -> None:
    rng = np.random.default_rng(108)
    theta = 1 / 2.0  # mean patience 2 minutes
    days = 120
    estimates, ses, abandoned = [], [], []
    for day in _queue_days(rng, theta, days):
        report = _mz_report(day)
        fit = fit_patience_intervals(report)
        assert isinstance(fit, FittedInput)
        low, high = fit.interval90
        estimates.append(math.log(fit.value))
        ses.append((math.log(high) - math.log(low)) / (2 * Z_ONE_SIDED_95))
        assert report.abandoned is not None
        abandoned.append(report.abandoned.sum() / report.offered.sum())
    assert np.mean(abandoned) == pytest.approx(0.15, abs=0.03)
    # The ASA leaves out the abandoners' longer waits: the mean patience is understated, by
    # the documented ~15 % here. The mean log estimate lies in [log 0.8, log 0.92] of the
    # truth: the bias seen, -0.17, +-0.05, which is 6 of its standard errors (0.008) — a band
    # for the documented size of the bias, not a test of the noise.
    bias = np.mean(estimates) - math.log(2.0)
    assert math.log(0.8) < bias < math.log(0.92)
    # The interval's width agrees with the spread of the estimates: if the delta-method s.e.
    # is right, (n - 1) s^2 / se^2 is chi-square with n - 1 degrees of freedom; accept its
    # central 99.8 % (about ±3 of the ratio's standard errors, 1/sqrt(2(n - 1)) = 0.065).
    ratio = (days - 1) * np.var(estimates, ddof=1) / np.mean(np.square(ses))
    low_q, high_q = stats.chi2.ppf([0.001, 0.999], days - 1)
    assert low_q < ratio < high_q


def test_mandelbaum_zeltyn_needs_abandonments() -> None:
    start = (np.arange(4) * 900).astype("datetime64[s]")
    counts = np.full(4, 10.0)
    report = IntervalReport(
        SOURCE, "phone", 15, start, counts, answered=counts, abandoned=np.zeros(4),
        wait_seconds_mean=np.full(4, 5.0),
    )  # fmt: skip
    fit = fit_patience_intervals(report)
    assert isinstance(fit, Unfitted) and "no abandoned contacts" in fit.reason


def _answered_log(handle_s: np.ndarray) -> ContactLog:
    n = handle_s.size
    return ContactLog(
        SOURCE,
        "phone",
        np.arange(n).astype("datetime64[s]"),
        np.full(n, ANSWERED, dtype=np.int8),
        np.zeros(n),
        handle_s,
    )


def test_a_small_or_wide_handle_time_sample_leaves_the_cv_unfitted() -> None:
    # two contacts of 1 s and 600 s once overflowed the cv interval's exp(sigma^2)
    fit = fit_handle_time(_answered_log(np.array([1.0, 600.0])))
    assert isinstance(fit.cv, Unfitted) and f"{MIN_CV_CONTACTS} or more" in fit.cv.reason
    assert isinstance(fit.mean, FittedInput)
    few = fit_handle_time(_answered_log(np.full(MIN_CV_CONTACTS - 1, 300.0) * np.arange(1, 10)))
    assert isinstance(few.cv, Unfitted)


def test_handle_times_that_never_vary_are_not_fitted() -> None:
    # Found by fuzzing: a log whose handle_seconds column holds one value (425.8 s) everywhere
    # made scipy's lognormal fit raise.
    fit = fit_handle_time(_answered_log(np.full(3_504, 425.8)))
    for part in (fit.mean, fit.cv):
        assert isinstance(part, Unfitted)
        assert part.reason.startswith("not fitted: every one of the 3,504 handle times is 425.8 s")


def test_a_cv_interval_beyond_the_scenarios_limit_is_clipped_with_a_note() -> None:
    # twelve handle times whose log-variance is exactly 1.5^2: the chi-square upper end of
    # sigma^2, 11 * 2.25 / chi2_0.05(11) = 5.4, is above log(1 + 10^2) = 4.6
    z = np.linspace(-1.0, 1.0, 12)
    logs = math.log(300.0) + 1.5 * z / np.std(z, ddof=1)
    fit = fit_handle_time(_answered_log(np.exp(logs)))
    assert isinstance(fit.cv, FittedInput)
    low, high = fit.cv.interval90
    limit = LIMITS["handle_time_cv"][1]
    assert high == pytest.approx(limit) and low < fit.cv.value < high
    assert "limit 10" in fit.cv.note and "clipped" in fit.cv.note
    assert fit.cv.distribution["high"] == limit
    # an estimate itself above the limit is written as the limit
    wide = fit_handle_time(_answered_log(np.exp(math.log(300.0) + 2.5 * z / np.std(z, ddof=1))))
    assert isinstance(wide.cv, FittedInput)
    assert wide.cv.value == pytest.approx(limit) and "written as 10" in wide.cv.note


def _mz_intervals(
    n: int, wait_s: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    start = (np.arange(n) * 900).astype("datetime64[s]")
    answered = 90.0 + np.arange(n) % 3
    abandoned = 10.0 + np.arange(n) % 2
    wait = np.full(n, 30.0) + np.arange(n) % 5 if wait_s is None else wait_s
    return start, answered, abandoned, wait


def test_mandelbaum_zeltyn_from_one_interval_is_not_fitted() -> None:
    start, answered, abandoned, wait = _mz_intervals(1)
    report = IntervalReport(
        SOURCE, "phone", 15, start, answered + abandoned, answered=answered,
        abandoned=abandoned, wait_seconds_mean=wait,
    )  # fmt: skip
    fit = fit_patience_intervals(report)
    assert isinstance(fit, Unfitted) and "one interval" in fit.reason


def test_mandelbaum_zeltyn_leaves_out_intervals_whose_asa_is_unknown() -> None:
    start, answered, abandoned, wait = _mz_intervals(40)
    known = np.arange(40) % 2 == 1
    unknown = np.where(known, wait, np.nan)
    columns = {"answered": answered, "abandoned": abandoned}
    reports = [
        IntervalReport(
            SOURCE, "phone", 15, start, answered + abandoned, **columns, wait_seconds_mean=w
        )
        for w in (wait, unknown)
    ]
    fits = [fit_patience_intervals(r) for r in reports]
    assert isinstance(fits[0], FittedInput) and isinstance(fits[1], FittedInput)
    # the oracle: ASA pooled over the known intervals, P(abandon) over all of them
    asa = np.dot(answered[known], wait[known]) / answered[known].sum() / 60
    p_abandon = abandoned.sum() / (answered + abandoned).sum()
    assert fits[1].value == pytest.approx(asa / p_abandon, rel=1e-12)
    # an unknown ASA no longer counts as zero wait: the estimate stays near the full one
    assert fits[1].value == pytest.approx(fits[0].value, rel=0.05)


def test_patience_of_a_deferrable_channel_is_not_fitted() -> None:
    fit = fit_patience(contacts(np.random.default_rng(110)), kind="deferrable")
    for key in fit.inputs():
        assert isinstance(key, Unfitted) and "realtime" in key.reason
    assert fit.abandoned > 0 and fit.candidates == ()
