"""Fuzzing helpers: schema-independent mutation of real scenario files, and a verdict on what a
command did with one.

The mutator knows nothing of simroi's schema. It edits the text of a file the way a user's
slip or a broken export would: a value replaced by a string, a sign, zero, a huge or tiny
number, an infinity or NaN, a broken distribution table, a list, a boolean; a line deleted,
duplicated or cut; a table header mangled. :func:`verdict` classifies what a command did:
``ok`` (exit 0), ``refused`` (exit 2 with one ``error:`` line per problem) or ``crash``
(anything else: a traceback, an uncaught exception, a half-line message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

__all__ = ["MUTATIONS", "Verdict", "mutate", "verdict"]

ASSIGNMENT = re.compile(r"^(\s*[A-Za-z0-9_.\"-]+\s*=\s*)(.+)$")

VALUES = [
    '"text"',
    '""',
    "-1",
    "0",
    "-0.0",
    "1e308",
    "-1e308",
    "5e-324",
    "1e-300",
    "inf",
    "-inf",
    "nan",
    "true",
    "[1, 2]",
    "[]",
    "{}",
    "99999999999999999",
    '{ dist = "gamma", mean = 1e-300, sd = 1 }',
    '{ dist = "gamma", mean = 1, sd = 1e6 }',
    '{ dist = "beta", mean = 0.5, sd = 1e-301 }',
    '{ dist = "normal", mean = 1, sd = 1e308 }',
    '{ dist = "lognormal", p5 = 1e-320, p95 = 1 }',
    '{ dist = "lognormal", p5 = 9, p95 = 3 }',
    '{ dist = "pert", low = 1, mode = 0, high = 2 }',
    '{ dist = "triangular", low = 0, mode = 1e-320, high = 1e-310 }',
    '{ dist = "uniform", low = -1e308, high = 1e308 }',
    '{ dist = "uniform", low = 2, high = 1 }',
    '{ dist = "choice", values = [1, 2], weights = [0.5] }',
    '{ dist = "poisson", mean = 1e300 }',
    '{ dist = "exponential", mean = 0 }',
    '{ dist = "nope", mean = 1 }',
    '{ dist = "normal" }',
    "{ mean = 3 }",
]


def _replace_value(lines: list[str], rng: np.random.Generator) -> None:
    candidates = [i for i, line in enumerate(lines) if ASSIGNMENT.match(line)]
    if not candidates:
        return
    i = int(rng.choice(candidates))
    match = ASSIGNMENT.match(lines[i])
    assert match is not None
    value = match.group(2).split("#", 1)[0].strip()
    number = re.fullmatch(r"-?[0-9_.eE+-]+", value)
    choices = list(VALUES)
    if number:  # numbers scaled up and down by powers of ten, and their sign flipped
        x = float(value.replace("_", ""))
        choices += [repr(x * 10.0 ** int(rng.choice([-300, -12, -3, 3, 12, 300]))), repr(-x)]
    lines[i] = match.group(1) + str(rng.choice(choices))


def _delete_line(lines: list[str], rng: np.random.Generator) -> None:
    if lines:
        del lines[int(rng.integers(len(lines)))]


def _duplicate_line(lines: list[str], rng: np.random.Generator) -> None:
    if lines:
        i = int(rng.integers(len(lines)))
        lines.insert(i, lines[i])


def _cut_line(lines: list[str], rng: np.random.Generator) -> None:
    if lines:
        i = int(rng.integers(len(lines)))
        lines[i] = lines[i][: int(rng.integers(len(lines[i]) + 1))]


def _mangle_header(lines: list[str], rng: np.random.Generator) -> None:
    headers = [i for i, line in enumerate(lines) if line.lstrip().startswith("[")]
    if headers:
        i = int(rng.choice(headers))
        lines[i] = str(rng.choice(["[channels.]", "[[channels]]", "[nope]", "[experience", "[]"]))


def _truncate(lines: list[str], rng: np.random.Generator) -> None:
    del lines[int(rng.integers(len(lines) + 1)) :]


MUTATIONS = {
    "value": _replace_value,
    "delete": _delete_line,
    "duplicate": _duplicate_line,
    "cut": _cut_line,
    "header": _mangle_header,
    "truncate": _truncate,
}
# Mostly value replacements: they reach the validators; the others mostly hit the TOML parser.
WEIGHTS = {"value": 12, "delete": 3, "duplicate": 1, "cut": 1, "header": 1, "truncate": 1}


def mutate(text: str, rng: np.random.Generator, edits: int | None = None) -> str:
    """``text`` with 1–3 random edits (or ``edits``), chosen by ``rng``."""
    lines = text.splitlines()
    names = list(WEIGHTS)
    weights = np.array([WEIGHTS[n] for n in names], dtype=float)
    for _ in range(edits if edits is not None else int(rng.integers(1, 4))):
        name = str(rng.choice(names, p=weights / weights.sum()))
        MUTATIONS[name](lines, rng)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Verdict:
    """What a command did: ``kind`` is ``ok``, ``refused`` or ``crash``; ``detail`` says why."""

    kind: str
    detail: str


def verdict(exit_code: int, output: str, exception: BaseException | None) -> Verdict:
    """Classify one command's outcome (``exception`` as CliRunner reports it)."""
    if exception is not None and not isinstance(exception, SystemExit):
        return Verdict("crash", f"{type(exception).__name__}: {exception}")
    if "Traceback" in output:
        return Verdict("crash", "a traceback in the output")
    if exit_code == 0:
        return Verdict("ok", "")
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    if exit_code == 2 and errors:
        return Verdict("refused", errors[0])
    return Verdict("crash", f"exit {exit_code}: {output.strip()[-300:]}")
