"""The calibrated scenario writer: the base file with fitted keys replaced, validated, atomic.

The edits here are built by hand (the fits have tests of their own); what is tested is the file:
every fitted key carries its source, every other line and comment of the base survives, the
result loads with the project's loader, an inline baseline that overrides a fitted key gets it
too, orderings lose fitted keys, and a refused result leaves nothing behind.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest
import tomlkit
from hypothesis import given, settings
from hypothesis import strategies as st

from simroi.analysis.calibrated_scenario import (
    ScenarioEdit,
    toml_value,
    write_calibrated_scenario,
)
from simroi.errors import OutputError, ScenarioError
from simroi.scenario.distributions import Beta, Normal
from simroi.scenario.load import resolve_scenario_path

SOURCE = "calls.csv, 8,064 rows, 2003-01-01 to 2003-06-30; maximum likelihood; n=41,022"
HANDLE = {"dist": "normal", "mean": 6.2, "sd": 0.15, "low": 0.01}
FCR = {"dist": "beta", "mean": 0.7, "sd": 0.01}


def _default_text() -> str:
    return resolve_scenario_path(None).read_text(encoding="utf-8")


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def test_fitted_keys_carry_their_source_and_the_file_loads(tmp_path: Path) -> None:
    out = tmp_path / "calibrated.toml"
    profile = [0.0] * 8 + [1.0 / 12] * 12 + [0.0] * 4
    edits = [
        ScenarioEdit("channels.phone.handle_time_minutes", HANDLE, SOURCE),
        ScenarioEdit("channels.email.fcr", FCR, "mail.csv; share resolved"),
        ScenarioEdit("channels.phone.intraday_profile", profile, "calls.csv; mean shares"),
        ScenarioEdit("channels.phone.patience_dist", "weibull", "calls.csv; least AIC"),
        ScenarioEdit(
            "channels.phone.hours",
            {"open": "08:00", "close": "20:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
            "calls.csv; first to last interval",
        ),
    ]
    written = write_calibrated_scenario(None, edits, out, name="default calibrated")

    assert written.loaded.name == "default calibrated"
    assert written.loaded.baseline is not None
    assert written.loaded.baseline.scenario.name == "default baseline"
    phone = written.loaded.program.channels["phone"]
    assert isinstance(phone.handle_time_minutes, Normal)
    assert phone.handle_time_minutes.mean() == pytest.approx(6.2, rel=1e-3)
    assert phone.handle_time_minutes.source == SOURCE
    assert phone.patience_dist == "weibull"
    assert phone.hours.days == ["mon", "tue", "wed", "thu", "fri"]
    assert phone.intraday_profile == pytest.approx(profile, rel=1e-5)
    email = written.loaded.program.channels["email"]
    assert isinstance(email.fcr, Beta) and email.fcr.source == "mail.csv; share resolved"
    # Values that cannot hold a source field carry it as the comment after them.
    doc = tomlkit.parse(out.read_text(encoding="utf-8"))
    for key in ("intraday_profile", "patience_dist", "hours"):
        assert "fitted: calls.csv" in doc["channels"]["phone"][key].trivia.comment
    # The baseline shares the program's channels, so it has the fitted values too.
    assert written.loaded.baseline is not None
    assert (
        written.loaded.baseline.channels["phone"].handle_time_minutes == phone.handle_time_minutes
    )
    assert written.baseline_keys == ()


def test_every_comment_of_the_base_survives(tmp_path: Path) -> None:
    out = tmp_path / "calibrated.toml"
    edits = [
        ScenarioEdit("channels.phone.handle_time_minutes", HANDLE, SOURCE),
        ScenarioEdit("channels.social.weekday_factors", [1.0] * 7, "posts.csv; means"),
        ScenarioEdit("channels.phone.handle_time_cv", {"dist": "normal", "mean": 0.9, "sd": 0.02,
                                                        "low": 0.01, "high": 10}, "calls.csv"),
        ScenarioEdit("channels.social.busyness_cv", {"dist": "normal", "mean": 0.1, "sd": 0.02,
                                                      "low": 0.0, "high": 2.0}, "posts.csv"),
    ]  # fmt: skip
    write_calibrated_scenario(None, edits, out, header=["Calibrated from calls.csv", ""])
    base, written = _default_text(), out.read_text(encoding="utf-8")
    # Only the comments after a replaced value go (they described the assumption it replaces).
    replaced = {
        line.split("#", 1)[1].strip()
        for line in base.splitlines()
        if line.startswith(("handle_time_minutes", "handle_time_cv", "busyness_cv"))
        and "#" in line.split("}")[-1]
    }
    kept = [c for c in _comments(base) if c.lstrip("# ") not in replaced]
    assert all(c in written for c in kept)
    # A replaced value does not keep the comment of the assumption it replaces.
    (line,) = [ln for ln in written.splitlines() if ln.startswith("handle_time_cv = { dist")]
    assert line.endswith("}") and "ASSUMPTION" not in line
    assert written.startswith("# Calibrated from calls.csv\n#\n")
    # A key the base lacks goes after the channel's last key, above the comment block that
    # introduces [[channels.social.response_value]].
    social = written[written.index("[channels.social]") :]
    assert social.index("weekday_factors") < social.index("# The value of response time")


def test_a_baseline_override_of_a_fitted_key_gets_the_fitted_value(tmp_path: Path) -> None:
    base = tmp_path / "base.toml"
    base.write_text(
        _default_text().replace(
            "[baseline.channels.social]\nagents = 0",
            "[baseline.channels.social]\nagents = 0\nhandle_time_minutes = 4.0",
        ),
        encoding="utf-8",
    )
    edit = ScenarioEdit("channels.social.handle_time_minutes", HANDLE, "posts.csv; MLE")
    written = write_calibrated_scenario(base, [edit], tmp_path / "out.toml")
    assert written.baseline_keys == ("channels.social.handle_time_minutes",)
    assert written.loaded.baseline is not None
    fitted = written.loaded.program.channels["social"].handle_time_minutes
    assert written.loaded.baseline.channels["social"].handle_time_minutes == fitted
    assert written.loaded.baseline.channels["social"].agents == 0


def test_fitted_keys_leave_orderings_with_the_comment_above_them(tmp_path: Path) -> None:
    out = tmp_path / "calibrated.toml"
    edits = [ScenarioEdit("channels.phone.fcr", FCR, "calls.csv; share resolved")]
    written = write_calibrated_scenario(None, edits, out)
    assert len(written.unlinked) == 1 and "channels.phone.fcr" in written.unlinked[0]
    orderings = written.loaded.program.orderings
    assert all("channels.phone.fcr" not in o.inputs for o in orderings)
    assert len(orderings) == len(tomllib.loads(_default_text())["orderings"]) - 1
    text = out.read_text(encoding="utf-8")
    assert "Email's first-contact resolution" not in text
    # The next group's comment still sits right above that group.
    after = text[text.index("# The social curve") :]
    assert after.splitlines()[1] == "[[orderings]]"
    assert "response_value.2.spend_uplift" in after.splitlines()[2]


def test_a_baseline_file_is_referred_to_from_the_output_folder(tmp_path: Path) -> None:
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    dst.mkdir()
    data = tomllib.loads(_default_text())
    text = _default_text().split("[baseline]")[0]
    (src / "program.toml").write_text(
        text.replace('name = "default"', 'name = "default"\nbaseline = "base.toml"'),
        encoding="utf-8",
    )
    (src / "base.toml").write_text(text.replace('"default"', '"base"'), encoding="utf-8")
    assert "baseline" in data
    edit = ScenarioEdit("channels.phone.handle_time_minutes", HANDLE, SOURCE)
    written = write_calibrated_scenario(src / "program.toml", [edit], dst / "cal.toml")
    assert written.baseline_file == str(Path("..") / "in" / "base.toml")
    assert written.loaded.baseline is not None
    assert written.loaded.baseline.scenario.name == "base"


def test_an_invalid_result_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "calibrated.toml"
    out.write_text("previous", encoding="utf-8")
    bad = {"dist": "beta", "mean": 1.5, "sd": 0.01}
    with pytest.raises(ScenarioError) as caught:
        write_calibrated_scenario(None, [ScenarioEdit("channels.phone.fcr", bad, "x")], out)
    assert len(caught.value.problems) == 1
    line = caught.value.problems[0]
    assert str(out) in line and "channels.phone.fcr" in line and "nothing written" in line
    assert out.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calibrated.toml"]


def test_a_channel_the_scenario_lacks_is_refused(tmp_path: Path) -> None:
    edit = ScenarioEdit("channels.chat.handle_time_minutes", HANDLE, SOURCE)
    with pytest.raises(ScenarioError, match=r"no channel 'chat'.*phone, email, social"):
        write_calibrated_scenario(None, [edit], tmp_path / "out.toml")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_output_folder_is_an_output_error(tmp_path: Path) -> None:
    edit = ScenarioEdit("channels.phone.handle_time_minutes", HANDLE, SOURCE)
    with pytest.raises(OutputError, match="does not exist"):
        write_calibrated_scenario(None, [edit], tmp_path / "nowhere" / "out.toml")


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_numbers_are_written_to_six_significant_digits(x: float) -> None:
    read = tomllib.loads(f"v = {toml_value(x)}")["v"]
    assert math.isclose(read, x, rel_tol=5e-6, abs_tol=0.0) or read == x


@given(st.text())
def test_strings_are_written_exactly(s: str) -> None:
    assert tomllib.loads(f"v = {toml_value(s)}")["v"] == s


def test_a_long_list_is_wrapped_and_reads_back() -> None:
    values = [i / 287 for i in range(288)]
    text = toml_value(values)
    assert text.count("\n") == 288 // 12 + 1
    assert tomllib.loads(f"v = {text}")["v"] == pytest.approx(values, rel=5e-6)


def test_a_truncation_far_in_the_tail_still_loads(tmp_path: Path) -> None:
    # 68 sd above the limit: the loader's ppf(0) = mean + a·sd loses its last bits there.
    patience = {"dist": "normal", "mean": 3.07448, "sd": 0.0448251, "low": 1e-6}
    edit = ScenarioEdit("channels.phone.patience_minutes", patience, "calls.csv; MLE")
    written = write_calibrated_scenario(None, [edit], tmp_path / "out.toml")
    value = written.loaded.program.channels["phone"].patience_minutes
    assert isinstance(value, Normal)
    assert float(value.ppf([0.0])[0]) > 1e-6 and value.mean() == pytest.approx(3.07448)


def test_a_five_minute_profile_is_written_and_loads(tmp_path: Path) -> None:
    profile = [0.0] * 96 + [1.0 / 144] * 144 + [0.0] * 48  # 08:00-20:00 in 5-minute steps
    edits = [
        ScenarioEdit("channels.phone.intraday_profile_minutes", 5, "calls.csv; interval length"),
        ScenarioEdit("channels.phone.intraday_profile", profile, "calls.csv; mean shares"),
    ]
    written = write_calibrated_scenario(None, edits, tmp_path / "out.toml")
    phone = written.loaded.program.channels["phone"]
    assert phone.intraday_profile_minutes == 5
    assert phone.intraday_profile == pytest.approx(profile, rel=1e-5)


@settings(max_examples=15, deadline=None)
@given(
    mean=st.floats(min_value=0.02, max_value=0.98),
    rel_sd=st.floats(min_value=1e-4, max_value=0.2),
    minutes=st.floats(min_value=0.05, max_value=600.0),
    rel_se=st.floats(min_value=1e-5, max_value=0.3),
)
def test_fitted_forms_read_back_as_written(
    tmp_path_factory: pytest.TempPathFactory, mean: float, rel_sd: float, minutes: float,
    rel_se: float,
) -> None:  # fmt: skip
    sd = rel_sd * math.sqrt(mean * (1 - mean))  # below the largest sd a beta of this mean has
    handle = {"dist": "normal", "mean": minutes, "sd": minutes * rel_se, "low": 1e-6}
    edits = [
        ScenarioEdit("channels.email.fcr", {"dist": "beta", "mean": mean, "sd": sd}, "a.csv"),
        ScenarioEdit("channels.email.handle_time_minutes", handle, "a.csv"),
    ]
    out = tmp_path_factory.mktemp("forms") / "out.toml"
    email = write_calibrated_scenario(None, edits, out).loaded.program.channels["email"]
    assert email.fcr.mean() == pytest.approx(mean, rel=1e-5)
    # The parent normal's mean (the truncated one's moves when the truncation bites).
    assert isinstance(email.handle_time_minutes, Normal)
    assert email.handle_time_minutes.mean_value == pytest.approx(minutes, rel=1e-5)
