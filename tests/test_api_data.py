"""The data verbs of the Python API give what their commands give, byte for byte.

``simroi.sample_data`` writes the files ``simroi sample-data`` writes, ``simroi.calibrate`` the
scenario ``simroi calibrate`` writes, and ``simroi.backtest`` the JSON of ``simroi backtest
--json``, with the same arguments; bad arguments are refused naming the argument (and, from the
command line, the flag that sets it).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import simroi
from simroi.cli import data as cli_data
from simroi.cli.app import main
from simroi.data.read import read_data
from simroi.errors import OptionError, OutputError
from simroi.exports import sample_files

DAYS = 7  # a week: every weekday once, and fast


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> simroi.SampleFiles:
    return simroi.sample_data(tmp_path_factory.mktemp("data"), days=DAYS, seed=2)


def test_sample_data_writes_the_files_of_simroi_sample_data(
    files: simroi.SampleFiles, tmp_path: Path
) -> None:
    _cli("sample-data", str(tmp_path), "--days", str(DAYS), "--seed", "2")
    assert [p.name for p in files.paths] == list(sample_files.SAMPLE_FILES)
    for path in files.paths:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
    assert files.sample.truth["seed"] == 2 and files.sample.truth["days"] == DAYS
    assert files.rows("customers.csv") == sample_files.DEFAULT_SAMPLE_CUSTOMERS


def test_sample_files_show_a_few_lines_not_the_files_text(files: simroi.SampleFiles) -> None:
    shown = repr(files)
    assert shown.splitlines() == [
        f"SampleFiles: {DAYS} days of 'default' (seed 2) in {files.directory}",
        f"  intervals.csv: {files.rows('intervals.csv'):,} rows",
        f"  contacts.csv: {files.rows('contacts.csv'):,} rows",
        f"  customers.csv: {files.rows('customers.csv'):,} rows",
        "  truth.json",
    ]
    assert len(repr(files.sample)) < 200


def test_the_command_lines_defaults_are_the_librarys() -> None:
    # The command line keeps its own copies so that it starts without numpy.
    assert cli_data.DEFAULT_SAMPLE_SEED == sample_files.DEFAULT_SAMPLE_SEED
    defaults = {p.name: p.default for p in cli_data.sample_data.params}
    assert defaults["days"] == sample_files.DEFAULT_SAMPLE_DAYS
    assert defaults["customers"] == sample_files.DEFAULT_SAMPLE_CUSTOMERS


def test_sample_data_refuses_existing_files_without_force(files: simroi.SampleFiles) -> None:
    before = files.paths[0].read_bytes()
    with pytest.raises(OutputError, match=r"already exist \(use `force` to overwrite\)"):
        simroi.sample_data(files.directory, days=1)
    assert files.paths[0].read_bytes() == before  # nothing simulated, nothing written


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"days": 0}, "`days` must be a whole number from 1 to 366 (got 0)"),
        ({"customers": 1}, "`customers` must be a whole number from 2 to 10,000,000 (got 1)"),
        ({"seed": -1}, "`seed` must be a whole number ≥ 0 (got -1)"),
    ],
)
def test_bad_sample_data_arguments_are_refused_naming_the_argument(
    tmp_path: Path, arguments: dict[str, int], message: str
) -> None:
    with pytest.raises(OptionError) as raised:
        simroi.sample_data(tmp_path / "new", **arguments)
    assert str(raised.value) == message
    assert not (tmp_path / "new").exists()


def test_calibrate_writes_the_scenario_simroi_calibrate_writes(
    files: simroi.SampleFiles, tmp_path: Path
) -> None:
    paths = [str(p) for p in files.paths[:3]]
    printed = _cli("calibrate", *paths, "--out", str(tmp_path / "cli.toml"), "--customers",
                   "50000", "--seed", "4", "--json")  # fmt: skip
    fit = simroi.calibrate(paths, out=tmp_path / "api.toml", customers=50_000, seed=4)
    assert (tmp_path / "api.toml").read_bytes() == (tmp_path / "cli.toml").read_bytes()
    from_cli = json.loads(printed)
    assert from_cli.pop("plots") == []
    from_cli["scenario"]["written"] = str(tmp_path / "api.toml")
    assert json.loads(json.dumps(fit.to_json())) == from_cli
    assert isinstance(fit, simroi.CalibrationResult)
    # In a notebook the result shows a line per fitted input, not a dump of its arrays.
    shown = repr(fit).splitlines()
    assert shown[0].startswith(f"CalibrationResult: {tmp_path / 'api.toml'}, ")
    assert len(shown) == 1 + len(fit.fitted)
    assert any(line.startswith("  channels.phone.handle_time_minutes = ") for line in shown)


def test_calibrate_on_a_date_range_writes_what_calibrate_from_to_writes(
    files: simroi.SampleFiles, tmp_path: Path
) -> None:
    paths = [str(p) for p in files.paths[:2]]
    _cli("calibrate", *paths, "--from", "2025-01-07", "--to", "2025-01-11",
         "--out", str(tmp_path / "cli.toml"))  # fmt: skip
    simroi.calibrate(paths, out=tmp_path / "api.toml", start="2025-01-07",
                     end=dt.date(2025, 1, 11))  # fmt: skip
    assert (tmp_path / "api.toml").read_bytes() == (tmp_path / "cli.toml").read_bytes()
    simroi.calibrate(paths, out=tmp_path / "all.toml")
    assert (tmp_path / "all.toml").read_bytes() != (tmp_path / "api.toml").read_bytes()
    with pytest.raises(OptionError, match=r"^`start` 2025-01-09 is after `end` 2025-01-08$"):
        simroi.calibrate(paths, out=tmp_path / "x.toml", start="2025-01-09", end="2025-01-08")
    assert not (tmp_path / "x.toml").exists()


def test_calibrate_reads_with_the_reader_options_as_the_command_does(
    files: simroi.SampleFiles, tmp_path: Path
) -> None:
    # The contact log alone, its columns renamed: --columns as a mapping or as the flag's text.
    log = files.paths[1]
    renamed = tmp_path / "log.csv"
    header, rest = log.read_text().split("\n", 1)
    renamed.write_text(header.replace("arrived_at", "When") + "\n" + rest)
    _cli("calibrate", str(renamed), "--columns", "arrived_at=When", "--delimiter", ",",
         "--out", str(tmp_path / "cli.toml"))  # fmt: skip
    simroi.calibrate(renamed, out=tmp_path / "a.toml", columns={"arrived_at": "When"},
                     delimiter=",")  # fmt: skip
    simroi.calibrate([renamed], out=tmp_path / "b.toml", columns="arrived_at=When")
    expected = (tmp_path / "cli.toml").read_bytes()
    assert (tmp_path / "a.toml").read_bytes() == expected
    assert (tmp_path / "b.toml").read_bytes() == expected


def test_a_data_set_already_read_takes_no_reader_option(files: simroi.SampleFiles) -> None:
    dataset = read_data(files.paths[:2])
    with pytest.raises(OptionError, match=r"^`channel`, `delimiter`: reader options apply"):
        simroi.calibrate(dataset, out=files.directory / "x.toml", channel="phone", delimiter=";")
    assert not (files.directory / "x.toml").exists()


def test_backtest_gives_the_json_of_simroi_backtest(files: simroi.SampleFiles) -> None:
    intervals = str(files.paths[0])
    printed = _cli("backtest", "default", intervals, "--trials", "20", "--seed", "3",
                   "--from", "2025-01-10", "--to", "2025-01-11", "--set",
                   "channels.phone.agents=30", "--json")  # fmt: skip
    result = simroi.backtest(
        "default",
        intervals,
        trials=20,
        seed=3,
        start="2025-01-10",
        end=dt.date(2025, 1, 11),
        overrides=["channels.phone.agents=30"],
    )
    assert isinstance(result, simroi.BacktestResult)
    data = json.loads(printed)
    assert data.pop("replay").startswith(f"simroi backtest default {intervals} --seed 3")
    assert json.dumps(result.to_dict(), indent=2, allow_nan=False) == json.dumps(data, indent=2)
    assert sorted({str(d) for d in result.date}) == ["2025-01-10", "2025-01-11"]
    shown = repr(result).splitlines()
    assert (
        shown[0]
        == f"BacktestResult: default, {result.date.size} days × channels, 20 trials, seed 3"
    )
    share, days = result.coverage("offered")
    assert f"  coverage90 offered        {share:.0%} of {days}" in shown


def test_backtest_of_a_loaded_scenario_and_a_data_set_is_the_same(
    files: simroi.SampleFiles,
) -> None:
    by_name = simroi.backtest("default", files.paths[0], trials=20, seed=3, end="2025-01-06")
    loaded = simroi.load_scenario("default")
    again = simroi.backtest(loaded, read_data(files.paths[0]), trials=20, seed=3,
                            end="2025-01-06")  # fmt: skip
    assert again.to_dict() == by_name.to_dict()
    with pytest.raises(OptionError, match=r"^`overrides` apply while a scenario loads"):
        simroi.backtest(loaded, files.paths[0], overrides=["channels.phone.agents=3"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"start": "10/01/2025"}, "`start` must be a date, YYYY-MM-DD (got '10/01/2025')"),
        ({"start": "2025-01-09", "end": "2025-01-08"}, "`start` 2025-01-09 is after `end`"),
        ({"trials": 5}, "`trials` must be a whole number ≥ 20"),
        ({"interval_minutes": 7}, "`interval_minutes` must be one of"),
    ],
)
def test_bad_backtest_arguments_are_refused_naming_the_argument(
    files: simroi.SampleFiles, arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(OptionError) as raised:
        simroi.backtest("default", files.paths[0], **arguments)  # type: ignore[arg-type]
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    ("command", "flag", "printed"),
    [
        ("backtest", "--delimiter", "error: --delimiter must be one character (got ';;')"),
        ("calibrate", "--delimiter", "error: --delimiter must be one character (got ';;')"),
    ],
)
def test_the_command_line_names_the_reader_flag(
    files: simroi.SampleFiles, tmp_path: Path, command: str, flag: str, printed: str
) -> None:
    scenario = ["default"] if command == "backtest" else []
    out = ["--out", str(tmp_path / "x.toml")] if command == "calibrate" else []
    result = CliRunner().invoke(main, [command, *scenario, str(files.paths[0]), flag, ";;", *out])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [printed]
