"""The channel model: sampled days stand for the month, counts are Poisson, engines agree."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simroi.execution.runner import RunOptions, run
from simroi.randomness import Streams
from simroi.scenario.load import load_scenario

SHORT = ["scenario.horizon_months=2"]


def _run(*overrides: str, trials: int = 200, seed: int = 21, engine: str = "compiled"):  # type: ignore[no-untyped-def]
    loaded = load_scenario(overrides=[*SHORT, *overrides])
    options = RunOptions(trials=trials, seed=seed, workers=1, block_size=trials, engine=engine)  # type: ignore[arg-type]
    return run(loaded, options)


def _agree(a: np.ndarray, b: np.ndarray, k: float = 4.0) -> None:
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert abs(a.mean() - b.mean()) < k * se + 1e-12, (a.mean(), b.mean(), se)


@pytest.mark.slow
def test_sampled_days_agree_with_simulating_every_day() -> None:
    """One sampled day a month, scaled, agrees with simulating all 30 days.

    Sampled days walk through the week from month to month, so over seven months one sampled day
    a month has seen every weekday once: horizon KPIs are then representative. A smaller brand
    with proportionally fewer agents keeps the every-day run quick.
    """
    small = (
        "scenario.horizon_months=7",
        "customers.active_customers=60000",
        'channels.phone.staffing=[{ start = "08:00", end = "20:00", agents = 2 }]',
        "channels.email.agents=1",
    )
    sampled = _run(*small, "simulation.sampled_days_per_month=1", seed=21, trials=200)
    full = _run(*small, "simulation.sampled_days_per_month=30", seed=22, trials=200)
    for key in (
        "kpi.program.phone.offered_per_month",
        "kpi.program.phone.service_level",
        "kpi.program.phone.abandonment",
        "kpi.program.email.offered_per_month",
        "kpi.program.social.service_level",
        "kpi.baseline.social.offered_per_month",
        "npv",
    ):
        _agree(sampled.samples[key], full.samples[key])


def test_monthly_volume_follows_the_contact_rate() -> None:
    """First contacts per month = customers × contacts per customer per year / 12, plus repeats."""
    result = _run(
        "customers.active_customers=120000",
        "channels.email.contacts_per_customer_per_year=0.1",
        "channels.email.fcr=1.0",
        "channels.phone.fcr=1.0",
        "channels.phone.retry_share=0.0",
        "channels.social.fcr=1.0",
        "channels.social.retry_share=0.0",
        "simulation.sampled_days_per_month=4",
        trials=300,
    )
    offered = result.samples["kpi.program.email.offered_per_month"]
    expected = 120_000 * 0.1 / 12
    se = offered.std(ddof=1) / math.sqrt(offered.size)
    assert abs(offered.mean() - expected) < 4 * se + 0.005 * expected


def test_answered_plus_unanswered_is_offered_on_the_phone_and_at_most_offered_elsewhere() -> None:
    """Phone contacts are answered or abandoned in their month; email and social contacts may
    still wait at the horizon (the exact books are checked in test_books.py)."""
    result = _run(trials=60)
    s = result.samples
    for world in ("program", "baseline"):
        for channel in ("phone", "email", "social"):
            sl = s[f"kpi.{world}.{channel}.service_level"]
            ab = s[f"kpi.{world}.{channel}.abandonment"]
            assert np.all((sl >= 0) & (sl <= 1 - ab + 1e-12))
            answered = s[f"kpi.{world}.{channel}.answered_per_month"]
            offered = s[f"kpi.{world}.{channel}.offered_per_month"]
            if channel == "phone":
                np.testing.assert_allclose(answered + ab * offered, offered, rtol=1e-9)
            else:
                assert np.all(answered + ab * offered <= offered * (1 + 1e-9))
                assert np.all(s[f"kpi.{world}.{channel}.backlog_at_month_end"] > 0)


def test_the_baseline_ignores_every_social_post_and_answers_none() -> None:
    """No agent: every post is ignored a day after it arrives; those of the horizon's last day
    are still waiting."""
    s = _run(trials=40).samples
    np.testing.assert_array_equal(s["kpi.baseline.social.answered_per_month"], 0.0)
    ignored = s["kpi.baseline.social.abandonment"]
    assert np.all((ignored > 0.9) & (ignored < 1.0))
    assert np.all(s["kpi.program.social.abandonment"] < 1.0)


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_the_simpy_engine_gives_the_same_results_through_the_model(engine: str) -> None:
    """Same inputs, same outcome for every contact: the per-trial results agree."""
    args = ("scenario.horizon_months=1", "simulation.sampled_days_per_month=1")
    fast = _run(*args, trials=3, engine=engine)
    slow = _run(*args, trials=3, engine="simpy")
    for key in (
        "npv",
        "kpi.program.phone.service_level",
        "kpi.program.email.asa_seconds",
        "kpi.program.social.service_level",
        "kpi.baseline.phone.abandonment",
    ):
        np.testing.assert_allclose(slow.samples[key], fast.samples[key], rtol=1e-6, err_msg=key)


def test_an_outage_multiplies_volume_in_its_month_only() -> None:
    result = _run(trials=80)
    crisis = load_scenario("outage-crisis", overrides=["scenario.horizon_months=8"])
    assert crisis.program.events, "the bundled outage scenario has an event"
    event = crisis.program.events[0]
    quiet = run(
        load_scenario(
            "outage-crisis",
            overrides=["scenario.horizon_months=8", "events.0.volume_multiplier=1.0"],
        ),
        RunOptions(trials=80, seed=4, workers=1, block_size=80),
    )
    loud = run(crisis, RunOptions(trials=80, seed=4, workers=1, block_size=80))
    channel = event.channels[0]
    key = f"kpi.program.{channel}.offered_per_month"
    assert np.all(loud.samples[key] > quiet.samples[key])
    assert result.trials == 80


def test_monthly_outputs_include_repeats_hours_and_backlog() -> None:
    s = _run(trials=40).samples
    for channel in ("phone", "email", "social"):
        paid = s[f"kpi.program.{channel}.paid_hours_per_month"]
        busy = s[f"kpi.program.{channel}.busy_hours_per_month"]
        assert np.all(paid > 0) and np.all(busy >= 0)
        assert np.all(s[f"kpi.program.{channel}.repeats_per_month"] > 0)
        assert np.all(
            s[f"kpi.program.{channel}.repeats_per_month"]
            < s[f"kpi.program.{channel}.offered_per_month"]
        )
    phone_paid = s["kpi.program.phone.paid_hours_per_month"]
    phone_busy = s["kpi.program.phone.busy_hours_per_month"]
    assert np.all(phone_busy < phone_paid)  # busy on-queue time is below paid time
    np.testing.assert_array_equal(s["kpi.program.phone.backlog_at_month_end"], 0.0)
    # Nobody answers the baseline's social posts: every one arriving on the last day waits.
    assert np.all(s["kpi.baseline.social.backlog_at_month_end"] > 0)


def test_worlds_side_by_side_give_what_each_gives_alone() -> None:
    """Program and baseline share draws and the engine; each world's outcome is its own."""
    from simroi.model.block import World, draw_inputs
    from simroi.model.calendar import month_plans
    from simroi.model.contacts import simulate_channel_month
    from simroi.model.outcomes import MONTH_FIELDS
    from simroi.randomness import Streams

    loaded = load_scenario(overrides=SHORT)
    streams = Streams(5, 0)
    worlds = [
        World(sc, draw_inputs(sc, 40, streams), 40) for sc in (loaded.program, loaded.baseline)
    ]
    plans = [month_plans(2, 1, [], 40, w.names) for w in worlds]
    for channel in ("phone", "email", "social"):
        loads = [w.load(channel, p[0]) for w, p in zip(worlds, plans, strict=True)]
        together = simulate_channel_month(channel, loads, streams=streams)
        for load, (outcome, state) in zip(loads, together, strict=True):
            ((alone, alone_state),) = simulate_channel_month(channel, [load], streams=streams)
            for field in MONTH_FIELDS:
                np.testing.assert_array_equal(
                    getattr(outcome, field), getattr(alone, field), err_msg=field
                )
            for field in ("column", "day", "unit", "flags", "stranded", "service_day"):
                np.testing.assert_array_equal(
                    getattr(outcome.books, field), getattr(alone.books, field), err_msg=field
                )
            np.testing.assert_array_equal(state.free_at, alone_state.free_at)


def test_the_staircase_covers_every_needed_row_once() -> None:
    """Rows lo:hi of columns :n, in row order, cover row r of column t for every r < need[t]."""
    from simroi.queueing.contact_draws import staircase

    rng = np.random.default_rng(2)
    for need in (
        np.sort(rng.poisson(900, 500))[::-1],  # trials ordered by volume: a true staircase
        rng.poisson(900, 500),  # unordered: still covered, just with more padding
        np.zeros(7, dtype=np.int64),
        np.array([0, 3, 0, 1]),
    ):
        covered = np.zeros((int(need.max(initial=0)), need.size), dtype=np.int64)
        previous = 0
        for lo, hi, n in staircase(need):
            assert lo == previous and hi > lo and 0 < n <= need.size
            covered[lo:hi, :n] += 1
            previous = hi
        rows = np.arange(covered.shape[0])[:, None]
        assert (covered[rows < need[None, :]] == 1).all()


@pytest.mark.parametrize("kind", ["normal", "exponential", "uniform"])
def test_a_contacts_draw_does_not_depend_on_the_other_trials_volumes(kind: str) -> None:
    """Column groups draw only the rows their busiest trial needs, each from its own region of
    the stream: contact k of trial t gets the same number whatever the others need, and
    nothing outside the cover is written."""
    from simroi.queueing.contact_draws import draw_by_groups, staircase

    rng = np.random.default_rng(5)
    need = np.sort(rng.poisson(300, 100))[::-1]
    more = need.copy()
    more[::7] += rng.integers(1, 200, more[::7].size)  # a few trials far busier
    tables = []
    for n in (need, more):
        out = np.full((int(more.max()), need.size), np.nan)
        draw_by_groups(Streams(9, 0).rng("handle", "phone"), kind, out, staircase(n))
        tables.append(out)
    rows = np.arange(tables[0].shape[0])[:, None]
    mine = rows < need[None, :]
    np.testing.assert_array_equal(tables[0][mine], tables[1][mine])
    assert not np.isnan(tables[1][rows < more[None, :]]).any()
    assert np.isnan(tables[0][int(need.max()) :]).all()  # beyond the cover: untouched


def test_results_come_back_in_trial_order() -> None:
    """Trials run largest customer base first but are reported in trial order: volume follows
    the inputs."""
    result = _run(trials=60)
    expected = (
        result.samples["input.customers.active_customers"]
        * result.samples["input.channels.phone.contacts_per_customer_per_year"]
    )
    offered = result.samples["kpi.program.phone.offered_per_month"]
    assert np.corrcoef(expected, offered)[0, 1] > 0.7  # ~0 if results were left in run order


def test_program_and_baseline_share_contacts_whatever_their_schedules() -> None:
    """race-organizer staffs social by interval; its baseline has no agents: same posts arrive.

    The posts offered depend on demand only (the deflection and repeats they feed come a month
    later), so in the first month they are equal trial by trial — common random numbers.
    """
    from simroi.model.block import simulate_block

    loaded = load_scenario("race-organizer", overrides=["scenario.horizon_months=1", "events=[]"])
    block = simulate_block(loaded, entropy=1, block=0, trials=40)
    np.testing.assert_array_equal(
        block.kpis["program.social.offered_per_month"],
        block.kpis["baseline.social.offered_per_month"],
    )


def test_a_change_on_one_channel_leaves_the_others_contacts_alone() -> None:
    """More social demand (kept on social) changes nothing on phone and email, trial by trial."""
    from simroi.model.block import simulate_block

    def kpis(rate: float) -> dict[str, np.ndarray]:
        loaded = load_scenario(
            overrides=[
                "scenario.horizon_months=1",
                f"channels.social.contacts_per_customer_per_year={rate}",
                "channels.social.repeat_channels={ social = 1.0 }",
            ]
        )
        return simulate_block(loaded, entropy=1, block=0, trials=40).kpis

    low, high = kpis(0.5), kpis(3.0)
    for key in ("phone.offered_per_month", "phone.asa_seconds", "email.service_level"):
        np.testing.assert_array_equal(low[f"program.{key}"], high[f"program.{key}"], err_msg=key)
    assert not np.array_equal(
        low["program.social.offered_per_month"], high["program.social.offered_per_month"]
    )
