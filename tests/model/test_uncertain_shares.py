"""Each trial's own intraday profile, weekday factors and patience shape, through the model.

The oracles: a day's offered count on a weekday whose factor is drawn from a Dirichlet (a Beta
share of the week) and whose busyness is gamma is Poisson over their product, with a closed-form
mean and variance; arrivals spread by a Dirichlet profile have Dirichlet-multinomial interval
counts. Without the keys nothing is drawn and every input keeps its draws (the bundled scenarios'
outputs are compared bit for bit by ``benchmarks/compare_versions.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from model.test_day import FIXED_VOLUME
from strategies import share_vectors

from simroi.execution.runner import RunOptions, run
from simroi.model.calendar import (
    DAY,
    hourly_profile,
    interp_by_trial,
    intraday_profile,
    part_clock,
    part_shares,
    profile_inverse_cdf,
    weekday_factors,
)
from simroi.model.day import simulate_days
from simroi.model.draws import patience_times
from simroi.model.inputs import channel_inputs, draw_inputs
from simroi.model.staffing import RuleStaffing
from simroi.randomness import Streams
from simroi.scenario.load import load_scenario
from simroi.scenario.profile import draw_shares

CONCENTRATED = (
    "channels.phone.intraday_profile_concentration=200",
    "channels.phone.weekday_factors_concentration=300",
)


def _cdfs(rng: np.random.Generator, trials: int, knots: int) -> np.ndarray:
    """Nondecreasing CDFs from 0 to 1, (trials, knots), with flat stretches (repeated knots)."""
    steps = rng.random((trials, knots - 1)) * (rng.random((trials, knots - 1)) > 0.3)
    steps[:, 0] += 1e-3
    cum = np.concatenate([np.zeros((trials, 1)), np.cumsum(steps, axis=1)], axis=1)
    return cum / cum[:, -1:]


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), trials=st.integers(1, 7), knots=st.integers(2, 40))
def test_interp_by_trial_is_numpy_interp_column_by_column(
    seed: int, trials: int, knots: int
) -> None:
    rng = np.random.default_rng(seed)
    xp = _cdfs(rng, trials, knots)
    fp = np.sort(rng.random(knots)) * DAY
    x = rng.uniform(-0.1, 1.1, (9, trials))
    x[0] = xp[:, rng.integers(0, knots)]  # exactly on a knot, repeated or not
    got = interp_by_trial(x, xp, fp)
    for t in range(trials):
        np.testing.assert_allclose(got[:, t], np.interp(x[:, t], xp[t], fp), rtol=0, atol=1e-7)


# Shares whose Dirichlet draws (concentration 5) underflow: to exactly 0 in some trial at seed
# 1 (two intervals) and 0 (three), to a subnormal share (below 2.2e-308) at seed 18.
_UNDERFLOWING = (np.array([2e-4, 1 - 2e-4]), np.array([0.3, 2e-4, 0.7 - 2e-4]))


def test_interp_by_trial_on_a_repeated_first_knot_takes_the_segment_after_it() -> None:
    """A trial that does not weight the day's first intervals has a CDF flat at 0 there: at 0,
    np.interp (and so the shared path) gives the end of the flat stretch, not the day's start."""
    xp = np.array([[0.0, 0.0, 0.0, 0.5, 1.0], [0.0, 0.25, 0.25, 0.5, 1.0]])
    fp = np.array([0.0, 3.0, 6.0, 9.0, 12.0]) * 3600
    x = np.array([[-0.5, -0.5], [0.0, 0.0], [0.25, 0.25], [0.5, 0.5], [1.0, 1.0], [2.0, 2.0]])
    got = interp_by_trial(x, xp, fp)
    for t in range(2):
        np.testing.assert_array_equal(got[:, t], np.interp(x[:, t], xp[t], fp))
    assert got[1, 0] == 6 * 3600 and got[1, 1] == 0.0


@settings(max_examples=30, deadline=None)
@given(shares=share_vectors(max_size=48), seed=st.integers(0, 2**32 - 1))
@example(shares=_UNDERFLOWING[0], seed=1)
@example(shares=_UNDERFLOWING[1], seed=0)
@example(shares=_UNDERFLOWING[0], seed=18)
@example(shares=_UNDERFLOWING[1], seed=18)
def test_each_trials_cdf_and_clock_are_those_of_its_own_shares(
    shares: np.ndarray, seed: int
) -> None:
    """Per-trial shares through the per-trial path give, trial by trial, what the shared path
    gives for that trial's shares alone (it skips the same empty intervals). A drawn share
    that underflows (to 0, or to a subnormal float that keeps a few digits) leaves its trial a
    part with no share, which both paths send to the same time."""
    rng = np.random.default_rng(seed)
    per_trial = draw_shares(shares, 5.0, 4, rng=rng)
    cum, edges = profile_inverse_cdf(per_trial)
    cuts = (11 * 3600.0,)
    fraction = np.sort(rng.random((20, 4)), axis=0)
    shares_by_part = part_shares(cum, edges, cuts)
    clock = part_clock(cum, edges, (0.0, cuts[0]), 2 * DAY)(fraction, 4)
    for t in range(4):
        own_cum, own_edges = profile_inverse_cdf(per_trial[t])
        np.testing.assert_allclose(np.interp(own_edges, edges, cum[t]), own_cum, rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            shares_by_part[:, t], part_shares(own_cum, own_edges, cuts), rtol=0, atol=1e-12
        )
        own = part_clock(own_cum, own_edges, (0.0, cuts[0]), 2 * DAY)(fraction[:, t : t + 1], 1)
        np.testing.assert_allclose(clock[:, t], own[:, 0], rtol=0, atol=1e-6)


def test_a_dirichlet_profile_gives_dirichlet_multinomial_hourly_counts() -> None:
    """N arrivals a day spread by each trial's profile: an hour's count has mean N p and
    variance N p (1 − p) (N + c) / (1 + c) across trials (Dirichlet-multinomial); without a
    concentration, the multinomial N p (1 − p). Tolerances: 4 standard errors (the mean's from
    the variance, the variance's from the counts' own fourth moment)."""
    spec = load_scenario().program.channels["phone"]
    p = intraday_profile(spec)
    n_arrivals, trials, c = 400, 4000, 150.0
    rng = np.random.default_rng(11)
    fraction = np.sort(rng.random((n_arrivals, trials)), axis=0)
    for shares, var_factor in (
        (draw_shares(p, c, trials, rng=rng), (n_arrivals + c) / (1 + c)),
        (p, 1.0),
    ):
        cum, edges = profile_inverse_cdf(shares)
        times = part_clock(cum, edges, (0.0, DAY), 0.0)(fraction, trials)
        hours = np.minimum((times // 3600).astype(int), 23)
        counts = np.stack([np.bincount(col, minlength=24) for col in hours.T])
        for h in (9, 13, 18):
            var = n_arrivals * p[h] * (1 - p[h]) * var_factor
            x = counts[:, h]
            assert abs(x.mean() - n_arrivals * p[h]) < 4 * math.sqrt(var / trials), h
            fourth = float(np.mean((x - x.mean()) ** 4))
            se_var = math.sqrt(max(fourth - x.var() ** 2, 0.0) / trials)
            assert abs(x.var(ddof=1) - var) < 4 * se_var, (h, x.var(ddof=1), var)


def test_uncertain_weekday_factors_widen_a_days_volume_and_keep_its_mean() -> None:
    """A day's offered count: Poisson over R · f · G, with f = 7 s the trial's weekday factor
    (s ~ Beta(c p, c (1 − p)), p = F / 7 its fixed share of the week) and G the gamma busyness
    (mean 1, cv 0.2): mean R F and variance R F + R² ((F² + 49 var s)(1 + cv²) − F²). The same
    days without the concentration have the smaller R F + (R F cv)²."""
    trials, c, cv = 3000, 60.0, 0.2
    days = np.array([7, 12])  # a Monday and a Saturday
    rate = 60_000 * 0.5 / 365.25
    widths = {}
    for extra in ((), (f"channels.phone.weekday_factors_concentration={c}",)):
        program = load_scenario(overrides=[*FIXED_VOLUME, *extra]).program
        out = simulate_days(program, {"phone": days}, trials=trials, streams=Streams(5, 0))
        factors = weekday_factors(program.channels["phone"])
        for j, day in enumerate(days):
            f = factors[day % 7]
            var_s = (f / 7) * (1 - f / 7) / (c + 1) if extra else 0.0
            mean = rate * f
            var = mean + rate**2 * ((f**2 + 49 * var_s) * (1 + cv**2) - f**2)
            x = out["phone"].offered[j]
            assert abs(x.mean() - mean) < 4 * math.sqrt(var / trials), (extra, day)
            fourth = float(np.mean((x - x.mean()) ** 4))
            se_var = math.sqrt((fourth - x.var() ** 2) / trials)
            assert abs(x.var(ddof=1) - var) < 4 * se_var, (extra, day, x.var(ddof=1), var)
            widths[extra, j] = x.std()
    assert all(widths[(), j] < widths[(f"channels.phone.weekday_factors_concentration={c}",), j]
               for j in range(days.size))  # fmt: skip


def test_without_the_keys_nothing_new_is_drawn_and_no_input_moves() -> None:
    streams = Streams(21, 3)
    plain = draw_inputs(load_scenario().program, 50, streams)
    concentrated = draw_inputs(load_scenario(overrides=CONCENTRATED).program, 50, streams)
    # the draws, and the concentrations themselves (plain numbers, as every number is)
    new = {f"channels.phone.{k}{end}" for k in ("intraday_profile", "weekday_factors")
           for end in ("", "_concentration")}  # fmt: skip
    assert set(concentrated) - set(plain) == new
    for key, values in plain.items():
        np.testing.assert_array_equal(concentrated[key], values, err_msg=key)
    program = load_scenario().program
    inputs = channel_inputs("phone", program, plain)
    np.testing.assert_array_equal(
        inputs.intraday_shares, intraday_profile(program.channels["phone"])
    )
    np.testing.assert_array_equal(
        inputs.weekday_factors, weekday_factors(program.channels["phone"])
    )
    drawn = channel_inputs("phone", program, concentrated)
    assert drawn.intraday_shares.shape == (50, 24) and drawn.weekday_factors.shape == (50, 7)
    np.testing.assert_allclose(drawn.weekday_factors.mean(axis=1), 1.0, rtol=1e-12)


def test_program_and_baseline_draw_the_same_shares() -> None:
    """Common random numbers: the shares come from a stream keyed by the input's name."""
    loaded = load_scenario(overrides=CONCENTRATED)
    assert loaded.baseline is not None
    streams = Streams(4, 0)
    program = draw_inputs(loaded.program, 30, streams)
    baseline = draw_inputs(loaded.baseline, 30, streams)
    for key in ("channels.phone.intraday_profile", "channels.phone.weekday_factors"):
        np.testing.assert_array_equal(program[key], baseline[key])


def test_a_staffing_rule_forecasts_each_trials_own_shape() -> None:
    """Per-trial shares staff each trial as a rule given that trial's shares alone would."""
    program = load_scenario(
        overrides=[
            *CONCENTRATED,
            "channels.phone.agents=null",
            "channels.phone.staffing_rule={ target_service_level = 0.8, "
            "answer_within_seconds = 20 }",
        ]
    ).program
    spec = program.channels["phone"]
    values = draw_inputs(program, 6, Streams(2, 0))
    inputs = channel_inputs("phone", program, values)
    forecast = np.full(6, 2500.0)
    agents = RuleStaffing(spec, inputs).agents(forecast)
    for t in range(6):
        one = {k: v[t : t + 1] for k, v in values.items()}
        alone = RuleStaffing(spec, channel_inputs("phone", program, one)).agents(forecast[:1])
        np.testing.assert_array_equal(agents[t], alone[0])
    shared = {k: v for k, v in values.items() if not k.endswith(("_profile", "_factors"))}
    fixed = RuleStaffing(spec, channel_inputs("phone", program, shared))
    assert fixed.shape_per_s.shape == (1, agents.shape[1])  # one shape for every trial
    assert not np.array_equal(agents, np.repeat(agents[:1], 6, axis=0))
    assert hourly_profile(spec).shape == (24,)


def test_a_per_trial_patience_shape_is_each_trials_and_a_common_one_is_exact() -> None:
    rng = np.random.default_rng(3)
    z = rng.standard_exponential((50, 4))
    mean = np.array([120.0, 180.0, 240.0, 90.0])
    shapes = np.array([0.7, 1.0, 1.6, 3.0])
    got = patience_times(z, mean, "weibull", shapes)
    for t in range(4):
        expected = patience_times(z[:, t : t + 1], mean[t : t + 1], "weibull", float(shapes[t]))
        np.testing.assert_allclose(got[:, t], expected[:, 0], rtol=1e-13)
    for dist in ("weibull", "lognormal"):
        np.testing.assert_array_equal(
            patience_times(z, mean, dist, np.full(4, 1.7)), patience_times(z, mean, dist, 1.7)
        )


def test_the_simpy_reference_engine_agrees_with_uncertain_shares_and_shape() -> None:
    """The simpy specification serves the contacts the per-trial arrival path lays out."""
    overrides = [
        *CONCENTRATED,
        "channels.email.intraday_profile_concentration=80",
        'channels.phone.patience_dist="weibull"',
        'channels.phone.patience_shape={ dist = "uniform", low = 0.8, high = 1.6 }',
        "scenario.horizon_months=1",
    ]
    results = [
        run(load_scenario(overrides=overrides), RunOptions(trials=6, seed=2, engine=e, workers=1))
        for e in ("compiled", "simpy")
    ]
    shape = results[0].samples["input.channels.phone.patience_shape"]
    assert np.all((shape >= 0.8) & (shape <= 1.6)) and np.unique(shape).size == 6
    for key, values in results[0].samples.items():
        # the same contacts and outcomes; the engines add waits in a different order
        np.testing.assert_allclose(results[1].samples[key], values, rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("concentration", [1.0, 1e4])
def test_a_block_runs_with_any_concentration(concentration: float) -> None:
    loaded = load_scenario(
        overrides=[
            f"channels.phone.intraday_profile_concentration={concentration}",
            f"channels.social.weekday_factors_concentration={concentration}",
            "scenario.horizon_months=1",
        ]
    )
    result = run(loaded, RunOptions(trials=8, seed=1, workers=1))
    offered = result.samples["kpi.program.phone.offered_per_month"]
    assert np.all(np.isfinite(offered)) and np.all(offered > 0)
