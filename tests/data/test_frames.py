"""A data set cut to a date range: the rows of those days, sources that count only them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from simroi.data.frames import ANSWERED, ContactLog, DataSet, DataSource, IntervalReport
from simroi.errors import DataFileError


def _data() -> DataSet:
    # Phone: 15-minute intervals over 3 days; email: one contact at noon on each of 3 days.
    start = np.datetime64("2025-01-06T00:00:00") + np.arange(3 * 96) * np.timedelta64(15, "m")
    report = IntervalReport(
        source=DataSource(Path("intervals.csv"), "intervals", start.size, start[0], start[-1]),
        channel="phone",
        interval_minutes=15,
        start=start,
        offered=np.arange(start.size, dtype=float),
        answered=np.arange(start.size, dtype=float),
    )
    arrived = np.datetime64("2025-01-06T12:00:00") + np.arange(3) * np.timedelta64(1, "D")
    log = ContactLog(
        source=DataSource(Path("contacts.csv"), "contacts", 3, arrived[0], arrived[-1]),
        channel="email",
        arrived_at=arrived,
        outcome=np.full(3, ANSWERED, dtype=np.int8),
        wait_seconds=np.array([1.0, 2.0, 3.0]),
        handle_seconds=np.array([10.0, 20.0, 30.0]),
    )
    sources = (report.source, log.source)
    return DataSet({"phone": report}, {"email": log}, None, sources)


def test_between_keeps_the_rows_of_the_days_asked_for() -> None:
    cut = _data().between(dt.date(2025, 1, 7), dt.date(2025, 1, 7))
    phone, email = cut.intervals["phone"], cut.contacts["email"]
    assert phone.rows == 96 and email.rows == 1
    assert phone.offered[0] == 96 and phone.answered is not None and phone.answered[-1] == 191
    assert email.wait_seconds.tolist() == [2.0] and email.handle_seconds.tolist() == [20.0]
    assert phone.source.rows == 96
    assert str(phone.source.first) == "2025-01-07T00:00:00"
    assert str(phone.source.last) == "2025-01-07T23:45:00"
    assert phone.source.describe() == "intervals.csv, 96 rows, 2025-01-07 to 2025-01-07"


def test_open_ended_ranges_and_no_range() -> None:
    data = _data()
    assert data.between() is data
    assert data.between(start=dt.date(2025, 1, 8)).intervals["phone"].rows == 96
    assert data.between(end=dt.date(2025, 1, 6)).contacts["email"].rows == 1


def test_a_channel_without_rows_in_the_range_is_left_out() -> None:
    data = _data()
    log = data.contacts["email"]
    late = DataSet(data.intervals, {"email": log}, None, data.sources)
    cut = late.between(dt.date(2025, 1, 6), dt.date(2025, 1, 6))
    assert cut.channels == ("email", "phone")
    only_phone = DataSet(data.intervals, {}, None, data.sources)
    assert only_phone.between(end=dt.date(2025, 1, 6)).channels == ("phone",)


def test_a_range_without_any_row_is_one_line_naming_the_files_and_their_dates() -> None:
    with pytest.raises(DataFileError) as caught:
        _data().between(dt.date(2026, 1, 1), None)
    (line,) = caught.value.problems
    assert line == (
        "intervals.csv, contacts.csv: no interval row or contact from 2026-01-01 to the end "
        "(the data runs 2025-01-06 to 2025-01-08)"
    )


def test_the_files_sources_count_only_the_rows_kept() -> None:
    cut = _data().between(dt.date(2025, 1, 7), dt.date(2025, 1, 8))
    described = [s.describe() for s in cut.sources]
    assert described == [
        "intervals.csv, 192 rows, 2025-01-07 to 2025-01-08",
        "contacts.csv, 2 rows, 2025-01-07 to 2025-01-08",
    ]
