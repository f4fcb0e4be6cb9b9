"""``simroi calibrate`` end to end: sample data simulated with the real engine → calibrate → the
fitted inputs against the truth the data was simulated from → the written scenario runs.

``simroi sample-data`` records in ``truth.json`` the one trial's draw of every input it
simulated. Each fitted input must lie within its own uncertainty of that truth: the 90 %
interval widened to 99.9 % (× 3.29 / 1.645), since a single seed checks over a dozen inputs at
once (the 90 % coverage over many seeds is tested beside the fits, in ``tests/data``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from simroi.cli.app import main
from simroi.randomness import Streams
from simroi.scenario.load import load_scenario
from simroi.scenario.quantity import as_distribution

WIDEN = 3.2905 / 1.6449
FILES = ("intervals.csv", "contacts.csv", "customers.csv")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    result = CliRunner().invoke(
        main, ["sample-data", str(folder), "--days", "28", "--customers", "4000"]
    )
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def calibrated(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, Path]:
    folder = tmp_path_factory.mktemp("calibrated")
    out, plots = folder / "calibrated.toml", folder / "plots"
    args = ["calibrate", *(str(sample / f) for f in FILES), "--out", str(out), "--json",
            "--plots", str(plots)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), out, plots


def _fitted(report: dict, key: str) -> dict[str, Any]:
    return next(f for f in report["fitted"] if f["key"] == key)


def _near(fit: dict[str, Any], truth: float) -> bool:
    low, high = fit["interval90"]
    return abs(fit["value"] - truth) <= (high - low) / 2 * WIDEN


def test_each_fitted_input_lies_within_its_uncertainty_of_the_truth(
    sample: Path, calibrated: tuple[dict, Path, Path]
) -> None:
    report, out, _ = calibrated
    truth = json.loads((sample / "truth.json").read_text(encoding="utf-8"))
    program = load_scenario(out).program
    checked = 0
    for channel, t in truth["channels"].items():
        spec = program.channels[channel]
        # Handle time as observed per contact: the scenario's, times the concurrency slowdown.
        slowdown = spec.concurrency ** (1 - as_distribution(spec.concurrency_speedup_alpha).mean())
        handle = dict(_fitted(report, f"channels.{channel}.handle_time_minutes"))
        handle["value"] *= slowdown
        handle["interval90"] = [x * slowdown for x in handle["interval90"]]
        expected = {
            "handle_time_minutes": (handle, t["handle_mean_seconds"] / 60),
            "handle_time_cv": (_fitted(report, f"channels.{channel}.handle_time_cv"),
                               t["handle_cv"]),
            "fcr": (_fitted(report, f"channels.{channel}.fcr"), t["fcr"]),
            "busyness_cv": (_fitted(report, f"channels.{channel}.busyness_cv"),
                            t["busyness_cv"]),
        }  # fmt: skip
        if t["kind"] == "realtime":
            patience = _fitted(report, f"channels.{channel}.patience_minutes")
            expected["patience_minutes"] = (patience, t["patience_mean_seconds"] / 60)
        if t["public_share"] > 0:
            public = _fitted(report, f"channels.{channel}.public_share")
            expected["public_share"] = (public, t["public_share"])
        else:  # no public contact, none in the scenario: nothing written (its posterior was)
            assert f"channels.{channel}.public_share" not in {f["key"] for f in report["fitted"]}
        # The data's offered holds first contacts, repeats and retries, as a real export's; the
        # fit splits off the repeats and retries the model adds, leaving the first-contact rate.
        rate = dict(_fitted(report, f"channels.{channel}.contacts_per_customer_per_year"))
        per_day = report["customers"] / 365.25
        rate["value"] *= per_day
        rate["interval90"] = [x * per_day for x in rate["interval90"]]
        expected["contacts_per_day"] = (rate, t["contacts_per_day"])
        for name, (fit, value) in expected.items():
            assert _near(fit, value), (channel, name, fit["value"], fit["interval90"], value)
            checked += 1
    multipliers = truth["customers"]["churn_multipliers"]
    for fit in report["fitted"]:
        name = fit["key"].removeprefix("experience.churn_multiplier_")
        if name != fit["key"]:
            assert _near(fit, multipliers[name]), (name, fit["value"], fit["interval90"])
            checked += 1
    assert checked >= 20


def test_the_written_scenario_loads_and_runs(calibrated: tuple[dict, Path, Path]) -> None:
    _, out, _ = calibrated
    args = ["run", str(out), "--trials", "4", "--seed", "1",
            "--set", "scenario.horizon_months=1", "--json"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "roi" in json.loads(result.stdout)


def test_json_holds_the_report(calibrated: tuple[dict, Path, Path]) -> None:
    report, out, plots = calibrated
    assert report["scenario"]["written"] == str(out)
    assert [Path(d["file"]).name for d in report["data"]] == list(FILES)
    assert {"fitted", "not_fitted", "churn", "outliers", "notes", "plots"} <= set(report)
    for fit in report["fitted"]:
        assert {"key", "value", "interval90", "method", "n", "source"} <= set(fit)
        assert fit["source"].startswith(Path(fit["source"].split(",")[0]).name)
    classes = {c["experience"]: c for c in report["churn"]["classes"]}
    assert classes["none"]["multiplier"] is None and classes["none"]["customers"] > 0
    assert "observational" in report["churn"]["note"]
    assert sorted(Path(p).name for p in report["plots"]) == sorted(p.name for p in plots.iterdir())


def test_plots_a_planner_recognises_are_written(calibrated: tuple[dict, Path, Path]) -> None:
    _, _, plots = calibrated
    names = {p.name for p in plots.iterdir()}
    assert {"phone-intraday.png", "phone-daily.png", "phone-patience.png"} <= names
    assert {"email-intraday.png", "social-daily.png"} <= names
    for path in plots.iterdir():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_report_prints_tables_counts_and_notes(sample: Path, tmp_path: Path) -> None:
    args = ["calibrate", str(sample / "contacts.csv"), str(sample / "customers.csv"),
            "--out", str(tmp_path / "c.toml"), "--customers", "500000"]  # fmt: skip
    result = CliRunner().invoke(main, args, env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    for expected in ("channels.phone", "handle_time_minutes", "90% interval", "method",
                     "customers: churn by experience class", "observational",
                     "customers: 500,000 (given)", f"Wrote {tmp_path / 'c.toml'}"):  # fmt: skip
        assert expected in text, expected
    assert load_scenario(tmp_path / "c.toml").program.customers.active_customers == 500_000


def test_too_few_customers_for_the_data_is_one_line_and_nothing_is_written(
    sample: Path, tmp_path: Path
) -> None:
    out = tmp_path / "c.toml"
    args = ["calibrate", str(sample / "contacts.csv"), "--out", str(out), "--customers", "10"]
    result = CliRunner().invoke(main, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: --customers must be at least the ")
    assert "customers (distinct customer_id) with a contact on " in line and "(got 10)" in line
    assert not out.exists()


def test_fewer_customers_than_a_days_contacts_is_refused_without_a_contact_log(
    sample: Path, tmp_path: Path
) -> None:
    """With an interval report alone, --customers 5 wrote 38,129 calls per customer a year: a
    scenario that validated and could not be staffed. A count below one day's contacts (each
    customer contacting more than once a day, all year) is refused."""
    out = tmp_path / "c.toml"
    args = ["calibrate", str(sample / "intervals.csv"), "--out", str(out), "--customers", "5"]
    result = CliRunner().invoke(main, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: --customers must be at least the ") and "(got 5)" in line
    assert "contacts offered on " in line and "intervals.csv" in line
    assert not out.exists()


def test_a_channel_the_scenario_lacks_is_refused_and_nothing_is_written(
    sample: Path, tmp_path: Path
) -> None:
    chat = tmp_path / "chat.csv"
    chat.write_text(
        (sample / "contacts.csv").read_text(encoding="utf-8").replace(",social,", ",chat,"),
        encoding="utf-8",
    )
    out, plots = tmp_path / "calibrated.toml", tmp_path / "plots"
    args = ["calibrate", str(chat), "--out", str(out), "--plots", str(plots)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "channel 'chat'" in line and "phone, email, social" in line and str(chat) in line
    assert not out.exists()
    assert list(plots.iterdir()) == []


def test_an_invalid_base_scenario_is_refused_before_writing(sample: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("schema_version = 1\n[scenario]\nname = 'x'\n", encoding="utf-8")
    out = tmp_path / "calibrated.toml"
    args = ["calibrate", str(sample / "intervals.csv"), "--into", str(bad), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert all(line.startswith("error: ") for line in result.stderr.splitlines())
    assert not out.exists()


def _two_weeks_hourly(header: str, row: Callable[[int, int], str]) -> str:
    """A file of hourly rows 08:00-20:00 from 3 March 2025 for 14 days: ``row(day, hour)``."""
    return "\n".join([header, *(row(d, h) for d in range(14) for h in range(8, 20))]) + "\n"


def test_mapped_columns_and_a_named_channel(tmp_path: Path) -> None:
    report = tmp_path / "queue.csv"
    text = _two_weeks_hourly(
        "DateTime;Calls", lambda d, h: f"2025-03-{3 + d:02d} {h:02d}:00;{20 + (d * 7 + h) % 11}"
    )
    report.write_text(text, encoding="utf-8")
    out = tmp_path / "calibrated.toml"
    args = ["calibrate", str(report), "--columns", "interval_start=DateTime,offered=Calls",
            "--channel", "phone", "--out", str(out), "--json"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    keys = {f["key"] for f in json.loads(result.stdout)["fitted"]}
    assert "channels.phone.intraday_profile" in keys
    assert "channels.phone.contacts_per_customer_per_year" in keys
    assert load_scenario(out).program.channels["phone"].intraday_profile_minutes == 60


def test_a_windows_spreadsheet_export_reads_with_its_encoding(tmp_path: Path) -> None:
    report = tmp_path / "queue.csv"
    text = _two_weeks_hourly(
        "Datum;Anrufe;Team",
        lambda d, h: f"{3 + d:02d}.03.2025 {h:02d}:00;{20 + (d * 7 + h) % 11};Müller",
    )
    report.write_bytes(text.encode("cp1252"))
    out = tmp_path / "calibrated.toml"
    args = ["calibrate", str(report), "--columns", "interval_start=Datum,offered=Anrufe",
            "--channel", "phone", "--out", str(out)]  # fmt: skip
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2 and not out.exists()
    assert refused.stderr == (
        f"error: {report} line 2: not UTF-8 text (byte 0xfc); give the file's encoding with "
        "--encoding (cp1252 for a spreadsheet saved on Windows in Western Europe) or save it as "
        "UTF-8\n"
    )
    result = CliRunner().invoke(main, [*args, "--encoding", "cp1252"])
    assert result.exit_code == 0, result.output
    assert load_scenario(out).program.channels["phone"].intraday_profile_minutes == 60


def test_a_utc_export_is_fitted_on_the_centres_clock_with_its_time_zone(tmp_path: Path) -> None:
    # A New York line open 08:00-20:00, exported in UTC: read as written it is open from 13:00
    # to 01:00 and was fitted as open around the clock; with --timezone, 08:00-20:00.
    report = tmp_path / "utc.csv"
    rows = ["interval_start,offered"]
    for day in range(6, 20):
        for slot in range(48):  # 08:00-20:00 EST in 15-minute intervals, as UTC
            utc = np.datetime64(f"2025-01-{day:02d}T13:00") + np.timedelta64(15 * slot, "m")
            rows.append(f"{utc}Z,{20 + (day + slot) % 7}")
    report.write_text("\n".join(rows) + "\n", encoding="utf-8")
    hours = {}
    for zone in (None, "America/New_York"):
        out = tmp_path / f"{zone is None}.toml"
        args = ["calibrate", str(report), "--channel", "phone", "--out", str(out)]
        result = CliRunner().invoke(main, [*args, *(["--timezone", zone] if zone else [])])
        assert result.exit_code == 0, result.output
        phone = load_scenario(out).program.channels["phone"]
        hours[zone] = (phone.hours.open, phone.hours.close)
        # Read on the UTC clock, the report says so and names the option.
        noted = "utc.csv: its times are marked UTC and were fitted on that clock" in result.output
        assert noted == (zone is None)
        assert ("(--timezone)" in result.output) == (zone is None)
        # The written sources say which clock the file was read on.
        read_as = "UTC read as America/New_York standard time" in out.read_text(encoding="utf-8")
        assert read_as == (zone is not None)
    assert hours == {None: ("00:00", "24:00"), "America/New_York": ("08:00", "20:00")}
    as_json = CliRunner().invoke(main, [*args, "--json", "--out", str(tmp_path / "j.toml")])
    (note,) = [n for n in json.loads(as_json.stdout)["notes"] if "marked UTC" in n]
    assert "(--timezone)" in note  # worded for the command line, as the table's


def test_help_names_the_three_formats() -> None:
    text = CliRunner().invoke(main, ["calibrate", "--help"]).output
    for word in ("interval reports", "contact logs", "customer outcomes", "--customers",
                 "--into", "--plots", "--columns", "censoring"):  # fmt: skip
        assert word in text, word


def test_an_outlier_day_is_listed_in_the_report_and_json(tmp_path: Path) -> None:
    rng = Streams(3, 0).rng("outlier")
    report = tmp_path / "phone.csv"
    rows = ["interval_start,channel,offered"]
    spike = 9  # 2025-03-12, a Wednesday, four times its usual volume
    for day in range(56):  # eight of each weekday: four are too few to tell a spike from noise
        for hour in range(8, 20):
            count = rng.poisson(40 * (4 if day == spike else 1))
            date = np.datetime64("2025-03-03") + np.timedelta64(day, "D")
            rows.append(f"{date} {hour:02d}:00,phone,{count}")
    report.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ["calibrate", str(report), "--out", str(tmp_path / "c.toml")]
    printed = CliRunner().invoke(main, args, terminal_width=160)
    assert printed.exit_code == 0, printed.output
    assert "Outlier days, phone" in printed.stdout and "2025-03-12" in printed.stdout
    result = CliRunner().invoke(main, [*args, "--json"])
    assert json.loads(result.stdout)["outliers"] == {"phone": ["2025-03-12"]}


def test_from_and_to_fit_on_the_days_asked_for(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "first-week.toml"
    args = ["calibrate", str(sample / "intervals.csv"), "--to", "2025-01-12", "--out", str(out),
            "--json"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    level = _fitted(report, "channels.phone.contacts_per_customer_per_year")
    assert level["n"] == 7  # days 2025-01-06 to 2025-01-12
    assert "2025-01-06 to 2025-01-12" in level["source"]
    assert "to 2025-01-12" in out.read_text(encoding="utf-8")


def test_from_after_to_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    out = tmp_path / "never.toml"
    args = ["calibrate", str(tmp_path / "missing.csv"), "--from", "2025-02-01", "--to",
            "2025-01-01", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --from 2025-02-01 is after --to 2025-01-01"
    assert not out.exists()


def test_at_80_columns_the_methods_go_under_the_table_and_values_stay_whole(
    sample: Path, tmp_path: Path
) -> None:
    args = ["calibrate", str(sample / "contacts.csv"), str(sample / "customers.csv"),
            "--out", str(tmp_path / "c.toml")]  # fmt: skip
    result = CliRunner().invoke(main, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout  # nothing cut short
    assert not any(line.split()[-1:] == ["method"] for line in lines)  # no method column
    assert "  handle_time_minutes: maximum likelihood, lognormal" in result.stdout
    churn_rows = [line for line in lines if line.startswith(("abandoned ", "unresolved "))]
    assert churn_rows and all("[" in line and "]" in line for line in churn_rows)


def test_a_stray_far_date_is_refused_in_one_line_and_a_range_leaves_it_out(
    sample: Path, tmp_path: Path
) -> None:
    """Found by fuzzing: one contact dated 9999-12-31 made calibrate bin every 15 minutes of
    8,000 years (it ran for hours). Now one line names it; --to leaves it out."""
    lines = (sample / "contacts.csv").read_text(encoding="utf-8").splitlines()
    lines[5] = "9999-12-31 23:59:59" + lines[5][len("2025-01-06 00:00:00") :]
    log = tmp_path / "contacts.csv"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.toml"
    result = CliRunner().invoke(main, ["calibrate", str(log), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        f"error: {log}, column arrived_at: the dates run 2025-01-06 to 9999-12-31 (2,912,803 "
        "days), more than 3,653 (ten years): a stray date such as 9999-12-31 or 1970-01-01? "
        "Fix it, or keep a range with --from and --to"
    ]
    assert not out.exists()
    result = CliRunner().invoke(
        main, ["calibrate", str(log), "--to", "2025-01-12", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_an_agents_column_of_zeros_leaves_the_hours_unfitted_without_a_warning(
    sample: Path, tmp_path: Path
) -> None:
    """Found by fuzzing: with no interval staffed, fitting the hours took the mean of an empty
    slice, and numpy printed a RuntimeWarning (the suite turns warnings into errors)."""
    lines = (sample / "intervals.csv").read_text(encoding="utf-8").splitlines()
    at = lines[0].split(",").index("agents")
    rows = [line.split(",") for line in lines[1:]]
    for row in rows:
        row[at] = "0"
    report = tmp_path / "intervals.csv"
    report.write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n", "utf-8")
    out = tmp_path / "out.toml"
    result = CliRunner().invoke(main, ["calibrate", str(report), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert "hours" not in {f["key"] for f in json.loads(result.stdout)["fitted"]}


def test_the_profile_and_weekday_factors_are_written_with_their_concentration(
    calibrated: tuple[dict, Path, Path],
) -> None:
    """Each channel's shares carry how sure they are: a Dirichlet concentration with its
    source, the report's interval around it, and the file validates and runs 20 trials."""
    report, out, _ = calibrated
    text = out.read_text(encoding="utf-8")
    program = load_scenario(out).program
    for channel, spec in program.channels.items():
        for key in ("intraday_profile_concentration", "weekday_factors_concentration"):
            fit = _fitted(report, f"channels.{channel}.{key}")
            low, high = fit["interval90"]
            assert 0 < low < fit["value"] < high, (channel, key)
            assert fit["written"] == fit["value"]
            assert getattr(spec, key) == pytest.approx(fit["value"], rel=1e-5)  # 6 digits
            assert "Dirichlet" in fit["method"]
        shape = (
            _fitted(report, f"channels.{channel}.patience_shape")
            if spec.kind == "realtime"
            else None
        )
        assert shape is None or shape["method"] == "the exponential has no shape"
    assert text.count("_concentration = ") == 2 * len(program.channels)
    assert all("# fitted: intervals.csv" in line for line in text.splitlines()
               if "_concentration = " in line)  # fmt: skip
    for args in (["validate", str(out)], ["run", str(out), "--trials", "20", "--seed", "3",
                 "--set", "scenario.horizon_months=2", "--json"]):  # fmt: skip
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output


def test_out_naming_a_data_file_is_refused_and_the_data_kept(sample: Path, tmp_path: Path) -> None:
    data = tmp_path / "intervals.csv"
    data.write_bytes((sample / "intervals.csv").read_bytes())
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    for out in (data, link, tmp_path / "." / "intervals.csv"):
        result = CliRunner().invoke(main, ["calibrate", str(data), "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == (
            f"error: {out}: is the data file {str(data)!r} being read; nothing written (write "
            "the calibrated scenario to a file of its own, such as calibrated.toml)"
        )
        assert data.read_bytes() == (sample / "intervals.csv").read_bytes()


def test_a_full_disk_is_a_one_line_error_and_nothing_is_written(
    sample: Path, tiny_disk: Path
) -> None:
    (tiny_disk / "filler").write_bytes(b"x" * 40_000)  # 8 kB left: less than the scenario
    out = tiny_disk / "calibrated.toml"
    result = CliRunner().invoke(
        main, ["calibrate", str(sample / "intervals.csv"), "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"error: {out}: cannot write: No space left on device"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]
