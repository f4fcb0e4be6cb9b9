"""The backtest: simulated days beside observed ones, and the coverage of the 90 % band."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from observed_days import small, synthetic_reports

from simroi.analysis.backtest import METRICS, backtest, band_share, observed_metrics
from simroi.analysis.observed_days import observe
from simroi.analysis.partial_days import partial_days
from simroi.data.frames import (
    ABANDONED,
    ANSWERED,
    IGNORED,
    ContactLog,
    DataSource,
    IntervalReport,
)
from simroi.errors import DataFileError, OptionError


@pytest.mark.slow
def test_days_simulated_from_the_scenario_itself_are_covered_about_90_percent() -> None:
    """Held-out days from the scenario's own model (independent worlds, another seed) fall in the
    simulated 90 % band about 90 % of the time, metric by metric.

    Tolerance: 3.5 standard errors of two independent sources added in quadrature: the
    binomial spread of the (day, channel) pairs, and the band's own error — each end of a band
    estimated from ``trials`` simulated days is off by about sqrt(p(1 − p) / trials) in
    probability (the same trials make every day's band, so this part does not average out).

    Each day is exchangeable with the simulated ones by construction, so this checks the
    band and its coverage arithmetic, not a calibration: ``test_backtest_recipe.py`` backtests
    what ``calibrate`` fitted to one world's earlier weeks.
    """
    loaded = small()
    days, trials = 98, 200
    reports = synthetic_reports(loaded, days, seed=99, channels=("phone", "email"))
    result = backtest(loaded, reports, trials=trials, seed=5)
    pairs = 2 * days
    for metric in METRICS:
        coverage, observed = result.coverage(metric)
        # Days where every trial is equal (email: never abandoned, always in time) do not count.
        assert observed == pairs - result.every_trial_equal(metric).sum()
        assert observed >= days
        se = math.sqrt(0.9 * 0.1 / observed + 2 * 0.05 * 0.95 / trials)
        assert abs(coverage - 0.9) < 3.5 * se, (metric, coverage, 3.5 * se)


def test_days_from_a_busier_or_leaner_centre_are_not_covered() -> None:
    """The check can fail: days with twice the customers fall above the band on most days, and
    days of a phone team half the size fall below the service-level band on most days."""
    loaded = small()
    busier = synthetic_reports(
        small("customers.active_customers=120000"), 28, seed=7, channels=("phone",)
    )
    result = backtest(loaded, busier, trials=100, seed=1)
    assert result.coverage("offered")[0] < 0.5
    assert result.outside("offered").sum() > 14
    assert (result.observed["offered"] > result.p95["offered"]).mean() > 0.5
    leaner = synthetic_reports(
        small('channels.phone.staffing=[{ start = "08:00", end = "20:00", agents = 1 }]'),
        28,
        seed=7,
        channels=("phone",),
    )
    result = backtest(loaded, leaner, trials=100, seed=1)
    assert result.coverage("service_level")[0] < 0.5
    assert (result.observed["service_level"] < result.p05["service_level"]).mean() > 0.5


def _with_agents(report: IntervalReport, agents: int) -> IntervalReport:
    """The report's days as hourly rows 08:00–20:00 with ``agents`` on queue (offered spread
    over the hours: the simulated side reads only the agents)."""
    dates = report.start.astype("datetime64[D]")
    hours = np.arange(8, 20)
    start = (dates[:, None] + hours[None, :].astype("timedelta64[h]")).ravel()
    offered = np.repeat(report.offered / hours.size, hours.size)
    return IntervalReport(
        source=report.source,
        channel=report.channel,
        interval_minutes=60,
        start=start.astype("datetime64[s]"),
        offered=offered,
        agents=np.full(start.size, float(agents)),
    )


def test_observed_agents_are_used_when_the_data_has_them() -> None:
    """With the agents column the days are simulated with the data's team: 4 agents give a
    higher simulated service level than the scenario's 2 (no column) on every day, and 2 in the
    column give the scenario's own days."""
    loaded = small()
    (plain,) = synthetic_reports(loaded, 7, seed=3, channels=("phone",))
    hourly = _with_agents(plain, 2)
    without = backtest(loaded, [plain], trials=60, seed=2)
    same = backtest(loaded, [hourly], trials=60, seed=2)
    doubled = backtest(loaded, [_with_agents(plain, 4)], trials=60, seed=2)
    assert without.staffing == {"phone": "scenario"}
    assert doubled.staffing == {"phone": "observed agents"}
    assert (doubled.p50["service_level"] > without.p50["service_level"]).all()
    # The hourly roster of 2 agents is the scenario's team: the same simulated days.
    np.testing.assert_array_equal(same.simulated["offered"], without.simulated["offered"])
    np.testing.assert_allclose(
        same.simulated["mean_wait"], without.simulated["mean_wait"], rtol=1e-9
    )


def test_json_has_the_issue_structure() -> None:
    loaded = small()
    reports = synthetic_reports(loaded, 3, seed=4, channels=("phone", "email"))
    result = backtest(loaded, reports, trials=20, seed=8)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert {"scenario", "data", "days", "coverage90", "skipped"} <= set(data)
    assert data["scenario"] == {
        "name": loaded.name,
        "hash": loaded.content_hash,
        "source": loaded.source,
    }
    assert [d["path"] for d in data["data"]] == ["phone.csv", "email.csv"]
    assert data["data"][0]["description"] == "phone.csv, 3 rows, 2003-09-01 to 2003-09-03"
    assert data["seed"] == "8" and data["trials"] == 20
    assert len(data["days"]) == 6
    day = data["days"][0]
    assert day["date"] == "2003-09-01" and day["channel"] == "phone"
    assert set(day["metrics"]) == set(METRICS)
    offered = day["metrics"]["offered"]
    assert set(offered) == {"observed", "p05", "p50", "p95", "inside", "every_trial_equal"}
    assert offered["observed"] == result.observed["offered"][0]
    assert offered["p05"] <= offered["p50"] <= offered["p95"]
    assert set(data["coverage90"]) == set(METRICS)
    assert set(data["coverage90_by_channel"]) == {"phone", "email"}


def test_a_day_lists_only_the_metrics_its_data_gives() -> None:
    loaded = small()
    (report,) = synthetic_reports(loaded, 2, seed=4, channels=("phone",))
    bare = IntervalReport(report.source, "phone", 60, report.start, report.offered)
    data = backtest(loaded, [bare], trials=20, seed=8).to_dict()
    assert all(set(d["metrics"]) == {"offered"} for d in data["days"])
    assert data["coverage90"]["service_level"] is None


def test_from_and_to_keep_the_days_between_them() -> None:
    loaded = small()
    reports = synthetic_reports(loaded, 10, seed=4, channels=("phone",))
    result = backtest(
        loaded, reports, trials=20, seed=8, start=dt.date(2003, 9, 3), end=dt.date(2003, 9, 5)
    )
    assert [str(d) for d in result.date] == ["2003-09-03", "2003-09-04", "2003-09-05"]


def test_the_same_seed_gives_the_same_result() -> None:
    loaded = small()
    reports = synthetic_reports(loaded, 3, seed=4, channels=("phone", "social"))
    a = backtest(loaded, reports, trials=30, seed=12)
    b = backtest(loaded, reports, trials=30, seed=12)
    c = backtest(loaded, reports, trials=30, seed=13)
    assert a.to_dict() == b.to_dict()
    for metric in METRICS:
        np.testing.assert_array_equal(a.simulated[metric], b.simulated[metric])
    assert not np.array_equal(a.simulated["offered"], c.simulated["offered"])


def test_trials_run_in_blocks_of_a_run() -> None:
    """150 trials in blocks of 100: the first 100 are those a 100-trial backtest simulates."""
    loaded = small()
    reports = synthetic_reports(loaded, 2, seed=4, channels=("phone",))
    short = backtest(loaded, reports, trials=100, seed=12)
    long = backtest(loaded, reports, trials=150, seed=12)
    assert long.simulated["offered"].shape == (2, 150)
    np.testing.assert_array_equal(long.simulated["offered"][:, :100], short.simulated["offered"])


# --- bad input ------------------------------------------------------------------------------


def test_a_channel_the_scenario_lacks_is_one_line_naming_file_channel_and_channels() -> None:
    loaded = small()
    (report,) = synthetic_reports(loaded, 2, seed=4, channels=("phone",))
    chat = IntervalReport(
        DataSource(Path("queues/chat.csv"), "intervals", 2),
        "chat",
        60,
        report.start,
        report.offered,
    )
    with pytest.raises(DataFileError) as caught:
        backtest(loaded, [report, chat], trials=20, seed=1)
    assert str(caught.value) == (
        f"{Path('queues/chat.csv')}: channel 'chat' (intervals, named for the whole file) is not "
        f"in scenario {loaded.name!r} (its channels: phone, email, social)"
    )


def test_bad_options_and_empty_data_are_one_line_errors() -> None:
    loaded = small()
    reports = synthetic_reports(loaded, 3, seed=4, channels=("phone",))
    with pytest.raises(OptionError, match=r"`start` 2003-09-05 is after `end` 2003-09-01"):
        backtest(loaded, reports, start=dt.date(2003, 9, 5), end=dt.date(2003, 9, 1))
    with pytest.raises(OptionError, match=r"`trials` must be a whole number ≥ 20"):
        backtest(loaded, reports, trials=5)
    with pytest.raises(DataFileError, match=r"no observed day from 2004-01-01 to the end"):
        backtest(loaded, reports, start=dt.date(2004, 1, 1))
    with pytest.raises(DataFileError, match="no interval report or contact log"):
        backtest(loaded, [])


# --- the band and the observed days -------------------------------------------------------


def test_the_band_share_is_the_indicator_without_ties() -> None:
    simulated = np.arange(100.0)[None, :].repeat(3, axis=0)
    observed = np.array([50.5, 2.5, 97.5])
    np.testing.assert_array_equal(band_share(simulated, observed), [1.0, 0.0, 0.0])


@given(st.lists(st.integers(min_value=0, max_value=6), min_size=2, max_size=60))
def test_a_value_drawn_from_the_simulated_days_is_inside_90_percent_on_average(
    sample: list[int],
) -> None:
    """Ties count by the share of their probability inside the band, so an observed value drawn
    from the simulated distribution itself — however discrete — is inside exactly 90 % of the
    time on average (the randomized PIT is uniform)."""
    simulated = np.asarray(sample, dtype=float)
    values, counts = np.unique(simulated, return_counts=True)
    shares = band_share(np.repeat(simulated[None, :], values.size, axis=0), values)
    if values.size == 1:  # every trial equal: the value tells nothing, and is not counted
        assert np.isnan(shares).all()
        return
    assert math.isclose(float((shares * counts).sum() / simulated.size), 0.9, abs_tol=1e-12)


def test_observed_metrics_from_an_interval_report() -> None:
    """Sums over the day's intervals; the mean wait weighs each interval by its answered calls,
    and an interval with nothing answered (NaN mean) weighs nothing."""
    spec = small().program.channels["phone"]
    start = np.array(["2003-09-01T08:00", "2003-09-01T08:30", "2003-09-02T08:00"], "datetime64[s]")
    report = IntervalReport(
        DataSource(Path("i.csv"), "intervals", 3),
        "phone",
        30,
        start,
        offered=np.array([10.0, 2.0, 5.0]),
        answered=np.array([8.0, 0.0, 5.0]),
        abandoned=np.array([2.0, 2.0, 0.0]),
        answered_within_sla=np.array([6.0, 0.0, 4.0]),
        wait_seconds_mean=np.array([30.0, np.nan, 10.0]),
    )
    got = observed_metrics(report, spec)
    assert [str(d) for d in got["date"]] == ["2003-09-01", "2003-09-02"]
    np.testing.assert_allclose(got["offered"], [12.0, 5.0])
    np.testing.assert_allclose(got["service_level"], [6 / 12, 4 / 5])
    np.testing.assert_allclose(got["abandonment"], [4 / 12, 0.0])
    np.testing.assert_allclose(got["mean_wait"], [30.0, 10.0])


def test_observed_metrics_from_a_contact_log() -> None:
    """Per arrival day: phone answered within 20 s (the wait) over offered; social within 1 h
    on the response (wait + handle) over offered, an ignored post unanswered."""
    loaded = small()
    arrived = np.array(
        ["2003-09-01T09:00", "2003-09-01T09:01", "2003-09-01T23:50", "2003-09-02T10:00"],
        "datetime64[s]",
    )
    outcome = np.array([ANSWERED, ABANDONED, ANSWERED, ANSWERED], dtype=np.int8)
    wait = np.array([10.0, 50.0, 15.0, 30.0])
    handle = np.array([200.0, np.nan, 100.0, 300.0])
    source = DataSource(Path("c.csv"), "contacts", 4)
    phone = ContactLog(source, "phone", arrived, outcome, wait, handle)
    got = observed_metrics(phone, loaded.program.channels["phone"])
    assert [str(d) for d in got["date"]] == ["2003-09-01", "2003-09-02"]
    np.testing.assert_allclose(got["offered"], [3.0, 1.0])
    np.testing.assert_allclose(got["service_level"], [2 / 3, 0.0])
    np.testing.assert_allclose(got["abandonment"], [1 / 3, 0.0])
    np.testing.assert_allclose(got["mean_wait"], [12.5, 30.0])
    # 600 + 200 s and 1,800 + 100 s are within the hour; 4,000 + 300 s is not.
    wait = np.array([600.0, 86_400.0, 1_800.0, 4_000.0])
    outcome = np.array([ANSWERED, IGNORED, ANSWERED, ANSWERED], dtype=np.int8)
    social = ContactLog(source, "social", arrived, outcome, wait, handle)
    got = observed_metrics(social, loaded.program.channels["social"])
    np.testing.assert_allclose(got["offered"], [3.0, 1.0])
    np.testing.assert_allclose(got["service_level"], [2 / 3, 0.0])
    np.testing.assert_allclose(got["abandonment"], [1 / 3, 0.0])
    np.testing.assert_allclose(got["mean_wait"], [1_200.0, 4_000.0])


def test_progress_counts_up_to_the_trials() -> None:
    loaded = small()
    reports = synthetic_reports(loaded, 2, seed=4, channels=("phone", "email"))
    calls: list[tuple[int, int]] = []
    backtest(loaded, reports, trials=150, seed=1, progress=lambda d, p: calls.append((d, p)))
    done = [d for d, _ in calls]
    assert done == sorted(done) and calls[-1] == (150, 150)
    assert {p for _, p in calls} == {150}


# --- days that cannot tell, and days the data covers in part -------------------------------


def test_a_day_where_every_trial_equals_the_observed_value_is_left_out_of_the_coverage() -> None:
    """Email is never abandoned and always answered in time in the small scenario: every trial
    gives the observed 0 % and 100 %, so those days count neither in nor out (they would count
    0.9 each whatever the model); the coverage of a metric with no such informative day is NaN
    (null in JSON), and "all" is phone's alone."""
    loaded = small()
    reports = synthetic_reports(loaded, 5, seed=4, channels=("phone", "email"))
    result = backtest(loaded, reports, trials=20, seed=8)
    email = result.channel == "email"
    for metric in ("service_level", "abandonment"):
        assert result.every_trial_equal(metric)[email].all()
        assert not result.every_trial_equal(metric)[~email].any()
        assert np.isnan(result.inside[metric][email]).all()
        share, days = result.coverage(metric, "email")
        assert math.isnan(share) and days == 0
        assert result.coverage(metric) == result.coverage(metric, "phone")
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["coverage90_by_channel"]["email"]["abandonment"] is None
    assert data["coverage90_days"]["abandonment"] == 5
    day = next(d for d in data["days"] if d["channel"] == "email")
    assert day["metrics"]["abandonment"]["inside"] is None
    assert day["metrics"]["abandonment"]["every_trial_equal"] is True
    assert day["metrics"]["offered"]["every_trial_equal"] is False


def test_the_band_share_of_a_value_every_trial_gives_is_nan() -> None:
    """All trials equal to the observed value: NaN (not 0.9); all equal to another value: outside
    (0); most trials equal to it: the tied share inside the band, as before."""
    simulated = np.array([[0.0] * 50, [1.0] * 50, [0.0] * 49 + [1.0]])
    share = band_share(simulated, np.array([0.0, 0.0, 0.0]))
    assert np.isnan(share[0]) and share[1] == 0.0
    assert math.isclose(share[2], (0.95 - 0.05) / 0.98)


def _quarter_hours(days: int, *, cut: dict[int, tuple[str, str]] | None = None) -> IntervalReport:
    """A phone report of ``days`` days from Monday 2003-09-01, 15-minute rows 08:00–20:00 with 10
    offered and 2 agents each; ``cut`` maps a day to the only hours it has rows for."""
    dates = MONDAY + np.arange(days)
    start = []
    for i, date in enumerate(dates):
        lo, hi = (cut or {}).get(i, ("08:00", "20:00"))
        day = np.datetime64(f"{date}T{lo}") + np.arange(
            0, (np.datetime64(f"{date}T{hi}") - np.datetime64(f"{date}T{lo}")).astype(int), 15
        ).astype("timedelta64[m]")
        start.append(day)
    stamps = np.concatenate(start).astype("datetime64[s]")
    n = stamps.size
    return IntervalReport(
        source=DataSource(Path("phone.csv"), "intervals", n, dates[0], dates[-1]),
        channel="phone",
        interval_minutes=15,
        start=stamps,
        offered=np.full(n, 10.0),
        agents=np.full(n, 2.0),
    )


MONDAY = np.datetime64("2003-09-01")


def test_a_day_cut_short_is_left_out_with_the_reason() -> None:
    """A report pulled at 11:45 on its last day, and one that starts at 14:00 on its first: both
    days are left out and named (text and JSON), the others are backtested, and the cut day's
    few agents do not staff the simulated clock."""
    loaded = small()
    report = _quarter_hours(10, cut={0: ("14:00", "20:00"), 9: ("08:00", "11:45")})
    found = observe(report, loaded.program.channels["phone"])
    assert sorted(found.partial) == [0, 9]
    assert found.rosters is not None and MONDAY not in found.rosters
    result = backtest(loaded, [report], trials=20, seed=3)
    days = [MONDAY + np.timedelta64(i, "D") for i in range(1, 9)]
    assert [str(d) for d in result.date] == [str(d) for d in days]
    assert [(str(s.date), s.channel) for s in result.skipped] == [
        ("2003-09-01", "phone"),
        ("2003-09-10", "phone"),
    ]
    assert result.skipped[1].reason.startswith("rows only from 08:00 to 11:45; the rest of")
    # Two Wednesdays only: the usual volume is every day's mean, 0.9 × 10 an interval but 0.8 ×
    # 10 from 11:45 to 14:00 (both cut days lack it): (9 × 0.8 + 24 × 0.9) / (that + 15 × 0.9).
    share = (9 * 0.8 + 24 * 0.9) / (9 * 0.8 + 24 * 0.9 + 15 * 0.9)
    assert f"usually carries {share:.0%} of its contacts" in result.skipped[1].reason
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["skipped"][0] == {
        "date": "2003-09-01",
        "channel": "phone",
        "reason": result.skipped[0].reason,
    }
    # --from/--to: only the skipped days in range are listed.
    later = backtest(loaded, [report], trials=20, seed=3, start=dt.date(2003, 9, 5))
    assert [str(s.date) for s in later.skipped] == ["2003-09-10"]


def test_quiet_gaps_and_short_weekdays_are_not_cut_offs() -> None:
    """Rows left out inside the day (an export without empty intervals) and a weekday that
    always closes early (three Saturdays 08:00–13:00) are whole days; a contact log whose last
    contact is at 10:00 on a day that usually runs to 20:00 is cut."""
    dates = MONDAY + np.arange(21)
    day = np.repeat(np.arange(21), 48)
    hours = np.tile(8 * 3600 + 900.0 * np.arange(48), 21)
    saturday = (np.arange(21) % 7 == 5)[day]
    keep = ~(saturday & (hours >= 13 * 3600)) & ~((day == 3) & (hours == 12 * 3600))
    found = partial_days(dates, day[keep], hours[keep], np.ones(keep.sum()), 15, what="rows")
    assert found == {}
    keep = ~((day == 16) & (hours > 10 * 3600))
    found = partial_days(dates, day[keep], hours[keep], np.ones(keep.sum()), 15, what="contacts")
    assert list(found) == [16]
    assert found[16].startswith("contacts only from 08:00 to 10:15;")
