"""simroi.data.read: every bad-input rule, one test each, by its exact one-line message.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row row 2.
"""

from __future__ import annotations

import codecs
import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest

from simroi.data.columns import parse_column_map
from simroi.data.frames import ABANDONED, ANSWERED, IGNORED, DataSource, file_name
from simroi.data.read import MAX_SPAN_DAYS, check_span, read_data
from simroi.errors import DataFileError, InputFileError, OptionError

HEADER = "interval_start,channel,offered,answered,abandoned,answered_within_sla\n"


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def intervals(rows: list[str], header: str = HEADER) -> str:
    return header + "".join(r + "\n" for r in rows)


def day(
    date: str, minutes: int, count: int, first: str = "08:00", channel: str = "phone"
) -> list[str]:
    """``count`` good rows of one channel every ``minutes`` from ``first`` on ``date``."""
    start = np.datetime64(f"{date}T{first}") + np.arange(count) * np.timedelta64(minutes, "m")
    return [f"{str(t).replace('T', ' ')},{channel},10,8,1,6" for t in start]


def problems(*paths: Path, **options: object) -> list[str]:
    with pytest.raises(DataFileError) as info:
        read_data(paths, **options)  # type: ignore[arg-type]
    return info.value.problems


# -- files and headers -------------------------------------------------------------------------


def test_zero_byte_file(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", "")
    assert problems(path) == [f"{path}: the file is empty (no header, no rows)"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_file_without_line_breaks_is_refused_without_reading_it_all() -> None:
    # /dev/zero never ends: the reader took 5.7 GB before a MemoryError
    assert problems(Path("/dev/zero")) == [
        "/dev/zero: line 1 is longer than 1,000,000 characters: not a delimited text file"
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_reads_as_its_file_does(tmp_path: Path) -> None:
    """A pipe cannot seek back to its header: <(zcat data.csv.gz) was a traceback."""
    text = intervals(day("2025-03-03", 15, 6) + day("2025-03-04", 15, 6))
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(text,))
    writer.start()
    piped = read_data([fifo])
    writer.join()
    read = read_data([write(tmp_path, "file.csv", text)])
    for got, want in zip(piped.intervals["phone"].__dict__.values(),
                         read.intervals["phone"].__dict__.values(), strict=True):  # fmt: skip
        if isinstance(want, np.ndarray):
            assert np.array_equal(got, want)
    assert piped.sources[0].rows == read.sources[0].rows == 12


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="no /dev/fd here")
def test_a_pipe_from_the_shell_is_named_by_its_path_not_its_number(tmp_path: Path) -> None:
    """<(zcat contacts.csv.gz) is /dev/fd/63: every fitted source said "63, 41,227 rows"."""
    text = intervals(day("2025-03-03", 15, 6))
    read_end, write_end = os.pipe()
    writer = threading.Thread(
        target=lambda: (os.write(write_end, text.encode()), os.close(write_end))
    )
    writer.start()
    try:
        data = read_data([Path(f"/dev/fd/{read_end}")])
    finally:
        writer.join()
        os.close(read_end)
    assert data.sources[0].describe().startswith(f"/dev/fd/{read_end}, 6 rows, 2025-03-03")
    assert file_name(tmp_path / "contacts.csv") == "contacts.csv"


def test_header_only(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", HEADER)
    assert problems(path) == [f"{path}: no data rows (only a header)"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"nope\.csv: cannot read"):
        read_data(tmp_path / "nope.csv")


def test_unknown_kind_names_what_each_kind_lacks(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "when,calls\n2025-01-06 08:00,3\n")
    assert problems(path) == [
        f"{path}: not a data file simroi reads: an interval report needs interval_start and "
        "offered (lacks interval_start, offered); a contact log needs arrived_at and outcome "
        "(lacks arrived_at, outcome); customer outcomes needs customer_id and churned (lacks "
        "customer_id, churned); its columns are when, calls (name yours with `columns`, e.g. "
        "interval_start=DateTime,offered=Calls)"
    ]


def test_missing_required_column(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "arrived_at,channel,outcome\n2025-01-06 08:00,phone,answered\n")
    assert problems(path) == [
        f"{path}: a contact log needs columns wait_seconds, handle_seconds (its columns: "
        "arrived_at, channel, outcome; map names with `columns`)"
    ]


def test_mapped_column_the_file_lacks(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 15, 3)))
    assert problems(path, columns={"offered": "Calls"}) == [
        f"{path}: `columns` maps offered to 'Calls', which is not a column of the file (one "
        "name, or a date and a time joined with +; its columns: interval_start, channel, "
        "offered, answered, abandoned, answered_within_sla)"
    ]


def test_no_channel_column_and_no_channel(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", "interval_start,offered\n2025-01-06 08:00,3\n")
    assert problems(path) == [
        f"{path}: no channel column; name the file's channel with `channel` (e.g. phone) or "
        "add a channel column"
    ]


def test_empty_channel_cell(tmp_path: Path) -> None:
    rows = day("2025-01-06", 15, 3)
    rows[1] = rows[1].replace(",phone,", ",,")
    path = write(tmp_path, "i.csv", intervals(rows))
    assert problems(path) == [
        f"{path} row 3, column channel: must name a channel (got an empty cell)"
    ]


def test_a_row_with_a_field_too_many_is_refused_not_shifted(tmp_path: Path) -> None:
    rows = day("2025-01-06", 15, 3)
    rows[1] = "2025-01-06 08:15,phone,1,234,8,1,6"  # 1,234 offered, with a thousands comma
    path = write(tmp_path, "i.csv", intervals(rows))
    assert problems(path) == [
        f"{path} row 3: has 7 fields, the header has 6 (a value holding the delimiter ',' must be "
        "quoted; write numbers without thousands separators) (got 2025-01-06 "
        "08:15,phone,1,234,8,1,6)"
    ]


def test_a_file_whose_every_row_has_a_field_too_many_says_so(tmp_path: Path) -> None:
    rows = [r + ",5" for r in day("2025-01-06", 15, 2)]
    path = write(tmp_path, "i.csv", intervals(rows))
    assert [p.split(": ")[1] for p in problems(path)] == [
        "has 7 fields, the header has 6 (a value holding the delimiter ',' must be quoted; write "
        "numbers without thousands separators) (got 2025-01-06 08:00,phone,10,8,1,6,5)",
        "has 7 fields, the header has 6 (a value holding the delimiter ',' must be quoted; write "
        "numbers without thousands separators) (got 2025-01-06 08:15,phone,10,8,1,6,5)",
    ]


@pytest.mark.parametrize(("typo", "fmt"), [("13/01/2025", "mm/dd"), ("01/13/2025", "dd/mm")])
def test_one_day_month_typo_is_refused_by_the_majority(tmp_path: Path, typo: str, fmt: str) -> None:
    # every other date has a day above 12 in the place the typo does not
    dates = [f"01/{d}/2025" if fmt == "mm/dd" else f"{d}/01/2025" for d in range(13, 29)]
    rows = [f"{d} 08:00,phone,10,8,1,6" for d in [*dates[:5], typo, *dates[5:]]]
    path = write(tmp_path, "i.csv", intervals(rows))
    (problem,) = problems(path, interval_minutes=15)
    assert problem.startswith(f"{path} row 7, column interval_start: must be a date-time like ")
    assert problem.endswith(f"(got {typo} 08:00)")


def test_empty_fields_after_the_last_column_are_read_as_nothing(tmp_path: Path) -> None:
    rows = [r + ",," for r in day("2025-01-06", 15, 3)]  # a spreadsheet's trailing delimiters
    data = read_data(write(tmp_path, "i.csv", intervals(rows)))
    assert data.intervals["phone"].offered.tolist() == [10, 10, 10]


@pytest.mark.parametrize("second", ["offered", "Offered", " OFFERED "])
def test_a_column_read_twice_in_the_header_is_refused(tmp_path: Path, second: str) -> None:
    header = f"interval_start,channel,offered,{second}\n"
    path = write(tmp_path, "i.csv", header + "2025-01-06 08:00,phone,10,20\n")
    assert problems(path) == [
        f"{path}: column 'offered' appears 2 times in the header (fields 3, 4); which to read "
        "is unclear: rename or remove all but one"
    ]


def test_a_column_simroi_does_not_read_may_repeat(tmp_path: Path) -> None:
    rows = [r.replace(",8,1,6", ",a,b") for r in day("2025-01-06", 15, 2)]
    header = "interval_start,channel,offered,note,note\n"
    data = read_data(write(tmp_path, "i.csv", intervals(rows, header)))
    assert data.intervals["phone"].offered.tolist() == [10, 10]


def test_short_row(tmp_path: Path) -> None:
    rows = [*day("2025-01-06", 15, 3), "2025-01-06 09:00,phone"]
    path = write(tmp_path, "i.csv", intervals(rows))
    assert problems(path) == [
        f"{path} row 5: has 2 fields, the header has 6 (got 2025-01-06 09:00,phone)"
    ]


def test_not_utf8_names_the_row_and_byte_and_how_to_give_the_encoding(tmp_path: Path) -> None:
    # The message said "byte 175 of a chunk" and nothing of an encoding to give.
    rows = [f"2025-01-06 08:0{i},phone,answered,1,2" for i in range(5)]
    rows[3] += ",Müller"
    header = "arrived_at,channel,outcome,wait_seconds,handle_seconds,note\n"
    text = header + "\n".join(r if "Müller" in r else r + "," for r in rows) + "\n"
    path = write(tmp_path, "c.csv", text, encoding="cp1252")
    assert problems(path) == [
        f"{path} line 5: not UTF-8 text (byte 0xfc); give the file's encoding with `encoding` "
        "(cp1252 for a spreadsheet saved on Windows in Western Europe) or save it as UTF-8"
    ]
    log = read_data(path, encoding="cp1252").contacts["phone"]
    assert log.rows == 5


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig", "utf-32"])
@pytest.mark.parametrize("given", [None, "utf-8", "UTF8", "cp1252", "utf-16-le"])
def test_a_byte_order_mark_tells_the_encoding(
    tmp_path: Path, encoding: str, given: str | None
) -> None:
    # The mark wins over an encoding given: `encoding="utf-8"` on Excel's "CSV UTF-8" kept the
    # mark in the first column's name, and the file was "not a data file".
    text = intervals(day("2025-01-06", 15, 3)).replace("phone", "téléphone")
    raw = text.encode(encoding)
    if encoding == "utf-16-be":
        raw = codecs.BOM_UTF16_BE + raw
    path = tmp_path / "i.csv"
    path.write_bytes(raw)
    assert read_data(path, encoding=given).intervals["téléphone"].offered.tolist() == [10, 10, 10]


def test_a_pipe_giving_its_mark_a_byte_at_a_time_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    data = intervals(day("2025-01-06", 15, 3)).encode("utf-16")

    def writer() -> None:
        with open(fifo, "wb", buffering=0) as handle:
            for i in range(len(data)):  # one byte per write: the mark comes in pieces
                handle.write(data[i : i + 1])

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert read_data(fifo).intervals["phone"].rows == 3
    finally:
        thread.join()


def test_an_encoding_whose_decoder_raises_its_own_error_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 15, 3)))
    (line,) = problems(path, encoding="punycode")
    assert line.startswith(f"{path}: not punycode text (") and "`encoding`" in line


def test_a_line_counted_with_any_line_ending(tmp_path: Path) -> None:
    rows = [f"2025-01-06 08:0{i},phone,answered,1,2" for i in range(3)]
    text = "arrived_at,channel,outcome,wait_seconds,handle_seconds\r" + "\r".join(rows) + "\r"
    path = tmp_path / "c.csv"
    path.write_bytes(text.replace("08:02,phone", "08:02,télé").encode("cp1252"))
    (line,) = problems(path)
    assert line.startswith(f"{path} line 4: not UTF-8 text (byte 0xe9)")


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("klingon", "unknown encoding (e.g. utf-8, cp1252, latin-1, utf-16)"),
        ("rot13", "not a text encoding"),
    ],
)
def test_an_unknown_encoding_is_one_line(tmp_path: Path, encoding: str, message: str) -> None:
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 15, 3)))
    with pytest.raises(OptionError, match=re.escape(f"`encoding` {encoding!r}: {message}")):
        read_data(path, encoding=encoding)


# -- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aht", "asa", "seconds"),
    [
        ("00:06:16", "0:00:42", (376.0, 42.0)),  # h:mm:ss, as ACD exports write AHT and ASA
        ("6:16", "0:42", (376.0, 42.0)),  # mm:ss
        ("1:02:03.5", "42.5", (3723.5, 42.5)),  # hours; plain seconds beside
    ],
)
def test_handle_and_wait_times_may_be_clock_durations(
    tmp_path: Path, aht: str, asa: str, seconds: tuple[float, float]
) -> None:
    header = "interval_start,offered,handle_seconds_mean,wait_seconds_mean"
    text = f"{header}\n2025-01-06 08:00,5,{aht},{asa}\n"
    got = read_data(write(tmp_path, "i.csv", text), channel="phone", interval_minutes=15)
    report = got.intervals["phone"]
    assert (report.handle_seconds_mean[0], report.wait_seconds_mean[0]) == seconds  # type: ignore[index]
    log = (
        "arrived_at,outcome,wait_seconds,handle_seconds\n2025-01-06 08:00,answered,0:42,00:06:16\n"
    )
    contacts = read_data(write(tmp_path, "c.csv", log), channel="phone").contacts["phone"]
    assert (contacts.wait_seconds[0], contacts.handle_seconds[0]) == (42.0, 376.0)


@pytest.mark.parametrize("value", ["6:61", "1:60:00", "-0:30", "6m16s", ":30", ":02:03", "6:1e1"])
def test_a_duration_that_is_no_clock_time_is_refused_at_its_row(tmp_path: Path, value: str) -> None:
    text = f"interval_start,offered,handle_seconds_mean\n2025-01-06 08:00,5,{value}\n"
    path = write(tmp_path, "i.csv", text)
    assert problems(path, channel="phone", interval_minutes=15) == [
        f"{path} row 2, column handle_seconds_mean: must be a number of seconds or h:mm:ss "
        f"(got {value})"
    ]


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("offered", "ten", "must be a number"),
        ("offered", "-3", "must be a whole number ≥ 0"),
        ("offered", "2.5", "must be a whole number"),
        ("offered", "", "must be a whole number ≥ 0"),
        ("answered", "11", "must be ≤ offered"),
        ("answered_within_sla", "9", "must be ≤ answered"),
        ("abandoned", "3", "answered + abandoned must be ≤ offered"),
    ],
)
def test_interval_counts(tmp_path: Path, column: str, value: str, rule: str) -> None:
    rows = day("2025-01-06", 15, 4)
    fields = rows[2].split(",")
    fields[HEADER.strip().split(",").index(column)] = value
    rows[2] = ",".join(fields)
    path = write(tmp_path, "i.csv", intervals(rows))
    got = f"(got {value})" if value else "(got an empty cell)"
    assert problems(path) == [f"{path} row 4, column {column}: {rule} {got}"]


def test_unparseable_date(tmp_path: Path) -> None:
    rows = day("2025-01-06", 15, 4)
    rows[3] = rows[3].replace("2025-01-06 08:45", "2025-13-06 08:45")
    path = write(tmp_path, "i.csv", intervals(rows))
    assert problems(path) == [
        f"{path} row 5, column interval_start: must be a date-time like the first rows' "
        "(ISO 8601 (yyyy-mm-dd HH:MM)) (got 2025-13-06 08:45)"
    ]


@pytest.mark.parametrize(
    "bad", ["01/09/2025 11:00:00", "2025-01-06 10:00 EST", "2025-01-06 13:00 PM"]
)
def test_a_date_in_another_format_is_refused_at_its_own_row(tmp_path: Path, bad: str) -> None:
    rows = day("2025-01-06", 15, 12)
    rows[9] = rows[9].replace("2025-01-06 10:15", bad)
    path = write(tmp_path, "i.csv", intervals(rows))
    assert problems(path) == [
        f"{path} row 11, column interval_start: must be a date-time like the first rows' "
        f"(ISO 8601 (yyyy-mm-dd HH:MM)) (got {bad})"
    ]


CONTACTS = "arrived_at,channel,outcome,wait_seconds,handle_seconds,resolved,public,customer_id\n"


@pytest.mark.parametrize(
    ("row", "column", "rule", "value"),
    [
        (
            "2025-01-06 08:01,phone,hung up,30,,,0,c2",
            "outcome",
            "must be answered, abandoned or ignored",
            "hung up",
        ),
        ("2025-01-06 08:01,phone,abandoned,-4,,,0,c2", "wait_seconds", "must be ≥ 0", "-4"),
        ("2025-01-06 08:01,phone,answered,4,-1,1,0,c2", "handle_seconds", "must be ≥ 0", "-1"),
        (
            "2025-01-06 08:01,phone,answered,4,,1,0,c2",
            "handle_seconds",
            "an answered contact must have a handle time",
            "",
        ),
        ("2025-01-06 08:01,phone,abandoned,,,,0,c2", "wait_seconds", "must be a number ≥ 0", ""),
        (
            "2025-01-06 08:01,phone,answered,4,9,maybe,0,c2",
            "resolved",
            "must be 0, 1, true or false",
            "maybe",
        ),
        ("2025-01-06 08:01,phone,answered,4,9,1,0,", "customer_id", "must not be empty", ""),
    ],
)
def test_contact_values(tmp_path: Path, row: str, column: str, rule: str, value: str) -> None:
    text = CONTACTS + "2025-01-06 08:00,phone,answered,3,100,1,0,c1\n" + row + "\n"
    path = write(tmp_path, "c.csv", text)
    got = f"(got {value})" if value else "(got an empty cell)"
    assert problems(path) == [f"{path} row 3, column {column}: {rule} {got}"]


CUSTOMERS = "customer_id,experience,months_observed,churned\n"


@pytest.mark.parametrize(
    ("row", "column", "rule", "value"),
    [
        ("c2,none,3,maybe", "churned", "must be 0, 1, true or false", "maybe"),
        ("c2,none,3,", "churned", "must be 0, 1, true or false", ""),
        ("c2,none,0,1", "months_observed", "must be > 0", "0"),
        ("c2,none,-2,1", "months_observed", "must be > 0", "-2"),
        ("c2,,3,1", "experience", "must not be empty", ""),
    ],
)
def test_customer_values(tmp_path: Path, row: str, column: str, rule: str, value: str) -> None:
    path = write(tmp_path, "u.csv", CUSTOMERS + "c1,ignored,12,0\n" + row + "\n")
    got = f"(got {value})" if value else "(got an empty cell)"
    assert problems(path) == [f"{path} row 3, column {column}: {rule} {got}"]


def test_duplicate_customer_across_files(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", CUSTOMERS + "c1,ignored,12,0\nc2,none,3,1\n")
    b = write(tmp_path, "b.csv", CUSTOMERS + "c3,none,12,0\nc1,none,3,1\n")
    assert problems(a, b) == [
        f"{b} row 3, column customer_id: a second row for this customer (the first is {a} "
        "row 2); one row per customer (got c1)"
    ]


def test_problems_stop_at_twenty(tmp_path: Path) -> None:
    rows = [r.replace(",10,", ",-1,") for r in day("2025-01-06", 15, 30)]
    path = write(tmp_path, "i.csv", intervals(rows))
    lines = problems(path)
    assert len(lines) == 21 and lines[-1] == "stopped after 20 problems"
    assert lines[0] == f"{path} row 2, column offered: must be a whole number ≥ 0 (got -1)"


# -- interval series ---------------------------------------------------------------------------


def test_duplicate_interval_within_a_file(tmp_path: Path) -> None:
    rows = day("2025-01-06", 15, 4)
    path = write(tmp_path, "i.csv", intervals([*rows, rows[1]]))
    assert problems(path) == [
        f"{path} row 6, column interval_start: a second row for channel phone's interval at "
        f"2025-01-06 08:15:00 (the first is {path} row 3; one row per channel and interval — a "
        "repeated hour when daylight saving ends reads so: export in the centre's standard time, "
        "or in UTC and give its `timezone`)"
    ]


def test_duplicate_interval_across_files(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", intervals(day("2025-01-06", 15, 4)))
    b = write(tmp_path, "b.csv", intervals(day("2025-01-06", 15, 2, first="08:45")))
    (line,) = problems(a, b)
    assert line.startswith(f"{b} row 2, column interval_start: a second row for channel phone's")
    assert f"(the first is {a} row 5;" in line


def test_daylight_saving_gap_is_closed_hours(tmp_path: Path) -> None:
    # Spring forward (Europe, 2025-03-30): 02:00-03:00 does not exist in local time.
    rows = day("2025-03-30", 15, 8, first="00:00") + day("2025-03-30", 15, 8, first="03:00")
    path = write(tmp_path, "i.csv", intervals(rows))
    report = read_data(path).intervals["phone"]
    assert report.interval_minutes == 15 and report.rows == 16


def test_daylight_saving_gap_in_a_round_the_clock_channel_is_an_error(tmp_path: Path) -> None:
    # Round the clock with contacts every interval; on 2025-03-30 (spring forward, Europe)
    # 02:00-03:00 has no rows although every other day has them.
    rows = day("2025-03-29", 15, 96, first="00:00")
    rows += day("2025-03-30", 15, 8, first="00:00") + day("2025-03-30", 15, 84, first="03:00")
    rows += day("2025-03-31", 15, 96, first="00:00")
    path = write(tmp_path, "i.csv", intervals(rows))
    assert problems(path) == [
        f"{path} row 106, column interval_start: the hour before 2025-03-30 03:00:00 is missing "
        "from channel phone's rows, between intervals with contacts, while most days have rows "
        "for it (daylight saving starting reads so in local time: export in the centre's "
        "standard time, or in UTC and give its `timezone`)"
    ]


def test_quiet_hours_an_export_leaves_out_are_not_a_daylight_saving_gap(tmp_path: Path) -> None:
    """An export that leaves out the intervals without contacts was refused as "daylight
    saving starting" in January: a quiet evening hour (not where the clock skips one), and a
    quiet early hour on two nights of the same week (spring comes once a year)."""
    rows = []
    for date in ("2025-01-08", "2025-01-09", "2025-01-10", "2025-01-11"):
        if date == "2025-01-10":  # 22:30-23:30 had no email: no rows
            rows += day(date, 15, 90, first="00:00") + day(date, 15, 2, first="23:30")
        elif date in ("2025-01-08", "2025-01-09"):  # 02:00-03:00 quiet on two nights
            rows += day(date, 15, 8, first="00:00") + day(date, 15, 84, first="03:00")
        else:
            rows += day(date, 15, 96, first="00:00")
    path = write(tmp_path, "i.csv", intervals(rows))
    assert read_data(path).intervals["phone"].rows == len(rows)  # raises on a problem


def test_an_hour_closed_every_day_is_not_a_daylight_saving_gap(tmp_path: Path) -> None:
    rows = []
    for date in ("2025-03-29", "2025-03-30", "2025-03-31"):  # closed 12:00-13:00 every day
        rows += day(date, 15, 16, first="08:00") + day(date, 15, 16, first="13:00")
    report = read_data(write(tmp_path, "i.csv", intervals(rows))).intervals["phone"]
    assert report.rows == 96


def test_daylight_saving_repeat_is_a_duplicate(tmp_path: Path) -> None:
    # Fall back (Europe, 2025-10-26): 02:00-03:00 comes twice in local time.
    rows = day("2025-10-26", 15, 12, first="00:00") + day("2025-10-26", 15, 8, first="02:00")
    path = write(tmp_path, "i.csv", intervals(rows))
    lines = problems(path)
    assert len(lines) == 4
    assert "daylight saving ends" in lines[0] and lines[0].startswith(f"{path} row 14,")


def test_step_off_the_interval_length(tmp_path: Path) -> None:
    rows = day("2025-01-06", 15, 6) + day("2025-01-06", 15, 4, first="09:37")
    path = write(tmp_path, "i.csv", intervals(rows))
    lines = problems(path)
    assert lines[0] == (
        f"{path} row 8, column interval_start: the interval length changes: 22 minutes after "
        "the previous start, channel phone's intervals are 15 minutes (got 2025-01-06 09:37:00)"
    )
    assert lines[1] == (
        f"{path} row 8, column interval_start: not on the 15-minute grid of channel phone's "
        "intervals (got 2025-01-06 09:37:00)"
    )


def test_day_switching_to_longer_intervals(tmp_path: Path) -> None:
    rows = day("2025-01-06", 5, 40) + day("2025-01-07", 5, 40) + day("2025-01-08", 15, 12)
    path = write(tmp_path, "i.csv", intervals(rows))
    assert problems(path) == [
        f"{path} row 83, column interval_start: the interval length changes: channel phone's "
        "intervals are 5 minutes, but on 2025-01-08 its rows are 15 minutes apart "
        "(got 2025-01-08 08:15:00)"
    ]


def test_interval_length_not_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 20, 6)))
    assert problems(path) == [
        f"{path} row 3, column interval_start: channel phone's starts are most often 20 "
        "minutes apart; an interval must be 5, 10, 15, 30 or 60 minutes (give "
        "`interval_minutes` if the data has gaps)"
    ]


def test_given_interval_length_reads_gaps(tmp_path: Path) -> None:
    rows = [day("2025-01-06", 30, 1, first=f"{h:02d}:00")[0] for h in range(8, 20, 2)]
    path = write(tmp_path, "i.csv", intervals(rows))
    assert read_data(path, interval_minutes=30).intervals["phone"].interval_minutes == 30
    assert "most often 120 minutes apart" in problems(path)[0]


def test_one_row_needs_a_length(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 15, 1)))
    assert problems(path) == [
        f"{path} row 2: channel phone has 1 interval row(s): too few to tell the interval "
        "length; give `interval_minutes`"
    ]
    assert read_data(path, interval_minutes=15).intervals["phone"].rows == 1


# -- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "third", "kwargs"),
    [
        (["2025-01-06 08:00", "2025-01-06T08:15", "2025-01-06 08:30:00"], "01-06", {}),
        (["2025/01/06 08:00", "2025/01/06 08:15", "2025/01/06 08:30"], "01-06", {}),
        (["01/06/2025 08:00", "1/6/2025 8:15", "01/13/2025 08:30"], "01-13", {}),
        (["06/01/2025 08:00", "6/1/2025 8:15", "13/01/2025 08:30"], "01-13", {}),
        (["06.01.2025 08:00", "06.01.2025 08:15", "13.01.2025 08:30"], "01-13", {}),
        (
            ["06/01/2025 08:00", "06/01/2025 08:15", "06/01/2025 08:30"],
            "01-06",
            {"date_format": "%d/%m/%Y %H:%M"},
        ),
    ],
)
def test_date_formats(tmp_path: Path, texts: list[str], third: str, kwargs: dict[str, str]) -> None:
    rows = [f'"{t}",3' for t in texts]
    path = write(tmp_path, "i.csv", "interval_start,offered\n" + "\n".join(rows) + "\n")
    got = read_data(path, channel="Phone", interval_minutes=15, **kwargs).intervals["phone"]
    expected = ["2025-01-06T08:00", "2025-01-06T08:15", f"2025-{third}T08:30"]
    np.testing.assert_array_equal(got.start, np.array(expected, dtype="datetime64[s]"))


def test_ambiguous_day_and_month(tmp_path: Path) -> None:
    path = write(
        tmp_path, "i.csv", "interval_start,offered\n01/02/2025 08:00,3\n01/02/2025 08:15,4\n"
    )
    assert problems(path, channel="phone") == [
        f"{path} row 2, column interval_start: dates could be month/day or day/month (no value "
        "above 12 tells): give the format with `date_format`, as %Y %m %d %H %M %S (%I and %p "
        "for a 12-hour time) with the separators between, e.g. '%d/%m/%Y %H:%M'"
    ]


def test_day_and_month_are_told_apart_by_a_day_far_down_the_file(tmp_path: Path) -> None:
    """A file that starts on 6 January in day/month order shows no day above 12 in its first
    thousand rows (three channels, 15-minute intervals): it was refused as ambiguous."""
    rows = []
    for d in range(6, 20):
        for h in range(24):
            for m in (0, 15, 30, 45):
                rows += [f"{d:02d}/01/2025 {h:02d}:{m:02d},{c},5" for c in ("phone", "email")]
    path = write(tmp_path, "i.csv", "interval_start,channel,offered\n" + "\n".join(rows) + "\n")
    got = read_data(path).intervals["phone"]
    assert got.start[0] == np.datetime64("2025-01-06T00:00") and got.rows == 14 * 96


def test_utc_times_marked_as_such_are_read(tmp_path: Path) -> None:
    rows = ["2025-01-06T08:00:00Z,3", "2025-01-06T08:15:00Z,4", "2025-01-06 08:30+00:00,5"]
    path = write(tmp_path, "i.csv", "interval_start,offered\n" + "\n".join(rows) + "\n")
    got = read_data(path, channel="phone").intervals["phone"]
    expected = ["2025-01-06T08:00", "2025-01-06T08:15", "2025-01-06T08:30"]
    np.testing.assert_array_equal(got.start, np.array(expected, dtype="datetime64[s]"))


@pytest.mark.parametrize(
    ("texts", "zone", "expected"),
    [
        # UTC exports of a New York centre: its standard time (EST, UTC−5) all year; in July
        # the wall clock (EDT) reads an hour later than this.
        (
            ["2025-01-06T13:00:00Z", "2025-01-06 13:15:00", "2025-07-01T12:00Z"],
            "America/New_York",
            ["2025-01-06T08:00", "2025-01-06T08:15", "2025-07-01T07:00"],
        ),
        # Offsets are taken into account first: the same moments written in local time.
        (
            ["2025-01-06T08:00:00-05:00", "2025-01-06 08:15-0500", "2025-07-01T08:00-04:00"],
            "America/New_York",
            ["2025-01-06T08:00", "2025-01-06T08:15", "2025-07-01T07:00"],
        ),
        # Standard time in the southern hemisphere (Sydney: AEST, UTC+10, all year) and where
        # the law's standard time is the summer's (Dublin: IST, UTC+1; GMT is its winter time).
        (
            ["2025-01-06T13:00:00Z", "2025-01-06T13:15:00Z", "2025-07-01T12:00:00Z"],
            "Australia/Sydney",
            ["2025-01-06T23:00", "2025-01-06T23:15", "2025-07-01T22:00"],
        ),
        (
            ["2025-01-06T13:00:00Z", "2025-01-06T13:15:00Z", "2025-07-01T12:00:00Z"],
            "Europe/Dublin",
            ["2025-01-06T14:00", "2025-01-06T14:15", "2025-07-01T13:00"],
        ),
        # A zone that changed its standard time (Almaty, UTC+6 to UTC+5 on 1 March 2024) changes
        # there, not at the new year (reading all of 2024 at +5 put January an hour off).
        (
            ["2024-02-15T03:00:00Z", "2024-02-15T03:15:00Z", "2024-03-15T03:00:00Z"],
            "Asia/Almaty",
            ["2024-02-15T09:00", "2024-02-15T09:15", "2024-03-15T08:00"],
        ),
        # HHMM times with an offset, and a date alone (no moment to convert: kept).
        (
            ["2025-01-06 0800-0500", "2025-01-06 0815-0500", "2025-07-01"],
            "America/New_York",
            ["2025-01-06T08:00", "2025-01-06T08:15", "2025-07-01T00:00"],
        ),
    ],
)
def test_utc_times_are_read_as_a_time_zones_standard_time(
    tmp_path: Path, texts: list[str], zone: str, expected: list[str]
) -> None:
    rows = "".join(f"{t},phone,answered,4,100\n" for t in texts)
    path = write(
        tmp_path, "c.csv", "arrived_at,channel,outcome,wait_seconds,handle_seconds\n" + rows
    )
    got = read_data(path, timezone=zone).contacts["phone"]
    np.testing.assert_array_equal(got.arrived_at, np.array(expected, dtype="datetime64[s]"))


def test_a_utc_interval_report_across_daylight_saving_has_no_hour_skipped_or_repeated(
    tmp_path: Path,
) -> None:
    # Round the clock in UTC over both changes of 2025 in New York: read as EST, every day has
    # its 96 intervals (as the wall clock, a day skipped an hour and one repeated it).
    start = np.datetime64("2025-03-08T05:00") + np.arange(96 * 240) * np.timedelta64(15, "m")
    rows = "".join(f"{t!s}Z,phone,5\n" for t in start)
    path = write(tmp_path, "i.csv", "interval_start,channel,offered\n" + rows)
    report = read_data(path, timezone="America/New_York").intervals["phone"]
    days = report.start.astype("datetime64[D]")
    assert report.rows == 96 * 240 and set(np.unique(days, return_counts=True)[1]) == {96}


def test_read_in_a_zone_a_duplicate_interval_is_not_put_down_to_daylight_saving(
    tmp_path: Path,
) -> None:
    # Standard time repeats no hour: the message told a user who gave `timezone` to give it.
    rows = "".join(f"2025-01-06T{h:02d}:00:00Z,5\n" for h in (13, 14, 14, 15))
    path = write(tmp_path, "i.csv", "interval_start,offered\n" + rows)
    (line,) = problems(path, channel="phone", timezone="America/New_York", interval_minutes=60)
    assert line == (
        f"{path} row 4, column interval_start: a second row for channel phone's interval at "
        f"2025-01-06 09:00:00 (the first is {path} row 3; one row per channel and interval)"
    )


@pytest.mark.parametrize("zone", ["Mars/Base", "America", "../etc"])
def test_an_unknown_time_zone_is_one_line(tmp_path: Path, zone: str) -> None:
    # "America" (a folder of the database) was a traceback (IsADirectoryError).
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 15, 3)))
    with pytest.raises(OptionError, match=re.escape(f"`timezone` {zone!r}: not a time zone")):
        read_data(path, timezone=zone)


def test_a_far_date_read_in_a_time_zone_is_left_to_the_span_rule(tmp_path: Path) -> None:
    # A stray 9999-12-31 with an offset crossed into year 10000 and was a traceback; read, it
    # is the span rule's to refuse (calibrate and backtest name it in one line).
    times = ["2025-01-06T08:00:00-05:00", "9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00"]
    rows = "".join(f"{t},answered,4,100\n" for t in times)
    path = write(tmp_path, "c.csv", "arrived_at,outcome,wait_seconds,handle_seconds\n" + rows)
    got = read_data(path, channel="phone", timezone="America/New_York").contacts["phone"]
    assert got.rows == 3 and str(got.arrived_at[1]) == "2025-01-06T08:00:00"


def test_utc_intervals_off_a_zones_grid_name_the_zone(tmp_path: Path) -> None:
    start = np.datetime64("2025-01-06T00:00") + np.arange(48) * np.timedelta64(60, "m")
    rows = "".join(f"{t!s}Z,5\n" for t in start)
    path = write(tmp_path, "i.csv", "interval_start,offered\n" + rows)
    (first, *_) = problems(path, channel="phone", timezone="Asia/Kolkata", interval_minutes=60)
    assert first == (
        f"{path} row 2, column interval_start: not on the 60-minute grid of channel phone's "
        "intervals (read in Asia/Kolkata's standard time: where its offset is not whole "
        "intervals, UTC intervals fall off its grid; export them in local time) "
        "(got 2025-01-06 05:30:00)"
    )


@pytest.mark.parametrize("chunk_rows", [1, 3, 50_000])
def test_utc_marks_are_told_from_the_first_rows_whatever_the_chunks(
    tmp_path: Path, chunk_rows: int
) -> None:
    rows = "2025-01-06T08:00:00Z,5\n" + "".join(f"2025-01-06 {h:02d}:00,5\n" for h in range(9, 20))
    mixed = write(tmp_path, "m.csv", "interval_start,offered\n" + rows)
    marked = write(tmp_path, "z.csv", "interval_start,offered\n" + rows.replace(":00,", ":00Z,"))
    sources = read_data([mixed], channel="phone", chunk_rows=chunk_rows).sources
    assert [s.utc_marked for s in sources] == [False]
    sources = read_data([marked], channel="phone", chunk_rows=chunk_rows).sources
    assert [s.utc_marked for s in sources] == [True]


def test_an_unreadable_date_says_which_formats_can_be_given(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", "interval_start,offered\nJan 6 2025 08:00,3\n")
    (line,) = problems(path, channel="phone")
    assert (
        "unknown date format (first value 'Jan 6 2025 08:00'); give it with `date_format`" in line
    )
    assert "(%I and %p for a 12-hour time)" in line


@pytest.mark.parametrize(
    ("texts", "kwargs"),
    [
        # US cloud contact centres export 12-hour times; one-digit hours, any case, with dots.
        (
            ["1/13/2025 8:00 AM", "1/13/2025 12:15 PM", "1/13/2025 11:30 PM", "1/14/2025 12:45 AM"],
            {},
        ),
        (
            [
                "01/13/2025 08:00am",
                "01/13/2025 12:15pm",
                "01/13/2025 11:30pm",
                "01/14/2025 12:45am",
            ],
            {},
        ),
        (
            [
                "2025-01-06 8:00 a.m.",
                "2025-01-06 12:15 p.m.",
                "2025-01-06 11:30 p.m.",
                "2025-01-07 12:45 a.m.",
            ],
            {},
        ),
        (
            [
                "06/01/2025 08:00 AM",
                "06/01/2025 12:15 PM",
                "06/01/2025 11:30 PM",
                "07/01/2025 12:45 AM",
            ],
            {"date_format": "%d/%m/%Y %I:%M %p"},
        ),
        # UTC offsets: the clock written beside them (the centre's local time).
        (
            [
                "2025-01-06T08:00:00-05:00",
                "2025-01-06T12:15:00-0500",
                "2025-01-06T23:30:00+05:30",
                "2025-01-07T00:45:00Z",
            ],
            {},
        ),
        # A spreadsheet's serial numbers: days since 30 December 1899.
        (["45663.333333333", "45663.510416667", "45663.979166667", "45664.03125"], {}),
        # with four decimals (8.64 s a step): the nearest minute, as the digits allow
        (["45663.3333", "45663.5104", "45663.9792", "45664.0313"], {}),
    ],
)
def test_twelve_hour_times_offsets_and_serial_numbers_are_read(
    tmp_path: Path, texts: list[str], kwargs: dict[str, str]
) -> None:
    rows = "".join(f"{t},phone,answered,4,100\n" for t in texts)
    path = write(
        tmp_path, "c.csv", "arrived_at,channel,outcome,wait_seconds,handle_seconds\n" + rows
    )
    got = read_data(path, **kwargs).contacts["phone"]
    day, next_day = str(got.arrived_at[0])[:10], str(got.arrived_at[-1])[:10]
    expected = [f"{day}T08:00", f"{day}T12:15", f"{day}T23:30", f"{next_day}T00:45"]
    assert next_day == str(np.datetime64(day) + 1)
    np.testing.assert_array_equal(got.arrived_at, np.array(expected, dtype="datetime64[s]"))


def test_a_twelve_hour_file_of_one_width_is_read_a_row_at_a_time_where_it_differs(
    tmp_path: Path,
) -> None:
    """The vectorized reading of the most common width (AM and PM alike) and the row-by-row
    reading of the others agree, and an hour outside 1–12 beside AM/PM is refused."""
    times = np.datetime64("2025-01-13T00:00") + np.arange(96) * np.timedelta64(15, "m")
    texts = [
        f"01/13/2025 {(int(str(t)[11:13]) + 11) % 12 + 1}:{str(t)[14:16]} "
        f"{'PM' if int(str(t)[11:13]) >= 12 else 'AM'}"
        for t in times
    ]
    rows = "".join(f"{t},7\n" for t in texts)
    path = write(tmp_path, "i.csv", "interval_start,offered\n" + rows)
    got = read_data(path, channel="phone", interval_minutes=15).intervals["phone"]
    np.testing.assert_array_equal(got.start, times.astype("datetime64[s]"))
    bad = write(tmp_path, "b.csv", "interval_start,offered\n" + rows.replace("3:00 PM", "0:00 PM"))
    assert problems(bad, channel="phone", interval_minutes=15) == [
        f"{bad} row 62, column interval_start: must be a date-time like the first rows' "
        "(mm/dd/yyyy HH:MM) (got 01/13/2025 0:00 PM)"
    ]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("%m/%d/%Y %I:%M", "a 12-hour time needs %I (not %H) with %p"),
        ("%m/%d/%Y %H:%M %p", "a 12-hour time needs %I (not %H) with %p"),
    ],
)
def test_a_twelve_hour_date_format_needs_both_directives(
    tmp_path: Path, pattern: str, message: str
) -> None:
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 15, 3)))
    with pytest.raises(OptionError, match=re.escape(f"`date_format` {pattern!r}: {message}")):
        read_data(path, date_format=pattern)


def test_bad_date_format_option(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 15, 3)))
    with pytest.raises(OptionError, match="`date_format` '%d/%b/%Y': unknown directive '%b'"):
        read_data(path, date_format="%d/%b/%Y")


def test_nice_iex_date_and_period(tmp_path: Path) -> None:
    text = "date|period|queue|offered|handled\n01062025|08:00|phone|5|4\n01062025|08:15|phone|7|7\n"
    path = write(tmp_path, "iex.txt", text)
    got = read_data(path, columns={"channel": "queue", "answered": "handled"}).intervals["phone"]
    np.testing.assert_array_equal(
        got.start, np.array(["2025-01-06T08:00", "2025-01-06T08:15"], dtype="datetime64[s]")
    )
    np.testing.assert_array_equal(got.answered, [4, 7])
    mapped = read_data(
        path, columns={"interval_start": "date+period", "channel": "queue"}
    ).intervals["phone"]
    np.testing.assert_array_equal(mapped.start, got.start)
    # IEX also writes its periods without the colon (0800); they were refused as an unknown
    # date format.
    bare = write(
        tmp_path, "iex2.txt", text.replace("|08:00|", "|0800|").replace("|08:15|", "|0815|")
    )
    again = read_data(bare, columns={"channel": "queue", "answered": "handled"}).intervals["phone"]
    np.testing.assert_array_equal(again.start, got.start)


# -- what reads ----------------------------------------------------------------------------------


def test_contacts_read_and_sorted(tmp_path: Path) -> None:
    text = (
        CONTACTS
        + "2025-01-06 08:05,phone,abandoned,40,12,,0,c2\n"
        + "2025-01-06 08:00,Phone,answered,3,100,yes,1,c1\n"
        + "2025-01-06 08:07,email,ignored,86400,,,true,c1\n"
    )
    data = read_data(write(tmp_path, "c.csv", text))
    phone, email = data.contacts["phone"], data.contacts["email"]
    np.testing.assert_array_equal(phone.outcome, [ANSWERED, ABANDONED])
    np.testing.assert_array_equal(phone.handle_seconds, [100.0, np.nan])
    np.testing.assert_array_equal(phone.resolved, [True, False])
    np.testing.assert_array_equal(email.outcome, [IGNORED])
    assert email.customer_id is not None and phone.customer_id is not None
    assert email.customer_id[0] == phone.customer_id[0] != phone.customer_id[1]
    assert data.channels == ("email", "phone")


def test_customer_codes_agree_across_kinds(tmp_path: Path) -> None:
    c = write(tmp_path, "c.csv", CONTACTS + "2025-01-06 08:00,phone,answered,3,100,1,0,x9\n")
    u = write(tmp_path, "u.csv", CUSTOMERS + "y1,none,12,0\nx9,resolved_fast,4.5,TRUE\n")
    data = read_data([c, u])
    assert data.customers is not None
    assert data.customers.customer_id[1] == data.contacts["phone"].customer_id[0]  # type: ignore[index]
    np.testing.assert_array_equal(data.customers.churned, [False, True])
    np.testing.assert_array_equal(data.customers.months_observed, [12.0, 4.5])


def test_files_join_in_time_order(tmp_path: Path) -> None:
    later = write(tmp_path, "b.csv", intervals(day("2025-01-07", 15, 4)))
    earlier = write(tmp_path, "a.csv", intervals(day("2025-01-06", 15, 4)))
    data = read_data([later, earlier])
    report = data.intervals["phone"]
    assert (np.diff(report.start) > np.timedelta64(0, "s")).all() and report.rows == 8
    assert report.source.path == later and report.source.also == (earlier,)
    assert [s.path for s in data.sources] == [later, earlier]
    assert report.source.describe() == "b.csv + a.csv, 8 rows, 2025-01-06 to 2025-01-07"


def test_semicolon_decimal_comma_bom_and_quotes(tmp_path: Path) -> None:
    text = (
        "\ufeff Interval Start ;Channel;OFFERED;Handle-Seconds-Mean;notes\n"
        '2025-01-06 08:00;phone;3;"310,5";"a; b"\n'
        "2025-01-06 08:15;phone;0;;\n"
    )
    report = read_data(write(tmp_path, "i.csv", text)).intervals["phone"]
    np.testing.assert_array_equal(report.handle_seconds_mean, [310.5, np.nan])
    assert report.answered is None


def test_bad_options(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 15, 3)))
    with pytest.raises(OptionError, match="`interval_minutes` must be one of 5, 10, 15, 30, 60"):
        read_data(path, interval_minutes=7)
    with pytest.raises(OptionError, match="`delimiter` must be one character"):
        read_data(path, delimiter=",,")
    with pytest.raises(OptionError, match="`paths` names no data file"):
        read_data([])


def test_chunk_size_changes_nothing(tmp_path: Path) -> None:
    rows = day("2025-01-06", 5, 100) + day("2025-01-07", 5, 100, channel="email")
    path = write(tmp_path, "i.csv", intervals(rows))
    small, large = read_data(path, chunk_rows=7), read_data(path)
    for channel in ("phone", "email"):
        a, b = small.intervals[channel], large.intervals[channel]
        for field in ("start", "offered", "answered", "abandoned", "answered_within_sla"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    bad = intervals([*rows[:50], rows[60].replace(",10,", ",x,"), *rows[61:]])
    path = write(tmp_path, "bad.csv", bad)
    assert problems(path, chunk_rows=7) == problems(path)


def test_mapping_an_unknown_name(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 15, 3)))
    (line,) = problems(path, columns={"offerd": "offered"})
    assert line.startswith(f"{path}: `columns` names 'offerd', which is not a column simroi reads")


def test_given_delimiter_and_channel(tmp_path: Path) -> None:
    text = "interval_start|offered\n2025-01-06 08:00|3\n2025-01-06 08:15|4\n"
    path = write(tmp_path, "i.txt", text)
    report = read_data(path, delimiter="|", channel=" Email ").intervals["email"]
    np.testing.assert_array_equal(report.offered, [3, 4])
    # A file with a channel column keeps its own channels, beside one that takes `channel`.
    other = write(tmp_path, "j.csv", intervals(day("2025-01-06", 15, 3)))
    assert set(read_data([path, other], delimiter=None, channel="email").intervals) == {
        "phone",
        "email",
    }
    # Where every file has its own, `channel` would change nothing: said, not ignored.
    with pytest.raises(OptionError, match="every one given has one"):
        read_data(other, channel="email")
    # Customer outcomes have no channel: `channel` beside them alone is no misuse.
    customers = write(tmp_path, "c.csv", CUSTOMERS + "c1,none,12,0\n")
    assert read_data(customers, channel="email").customers is not None


def test_a_file_given_twice_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 15, 3)))
    with pytest.raises(DataFileError) as info:
        read_data([path, tmp_path / "." / "i.csv"])
    assert info.value.problems == [
        f"{path}: given twice (also as {path}); each data file is read once"
    ]


def test_a_given_delimiter_that_leaves_one_column_names_the_files_own(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 15, 3)))
    with pytest.raises(DataFileError, match=r"one column when split by the `delimiter` given"):
        read_data(path, delimiter=";")


def test_a_given_interval_longer_than_the_rows_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "i.csv", intervals(day("2025-01-06", 15, 40)))
    assert problems(path, interval_minutes=30) == [
        f"{path} row 3, column interval_start: channel phone's starts are most often 15 minutes "
        "apart, shorter than the `interval_minutes` given (30) (got 2025-01-06 08:15:00)"
    ]


def test_customer_codes_do_not_depend_on_chunks(tmp_path: Path) -> None:
    ids = ["k", "b", "k", "a", "z", "b", "a", "q"]
    text = CONTACTS + "".join(
        f"2025-01-06 08:{m:02d},phone,answered,3,100,1,0,{c}\n" for m, c in enumerate(ids)
    )
    path = write(tmp_path, "c.csv", text)
    for chunk in (1, 3, 100):
        log = read_data(path, chunk_rows=chunk).contacts["phone"]
        np.testing.assert_array_equal(log.customer_id, [0, 1, 0, 2, 3, 1, 2, 4])


def test_a_value_with_a_line_break_stays_on_one_line(tmp_path: Path) -> None:
    text = CONTACTS + '2025-01-06 08:00,phone,"ans\nwered",3,100,1,0,c1\n'
    path = write(tmp_path, "c.csv", text)
    assert problems(path) == [
        f"{path} row 2, column outcome: must be answered, abandoned or ignored (got ans\\nwered)"
    ]


def test_parse_column_map() -> None:
    assert parse_column_map("interval_start=date+period, offered = Calls") == {
        "interval_start": "date+period",
        "offered": "Calls",
    }
    assert parse_column_map(["offered=Calls", "channel=Queue"]) == {
        "offered": "Calls",
        "channel": "Queue",
    }
    with pytest.raises(OptionError, match=r"takes OURS=THEIRS pairs .* \(got 'offered'\)"):
        parse_column_map("offered")
    with pytest.raises(OptionError, match="maps offered twice"):
        parse_column_map("offered=a,offered=b")


# -- found by fuzzing (tests/cli/test_fuzz_data.py) ------------------------------------------


@pytest.mark.parametrize("column", ["offered", "answered", "answered_within_sla"])
@pytest.mark.parametrize("value", ["inf", "-inf", "1e999"])
def test_infinite_count_is_refused_without_a_warning(
    tmp_path: Path, column: str, value: str
) -> None:
    """An infinite count was refused, but the count rules' ``inf % 1`` printed a numpy
    RuntimeWarning on stderr first (the suite turns warnings into errors)."""
    rows = day("2025-01-06", 15, 4)
    fields = rows[1].split(",")
    fields[HEADER.strip().split(",").index(column)] = value
    rows[1] = ",".join(fields)
    path = write(tmp_path, "i.csv", intervals(rows))
    assert problems(path) == [f"{path} row 3, column {column}: must be a number (got {value})"]


@pytest.mark.parametrize(("column", "value"), [("offered", "1e20"), ("answered", "1e308")])
def test_a_number_past_1e15_is_refused(tmp_path: Path, column: str, value: str) -> None:
    """A handle time of 1e308 made the fitted mean infinite, and writing the calibrated
    scenario raised ValueError: every number above 1e15 is now refused where it is read."""
    header = HEADER.strip() + ",handle_seconds_mean\n"
    rows = [r + ",300" for r in day("2025-01-06", 15, 4)]
    rows[1] = rows[1].replace(",10,8,", ",1e20,8,") if column == "offered" else rows[1]
    rows[2] = rows[2][: -len("300")] + value if column == "answered" else rows[2]
    path = write(tmp_path, "i.csv", intervals(rows, header))
    row, name = (3, "offered") if column == "offered" else (4, "handle_seconds_mean")
    assert problems(path) == [
        f"{path} row {row}, column {name}: must be at most 1e15 (got {value})"
    ]


def test_check_span_allows_ten_years_and_names_a_stray_date(tmp_path: Path) -> None:
    source = DataSource(tmp_path / "c.csv", "contacts", 3)
    first = np.datetime64("2025-01-06T08:00:00")
    check_span(source, "arrived_at", first, first + np.timedelta64(MAX_SPAN_DAYS - 1, "D"))
    with pytest.raises(DataFileError) as info:
        check_span(source, "arrived_at", first, np.datetime64("9999-12-31T23:59:59"))
    assert info.value.problems == [
        f"{tmp_path / 'c.csv'}, column arrived_at: the dates run 2025-01-06 to 9999-12-31 "
        "(2,912,803 days), more than 3,653 (ten years): a stray date such as 9999-12-31 or "
        "1970-01-01? Fix it, or keep a range with `start` and `end`"
    ]
