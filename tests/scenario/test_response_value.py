"""``[[channels.<name>.response_value]]``: the curve's rules, its inputs, its overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import simroi
from simroi.cli.app import main
from simroi.errors import ScenarioError
from simroi.scenario.load import bundled_scenarios, load_scenario
from simroi.scenario.spec import assumptions

DEFAULT = bundled_scenarios()["default"]
BAND = "channels.social.response_value"


def _validate(tmp_path: Path, old: str, new: str) -> tuple[int, list[str]]:
    text = DEFAULT.read_text()
    assert text.count(old) == 1, old
    path = tmp_path / "curve.toml"
    path.write_text(text.replace(old, new))
    result = CliRunner(env={"COLUMNS": "240"}).invoke(main, ["validate", str(path)])
    lines = result.output.strip().splitlines()
    assert "Traceback" not in result.output
    assert all(line.startswith(f"error: {path}: ") for line in lines), result.output
    assert all(line.count("(got ") <= 1 for line in lines), result.output  # the value, once
    return result.exit_code, lines


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [
        (
            "within_minutes = 60 ",
            "within_minutes = 6 ",
            [
                f"{BAND}: band 1's within_minutes must be greater",
                "bands fastest first (got 6 after 6)",
            ],
        ),
        (
            "# Later than an hour, until ignore_after_hours.",
            "within_minutes = 120",
            [f"{BAND}: band 2, the last, must omit within_minutes", "(got within_minutes = 120)"],
        ),
        (
            "within_minutes = 6             #",
            "#",
            [
                f"{BAND}: band 0 must give within_minutes: only the last band is open-ended",
                "(got none)",
            ],
        ),
        (
            "within_minutes = 6             #",
            "within_minutes = -6             #",
            [f"{BAND}.0.within_minutes: must be > 0", "(got -6)"],
        ),
        (
            "churn_multiplier = 1.0         # as a fast",
            "churn_multiplier = 0.9         # as a fast",
            [f"{BAND}.1.churn_multiplier: must be ≥ 1", "(got 0.9)"],
        ),
        (
            'positive_share = { dist = "triangular", low = 0.0, mode = 0.1, high = 0.3,',
            'positive_share = { dist = "triangular", low = 0.0, mode = 0.1, high = 1.3,',
            [f"{BAND}.2.positive_share: must be a probability in [0, 1]", "support [0, 1.3]"],
        ),
        (
            "within_minutes = 6             #",
            "within_minute = 6             #",
            [f"{BAND}.0.within_minute: unknown key; did you mean 'within_minutes'?"],
        ),
    ],
)
def test_a_bad_curve_is_one_line_naming_the_key_the_rule_and_the_value(
    tmp_path: Path, old: str, new: str, fragments: list[str]
) -> None:
    code, lines = _validate(tmp_path, old, new)
    assert code == 2
    text = "\n".join(lines)
    for fragment in fragments:
        assert fragment in text, (fragment, text)


def test_an_empty_curve_is_refused() -> None:
    with pytest.raises(
        ScenarioError, match=f"override {BAND}: must have at least 1 item \\(got \\[\\]\\)"
    ):
        load_scenario(overrides=[f"{BAND}=[]"])


def test_inputs_lists_every_uncertain_band_value_with_its_source() -> None:
    rows = {row["input"]: row for row in assumptions(load_scenario().program)}
    for band, value in [(0, "spend_uplift"), (1, "positive_share"), (2, "churn_multiplier")]:
        row = rows[f"{BAND}.{band}.{value}"]
        assert row["source"] and row["p05"] <= row["p50"] <= row["p95"]
    assert f"{BAND}.0.churn_multiplier" not in rows  # a fixed 1.0 is not uncertain
    assert "experience.spend_uplift_resolved_fast" not in rows  # the curve replaces it


def test_a_band_value_can_be_set_and_reaches_the_baseline() -> None:
    loaded = load_scenario(overrides=[f"{BAND}.2.spend_uplift=0.0"])
    for world in (loaded.program, loaded.baseline):
        assert world is not None
        curve = world.channels["social"].response_value or []
        assert curve[2].spend_uplift == 0.0
        assert world.channels["social"].band_edges_seconds == (360.0, 3600.0)


def test_a_set_value_that_breaks_the_curves_order_is_refused() -> None:
    """The default orders its bands' spend uplifts: a fixed value out of that order is named."""
    with pytest.raises(
        ScenarioError, match=f"{BAND}.2.spend_uplift must be ≤ {BAND}.1.spend_uplift"
    ):
        load_scenario(overrides=[f"{BAND}.2.spend_uplift=0.03"])


def test_the_readme_curve_and_the_starter_curve_load(tmp_path: Path) -> None:
    """The README's example curve, and the starter's commented one uncommented, are valid."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```toml\n(.*?)^```", readme, re.DOTALL | re.MULTILINE)
    (example,) = [b for b in blocks if "[[channels.social.response_value]]" in b]
    starter = (Path(simroi.__file__).parent / "starter.toml").read_text(encoding="utf-8")
    commented = re.findall(
        r"^# (\[\[channels.social.response_value\]\]\n(?:# .*\n)*)", starter, re.M
    )
    assert len(commented) == 1
    uncommented = re.sub(r"^# ", "", commented[0], flags=re.M)
    for curve, edges in ((example, (360.0, 3600.0)), (uncommented, (3600.0,))):
        path = tmp_path / "with-curve.toml"
        path.write_text(starter + "\n" + curve)
        social = load_scenario(path).program.channels["social"]
        assert social.band_edges_seconds == edges
