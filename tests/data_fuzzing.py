"""Fuzzing helpers for the data files ``calibrate`` and ``backtest`` read: schema-independent
mutation of real sample files, and one case run through a command with a time limit.

The mutator knows nothing of the columns' meaning. It edits the bytes of a delimited file the
way a broken export, a spreadsheet round trip or a user's slip would: a cell replaced by text,
nothing, a flipped sign, a huge, tiny, NaN or infinite number, a date in another format, a broken
or impossible date, a daylight-saving-like jump, a value from another cell (a date out of order
or duplicated, a channel where a count should be), a whole column made one value; rows deleted,
duplicated, shuffled, cut mid-line or kept only where one column has one value; columns
dropped, renamed, reordered or duplicated; the delimiter changed on every line or only on some;
a byte-order mark, quotes (balanced or not), CRLF line ends, bytes that are not UTF-8, a NUL;
the header alone, zero bytes, a very long line, blank lines.

:func:`run_case` invokes one command through click's CliRunner under a ``SIGALRM`` time limit
and returns a :class:`Outcome`: ``ok`` (exit 0, the ``--out`` file written), ``refused``
(exit 2, every line on stderr an ``error:`` line, no ``--out`` file), ``crash`` (anything else:
an exception escaping the command, a traceback, another exit status, a stray line or a warning
Python would show, a refused command that left its output) or ``hang`` (past the limit).
"""

from __future__ import annotations

import signal
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from simroi.cli.app import main

__all__ = ["MUTATIONS", "TEXT_EDITS", "Outcome", "edit_text", "mutate_data", "run_case"]

Rows = list[list[str]]

#: Replacement cell values, whatever the column: numbers at and past float's limits, words,
#: booleans, channel-like tokens, and dates and times in other formats, broken or extreme.
VALUES = [
    "text",
    "",
    " ",
    "-1",
    "0",
    "-0.0",
    "1e308",
    "-1e308",
    "1e999",
    "5e-324",
    "1e-300",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "99999999999999999999999",
    "1,5",
    "1.5.5",
    "0x1F",
    "1_000",
    "true",
    "yes",
    "NULL",
    "N/A",
    "chat",
    "PHONE",
    "Email ",
    "twitter",
    "answered",
    "ABANDONED",
    "none",
    "2025-01-06",
    "2025-01-06T00:15:00Z",
    "2025-01-06 00:15:00+05:00",
    "06/01/2025 00:15",
    "01/06/2025 12:15 AM",
    "20250106 0015",
    "2025-13-45 99:99:99",
    "2025-02-29 00:00:00",
    "2025-03-30 02:30:00",
    "2025-10-26 02:30:00",
    "1970-01-01 00:00:00",
    "0001-01-01 00:00:00",
    "9999-12-31 23:59:59",
    "2025-01-06 24:00:00",
    "1736121600",
    "é",
    '"',
    "a,b",
]


def _cell_position(rows: Rows, rng: np.random.Generator) -> tuple[int, int] | None:
    body = [i for i in range(1, len(rows)) if rows[i]]
    if not body:
        return None
    i = int(rng.choice(body))
    return i, int(rng.integers(len(rows[i])))


def _replace_cell(rows: Rows, rng: np.random.Generator) -> None:
    where = _cell_position(rows, rng)
    if where is None:
        return
    i, j = where
    old = rows[i][j]
    choices = list(VALUES)
    try:
        x = float(old)
    except ValueError:
        pass
    else:  # a number scaled by powers of ten, its sign flipped, made an integer's text
        choices += [repr(x * 10.0 ** int(rng.choice([-300, -9, -3, 3, 9, 300]))), repr(-x)]
        choices += [str(round(x)), f"{x:.20f}"]
    if old[:4].isdigit() and len(old) >= 16:  # a date-time: minutes or hours jumped
        choices += [old[:-5] + "59:59", old[:11] + "23" + old[13:], old[:11] + "02" + old[13:]]
    rows[i][j] = str(rng.choice(choices))


def _flip_sign(rows: Rows, rng: np.random.Generator) -> None:
    where = _cell_position(rows, rng)
    if where is not None:
        i, j = where
        old = rows[i][j]
        rows[i][j] = old[1:] if old.startswith("-") else "-" + old


def _copy_cell(rows: Rows, rng: np.random.Generator) -> None:
    """A cell taken from another row (same column: a date out of order or duplicated) or from
    another column (a word where a number should be)."""
    a, b = _cell_position(rows, rng), _cell_position(rows, rng)
    if a is None or b is None:
        return
    j = a[1] if rng.random() < 0.6 and a[1] < len(rows[b[0]]) else b[1]
    rows[a[0]][a[1]] = rows[b[0]][j]


def _delete_rows(rows: Rows, rng: np.random.Generator) -> None:
    if len(rows) > 1:
        i = int(rng.integers(len(rows)))
        del rows[i : i + int(rng.choice([1, 1, 5, 100]))]


def _duplicate_rows(rows: Rows, rng: np.random.Generator) -> None:
    if rows:
        i = int(rng.integers(len(rows)))
        rows[i:i] = [list(r) for r in rows[i : i + int(rng.choice([1, 1, 10]))]]


def _shuffle_rows(rows: Rows, rng: np.random.Generator) -> None:
    if len(rows) > 2:
        body = rows[1:]
        if rng.random() < 0.5:  # every row
            order = rng.permutation(len(body))
        else:  # two rows swapped
            order = np.arange(len(body))
            i, k = rng.integers(len(body), size=2)
            order[[i, k]] = order[[k, i]]
        rows[1:] = [body[int(o)] for o in order]


def _drop_column(rows: Rows, rng: np.random.Generator) -> None:
    if rows and rows[0]:
        j = int(rng.integers(len(rows[0])))
        for row in rows:
            if j < len(row):
                del row[j]


def _rename_column(rows: Rows, rng: np.random.Generator) -> None:
    if rows and rows[0]:
        j = int(rng.integers(len(rows[0])))
        other = rows[0][int(rng.integers(len(rows[0])))]
        new = ["x", "", rows[0][j].upper(), f" {rows[0][j]} ", rows[0][j] + "_2", other, "channel"]
        rows[0][j] = str(rng.choice(new))


def _reorder_columns(rows: Rows, rng: np.random.Generator) -> None:
    if rows and rows[0]:
        order = rng.permutation(len(rows[0]))
        for k, row in enumerate(rows):
            if len(row) == len(order):
                rows[k] = [row[int(o)] for o in order]


def _duplicate_column(rows: Rows, rng: np.random.Generator) -> None:
    if rows and rows[0]:
        j = int(rng.integers(len(rows[0])))
        for row in rows:
            if j < len(row):
                row.insert(j, row[j])


def _extra_column(rows: Rows, rng: np.random.Generator) -> None:
    for k, row in enumerate(rows):
        row.append("extra" if k == 0 else str(rng.choice(["", "1", "x"])))


def _constant_column(rows: Rows, rng: np.random.Generator) -> None:
    """One column the same in every row: one of its own cells, zero or nothing (data without
    variation: one channel, every wait zero, every outcome the same)."""
    where = _cell_position(rows, rng)
    if where is not None:
        i, j = where
        value = str(rng.choice([rows[i][j], rows[i][j], "0", ""]))
        for row in rows[1:]:
            if j < len(row):
                row[j] = value


def _keep_rows_like(rows: Rows, rng: np.random.Generator) -> None:
    """Only the rows that share (or that do not share) one row's value in one column: a file of
    one channel, one outcome, one day; or without them."""
    where = _cell_position(rows, rng)
    if where is not None:
        i, j = where
        value, keep = rows[i][j], bool(rng.random() < 0.5)
        rows[1:] = [r for r in rows[1:] if (j < len(r) and r[j] == value) == keep]


def _header_only(rows: Rows, rng: np.random.Generator) -> None:
    del rows[1:]


def _long_cell(rows: Rows, rng: np.random.Generator) -> None:
    where = _cell_position(rows, rng)
    if where is not None:
        i, j = where
        rows[i][j] = str(rng.choice(["9", "x", "1,"])) * int(rng.choice([1000, 200_000]))


MUTATIONS: dict[str, Callable[[Rows, np.random.Generator], None]] = {
    "cell": _replace_cell,
    "sign": _flip_sign,
    "copy": _copy_cell,
    "delete rows": _delete_rows,
    "duplicate rows": _duplicate_rows,
    "shuffle rows": _shuffle_rows,
    "drop column": _drop_column,
    "rename column": _rename_column,
    "reorder columns": _reorder_columns,
    "duplicate column": _duplicate_column,
    "extra column": _extra_column,
    "constant column": _constant_column,
    "keep rows like": _keep_rows_like,
    "header only": _header_only,
    "long cell": _long_cell,
}
# Mostly cell edits: they reach the value rules and the fitting; the others the reader's layout.
WEIGHTS = {name: 1.0 for name in MUTATIONS} | {
    "cell": 10.0,
    "sign": 2.0,
    "copy": 3.0,
    "constant column": 2.0,
    "keep rows like": 2.0,
}
#: Edits of the file's text after the rows are joined: (name, weight).
TEXT_EDITS = {
    "delimiter": 1.0,
    "mixed delimiter": 1.0,
    "quotes": 1.0,
    "cut": 1.0,
    "blank lines": 0.5,
    "crlf": 1.0,
    "bom": 1.0,
    "latin-1": 1.0,
    "bad bytes": 1.0,
    "nul": 0.5,
    "empty": 0.3,
}


def edit_text(text: str, name: str, rng: np.random.Generator) -> bytes:
    """The bytes of ``text`` after the whole-text edit ``name`` (one of :data:`TEXT_EDITS`)."""
    lines = text.split("\n")
    pick = int(rng.integers(len(lines)))
    if name == "delimiter":
        text = text.replace(",", str(rng.choice([";", "\t", "|", " "])))
    elif name == "mixed delimiter":
        lines[pick] = lines[pick].replace(",", str(rng.choice([";", "\t", "|"])))
        text = "\n".join(lines)
    elif name == "quotes":
        cells = lines[pick].split(",")
        k = int(rng.integers(len(cells)))
        cells[k] = str(
            rng.choice([f'"{cells[k]}"', f'"{cells[k]}', f'{cells[k]}"', f"'{cells[k]}'"])
        )
        lines[pick] = ",".join(cells)
        text = "\n".join(lines)
    elif name == "cut":  # truncated mid-line: a download or a copy that stopped
        cut = len("\n".join(lines[:pick])) + int(rng.integers(len(lines[pick]) + 1))
        text = text[:cut]
    elif name == "blank lines":
        lines.insert(pick, str(rng.choice(["", " ", ",,,"])))
        text = "\n".join(lines)
    elif name == "crlf":
        text = text.replace("\n", "\r\n") if rng.random() < 0.7 else text.replace("\n", "\r")
    elif name == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    elif name == "latin-1":
        return text.replace("e", "é", 3).encode("latin-1", "replace")
    elif name == "bad bytes":
        data = bytearray(text.encode())
        bad = [b"\xff\xfe", b"\x80", b"\xc3"][int(rng.integers(3))]
        at = int(rng.integers(len(data) + 1))
        data[at:at] = bad
        return bytes(data)
    elif name == "nul":
        data = bytearray(text.encode())
        at = int(rng.integers(len(data) + 1))
        data[at:at] = b"\x00"
        return bytes(data)
    elif name == "empty":
        return b""
    return text.encode()


def mutate_data(text: str, rng: np.random.Generator, edits: int | None = None) -> bytes:
    """The bytes of a comma-delimited ``text`` after 1–3 random edits (or ``edits``).

    Row and column edits split lines on commas (no quoting: the sample files have none); one
    edit in four is instead an edit of the whole text or of its bytes (:data:`TEXT_EDITS`),
    applied last.
    """
    rows = [line.split(",") for line in text.splitlines()]
    names = list(WEIGHTS)
    weights = np.array([WEIGHTS[n] for n in names])
    text_names = list(TEXT_EDITS)
    text_weights = np.array([TEXT_EDITS[n] for n in text_names])
    late: list[str] = []
    for _ in range(edits if edits is not None else int(rng.integers(1, 4))):
        if rng.random() < 0.25:
            late.append(str(rng.choice(text_names, p=text_weights / text_weights.sum())))
        else:
            MUTATIONS[str(rng.choice(names, p=weights / weights.sum()))](rows, rng)
    out = "\n".join(",".join(row) for row in rows) + "\n"
    if not late:
        return out.encode()
    for name in late[:-1]:  # text edits that return bytes end the chain
        out = edit_text(out, name, rng).decode("utf-8", "replace")
    return edit_text(out, late[-1], rng)


@dataclass(frozen=True)
class Outcome:
    """What one command did: ``kind`` is ``ok``, ``refused``, ``crash`` or ``hang``;
    ``detail`` is the first ``error:`` line of a refusal, or why a crash is one."""

    kind: str
    detail: str


#: Warnings Python hides from a command's user by default.
_HIDDEN = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


class Hang(Exception):
    """A command ran past its time limit."""


def _alarm(signum: int, frame: object) -> None:
    raise Hang


def run_case(args: list[str], *, out: Path | None = None, timeout: float = 120.0) -> Outcome:
    """Run ``simroi ARGS`` in-process, stopped after ``timeout`` seconds, and judge it.

    ``out`` is the command's ``--out`` file, if it has one: written on exit 0, absent on exit 2.
    The limit is a ``SIGALRM`` timer, so this runs in the main thread only.
    """
    if out is not None:
        out.unlink(missing_ok=True)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # every time, not once per place
            result = CliRunner().invoke(main, args, catch_exceptions=True)
    except Hang:
        return Outcome("hang", f"over {timeout:g} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if isinstance(result.exception, Hang):
        return Outcome("hang", f"over {timeout:g} s")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return Outcome("crash", f"{type(result.exception).__name__}: {result.exception}")
    if "Traceback" in result.output:
        return Outcome("crash", "a traceback in the output")
    shown = [w for w in caught if not issubclass(w.category, _HIDDEN)]
    if shown:  # a warning Python shows the user is a stray line on stderr
        w = shown[0]
        return Outcome("crash", f"{w.category.__name__} at {w.filename}:{w.lineno}: {w.message}")
    stderr = [line for line in result.stderr.splitlines() if line.strip()]
    if result.exit_code == 0:
        if out is not None and not out.exists():
            return Outcome("crash", f"exit 0 without {out.name}")
        return Outcome("ok", "")
    if result.exit_code == 2 and stderr and all(line.startswith("error:") for line in stderr):
        if out is not None and out.exists():
            return Outcome("crash", f"refused but wrote {out.name}: {stderr[0]}")
        return Outcome("refused", stderr[0])
    return Outcome("crash", f"exit {result.exit_code}: {result.output.strip()[-300:]}")
