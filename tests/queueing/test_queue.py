"""`simroi queue`: one channel simulated beside Erlang C and Erlang A."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import simroi
from simroi.cli.app import main
from simroi.queueing import study
from simroi.queueing.queue_spec import QueueInputError, QueueSpec
from simroi.queueing.study import study_queue

# pyworkforce's fixture (domain.md §2.3): 100 calls per 30 min, AHT 3 min, patience 5 min, c = 14.
FIXTURE = QueueSpec(
    arrivals_per_hour=200,
    agents=14,
    aht_minutes=3,
    patience_minutes=5,
    hours=24,
    sl_seconds=20,
    warmup_minutes=60,
)


def _within(values: dict[str, object], target: float, k: float = 4.0) -> None:
    mean = float(values["mean"])  # type: ignore[arg-type]
    lo, hi = values["ci95"]  # type: ignore[misc]
    se = (float(hi) - float(lo)) / (2 * 1.96)
    assert abs(mean - target) < k * se, (mean, target, se)


@pytest.mark.slow
def test_simulated_kpis_match_erlang_a_within_monte_carlo_error() -> None:
    data = study_queue(FIXTURE, trials=400, seed=7).to_dict()
    erlang = data["erlang_a"]
    assert erlang["abandonment"] == pytest.approx(0.013984, abs=5e-6)
    for kpi in ("service_level", "abandonment", "asa_seconds", "occupancy"):
        _within(data["simulated"][kpi], erlang[kpi])


@pytest.mark.slow
def test_infinite_patience_matches_erlang_c() -> None:
    spec = QueueSpec(
        arrivals_per_hour=200, agents=14, aht_minutes=3, hours=24, sl_seconds=20, warmup_minutes=60
    )
    data = study_queue(spec, trials=400, seed=8).to_dict()
    assert data["erlang_a"] is None
    # Nobody hangs up; the row counts the contacts still waiting at the day's end: a stable
    # queue holds a few of its 4,800 a day (Erlang C's mean queue, 0.1, at the close).
    assert data["simulated"]["abandonment"]["mean"] < 1e-3
    for kpi in ("service_level", "asa_seconds", "occupancy"):
        _within(data["simulated"][kpi], data["erlang_c"][kpi])


@pytest.mark.parametrize("engine", ["compiled", "numpy"])
def test_a_days_offered_contacts_are_poisson(engine: str) -> None:
    """Arrivals are a Poisson process (exponential gaps): the contacts offered after the
    warm-up have mean and variance λ·(hours − warm-up). Tolerances: 4 standard errors (the
    mean's from the variance, the variance's from the counts' own fourth moment)."""
    spec = QueueSpec(arrivals_per_hour=37.5, agents=3, aht_minutes=2, hours=2, warmup_minutes=24)
    offered = study_queue(spec, trials=4000, seed=3, engine=engine).offered
    lam = 37.5 * (2 - 24 / 60)
    assert abs(offered.mean() - lam) < 4 * np.sqrt(lam / offered.size)
    fourth = float(np.mean((offered - offered.mean()) ** 4))
    se_var = np.sqrt(max(fourth - offered.var() ** 2, 0.0) / offered.size)
    assert abs(offered.var(ddof=1) - lam) < 4 * se_var


def test_erlang_c_is_absent_when_agents_do_not_exceed_the_load() -> None:
    spec = QueueSpec(arrivals_per_hour=600, agents=8, aht_minutes=1, patience_minutes=2, hours=2)
    data = study_queue(spec, trials=20, seed=1).to_dict()
    assert data["erlang_c"] is None  # load 10 Erlangs ≥ 8 agents: Erlang C has no steady state
    assert data["erlang_a"] is not None


def test_simpy_engine_gives_the_same_days_as_the_compiled_one() -> None:
    spec = QueueSpec(arrivals_per_hour=120, agents=3, aht_minutes=2, patience_minutes=1, hours=2)
    fast = study_queue(spec, trials=5, seed=3, engine="compiled").to_dict()["simulated"]
    slow = study_queue(spec, trials=5, seed=3, engine="simpy").to_dict()["simulated"]
    for kpi in ("service_level", "abandonment", "asa_seconds", "occupancy"):
        assert slow[kpi]["mean"] == pytest.approx(fast[kpi]["mean"], rel=1e-9)


def test_queue_cli_prints_json_with_the_documented_shape() -> None:
    result = CliRunner().invoke(
        main,
        [
            "queue",
            "--arrivals-per-hour",
            "1260",
            "--agents",
            "90",
            "--aht-minutes",
            "4",
            "--patience-minutes",
            "3",
            "--hours",
            "8",
            "--sl-seconds",
            "20",
            "--trials",
            "20",
            "--seed",
            "7",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["trials"] == 20 and data["seed"] == "7" and data["engine"] == "compiled"
    # What replays it: the block size and the versions (DESIGN.md §3).
    assert data["block_size"] == study.QUEUE_BLOCK
    assert data["simroi_version"] == simroi.__version__
    assert data["numpy_version"] == np.__version__
    for kpi in ("service_level", "abandonment", "asa_seconds", "occupancy"):
        assert len(data["simulated"][kpi]["ci95"]) == 2
    assert {"service_level", "asa_seconds", "p_wait"} <= set(data["erlang_c"])
    assert {"service_level", "abandonment", "asa_seconds", "p_wait"} <= set(data["erlang_a"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--aht-minutes", "-1"], "aht-minutes must be > 0"),
        (
            ["--aht-minutes", "3", "--hours", "1", "--warmup-minutes", "90"],
            "warmup-minutes must be ≥ 0 and shorter than the day",
        ),
        # Limits, refused before anything is allocated (each ran out of memory or ran for days).
        (["--agents", "1000000000"], "--agents must be a whole number from 0 to 10,000"),
        (["--trials", "1000000000"], "--trials must be a whole number from 2"),
        (["--arrivals-per-hour", "1e12"], "a day of ~8e12 contacts"),
        (["--arrivals-per-hour", "1e308", "--hours", "10"], "a day of countless contacts"),
        (["--hours", "1e300"], "--hours must be at most 8,784 (a year; got 1e+300)"),
        (["--arrivals-per-hour", "40000", "--trials", "2000"], "lower --trials to 184 or fewer"),
        # Refused before the staffing search, which a day this long would make take minutes.
        (["--arrivals-per-hour", "1e12", "--agents", "", "--target-sl", "0.8"], "a day of ~8e12"),
        (
            ["--arrivals-per-hour", "1e6", "--agents", "", "--target-sl", "0.8"],
            "the target needs 50,01",
        ),
    ],
)
def test_queue_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    given = dict(zip(args[::2], args[1::2], strict=True))
    options = {"--arrivals-per-hour": "100", "--agents": "5", "--aht-minutes": "3"}
    options |= {"--trials": "5"} | given
    words = [w for key, value in options.items() if value for w in (key, value)]
    result = CliRunner().invoke(main, ["queue", *words])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output


def test_a_block_of_days_too_large_is_refused_naming_the_trials_that_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Memory stays bounded in the day's length too: a block of days holding more than
    BLOCK_SLOTS contact slots is refused with the trials that fit; what fits runs as before,
    in blocks of QUEUE_BLOCK whatever the limit (so no study's numbers depend on it)."""
    spec = QueueSpec(60.0, 4, 3.0, 2.0, 4.0, 20.0, "exponential", 1.0, 0.0)
    rows = study._day_rows(spec)  # 240 expected contacts: 240 + 8 √240 + 16 rows
    assert rows == 240 + math.floor(8 * math.sqrt(240)) + 16
    before = study_queue(spec, trials=8, seed=5)
    monkeypatch.setattr(study, "BLOCK_SLOTS", 3 * rows + 1)
    with pytest.raises(QueueInputError) as refused:
        study_queue(spec, trials=8, seed=5)
    assert "8 days of ~240 contacts, simulated together (2,000 at most)" in str(refused.value)
    assert "lower `trials` to 3 or fewer" in str(refused.value)
    fits = study_queue(spec, trials=3, seed=5)
    assert fits.block_size == before.block_size == 2000
    monkeypatch.setattr(study, "BLOCK_SLOTS", 10**9)
    again = study_queue(spec, trials=3, seed=5)
    for key, values in fits.samples.items():
        np.testing.assert_array_equal(values, again.samples[key], err_msg=key)
    monkeypatch.setattr(study, "BLOCK_SLOTS", rows)  # not even two days
    with pytest.raises(QueueInputError, match=r"a day of ~240 contacts .* is too long"):
        study_queue(spec, trials=2, seed=5)


def test_the_studys_limits_are_a_scenarios() -> None:
    """A channel's agents, a staffing rule's and a run's trials stop where a study's do
    (:mod:`simroi.limits`): the largest is taken, one more is refused everywhere."""
    from pydantic import TypeAdapter, ValidationError

    from simroi.limits import MAX_AGENTS, MAX_TRIALS
    from simroi.scenario.spec import Agents, SimulationSpec, StaffingRuleSpec

    TypeAdapter(Agents).validate_python(MAX_AGENTS)
    with pytest.raises(ValidationError):
        TypeAdapter(Agents).validate_python(MAX_AGENTS + 1)
    rule = {"target_occupancy": 0.8}
    assert StaffingRuleSpec(**rule, max_agents=MAX_AGENTS).max_agents == MAX_AGENTS
    with pytest.raises(ValidationError):
        StaffingRuleSpec(**rule, min_agents=MAX_AGENTS + 1)
    assert SimulationSpec(trials=MAX_TRIALS).trials == MAX_TRIALS
    with pytest.raises(ValidationError):
        SimulationSpec(trials=MAX_TRIALS + 1)
    assert QueueSpec(60.0, MAX_AGENTS, 4.0).agents == MAX_AGENTS
    with pytest.raises(
        QueueInputError, match=f"`agents` must be a whole number from 0 to {MAX_AGENTS:,}"
    ):
        QueueSpec(60.0, MAX_AGENTS + 1, 4.0)
    with pytest.raises(QueueInputError, match="`trials` must be a whole number from 2"):
        study_queue(QueueSpec(60.0, 1, 4.0), trials=MAX_TRIALS + 1)


def test_every_place_a_scenario_takes_agents_trials_or_a_block_stops_at_the_limits() -> None:
    """The JSON schema (made from the models) states each field's bound: every agents field,
    the staffing rule's too, stops at MAX_AGENTS, trials at MAX_TRIALS, a block at
    MAX_BLOCK_SIZE; and a rule's forecast beyond MAX_AGENTS is refused."""
    from simroi.limits import MAX_AGENTS, MAX_BLOCK_SIZE, MAX_TRIALS
    from simroi.scenario.load import bundled_scenarios, scenario_json_schema

    maxima: dict[str, set[int]] = {}

    def visit(node: object, key: str = "") -> None:
        if isinstance(node, dict):
            if "maximum" in node and key:
                maxima.setdefault(key, set()).add(node["maximum"])
            for k, v in node.items():
                visit(v, k if k not in ("anyOf", "items", "properties", "$defs") else key)
        elif isinstance(node, list):
            for v in node:
                visit(v, key)

    visit(scenario_json_schema())
    agents = {k: v for k, v in maxima.items() if k.endswith("agents")}
    assert set(agents) >= {"agents", "min_agents", "max_agents"}
    assert all(v == {MAX_AGENTS} for v in agents.values()), agents
    assert maxima["trials"] == {MAX_TRIALS} and maxima["block_size"] == {MAX_BLOCK_SIZE}
    result = CliRunner().invoke(
        main, ["run", "--trials", "2", "--set", "customers.active_customers=1e9"]
    )
    assert result.exit_code == 2
    assert f"the forecast needs more than {MAX_AGENTS:,} agents" in result.stderr
    # found while the blocks run, and still named by the scenario's file
    default = bundled_scenarios()["default"]
    assert result.stderr.startswith(f"error: {default}: channels.phone.staffing_rule: ")


def test_occupancy_never_exceeds_one_when_the_queue_is_overloaded() -> None:
    # Offered load 2.5 erlangs on 2 agents: the agents are busy all day, and work that spills
    # past the end of the day is not agent time inside it.
    spec = QueueSpec(100.0, 2, 3.0, None, 8.0, 20.0, "exponential", 1.0, 0.0)
    study = study_queue(spec, trials=50, seed=1)
    assert (study.occupancy <= 1.0).all()
    assert study.occupancy.min() > 0.97  # busy from the first arrival on


@pytest.mark.parametrize("engine", ["compiled", "numpy"])
def test_without_patience_an_overloaded_day_leaves_what_its_agents_cannot_answer(
    engine: str,
) -> None:
    """Nobody hangs up, so the row is the contacts not answered before the day's end (it read
    0.0 % here: the queue was served on past the end). Three agents busy all day answer
    c·T/AHT = 360 of λ·T = 800 offered: 55 % unanswered (the fluid limit; the first minutes'
    idle agents and the ratio's bias are below 0.3 %). Tolerance: 4 standard errors + 0.005."""
    spec = QueueSpec(arrivals_per_hour=100, agents=3, aht_minutes=4, hours=8)
    unanswered = study_queue(spec, trials=300, seed=1, engine=engine).abandonment
    se = float(unanswered.std(ddof=1)) / np.sqrt(unanswered.size)
    assert abs(float(unanswered.mean()) - (1 - 3 / (100 / 60 * 4))) < 4 * se + 0.005
    none = study_queue(QueueSpec(arrivals_per_hour=100, agents=0, aht_minutes=4), trials=3, seed=1)
    assert (none.abandonment == 1.0).all()


def test_without_patience_the_simpy_engine_leaves_the_same_contacts_unanswered() -> None:
    # The simpy engine serves the same days contact by contact; the counts it leaves at the
    # day's end are the compiled engine's (its waits differ from the recursion's in the last
    # bits: the KPIs agree to 1e-9).
    spec = QueueSpec(arrivals_per_hour=120, agents=2, aht_minutes=2, hours=2)
    fast = study_queue(spec, trials=5, seed=3, engine="compiled")
    slow = study_queue(spec, trials=5, seed=3, engine="simpy")
    assert fast.abandonment.min() > 0.05
    np.testing.assert_array_equal(slow.abandonment, fast.abandonment)
    for kpi in ("service_level", "asa_seconds", "occupancy"):
        np.testing.assert_allclose(slow.samples[kpi], fast.samples[kpi], rtol=1e-9)


def test_occupancy_in_steady_state_matches_erlang_c() -> None:
    spec = QueueSpec(60.0, 4, 3.0, None, 8.0, 20.0, "exponential", 1.0, 60.0)
    study = study_queue(spec, trials=400, seed=3)
    mean = float(study.occupancy.mean())
    se = float(study.occupancy.std(ddof=1)) / np.sqrt(study.trials)
    assert study.erlang_c is not None
    assert abs(mean - study.erlang_c.occupancy) < 4 * se


def test_a_longer_study_extends_a_shorter_one_block_by_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Days run in blocks (block k on spawned stream k), so memory stays flat in the trials:
    the first days of a longer study are the shorter study's, bit for bit, whatever the engine."""
    monkeypatch.setattr(study, "QUEUE_BLOCK", 8)
    spec = QueueSpec(60.0, 4, 3.0, 2.0, 4.0, 20.0, "exponential", 1.0, 0.0)
    short = study_queue(spec, trials=8, seed=5).samples
    long = study_queue(spec, trials=21, seed=5, engine="numpy").samples
    for key, values in short.items():
        np.testing.assert_array_equal(long[key][:8], values, err_msg=key)
        assert long[key].shape == (21,)
        assert not np.array_equal(long[key][8:16], values)  # the next block has its own days


def test_progress_is_told_after_each_block_and_changes_no_number() -> None:
    spec = QueueSpec(arrivals_per_hour=30, agents=2, aht_minutes=3, hours=1)
    told: list[tuple[int, int]] = []
    trials = study.QUEUE_BLOCK + 3

    def tell(done: int, planned: int) -> None:
        told.append((done, planned))

    seen = study.study_queue(spec, trials=trials, seed=2, engine="numpy", progress=tell)
    assert told == [(study.QUEUE_BLOCK, trials), (trials, trials)]
    plain = study.study_queue(spec, trials=trials, seed=2, engine="numpy")
    for name, values in seen.samples.items():
        assert np.array_equal(values, plain.samples[name], equal_nan=True), name


def test_the_queue_command_takes_quiet_as_every_simulating_command_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import simroi.cli.simulate as simulate

    asked: list[bool] = []
    real = simulate.progress_bar

    def recording(quiet: bool, estimate: str | None = None) -> Any:
        asked.append(quiet)
        return real(quiet, estimate)

    monkeypatch.setattr(simulate, "progress_bar", recording)
    args = ["queue", "--arrivals-per-hour", "30", "--agents", "2", "--aht-minutes", "3",
            "--trials", "4", "--seed", "1"]  # fmt: skip
    loud, quiet = (CliRunner().invoke(main, [*args, *extra]) for extra in ([], ["--quiet"]))
    assert loud.exit_code == quiet.exit_code == 0, quiet.output
    assert asked == [False, True]  # a bar is asked for unless --quiet
    assert loud.stdout == quiet.stdout
