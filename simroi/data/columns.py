"""The columns of each kind of data file, how a file's header maps onto them, and the rules each
column's values must keep.

A file's kind is told by its header, after mapping (``columns``): ``interval_start`` and
``offered`` make an interval report, ``arrived_at`` and ``outcome`` a contact log,
``customer_id`` and ``churned`` customer outcomes. Header names match case-insensitively, with
surrounding spaces dropped and inner spaces and hyphens read as underscores (``Interval Start``
is ``interval_start``); columns no kind uses are ignored. ``columns`` maps our names to the
file's: ``{"interval_start": "DateTime", "offered": "Calls"}``; a date and a time in two columns
are joined with ``+`` (``{"interval_start": "date+period"}``), and a file with ``date`` and
``period`` columns but no ``interval_start`` (NICE IEX queue data) is read so without asking.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from simroi.data.frames import OUTCOMES
from simroi.errors import DataFileError, OptionError

__all__ = [
    "KINDS",
    "MAX_PROBLEMS",
    "Column",
    "Kind",
    "Problems",
    "detect_kind",
    "lowered",
    "normalize_name",
    "parse_bools",
    "parse_column_map",
    "parse_durations",
    "parse_numbers",
    "parse_outcomes",
]

#: Problems collected before a read stops.
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Column:
    """One column of a kind of file: ``rule`` is how its values are read.

    ``"time"`` a date-time; ``"count"`` a whole number ≥ 0; ``"nonnegative"`` a number ≥ 0;
    ``"positive"`` a number > 0; ``"real"`` any number; ``"bool"`` 0/1/true/false/yes/no;
    ``"outcome"`` one of :data:`~simroi.data.frames.OUTCOMES`; ``"text"`` any text.
    ``required``: a file of the kind must have the column; ``blank``: a cell may be empty (read
    as NaN, or False for a boolean).
    """

    name: str
    rule: str
    required: bool = False
    blank: bool = False


@dataclass(frozen=True)
class Kind:
    """A kind of data file: its name, the two columns that identify it, and all its columns."""

    name: str
    label: str
    key: tuple[str, str]
    columns: tuple[Column, ...]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


KINDS: tuple[Kind, ...] = (
    Kind(
        "intervals",
        "an interval report",
        ("interval_start", "offered"),
        (
            Column("interval_start", "time", True),
            Column("offered", "count", True),
            Column("channel", "text"),
            Column("answered", "count"),
            Column("abandoned", "count"),
            Column("answered_within_sla", "count"),
            Column("handle_seconds_mean", "nonnegative", blank=True),
            Column("wait_seconds_mean", "nonnegative", blank=True),
            Column("agents", "nonnegative", blank=True),
        ),
    ),
    Kind(
        "contacts",
        "a contact log",
        ("arrived_at", "outcome"),
        (
            Column("arrived_at", "time", True),
            Column("outcome", "outcome", True),
            Column("wait_seconds", "nonnegative", True),
            Column("handle_seconds", "nonnegative", True, blank=True),
            Column("channel", "text"),
            Column("resolved", "bool", blank=True),
            Column("public", "bool", blank=True),
            Column("customer_id", "text"),
        ),
    ),
    Kind(
        "customers",
        "customer outcomes",
        ("customer_id", "churned"),
        (
            Column("customer_id", "text", True),
            Column("churned", "bool", True),
            Column("experience", "text", True),
            Column("months_observed", "positive", True),
            Column("monthly_margin", "real", blank=True),
        ),
    ),
)

_TRUE = ("1", "true", "yes", "y", "t")
_FALSE = ("0", "false", "no", "n", "f")


def normalize_name(name: str) -> str:
    """A header name as matched: ``" Interval Start "`` → ``"interval_start"``."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


class Problems:
    """One line per problem, up to :data:`MAX_PROBLEMS`; then the read stops.

    ``add`` takes the file, row (spreadsheet numbering), column, rule and value of one problem.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, file: str, row: int | None, column: str | None, rule: str, value: str) -> None:
        where = file if row is None else f"{file} row {row}"
        if column is not None:
            where += f", column {column}"
        shown = value.replace("\r", "\\r").replace("\n", "\\n")
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        got = f" (got {shown})" if value else " (got an empty cell)"
        self.line(f"{where}: {rule}{got}")

    def line(self, text: str) -> None:
        self.lines.append(text)
        if len(self.lines) >= MAX_PROBLEMS:
            raise DataFileError([*self.lines, f"stopped after {MAX_PROBLEMS} problems"])

    def check(self) -> None:
        """Raise :class:`DataFileError` with every problem so far, if any."""
        if self.lines:
            raise DataFileError(self.lines)


def parse_column_map(specs: str | Sequence[str]) -> dict[str, str]:
    """Our names to the file's, from ``"interval_start=DateTime,offered=Calls"`` (or several
    such strings: a repeated ``--columns``), for :func:`~simroi.data.read.read_data`'s
    ``columns``.

    Raises
    ------
    OptionError
        A pair without ``=``, an empty name, or one of our names mapped twice.
    """
    pairs: dict[str, str] = {}
    for spec in [specs] if isinstance(specs, str) else specs:
        for item in spec.split(","):
            ours, sep, theirs = item.partition("=")
            ours, theirs = ours.strip(), theirs.strip()
            if not sep or not ours or not theirs:
                raise OptionError(
                    f"`columns` takes OURS=THEIRS pairs separated by commas, e.g. "
                    f"interval_start=DateTime,offered=Calls (got {item.strip()!r})"
                )
            if ours in pairs:
                raise OptionError(f"`columns` maps {ours} twice ({pairs[ours]!r}, {theirs!r})")
            pairs[ours] = theirs
    return pairs


def detect_kind(file: str, names: Sequence[str]) -> Kind:
    """The kind of file whose two key columns ``names`` (our names, after mapping) hold.

    Raises
    ------
    DataFileError
        One line naming the file, what each kind needs and the columns it has.
    """
    have = set(names)
    for kind in KINDS:
        if set(kind.key) <= have:
            return kind
    needs = "; ".join(
        f"{kind.label} needs {' and '.join(kind.key)}"
        + (f" (lacks {', '.join(c for c in kind.key if c not in have)})" if have else "")
        for kind in KINDS
    )
    shown = ", ".join(names) if names else "none"
    raise DataFileError(
        f"{file}: not a data file simroi reads: {needs}; its columns are {shown} "
        "(name yours with `columns`, e.g. interval_start=DateTime,offered=Calls)"
    )


def lowered(text: np.ndarray) -> np.ndarray:
    """``text`` in lower case; values are often lower case already, so look first (one pass
    over the code points) and convert only if some value has an upper-case or non-ASCII
    letter."""
    if text.size == 0 or text.dtype.itemsize == 0:
        return text
    codes = text.view(np.uint32)
    if (((codes >= 65) & (codes <= 90)) | (codes > 127)).any():
        return np.char.lower(text)
    return text


def parse_numbers(values: np.ndarray, *, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from text, shape (n,): (float64 values, NaN where empty; bad mask).

    ``decimal_comma`` reads ``3,5`` as 3.5 (files delimited by something other than a comma).
    """
    empty = values == ""
    text = np.char.replace(values, ",", ".") if decimal_comma else values
    out = np.full(values.shape[0], np.nan)
    bad = np.zeros(values.shape[0], dtype=bool)
    full = ~empty
    try:
        out[full] = text[full].astype(np.float64)
    except ValueError:
        for i in np.flatnonzero(full).tolist():
            try:
                out[i] = float(text[i])
            except ValueError:
                bad[i] = True
    bad |= np.isinf(out)
    bad |= np.isnan(out) & full
    out[bad] = np.nan  # no infinity reaches the rules (inf % 1 warns); the row is refused anyway
    return out, bad


def parse_durations(values: np.ndarray, *, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """Durations in seconds from text, shape (n,): (float64 seconds, NaN where empty; bad mask).

    A value is a number of seconds (as :func:`parse_numbers` reads it) or a clock duration, as
    contact-centre exports write handle and wait times: ``h:mm:ss``, ``mm:ss`` (``00:06:16``,
    ``6:16``, ``1:02:03.5``), minutes and seconds below 60 where a larger field leads them.
    """
    out, bad = parse_numbers(values, decimal_comma=decimal_comma)
    clock = bad & (np.char.find(values, ":") >= 0)
    if not clock.any():
        return out, bad
    text = values[clock]
    head, _, seconds = np.char.rpartition(text, ":").T
    hours, colon, minutes = np.char.rpartition(head, ":").T
    parts = [parse_numbers(p, decimal_comma=decimal_comma) for p in (hours, minutes, seconds)]
    (h, h_bad), (m, m_bad), (s, s_bad) = parts
    # Every field digits (the seconds' fraction after one point or comma): no sign, exponent
    # or empty field (":02:03" read as NaN, an empty cell passed for a required value).
    whole_seconds = np.char.partition(np.char.replace(seconds, ",", "."), ".")[:, 0]
    digits = np.char.isdigit(minutes) & np.char.isdigit(whole_seconds)
    digits &= (colon == "") | np.char.isdigit(hours)
    ok = ~(h_bad | m_bad | s_bad) & digits & (s < 60)
    ok &= (colon == "") | (m < 60)
    total = np.where(colon == "", 0.0, h) * 3600.0 + m * 60.0 + s
    out[clock] = np.where(ok, total, np.nan)
    bad[clock] = ~ok
    return out, bad


def parse_bools(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Booleans from text, shape (n,): (values, empty mask, bad mask)."""
    low = lowered(values)
    true = np.isin(low, _TRUE)
    false = np.isin(low, _FALSE)
    empty = values == ""
    return true, empty, ~(true | false | empty)


def parse_outcomes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcome codes (int8, :data:`~simroi.data.frames.OUTCOMES` order) and a bad mask."""
    low = lowered(values)
    codes = np.full(values.shape[0], -1, dtype=np.int8)
    for code, word in enumerate(OUTCOMES):
        codes[low == word] = code
    return codes, codes < 0


def resolve_header(
    file: str, header: Sequence[str], columns: Mapping[str, str]
) -> tuple[Kind, dict[str, tuple[int, ...]]]:
    """Which field(s) of each row hold each of our columns, and the file's kind.

    Returns the kind and, for each of its columns the file has, the indices of the fields it is
    read from (two for a date and time joined with ``+``).

    Raises
    ------
    DataFileError
        A mapped column the file lacks, the file matching no kind, or a required column missing.
    """
    names = [normalize_name(h) for h in header]
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)
    found: dict[str, tuple[int, ...]] = {}
    problems = Problems()
    known = {c.name for kind in KINDS for c in kind.columns}
    for ours, theirs in columns.items():
        if normalize_name(ours) not in known:
            problems.line(
                f"{file}: `columns` names {ours!r}, which is not a column simroi reads (one of "
                f"{', '.join(sorted(known))})"
            )
            continue
        parts = [normalize_name(p) for p in theirs.split("+")]
        if len(parts) > 2 or any(p not in index for p in parts):
            problems.line(
                f"{file}: `columns` maps {ours} to {theirs!r}, which is not a column of the file "
                f"(one name, or a date and a time joined with +; its columns: {', '.join(header)})"
            )
            continue
        found[normalize_name(ours)] = tuple(index[p] for p in parts)
    problems.check()
    taken = {i for idx in found.values() for i in idx}
    for name, i in index.items():
        if name not in found and i not in taken:
            found[name] = (i,)
    # NICE IEX queue data: a date (mmddyyyy) and a period (HH:MM) instead of one date-time.
    if "interval_start" not in found and "date" in found and "period" in found:
        found["interval_start"] = (found["date"][0], found["period"][0])
    kind = detect_kind(file, list(found))
    lacking = [c for c in kind.required if c not in found]
    if lacking:
        raise DataFileError(
            f"{file}: {kind.label} needs column{'s' if len(lacking) > 1 else ''} "
            f"{', '.join(lacking)} (its columns: {', '.join(header)}; map names with `columns`)"
        )
    fields = {c.name: found[c.name] for c in kind.columns if c.name in found}
    for i in sorted({i for idx in fields.values() for i in idx}):
        twice = [j + 1 for j, name in enumerate(names) if name == names[i]]
        if len(twice) > 1:
            problems.line(
                f"{file}: column {header[i]!r} appears {len(twice)} times in the header (fields "
                f"{', '.join(map(str, twice))}); which to read is unclear: rename or remove all "
                "but one"
            )
    problems.check()
    return kind, fields
