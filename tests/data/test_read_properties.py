"""Property tests: any delimiter, column order, header spelling, extra columns and date format
of a small interval report reads back the values written."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simroi.data import pieces
from simroi.data.columns import lowered
from simroi.data.dialect import DELIMITERS, stripped
from simroi.data.intervals import LENGTHS
from simroi.data.read import read_data
from simroi.data.values import CustomerIds

OURS = (
    "interval_start",
    "channel",
    "offered",
    "answered",
    "abandoned",
    "answered_within_sla",
    "handle_seconds_mean",
)
EXTRA = ("Notes", "Queue ID", "site", "Time Zone")
DATES = {
    "%Y-%m-%d %H:%M:%S": lambda t: str(t).replace("T", " "),
    "%m/%d/%Y %H:%M": lambda t: f"{t.month:02d}/{t.day:02d}/{t.year} {t.hour:02d}:{t.minute:02d}",
    "%d/%m/%Y %H:%M": lambda t: f"{t.day:02d}/{t.month:02d}/{t.year} {t.hour:02d}:{t.minute:02d}",
    "%d.%m.%Y %H:%M": lambda t: f"{t.day:02d}.{t.month:02d}.{t.year} {t.hour:02d}:{t.minute:02d}",
}


@st.composite
def reports(draw: st.DrawFn) -> dict[str, object]:
    """A small interval report: its rows by channel, and how the file spells them."""
    minutes = draw(st.sampled_from(LENGTHS))
    channels = draw(
        st.lists(st.sampled_from(["phone", "email", "chat"]), min_size=1, max_size=3, unique=True)
    )
    day = draw(st.integers(20, 27))  # a day above 12: day/month order is told from the data
    rows = []
    for channel in channels:
        n = draw(st.integers(2, 12))
        first = draw(st.integers(0, 40)) * minutes
        for k in range(n):
            offered = draw(st.integers(0, 60))
            answered = draw(st.integers(0, offered))
            abandoned = draw(st.integers(0, offered - answered))
            within = draw(st.integers(0, answered))
            aht = round(draw(st.floats(1, 2000)), 1) if answered else None
            start = np.datetime64(f"2025-01-{day}T00:00") + np.timedelta64(first + k * minutes, "m")
            rows.append((start, channel, offered, answered, abandoned, within, aht))
    return {
        "rows": rows,
        "order": draw(st.permutations(list(range(len(OURS) + len(EXTRA))))),
        "case": draw(
            st.lists(
                st.sampled_from(["lower", "upper", "title", "spaced"]),
                min_size=len(OURS) + len(EXTRA),
                max_size=len(OURS) + len(EXTRA),
            )
        ),
        "delimiter": draw(st.sampled_from(DELIMITERS)),
        "date": draw(st.sampled_from(list(DATES))),
        "bom": draw(st.booleans()),
        "extra": draw(st.text(alphabet="ab ,;|\t\"'x\n", max_size=6)),
        "minutes": minutes,
    }


def _spell(name: str, case: str) -> str:
    return {
        "lower": name,
        "upper": name.upper(),
        "title": name.replace("_", " ").title(),
        "spaced": f"  {name} ",
    }[case]


@settings(max_examples=60, deadline=None)
@given(reports())
def test_any_spelling_reads_back(report: dict) -> None:
    names = [*OURS, *EXTRA]
    order = report["order"]
    header = [_spell(names[i], report["case"][i]) for i in order]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=report["delimiter"], lineterminator="\n")
    writer.writerow(header)
    to_text = DATES[report["date"]]
    for start, channel, offered, answered, abandoned, within, aht in report["rows"]:
        ours = [
            to_text(start.astype(object)),
            channel,
            offered,
            answered,
            abandoned,
            within,
            "" if aht is None else aht,
        ]
        values = [*ours, *([report["extra"]] * len(EXTRA))]
        writer.writerow([values[i] for i in order])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.csv"
        path.write_text(("\ufeff" if report["bom"] else "") + out.getvalue(), encoding="utf-8")
        data = read_data(path)
    rows = report["rows"]
    assert sorted(data.intervals) == sorted({r[1] for r in rows})
    for channel, got in data.intervals.items():
        mine = sorted((r for r in rows if r[1] == channel), key=lambda r: r[0])
        assert got.interval_minutes == report["minutes"]
        np.testing.assert_array_equal(got.start, np.array([r[0] for r in mine], "datetime64[s]"))
        for j, field in enumerate(("offered", "answered", "abandoned", "answered_within_sla"), 2):
            np.testing.assert_array_equal(getattr(got, field), [r[j] for r in mine])
        np.testing.assert_array_equal(
            got.handle_seconds_mean, [np.nan if r[6] is None else r[6] for r in mine]
        )


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="abcé9", min_size=1, max_size=4), max_size=12)))
def test_customer_codes_are_first_appearance(chunks: list[list[str]]) -> None:
    """Codes from chunks equal codes by first appearance over the whole stream (a dict)."""
    ids = CustomerIds()
    reference: dict[str, int] = {}
    for chunk in chunks:
        got = ids.encode(np.asarray(chunk, dtype=str)) if chunk else np.empty(0, np.int64)
        want = [reference.setdefault(c, len(reference)) for c in chunk]
        np.testing.assert_array_equal(got, want)
    for text, code in reference.items():
        assert ids.text(code) == text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=" \tAbzÉé9-\r", max_size=5), min_size=1, max_size=8))
def test_quick_strip_and_lower_agree_with_numpy(values: list[str]) -> None:
    text = np.asarray(values, dtype=str)
    np.testing.assert_array_equal(stripped(text), np.char.strip(text))
    np.testing.assert_array_equal(lowered(text), np.char.lower(text))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=12),
    st.sampled_from(["f8", "i1", "?", "M8[s]", "U"]),
    st.integers(1, 8),
    st.integers(8, 64),
)
def test_pieces_join_what_was_added(sizes: list[int], dtype: str, first: int, cap: int) -> None:
    """Blocks that grow (from ``first`` rows up to ``cap`` bytes) hand back every value added,
    in order, whatever the chunk sizes."""
    chunks = [
        np.arange(start, start + n).astype(dtype if dtype != "U" else f"U{1 + n % 3}")
        for start, n in zip(np.cumsum([0, *sizes]).tolist(), sizes, strict=False)
    ]
    with (
        mock.patch.object(pieces, "FIRST_ROWS", first),
        mock.patch.object(pieces, "BLOCK_BYTES", cap),
    ):
        kept = pieces.Pieces("contacts")
        for chunk in chunks:
            kept.add({"x": chunk}, Path("a.csv"))
        got = kept.take("x")
    assert got is not None and kept.take("x") is None
    np.testing.assert_array_equal(got, np.concatenate(chunks))
