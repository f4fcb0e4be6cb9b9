"""The intraday profile at any resolution: arrival times follow it, staffing reads its hours."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import simroi.model.contacts as contacts
from simroi.execution.runner import RunOptions, run
from simroi.model.block import World, draw_inputs
from simroi.model.calendar import DAY, hourly_profile, intraday_inverse_cdf, month_plans
from simroi.randomness import Streams
from simroi.scenario.load import load_scenario
from simroi.scenario.profile import PROFILE_MINUTES
from simroi.scenario.spec import DEFAULT_INTRADAY_PROFILE, ChannelSpec

SHORT = ["scenario.horizon_months=1", "simulation.sampled_days_per_month=1"]
PHONE = load_scenario().program.channels["phone"]  # realtime, open 08:00-20:00, staffing rule
EMAIL = load_scenario().program.channels["email"]  # deferrable: contacts around the clock


def _with(spec: ChannelSpec, **update: Any) -> ChannelSpec:
    """``spec`` with ``update`` applied and validated, as the loader would."""
    return ChannelSpec.model_validate(spec.model_dump() | update)


def _split(hourly: list[float], minutes: int) -> list[float]:
    """Each hour's weight spread evenly over its intervals of ``minutes``."""
    per_hour = 60 // minutes
    return [w / per_hour for w in hourly for _ in range(per_hour)]


def _arrival_times(u: np.ndarray, spec: ChannelSpec) -> np.ndarray:
    cdf, seconds = intraday_inverse_cdf(spec)
    return np.interp(u, cdf, seconds)


def _toml_list(values: list[float]) -> str:
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


# --- the default resolution is the hourly profile, bit for bit ------------------------------


def test_explicit_hourly_resolution_is_the_omitted_one() -> None:
    for spec in (PHONE, EMAIL):
        explicit = _with(spec, intraday_profile_minutes=60)
        for f in (hourly_profile, lambda s: np.concatenate(intraday_inverse_cdf(s))):
            assert f(explicit).tobytes() == f(spec).tobytes()
    options = RunOptions(trials=8, seed=3, workers=1, block_size=8)
    omitted = run(load_scenario(overrides=SHORT), options).samples
    given_60 = run(
        load_scenario(
            overrides=[
                *SHORT,
                "channels.phone.intraday_profile_minutes=60",
                "channels.social.intraday_profile_minutes=60",
            ]
        ),
        options,
    ).samples
    assert omitted.keys() == given_60.keys()
    for key, values in omitted.items():
        np.testing.assert_array_equal(values, given_60[key], err_msg=key)


# --- a fine profile that only repeats the hourly one changes nothing ------------------------

hourly_weights = st.lists(
    st.one_of(st.just(0.0), st.floats(0.01, 10.0)), min_size=24, max_size=24
).filter(lambda w: sum(w[8:20]) > 0)  # some weight while the phone is open


@settings(max_examples=40, deadline=None)
@given(
    weights=hourly_weights,
    minutes=st.sampled_from(PROFILE_MINUTES),
    open_hour=st.integers(0, 8),
    close_hour=st.integers(20, 24),
    realtime=st.booleans(),
)
def test_an_evenly_split_hourly_profile_gives_the_same_arrivals_and_hours(
    weights: list[float], minutes: int, open_hour: int, close_hour: int, realtime: bool
) -> None:
    """The CDF of arrival times is the same function, so the same uniforms give the same times
    (within rounding); staffing rules see the same hourly shares. (Opening on the hour: within
    a part-open hour the hourly profile spreads its share over the whole hour, a finer one only
    over its part-open intervals, see the next test.)"""
    hours = {"open": f"{open_hour:02d}:00", "close": f"{close_hour:02d}:00"}
    base = _with(PHONE if realtime else EMAIL, hours=hours)
    hourly = _with(base, intraday_profile=weights)
    fine = _with(base, intraday_profile=_split(weights, minutes), intraday_profile_minutes=minutes)
    # Random uniforms: a uniform exactly at a gap's CDF value (probability 0) may land at
    # either end of the gap.
    u = np.random.default_rng(1).random(4000)
    np.testing.assert_allclose(_arrival_times(u, fine), _arrival_times(u, hourly), atol=1e-6)
    np.testing.assert_allclose(hourly_profile(fine), hourly_profile(hourly), rtol=1e-12)


@pytest.mark.parametrize("minutes", [60, 30, 5])
def test_a_part_open_interval_keeps_its_open_share_spread_over_the_interval(minutes: int) -> None:
    """A realtime channel open 09:30-17:10: each interval's weight counts by its open part
    and its arrivals spread over the whole interval (the hourly profile's rule, kept at every
    resolution), so the first arrivals come from the start of the first part-open interval and
    the last by the end of the last. Finer intervals follow the opening hours more closely."""
    spec = _with(
        PHONE,
        hours={"open": "09:30", "close": "17:10"},
        intraday_profile_minutes=minutes,
        intraday_profile=[1.0] * (1440 // minutes),
    )
    cdf, seconds = intraday_inverse_cdf(spec)
    first = {60: 9 * 3600, 30: 9.5 * 3600, 5: 9.5 * 3600}[minutes]
    last = {60: 18 * 3600, 30: 17.5 * 3600, 5: 17 * 3600 + 600}[minutes]
    assert (seconds[0], seconds[-1]) == (first, last)
    assert cdf[0] == 0.0 and cdf[-1] == 1.0
    # What staffing rules see does not depend on the resolution: of 7 h 40 min open, 09:00-10:00
    # holds 30 minutes and 17:00-18:00 holds 10.
    np.testing.assert_allclose(
        hourly_profile(spec)[[8, 9, 10, 17, 18]], np.array([0, 30, 60, 10, 0]) / 460
    )


def test_an_evenly_split_default_profile_gives_the_same_run() -> None:
    """Through the whole model (staffing rule, arrivals, queue, economics): the same results."""
    fine = _split(list(DEFAULT_INTRADAY_PROFILE), 5)
    options = RunOptions(trials=6, seed=11, workers=1, block_size=6)
    hourly_run = run(load_scenario(overrides=SHORT), options).samples
    fine_run = run(
        load_scenario(
            overrides=[
                *SHORT,
                "channels.phone.intraday_profile_minutes=5",
                f"channels.phone.intraday_profile={_toml_list(fine)}",
            ]
        ),
        options,
    ).samples
    for key in (
        "npv",
        "kpi.program.phone.offered_per_month",
        "kpi.program.phone.service_level",
        "kpi.program.phone.abandonment",
        "kpi.baseline.phone.asa_seconds",
    ):
        np.testing.assert_allclose(fine_run[key], hourly_run[key], rtol=1e-9, err_msg=key)


# --- a peaked fine profile: arrivals per 5 minutes follow it ---------------------------------


def _peaked_profile() -> list[float]:
    """Five-minute weights with spikes and holes no hourly profile could express."""
    weights = np.ones(288)
    weights[9 * 12] = 12.0  # 09:00-09:05, a burst at the top of the hour
    weights[12 * 12 + 6] = 8.0  # 12:30-12:35
    weights[14 * 12 : 14 * 12 + 3] = 0.0  # 14:00-14:15: nobody calls
    weights[17 * 12 + 11] = 6.0  # 17:55-18:00
    return weights.tolist()


def _model_arrivals(spec: ChannelSpec, monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    """Times of day (seconds) of the phone contacts the model hands the queue engine, pooled
    over 100 trials and a month's 7 sampled days (one world, no events)."""
    loaded = load_scenario(overrides=SHORT)
    program = loaded.program.model_copy(
        update={"channels": loaded.program.channels | {"phone": spec}}
    )
    seen: list[np.ndarray] = []
    serve = contacts.serve

    def spy(engine: str, arrival: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        present = args[2]
        seen.append(arrival[present])
        return serve(engine, arrival, *args, **kwargs)

    monkeypatch.setattr(contacts, "serve", spy)
    streams = Streams(7, 0)
    world = World(program, draw_inputs(program, 100, streams), 100)
    plan = month_plans(1, 7, [], 100, world.names)[0]
    contacts.simulate_channel_month("phone", [world.load("phone", plan)], streams=streams)
    return np.concatenate(seen) % DAY


def test_arrivals_per_five_minutes_follow_a_peaked_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given their total, the arrivals fall in the 5-minute intervals as a multinomial on the
    profile's shares within opening hours (Poisson splitting): Pearson's chi-square at a fixed
    seed. The same counts against the profile summed by hour are far off (the test has power),
    and intervals without weight get no contact at all."""
    fine = _with(PHONE, intraday_profile_minutes=5, intraday_profile=_peaked_profile())
    times = _model_arrivals(fine, monkeypatch)
    counts = np.bincount((times // 300).astype(int), minlength=288)
    shares = np.asarray(_peaked_profile())
    shares[: 8 * 12] = shares[20 * 12 :] = 0.0  # the phone is open 08:00-20:00
    shares /= shares.sum()
    expected = counts.sum() * shares
    assert counts.sum() > 100_000
    assert counts[expected == 0].sum() == 0
    weighted = expected > 0
    assert stats.chisquare(counts[weighted], expected[weighted]).pvalue > 1e-3
    hourly = np.repeat(hourly_profile(fine) / 12, 12) * counts.sum()
    open_hours = hourly > 0
    assert stats.chisquare(counts[open_hours], hourly[open_hours]).pvalue < 1e-12
    # The busiest interval, one by one: within 4 Poisson standard errors of its expectation.
    peak = 9 * 12
    assert abs(counts[peak] - expected[peak]) < 4 * np.sqrt(expected[peak])


def test_engines_agree_on_a_fine_profile() -> None:
    """The simpy and the compiled engine serve the same contacts with the same outcomes."""
    overrides = [
        *SHORT,
        "channels.phone.intraday_profile_minutes=5",
        f"channels.phone.intraday_profile={_toml_list(_peaked_profile())}",
    ]
    results = [
        run(
            load_scenario(overrides=overrides),
            RunOptions(trials=3, seed=21, workers=1, block_size=3, engine=engine),
        ).samples
        for engine in ("compiled", "simpy")
    ]
    for key in (
        "npv",
        "kpi.program.phone.service_level",
        "kpi.program.phone.abandonment",
        "kpi.baseline.phone.asa_seconds",
    ):
        np.testing.assert_allclose(results[1][key], results[0][key], rtol=1e-6, err_msg=key)
