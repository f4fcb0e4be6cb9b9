"""``intraday_profile_minutes``: a profile at the data's resolution, and its bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from simroi.cli.app import main
from simroi.scenario.load import bundled_scenarios, load_scenario
from simroi.scenario.profile import PROFILE_MINUTES

DEFAULT = bundled_scenarios()["default"]
PHONE = "[channels.phone]\n"  # realtime, open 08:00-20:00
EMAIL = "[channels.email]\n"  # deferrable


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "240"}).invoke(main, list(args))
    return result.exit_code, result.output


def with_lines(tmp_path: Path, section: str, lines: str) -> Path:
    """The default scenario with ``lines`` at the top of ``section``."""
    text = DEFAULT.read_text()
    assert section in text, section
    path = tmp_path / "s.toml"
    path.write_text(text.replace(section, section + lines, 1))
    return path


def weights(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


@pytest.mark.parametrize("minutes", PROFILE_MINUTES)
def test_every_divisor_of_the_hour_takes_one_weight_per_interval(
    tmp_path: Path, minutes: int
) -> None:
    n = 1440 // minutes
    lines = f"intraday_profile_minutes = {minutes}\nintraday_profile = {weights([1.0] * n)}\n"
    phone = load_scenario(str(with_lines(tmp_path, PHONE, lines))).program.channels["phone"]
    assert phone.intraday_profile_minutes == minutes and len(phone.intraday_profile or []) == n


def test_the_resolution_defaults_to_an_hour() -> None:
    for channel in load_scenario().program.channels.values():
        assert channel.intraday_profile_minutes == 60


BAD = [
    # (section, lines, the key the line names, fragments of the rule and value)
    (
        PHONE,
        "intraday_profile_minutes = 7\n",
        "channels.phone.intraday_profile_minutes",
        ["must divide the hour", "1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60", "(got 7)"],
    ),
    (
        PHONE,
        "intraday_profile_minutes = 0\n",
        "channels.phone.intraday_profile_minutes",
        ["must divide the hour", "(got 0)"],
    ),
    (
        PHONE,
        "intraday_profile_minutes = 120\n",
        "channels.phone.intraday_profile_minutes",
        ["must divide the hour", "(got 120)"],
    ),
    (
        PHONE,
        f"intraday_profile_minutes = 15\nintraday_profile = {weights([1.0] * 24)}\n",
        "channels.phone.intraday_profile",
        ["must hold 96 weights", "one per 15 minutes", "(got 24 weights)"],
    ),
    (
        EMAIL,
        f"intraday_profile = {weights([1.0] * 288)}\n",
        "channels.email.intraday_profile",
        ["must hold 24 weights", "intraday_profile_minutes = 60", "(got 288 weights)"],
    ),
    (
        PHONE,
        f"intraday_profile_minutes = 30\nintraday_profile = {weights([-1.0] + [1.0] * 47)}\n",
        "channels.phone.intraday_profile",
        ["must be ≥ 0 with a positive sum", "min -1"],
    ),
    (
        EMAIL,
        f"intraday_profile_minutes = 30\nintraday_profile = {weights([0.0] * 48)}\n",
        "channels.email.intraday_profile",
        ["must be ≥ 0 with a positive sum", "sum 0"],
    ),
    (
        PHONE,
        "intraday_profile_minutes = 5\n",
        "channels.phone",
        ["intraday_profile_minutes = 5 is the resolution of intraday_profile", "missing"],
    ),
    (
        # Weight only 06:00-08:00 on a phone line open 08:00-20:00: nobody could call.
        PHONE,
        "intraday_profile_minutes = 30\n"
        f"intraday_profile = {weights([0.0] * 12 + [1.0] * 4 + [0.0] * 32)}\n",
        "channels.phone",
        ["only receives contacts while open", "from 08:00 to 20:00", "positive sum (got 0)"],
    ),
]


@pytest.mark.parametrize(("section", "lines", "key", "fragments"), BAD)
def test_a_bad_profile_is_one_line_naming_key_rule_and_value(
    tmp_path: Path, section: str, lines: str, key: str, fragments: list[str]
) -> None:
    path = with_lines(tmp_path, section, lines)
    code, out = invoke("validate", str(path))
    assert code == 2, out
    assert "Traceback" not in out
    (line,) = out.strip().splitlines()
    assert line.startswith(f"error: {path}: {key}: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)


def test_a_deferrable_channel_may_weigh_the_hours_it_is_closed(tmp_path: Path) -> None:
    """Email arrives around the clock: weight only at night is a valid profile."""
    night = weights([1.0] * 12 + [0.0] * 84)
    path = with_lines(
        tmp_path, EMAIL, f"intraday_profile_minutes = 15\nintraday_profile = {night}\n"
    )
    code, out = invoke("validate", str(path))
    assert code == 0, out


def test_set_changes_the_resolution_and_is_validated_like_the_file() -> None:
    profile = weights([1.0] * 96)
    loaded = load_scenario(
        overrides=[
            "channels.phone.intraday_profile_minutes=15",
            f"channels.phone.intraday_profile={profile}",
        ]
    )
    assert loaded.program.channels["phone"].intraday_profile_minutes == 15
    code, out = invoke(
        "validate", str(DEFAULT), "--set", "channels.phone.intraday_profile_minutes=15"
    )
    assert code == 2 and "intraday_profile_minutes = 15 is the resolution" in out, out


def test_the_schema_documents_the_resolution() -> None:
    code, out = invoke("schema")
    assert code == 0
    channel = json.loads(out)["$defs"]["ChannelSpec"]["properties"]
    assert channel["intraday_profile_minutes"]["default"] == 60
    assert "divisor of 60" in channel["intraday_profile_minutes"]["description"]
    assert "one per interval" in channel["intraday_profile"]["description"]


def test_the_starter_scenarios_profile_example_validates_once_uncommented(tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    assert invoke("init", str(target))[0] == 0
    lines = target.read_text().splitlines()
    start = lines.index("# intraday_profile_minutes = 30")
    end = lines.index("# ]", start)
    lines[start : end + 1] = [line.removeprefix("# ") for line in lines[start : end + 1]]
    target.write_text("\n".join(lines) + "\n")
    code, out = invoke("validate", str(target))
    assert code == 0, out
    phone = load_scenario(str(target)).program.channels["phone"]
    assert phone.intraday_profile_minutes == 30 and len(phone.intraday_profile or []) == 48


def test_the_readme_example_is_a_valid_fifteen_minute_profile(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    at = readme.index("intraday_profile_minutes = 15\n")
    block = readme[readme.rindex("```toml", 0, at) + len("```toml") : readme.index("```", at)]
    body = block.split(PHONE, 1)[1]
    code, out = invoke("validate", str(with_lines(tmp_path, PHONE, body)))
    assert code == 0, out
    phone = load_scenario(str(tmp_path / "s.toml")).program.channels["phone"]
    assert phone.intraday_profile_minutes == 15 and len(phone.intraday_profile or []) == 96
