"""Scenario files: bundled ones validate, bad input gives one clear line per problem, exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from simroi.cli.app import main
from simroi.errors import ScenarioError
from simroi.model.block import draw_inputs
from simroi.randomness import Streams
from simroi.scenario.load import bundled_scenarios, load_scenario
from simroi.scenario.quantity import as_distribution

DEFAULT = bundled_scenarios()["default"]


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "240"}).invoke(main, list(args))
    return result.exit_code, result.output


def variant(tmp_path: Path, old: str, new: str, name: str = "s.toml") -> Path:
    text = DEFAULT.read_text()
    assert old in text, old
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_every_bundled_scenario_validates_with_a_baseline(name: str) -> None:
    loaded = load_scenario(name)
    assert loaded.baseline is not None, f"{name} has no baseline"
    # A baseline equal to the program (apart from its name) has no incremental cost: ROI undefined.
    program, baseline = (
        s.model_dump(exclude={"scenario"}) for s in (loaded.program, loaded.baseline)
    )
    assert baseline != program
    path = bundled_scenarios()[name]
    code, out = invoke("validate", str(path))
    assert code == 0, out
    assert out == f"ok {path} ({name}; baseline: {loaded.baseline.scenario.name})\n"


def test_validate_refuses_a_scenario_without_a_baseline_as_run_does(tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    assert invoke("init", str(target))[0] == 0
    kept, inside = [], False
    for line in target.read_text().splitlines(keepends=True):  # drop [baseline] and [baseline.*]
        if line.startswith("["):
            inside = line.startswith(("[baseline]", "[baseline."))
        kept.append("" if inside else line)
    target.write_text("".join(kept))
    for command in ("validate", "run"):
        code, out = invoke(command, str(target), *(("--trials", "2") if command == "run" else ()))
        assert code == 2
        assert out == (
            f"error: {target}: scenario.baseline: ROI is measured against a baseline; name a "
            'baseline file in [scenario] baseline = "..." or add a [baseline] table of '
            "overrides\n"
        )


def test_every_bundled_uncertain_input_names_a_source() -> None:
    for name in bundled_scenarios():
        code, out = invoke("inputs", name, "--json")
        assert code == 0, out
        shown = {row["input"]: row["source"] for row in json.loads(out)["inputs"]}
        for key, dist in load_scenario(name).program.uncertain_inputs().items():
            assert dist.source is not None and dist.source.strip(), f"{name}: {key} has no source"
            assert shown[key] == dist.source, f"{name}: {key}'s source not in the inputs table"


def test_init_writes_a_scenario_that_validates(tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    code, out = invoke("init", str(target))
    assert code == 0, out
    code, out = invoke("validate", str(target))
    assert code == 0, out
    written = target.read_bytes()
    code, out = invoke("init", str(target))
    assert code == 2 and "already exists" in out
    assert target.read_bytes() == written  # refused, not overwritten


def test_scenarios_lists_the_bundled_ones_with_descriptions() -> None:
    code, out = invoke("scenarios")
    assert code == 0
    for name in bundled_scenarios():
        description = load_scenario(name).program.scenario.description
        assert description.strip(), f"{name} has no description"
        assert any(f" {name} " in line and description in line for line in out.splitlines()), name


@pytest.mark.parametrize("width", [60, 80, 120, 220])
def test_every_input_key_is_printed_whole_to_be_copied_into_set(width: int) -> None:
    """At 80 columns the table folded keys mid-word (``scenario.discount_rat`` / ``e``); a
    terminal too narrow for the table prints one block per input, the key on its own line."""
    rows = json.loads(invoke("inputs", "default", "--json")[1])["inputs"]
    result = CliRunner().invoke(main, ["inputs", "default"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for row in rows:
        key = row["input"]
        assert any(key in line for line in lines), (width, key)
    assert ("┏" in result.output) == (width >= 200)  # the table where it fits


def test_inputs_table_shows_percentiles_and_sources() -> None:
    code, out = invoke("inputs", "default", "--json")
    assert code == 0
    rows = json.loads(out)["inputs"]
    fcr = next(r for r in rows if r["input"] == "channels.phone.fcr")
    # The bundled PERT(0.65, 0.72, 0.80): a beta with α = 1 + 4·(mode − low)/(high − low), etc.
    low, mode, high = 0.65, 0.72, 0.80
    alpha, beta = 1 + 4 * (mode - low) / (high - low), 1 + 4 * (high - mode) / (high - low)
    pert = stats.beta(alpha, beta, loc=low, scale=high - low)
    shown = [fcr["p05"], fcr["p50"], fcr["p95"], fcr["mean"]]
    expected = [*pert.ppf([0.05, 0.5, 0.95]), (low + 4 * mode + high) / 6]
    assert shown == pytest.approx(expected, rel=1e-12)
    assert fcr["source"] == "SQM Group: average FCR 67-72%, world class 80%"
    code, out = invoke("inputs")
    assert code == 0 and "channels.phone.fcr" in out


def test_schema_is_json_schema_of_the_format(tmp_path: Path) -> None:
    code, out = invoke("schema")
    assert code == 0
    schema = json.loads(out)
    assert {"scenario", "customers", "channels", "baseline"} <= set(schema["properties"])
    # bounds by JSON Schema's names (a validator before them left pydantic's ge and le raw)
    raw = re.findall(r'"(ge|le|gt|lt)":', out)
    assert not raw and '"maximum": 10000' in out
    target = tmp_path / "schema.json"
    assert invoke("schema", "--out", str(target))[0] == 0
    assert json.loads(target.read_text()) == schema


# --- bad input: one line per problem, naming file, key, rule and value -------------------------

BAD_CASES = [
    # (old text, new text, expected fragments)
    ("horizon_months = 36 ", 'horizon_months = "long" ', ["scenario.horizon_months", "'long'"]),
    (
        "agents = 1 ",
        "agnts = 1 ",
        ["channels.social.agnts", "unknown key", "did you mean 'agents'"],
    ),
    (
        "low = 0.65, mode = 0.72, high = 0.80",
        "low = 0.65, mode = 0.72, high = 1.80",
        ["channels.phone.fcr", "probability in [0, 1]", "1.8"],
    ),
    (
        "low = 3.0, mode = 5.0, high = 9.0",
        "low = 9.0, mode = 5.0, high = 3.0",
        ["channels.social.handle_time_minutes", "low must be", "low=9"],
    ),
    (
        'dist = "triangular", low = 300_000',
        'dist = "lognormal", p5 = 9, p95 = 3, low = 300_000',
        ["customers.active_customers"],
    ),
    (
        "monthly_tools_cost = 1_500",
        "monthly_tools_cost = -1_500",
        ["program.monthly_tools_cost", "≥ 0", "-1500"],
    ),
    ("sla_seconds = 20 ", "sla_seconds = -20 ", ["channels.phone.sla_seconds", "-20"]),
    # A share written as a percentage: "≥ 80" validated and was met in no trial.
    (
        "at_least = 0.6",
        "at_least = 60",
        ["objectives.0.at_least", "social.service_level is a share", "[0, 1]", "got 60"],
    ),
    ("at_most = 0.08", "at_most = 8", ["objectives.1.at_most", "got 8;", "0.8 for 80%"]),
]


@pytest.mark.parametrize(("old", "new", "fragments"), BAD_CASES)
def test_bad_values_are_named_with_file_key_rule_and_value(
    tmp_path: Path, old: str, new: str, fragments: list[str]
) -> None:
    path = variant(tmp_path, old, new)
    code, out = invoke("validate", str(path))
    assert code == 2
    assert "Traceback" not in out
    lines = out.strip().splitlines()
    assert all(line.startswith(f"error: {path}") for line in lines), out
    for fragment in fragments:
        assert fragment in out, (fragment, out)


def test_one_pass_names_the_problems_of_every_stage(tmp_path: Path) -> None:
    """A wrong value hid the rules that span keys: a file with a negative SLA, an fcr range
    beyond 1 and a misspelt objective metric showed the SLA alone, then the next, then the
    next. The failing value is left out to check the rest; nothing is said of what leaving it
    out causes (the agents a channel then lacks)."""
    text = bundled_scenarios()["default"].read_text(encoding="utf-8")
    text = text.replace('metric = "social.service_level"', 'metric = "social.servce_level"', 1)
    text = text.replace(
        "low = 0.65, mode = 0.72, high = 0.80", "low = 0.65, mode = 0.72, high = 1.72"
    )
    text = text.replace("sla_hours = 1 ", "sla_hours = -1 ", 1)
    path = tmp_path / "mix.toml"
    path.write_text(text, encoding="utf-8")
    code, out = invoke("validate", str(path))
    lines = out.strip().splitlines()
    assert code == 2 and len(lines) == 3, out
    for key, rule in (
        ("channels.social.sla_hours", "must be > 0 (got -1)"),
        ("channels.phone.fcr", "probability in [0, 1]"),
        ("objectives.0.metric", "did you mean 'social.service_level'"),
    ):
        assert any(line.startswith(f"error: {path}: {key}: ") and rule in line for line in lines)
    # Agents are required: leaving them out would only say so. The rest waits for them.
    path.write_text(text.replace("\nagents = 1 ", "\nagents = -4 ", 1), encoding="utf-8")
    code, out = invoke("validate", str(path))
    assert code == 2 and "give exactly one of agents" not in out, out
    assert "channels.social.agents: must be ≥ 0 (got -4)" in out
    assert "sla_hours: must be > 0" in out


@pytest.mark.parametrize(
    ("overrides", "shown", "not_shown"),
    [
        # An ordering names the input left out: its rule would compare the default's draws.
        (
            ['experience.churn_multiplier_ignored="x"'],
            ["must be a number (got 'x')"],
            ["orderings"],
        ),
        # Two bad fields of one distribution leave out one value, not its table; the rest of
        # the file is still checked.
        (
            [
                'experience.churn_multiplier_ignored={dist="triangular", low="a", mode="b", '
                "high=1.2}",
                "objectives.0.metric=social.nope",
            ],
            ["ignored.low: must be a number", "ignored.mode: must be", "unknown metric"],
            ["experience:", "orderings"],
        ),
        # The horizon left out: an event's month would be measured against the default's.
        (
            [
                "scenario.horizon_months=4.5",
                'events=[{name="x", start_month=40, days=3, channels=["phone"], '
                "volume_multiplier=2}]",
            ],
            ["horizon_months: must be a whole number (got 4.5)"],
            ["events.0"],
        ),
    ],
)
def test_leaving_a_failing_value_out_says_nothing_that_follows_from_it(
    overrides: list[str], shown: list[str], not_shown: list[str]
) -> None:
    """A reviewer's cases: what leaving a value out causes is not a problem of the file."""
    code, out = invoke("validate", "default", *(a for o in overrides for a in ("--set", o)))
    assert code == 2, out
    assert all(text in out for text in shown), out
    assert not any(text in out for text in not_shown), out
    assert len(out.strip().splitlines()) == len(shown), out


def test_p5_not_below_p95_is_refused(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        "handle_time_cv = 1.0           # ASSUMPTION",
        'handle_time_cv = { dist = "lognormal", p5 = 1.2, p95 = 0.8 }  #',
    )
    code, out = invoke("validate", str(path))
    assert code == 2 and "p5 must be < p95" in out and "handle_time_cv" in out


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("schema_version = 1\n[scenario\nname = \n")
    code, out = invoke("validate", str(path))
    assert code == 2
    assert re.search(r"malformed TOML: .*line 2", out), out
    assert len(out.strip().splitlines()) == 1


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        DEFAULT.read_text()
        .replace("agents = 1 ", "agnts = 1 ")
        .replace("horizon_months = 36 ", "horizon_months = 0 ")
    )
    path = tmp_path / "two.toml"
    path.write_text(text)
    code, out = invoke("validate", str(path), str(DEFAULT))
    assert code == 2
    errors = [line for line in out.splitlines() if line.startswith(f"error: {path}")]
    assert len(errors) == 2, out  # one line each, both problems in one pass
    assert any("agnts" in line for line in errors) and any("horizon_months" in e for e in errors)
    assert f"ok {DEFAULT}" in out


def test_zero_agents_on_a_realtime_channel_with_volume_is_refused(tmp_path: Path) -> None:
    rule = "staffing_rule = { target_service_level = 0.8, answer_within_seconds = 20 }"
    schedule = (
        'staffing = [{ start = "08:00", end = "09:00", agents = 0 }, '
        '{ start = "09:00", end = "20:00", agents = 9 }]'
    )
    path = variant(tmp_path, rule, schedule)
    assert invoke("validate", str(path))[0] == 0  # some agents remain later in the day
    path = variant(tmp_path, rule, "agents = 0")
    code, out = invoke("validate", str(path))
    assert code == 2 and "channels.phone.agents" in out and "needs agents > 0" in out


def test_zero_agents_is_allowed_on_a_deferrable_channel(tmp_path: Path) -> None:
    path = variant(tmp_path, "agents = 1                     # the program", "agents = 0  #")
    assert invoke("validate", str(path))[0] == 0


def test_missing_file_and_missing_bundled_name() -> None:
    code, out = invoke("validate", "no/such/file.toml")
    assert code == 2 and "no/such/file.toml: file not found" in out
    code, out = invoke("run", "defualt")
    assert code == 2 and "did you mean the bundled scenario 'default'" in out


def test_baseline_file_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    text = DEFAULT.read_text()
    text = text[: text.index("[baseline]")].replace(
        'currency = "USD"', 'currency = "USD"\nbaseline = "nope.toml"'
    )
    path.write_text(text)
    code, out = invoke("validate", str(path))
    assert code == 2 and "scenario.baseline: file not found ('nope.toml')" in out


def test_baseline_that_refers_back_to_itself(tmp_path: Path) -> None:
    text = DEFAULT.read_text()
    body = text[: text.index("[baseline]")]
    (tmp_path / "a.toml").write_text(
        body.replace('currency = "USD"', 'currency = "USD"\nbaseline = "a.toml"')
    )
    code, out = invoke("validate", str(tmp_path / "a.toml"))
    assert code == 2 and "refers back to this file" in out
    (tmp_path / "a.toml").write_text(
        body.replace('currency = "USD"', 'currency = "USD"\nbaseline = "b.toml"')
    )
    (tmp_path / "b.toml").write_text(
        body.replace('currency = "USD"', 'currency = "USD"\nbaseline = "a.toml"')
    )
    code, out = invoke("validate", str(tmp_path / "a.toml"))
    assert code == 2 and "baseline chain returns" in out


def test_baseline_as_a_separate_file(tmp_path: Path) -> None:
    text = DEFAULT.read_text()
    body = text[: text.index("[baseline]")]
    (tmp_path / "base.toml").write_text(
        body.replace("agents = 1                     # the program", "agents = 0  #")
    )
    (tmp_path / "prog.toml").write_text(
        body.replace('currency = "USD"', 'currency = "USD"\nbaseline = "base.toml"')
    )
    loaded = load_scenario(tmp_path / "prog.toml")
    assert loaded.baseline is not None
    assert loaded.baseline.channels["social"].agents == 0
    assert loaded.program.channels["social"].agents == 1  # the program file's own value


def test_invalid_correlation_matrix(tmp_path: Path) -> None:
    extra = """
[[correlations]]
inputs = ["customers.active_customers", "channels.social.contacts_per_customer_per_year"]
matrix = [[1.0, 0.9], [0.3, 1.0]]
"""
    text = DEFAULT.read_text()
    path = tmp_path / "c.toml"
    path.write_text(text.replace("# The baseline:", extra + "\n# The baseline:"))
    code, out = invoke("validate", str(path))
    assert code == 2 and "correlations.0" in out and "symmetric" in out


def test_set_for_a_key_that_does_not_exist() -> None:
    code, out = invoke("validate", str(DEFAULT), "--set", "channels.social.agnts=2")
    assert code == 2 and "did you mean 'channels.social.agents'" in out
    code, out = invoke("validate", str(DEFAULT), "--set", "channels.chat.agents=2")
    assert code == 2 and "no channel 'chat'" in out
    code, out = invoke("validate", str(DEFAULT), "--set", "customers.monthly_churn=2")
    assert code == 2 and "customers.monthly_churn: must be a probability" in out
    # A baseline key is named as it was given (the message dropped "baseline.").
    code, out = invoke("validate", str(DEFAULT), "--set", "baseline.channels.social.agentz=2")
    assert (
        code == 2
        and (
            "override baseline.channels.social.agentz: no such key "
            "'baseline.channels.social.agentz' (did you mean 'baseline.channels.social.agents'?)"
        )
        in out
    )


def test_set_is_typed_and_reaches_an_inline_baseline() -> None:
    loaded = load_scenario(
        overrides=["channels.phone.cost_per_agent_hour=40", "channels.social.agents=3"]
    )
    assert type(loaded.program.channels["phone"].cost_per_agent_hour) is float  # not "40"
    assert "channels.phone.cost_per_agent_hour" not in loaded.program.uncertain_inputs()
    assert loaded.program.channels["phone"].cost_per_agent_hour == 40.0
    assert loaded.baseline is not None
    assert loaded.baseline.channels["phone"].cost_per_agent_hour == 40.0
    assert loaded.program.channels["social"].agents == 3
    assert loaded.baseline.channels["social"].agents == 0  # the baseline's own override wins
    only_base = load_scenario(overrides=["baseline.channels.phone.cost_per_agent_hour=41"])
    assert only_base.program == load_scenario().program  # a baseline override stays there
    assert only_base.baseline is not None
    assert only_base.baseline.channels["phone"].cost_per_agent_hour == 41


def test_setting_agents_replaces_a_staffing_schedule_and_back() -> None:
    assert load_scenario().program.channels["phone"].staffing_rule is not None  # by rule
    loaded = load_scenario(overrides=["channels.phone.agents=4"])
    assert loaded.program.channels["phone"].staffing is None
    assert loaded.program.channels["phone"].staffing_rule is None
    assert loaded.program.channels["phone"].max_agents == 4
    back = load_scenario(
        overrides=['channels.social.staffing=[{ start = "09:00", end = "17:00", agents = 2 }]']
    )
    assert back.program.channels["social"].agents is None
    assert back.program.channels["social"].max_agents == 2
    assert back.baseline is not None
    assert back.baseline.channels["social"].max_agents == 0  # the inline baseline's agents = 0


def test_scenario_objects_are_frozen() -> None:
    loaded = load_scenario()
    with pytest.raises(ValueError, match="frozen"):
        loaded.program.scenario.horizon_months = 3  # type: ignore[misc]


_QUANTITIES = [(k, v) for k, v in load_scenario().program.quantities() if "." in k]


def _toml(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    dist = as_distribution(value)  # type: ignore[arg-type]
    fields = dist.model_dump(exclude_none=True)
    return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in fields.items()) + " }"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_QUANTITIES))
def test_any_value_round_trips_through_set(item: tuple[str, object]) -> None:
    key, value = item
    original = load_scenario()
    again = load_scenario(overrides=[f"{key}={_toml(value)}"])
    assert again.program == original.program
    assert again.content_hash == original.content_hash


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_a_probability_set_on_the_command_line_is_the_value_used(p: float) -> None:
    # The ordering email FCR ≤ phone FCR is cleared: most of these p lie below email's range.
    loaded = load_scenario(overrides=[f"channels.phone.fcr={p!r}", "orderings=[]"])
    # Every trial draws exactly p, to the last bit, in place of the bundled PERT.
    drawn = draw_inputs(loaded.program, 8, Streams(entropy=1, block=0))["channels.phone.fcr"]
    np.testing.assert_array_equal(drawn, np.full(8, p))


def test_scenario_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        load_scenario(overrides=["customers.monthly_churn=2"])
    with pytest.raises(ScenarioError) as info:
        load_scenario(overrides=["customers.monthly_churn=2"])
    (problem,) = info.value.problems  # file, key, rule and value
    assert problem.startswith(f"{DEFAULT}: override customers.monthly_churn: ")
    assert "probability in [0, 1]" in problem and problem.endswith("(got 2)")


def test_a_baseline_scenario_table_that_is_not_a_table_is_one_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    # Found by the fuzzer (tests/cli/test_fuzz.py): `[baseline] scenario = -1e308`.
    text = bundled_scenarios()["default"].read_text()
    old = next(
        x for x in text.splitlines() if x.startswith('scenario = { name = "default baseline"')
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, "scenario = -1e308"))
    with pytest.raises(ScenarioError, match=r"\[baseline\]: scenario: .*got -1e\+308"):
        load_scenario(bad)


@pytest.mark.parametrize(
    ("override", "rule"),
    [
        ("channels.phone.agents=true", "must be a whole number, not true or false (got true)"),
        ('channels.phone.agents="4"', "must be a whole number, not text (got '4')"),
        ("scenario.horizon_months=false", "must be a whole number, not true or false (got false)"),
        ('simulation.trials="1000"', "must be a whole number, not text (got '1000')"),
        ('channels.phone.intraday_profile_minutes="60"', "must be a whole number, not text"),
    ],
)
def test_a_count_given_as_truth_or_text_is_refused(override: str, rule: str) -> None:
    # pydantic's lax mode read agents = true as 1 agent and "4" as 4, silently
    with pytest.raises(ScenarioError) as info:
        load_scenario(overrides=[override])
    (problem,) = info.value.problems
    assert problem.startswith(f"{DEFAULT}: override {override.split('=')[0]}: {rule}"), problem


def test_a_count_written_as_a_whole_float_is_read() -> None:
    loaded = load_scenario(overrides=["channels.phone.agents=4.0", "scenario.horizon_months=12.0"])
    assert loaded.program.channels["phone"].agents == 4
    assert loaded.program.scenario.horizon_months == 12


def test_an_input_in_two_correlation_tables_is_refused_by_validate_as_by_run() -> None:
    pair = '["channels.phone.handle_time_minutes", "channels.social.handle_time_minutes"]'
    tables = ", ".join(
        f"{{ inputs = {pair}, matrix = [[1, {r}], [{r}, 1]] }}" for r in ("0.5", "-0.5")
    )
    override = f"correlations=[{tables}]"
    for command in (["validate"], ["run", "--trials", "2"]):
        code, out = invoke(*command, "default", "--set", override)
        assert code == 2
        assert out.splitlines() == [
            f"error: {DEFAULT}: override correlations.1.inputs: '{name}' is also in "
            "correlations.0; an input may be in one [[correlations]] table only (give all its "
            "pairs in one matrix)"
            for name in (
                "channels.phone.handle_time_minutes",
                "channels.social.handle_time_minutes",
            )
        ]


def test_a_ragged_correlation_matrix_is_named_as_such() -> None:
    pair = '["channels.phone.handle_time_minutes", "channels.social.handle_time_minutes"]'
    code, out = invoke(
        "validate",
        "default",
        "--set",
        f"correlations=[{{ inputs = {pair}, matrix = [[1, 0.5, 0.1], [0.5, 1]] }}]",
    )
    assert code == 2
    assert out == (
        f"error: {DEFAULT}: override correlations.0.matrix: must be square, one row and column "
        "per input (got 2 rows, row 1 with 3 values)\n"
    )


@pytest.mark.parametrize("grid", ["1:4", "2:12:2", "1,2,4"])
def test_a_grid_set_where_one_value_goes_points_to_sweep(grid: str) -> None:
    for key in ("channels.social.agents", "channels.phone.fcr"):
        with pytest.raises(ScenarioError) as info:
            load_scenario(overrides=[f"{key}={grid}"])
        (problem,) = info.value.problems
        assert problem.endswith(f"(got '{grid}'); several values are swept: simroi sweep"), problem


H = "horizon_months = 36"
KIND = 'kind = "realtime"'


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (H, "horizon_months = 0", "scenario.horizon_months: must be ≥ 1 (got 0)"),
        (H, "horizon_months = 601", "scenario.horizon_months: must be ≤ 600 (got 601)"),
        (H, "horizon_months = 36.5", "scenario.horizon_months: must be a whole number (got 36.5)"),
        (
            KIND,
            'kind = "fast"',
            "channels.phone.kind: must be 'realtime' or 'deferrable' (got 'fast')",
        ),
        ('currency = "USD"', "currency = 3", "scenario.currency: must be text (in quotes) (got 3)"),
    ],
)
def test_a_file_s_broken_rule_is_worded_as_simroi_words_it(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    """pydantic's "Input should be greater than or equal to 1" reads as the scenario's own rules
    do: "must be ≥ 1"."""
    text = DEFAULT.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert info.value.problems == [f"{bad}: {problem}"]


def test_a_value_an_override_set_is_named_as_the_override_s() -> None:
    """The -3 in the message is the override's, not the file's, and the message says so."""
    code, out = invoke("run", "default", "--trials", "2", "--set", "channels.phone.agents=-3")
    assert code == 2
    assert out.splitlines() == [
        f"error: {DEFAULT}: override channels.phone.agents: must be ≥ 0 (got -3)"
    ]
    with pytest.raises(ScenarioError) as info:
        load_scenario(overrides=["simulation.trials=2.5", "channels.phone.agents=2"])
    assert info.value.problems == [
        f"{DEFAULT}: override simulation.trials: must be a whole number (got 2.5)"
    ]
