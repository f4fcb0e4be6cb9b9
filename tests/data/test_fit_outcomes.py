"""Shares and churn multipliers fitted to outcomes simulated from known rates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import TypeAdapter

from simroi.data.fit import FittedInput, Unfitted
from simroi.data.fit_outcomes import (
    _followed,
    fit_churn_multipliers,
    fit_fcr,
    fit_public_share,
    fit_retry_share,
)
from simroi.data.frames import (
    ABANDONED,
    ANSWERED,
    IGNORED,
    ContactLog,
    CustomerOutcomes,
    DataSource,
)
from simroi.estimates import Z_ONE_SIDED_95
from simroi.scenario.quantity import Quantity, as_distribution

CONTACTS = DataSource(Path("contacts.csv"), "contacts", 0)
CUSTOMERS = DataSource(Path("customers.csv"), "customers", 0)
RUNS = 200
COVERED = (0.84, 0.96)  # 3 binomial standard errors of 0.9 at 200 runs
DAY_S = 86_400


def _log(
    channel: str,
    seconds: np.ndarray,
    outcome: np.ndarray,
    *,
    resolved: np.ndarray | None = None,
    public: np.ndarray | None = None,
    customer_id: np.ndarray | None = None,
) -> ContactLog:
    order = np.argsort(seconds, kind="stable")
    n = seconds.size
    pick = lambda a: None if a is None else a[order]  # noqa: E731
    return ContactLog(
        CONTACTS,
        channel,
        (np.datetime64("2024-01-01T00:00:00") + seconds[order].astype("timedelta64[s]")),
        outcome[order].astype(np.int8),
        np.zeros(n),
        np.where(outcome[order] == ANSWERED, 300.0, np.nan),
        resolved=pick(resolved),
        public=pick(public),
        customer_id=pick(customer_id),
    )


def test_fcr_posterior_covers_the_true_share() -> None:
    rng = np.random.default_rng(201)
    hits = 0
    for _ in range(RUNS):
        outcome = np.where(rng.random(200) < 0.9, ANSWERED, ABANDONED)
        resolved = rng.random(200) < 0.7
        fit = fit_fcr(_log("phone", np.arange(200), outcome, resolved=resolved))
        assert isinstance(fit, FittedInput)
        hits += fit.interval90[0] <= 0.7 <= fit.interval90[1]
    assert COVERED[0] <= hits / RUNS <= COVERED[1]
    # the written beta is the posterior: its 5 and 95 % quantiles are the interval
    assert fit.distribution["dist"] == "beta"
    assert fit.n == int((outcome == ANSWERED).sum())


def test_public_share_and_missing_columns() -> None:
    rng = np.random.default_rng(202)
    public = rng.random(500) < 0.4
    outcome = np.full(500, ANSWERED)
    fit = fit_public_share(_log("social", np.arange(500), outcome, public=public))
    assert isinstance(fit, FittedInput)
    assert fit.value == pytest.approx(public.mean())
    # within 3 binomial standard errors of the truth, and the interval about 2 x 1.645 of them
    se = np.sqrt(0.4 * 0.6 / 500)
    assert abs(fit.value - 0.4) < 3 * se
    assert fit.interval90[1] - fit.interval90[0] == pytest.approx(2 * Z_ONE_SIDED_95 * se, rel=0.05)
    plain = _log("social", np.arange(500), outcome)
    assert isinstance(fit_public_share(plain), Unfitted)
    assert isinstance(fit_fcr(plain), Unfitted)
    assert "no resolved column" in fit_fcr(plain).reason  # type: ignore[union-attr]


def test_retry_share_counts_returns_on_any_channel_within_the_window() -> None:
    rng = np.random.default_rng(203)
    n = 4000
    arrived = rng.uniform(0, 60 * DAY_S, n).astype(np.int64)
    outcome = rng.choice([ANSWERED, ABANDONED, IGNORED], size=n, p=[0.7, 0.2, 0.1])
    customer = np.arange(n)
    failed = outcome != ANSWERED
    # failed contacts come back with probability 0.35, after 0 to 3 days, by email
    back = failed & (rng.random(n) < 0.35)
    later = arrived[back] + rng.uniform(60, 3 * DAY_S, back.sum()).astype(np.int64)
    resolved = (outcome == ANSWERED) & (rng.random(n) < 0.7)
    phone = _log("phone", arrived, outcome, resolved=resolved, customer_id=customer)
    email = _log("email", later, np.full(later.size, ANSWERED), customer_id=customer[back])
    fit = fit_retry_share(phone, [email])
    assert isinstance(fit, FittedInput)
    assert fit.interval90[0] < 0.35 < fit.interval90[1]
    # only failed contacts at least 7 days before the data's last day are counted
    last_day = max(arrived.max(), later.max()) // DAY_S
    assert fit.n == int((failed & (arrived // DAY_S + 7 <= last_day)).sum())
    # resolved contacts are never followed here: the background rate is 0
    assert "0.0% of resolved contacts" in fit.note
    # without the email log the returns are not seen
    alone = fit_retry_share(phone)
    assert isinstance(alone, FittedInput) and alone.value == 0.0


def test_a_return_counts_through_the_seventh_calendar_day_whatever_its_hour() -> None:
    # failed contacts at 18:00; each comes back on day 1 to 9 after at 09:00: the returns on
    # days 1-7 count (day 7 at 09:00 is 159 hours later, within 7 calendar days, not 168 hours)
    days = np.arange(1, 10)
    arrived = 18 * 3600 + np.arange(days.size) * 30 * DAY_S  # far apart, one customer each
    back = arrived - 18 * 3600 + days * DAY_S + 9 * 3600
    outcome = np.full(days.size, ABANDONED)
    closing = np.array([arrived.max() + 30 * DAY_S])  # the data runs long after the last
    customer = np.arange(days.size)
    phone = _log("phone", arrived, outcome, customer_id=customer)
    email = _log(
        "email", np.concatenate([back, closing]), np.full(days.size + 1, ANSWERED),
        customer_id=np.append(customer, days.size),
    )  # fmt: skip
    returned, observable = _followed(phone, [email], np.ones(days.size, dtype=bool), 7)
    assert observable == days.size
    assert returned.tolist() == (days <= 7).tolist()


def test_retry_share_net_of_unrelated_later_contacts_covers_the_true_share() -> None:
    # every contact is followed by one about something else with probability 0.2 within the
    # window; failed ones also retry with probability 0.35: 48 % of them come back, 35 % net
    rng = np.random.default_rng(207)
    n, retry, other = 3000, 0.35, 0.2
    hits = 0
    gross = np.empty(RUNS)
    for i in range(RUNS):
        arrived = rng.uniform(0, 40 * DAY_S, n).astype(np.int64)
        outcome = rng.choice([ANSWERED, ABANDONED, IGNORED], size=n, p=[0.6, 0.3, 0.1])
        customer = np.arange(n)
        back = (outcome != ANSWERED) & (rng.random(n) < retry)
        unrelated = rng.random(n) < other
        later = np.concatenate(
            [
                arrived[back] + rng.uniform(60, 3 * DAY_S, back.sum()),
                arrived[unrelated] + rng.uniform(60, 6 * DAY_S, unrelated.sum()),
            ]
        ).astype(np.int64)
        who = np.concatenate([customer[back], customer[unrelated]])
        resolved = outcome == ANSWERED
        phone = _log("phone", arrived, outcome, resolved=resolved, customer_id=customer)
        email = _log("email", later, np.full(later.size, ANSWERED), customer_id=who)
        fit = fit_retry_share(phone, [email])
        assert isinstance(fit, FittedInput)
        hits += fit.interval90[0] <= retry <= fit.interval90[1]
        gross[i] = float(fit.note.split("net of the background: ")[1].split("%")[0]) / 100
    assert COVERED[0] <= hits / RUNS <= COVERED[1]
    # the gross share is 1 - 0.65 x 0.8 = 0.48: what the estimate used to be
    assert gross.mean() == pytest.approx(1 - (1 - retry) * (1 - other), abs=0.01)
    assert "net of the background" in fit.note and "p_bg" in fit.note


def test_retry_share_without_a_background_says_it_is_gross() -> None:
    arrived = np.arange(0, 40 * DAY_S, 3600).astype(np.int64)
    n = arrived.size
    outcome = np.where(np.arange(n) % 4 == 0, ABANDONED, ANSWERED)
    customer = np.arange(n) % 50
    fit = fit_retry_share(_log("phone", arrived, outcome, customer_id=customer))
    assert isinstance(fit, FittedInput)
    assert "gross share" in fit.note and "no resolved column" in fit.note


def test_a_retry_share_below_the_background_is_floored_at_zero() -> None:
    # failed contacts never come back; resolved ones come back for something else half the time
    rng = np.random.default_rng(208)
    n = 2000
    arrived = rng.uniform(0, 30 * DAY_S, n).astype(np.int64)
    outcome = np.where(rng.random(n) < 0.3, ABANDONED, ANSWERED)
    customer = np.arange(n)
    back = (outcome == ANSWERED) & (rng.random(n) < 0.5)
    later = (arrived[back] + DAY_S).astype(np.int64)
    phone = _log("phone", arrived, outcome, resolved=outcome == ANSWERED, customer_id=customer)
    email = _log("email", later, np.full(later.size, ANSWERED), customer_id=customer[back])
    fit = fit_retry_share(phone, [email])
    assert isinstance(fit, FittedInput)
    assert fit.value == 0.0 and fit.interval90 == (0.0, 0.0) and fit.distribution == 0.0
    assert "floored at 0" in fit.note


def _outcomes(
    rng: np.random.Generator, per_class: dict[str, tuple[int, float]], hazard: float = 0.02
) -> CustomerOutcomes:
    """Customers observed up to 12 months, churning at ``hazard × multiplier`` a month."""
    names, counts = [], []
    for name, (count, _) in per_class.items():
        names.append(name)
        counts.append(count)
    experience = np.repeat(np.array(names), counts)
    multiplier = np.repeat([m for _, m in per_class.values()], counts)
    window = rng.uniform(1.0, 12.0, experience.size)
    # a multiplier of 0 never churns
    time_to_churn = rng.exponential(size=experience.size) / (hazard * multiplier + 1e-300)
    return CustomerOutcomes(
        CUSTOMERS,
        np.arange(experience.size),
        experience,
        np.minimum(window, time_to_churn),
        time_to_churn < window,
    )


def test_churn_multiplier_interval_covers_the_true_ratio() -> None:
    rng = np.random.default_rng(204)
    hits = 0
    for _ in range(RUNS):
        fit = fit_churn_multipliers(_outcomes(rng, {"none": (3000, 1.0), "ignored": (800, 1.4)}))
        ignored = next(c for c in fit.classes if c.experience == "ignored")
        assert isinstance(ignored.multiplier, FittedInput)
        hits += ignored.multiplier.interval90[0] <= 1.4 <= ignored.multiplier.interval90[1]
    assert COVERED[0] <= hits / RUNS <= COVERED[1]
    assert ignored.multiplier.key == "experience.churn_multiplier_ignored"
    assert ignored.multiplier.scenario_key == "experience.churn_multiplier_ignored"
    assert "observational" in ignored.multiplier.note and "observational" in fit.note
    assert fit.classes[0].experience == "none" and fit.classes[0].multiplier is None


def test_a_class_without_churn_gets_a_finite_multiplier_written_as_at_least_one() -> None:
    rng = np.random.default_rng(205)
    data = _outcomes(rng, {"none": (2000, 1.0), "resolved_fast": (200, 0.0)})
    fit = fit_churn_multipliers(data)
    fast = next(c for c in fit.classes if c.experience == "resolved_fast")
    assert fast.churned == 0 and fast.monthly_hazard == 0.0
    assert isinstance(fast.multiplier, FittedInput)
    low, high = fast.multiplier.interval90
    assert 0 <= low < high < np.inf
    # below 1 it cannot be written as drawn: the scenario requires multipliers >= 1
    assert fast.multiplier.distribution == 1.0 or fast.multiplier.distribution["low"] == 1.0
    assert "1" in fast.multiplier.note


def test_exposure_beyond_effect_months_is_said_to_dilute_the_multiplier() -> None:
    rng = np.random.default_rng(209)
    data = _outcomes(rng, {"none": (3000, 1.0), "ignored": (1000, 1.5)})
    months = np.asarray(data.months_observed)
    ignored = np.asarray(data.experience) == "ignored"
    fit = fit_churn_multipliers(data, effect_months=6)
    (multiplier,) = fit.inputs()
    assert isinstance(multiplier, FittedInput)
    within = np.minimum(months[ignored], 6).sum() / months[ignored].sum()
    assert "dilutes the multiplier" in multiplier.note
    assert f"about {within:.2f} of the model's" in multiplier.note
    beyond = int((months[ignored] > 6).sum())
    assert f"effect_months = 6 for {beyond:,} customers" in multiplier.note
    # exposure within the effect (every window <= 12 months) or no effect_months: no such note
    for plain in (fit_churn_multipliers(data, effect_months=12), fit_churn_multipliers(data)):
        (m,) = plain.inputs()
        assert isinstance(m, FittedInput) and "dilutes" not in m.note


def test_the_truncation_note_gives_the_written_distributions_own_quantiles() -> None:
    rng = np.random.default_rng(210)
    fit = fit_churn_multipliers(_outcomes(rng, {"none": (3000, 1.0), "unresolved": (600, 1.05)}))
    (m,) = fit.inputs()
    assert isinstance(m, FittedInput) and m.interval90[0] < 1.0 < m.interval90[1]
    form = m.distribution
    dist = as_distribution(TypeAdapter(Quantity).validate_python(form))
    q05, q95 = dist.ppf(np.array([0.05, 0.95]))
    assert q05 > 1.0  # the 5 % quantile of a normal truncated at 1 is above 1, not 1
    assert f"{q05:.3g}-{q95:.3g}" in m.note


def test_churn_without_the_reference_class_is_not_fitted() -> None:
    rng = np.random.default_rng(206)
    fit = fit_churn_multipliers(_outcomes(rng, {"ignored": (500, 1.0)}))
    (only,) = fit.classes
    assert isinstance(only.multiplier, Unfitted)
    assert "'none'" in only.multiplier.reason


def test_no_churn_in_the_reference_class_leaves_every_multiplier_unfitted() -> None:
    # Found by a tester: customers.csv with no churn at all gave normal(105, 64) truncated to
    # 1-100 for resolved_fast, a 60-fold churn written as fitted.
    rng = np.random.default_rng(211)
    data = _outcomes(rng, {"none": (250, 0.0), "resolved_fast": (250, 0.0), "ignored": (50, 3.0)})
    fit = fit_churn_multipliers(data)
    assert all(isinstance(m, Unfitted) for m in fit.inputs()) and len(fit.inputs()) == 2
    fast = next(c for c in fit.classes if c.experience == "resolved_fast")
    assert isinstance(fast.multiplier, Unfitted)
    assert fast.multiplier.reason.startswith("not fitted: the data cannot bound it (5-95 %: ")
    assert "0 of 250 'none' customers churned, 0 of 250 'resolved_fast'" in fast.multiplier.reason
