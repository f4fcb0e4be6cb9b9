"""``staffing_rule``: bad input is one line naming the key, the rule and the value (exit 2)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from simroi.cli.app import main
from simroi.scenario.load import load_scenario

RULE = "channels.phone.staffing_rule"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            "channels.email.staffing_rule="
            "{ target_service_level = 0.8, answer_within_seconds = 20 }",
            "channels.email: staffing_rule: target_service_level is for realtime channels "
            "(got kind=deferrable)",
        ),
        (
            f"{RULE}={{ target_occupancy = 0.85 }}",
            "channels.phone: staffing_rule: target_occupancy and target_answered_within_hours "
            "are for deferrable channels (got kind=realtime)",
        ),
        (
            f"{RULE}={{ target_service_level = 1.2, answer_within_seconds = 20 }}",
            "channels.phone.staffing_rule.target_service_level: must be < 1 (got 1.2)",
        ),
        (
            f"{RULE}={{ target_service_level = 0.8 }}",
            "target_service_level needs answer_within_seconds and vice versa (got 0.8, None)",
        ),
        (
            f"{RULE}={{ target_service_level = 0.8, answer_within_seconds = 20, "
            "min_agents = 9, max_agents = 3 }",
            "channels.phone.staffing_rule: min_agents must be ≤ max_agents (got 9 > 3)",
        ),
        (
            "channels.email.staffing_rule={ target_occupancy = 0.8, share = 0.9 }",
            "give exactly one target",
        ),
    ],
)
def test_a_bad_staffing_rule_is_one_line_with_key_rule_and_value(
    override: str, expected: str
) -> None:
    result = CliRunner().invoke(main, ["validate", "default", "--set", override])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert expected in lines[0]


def test_a_channel_with_agents_and_a_rule_says_both() -> None:
    """A file may not give both; an override of one replaces the other (as agents/staffing)."""
    loaded = load_scenario(overrides=["channels.phone.agents=12"])
    assert loaded.program.channels["phone"].staffing_rule is None
    loaded = load_scenario(overrides=["channels.phone.staffing_rule.min_agents=3"])
    rule = loaded.program.channels["phone"].staffing_rule
    assert rule is not None and rule.min_agents == 3 and rule.target_service_level == 0.8


def test_both_agents_and_a_rule_in_a_file_is_an_error(tmp_path: object) -> None:
    from pathlib import Path

    text = (Path(__file__).parents[2] / "scenarios" / "default.toml").read_text()
    text = text.replace(
        "staffing_rule = { target_occupancy = 0.85 }",
        "staffing_rule = { target_occupancy = 0.85 }\nagents = 4",
    )
    path = Path(str(tmp_path)) / "both.toml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "channels.email: give exactly one of agents, staffing or staffing_rule" in line
    assert "(got agents, staffing_rule)" in line
