"""The exceptions simroi raises for problems a user can fix.

Every domain error subclasses :class:`SimroiError` (an ``Exception``) *and* the builtin it
refines, so callers can catch either: ``ValueError`` for bad values and scenario files
(:class:`ScenarioError`, :class:`OptionError`, :class:`ResultFileError`, and the analyses' own),
``OSError`` for files that cannot be read or written (:class:`InputFileError`,
:class:`OutputError`). Problems that are neither, an unusable Dask cluster or a block that runs
out of memory, raise ``SimroiError`` itself. The CLI maps any ``SimroiError`` to a one-line
message and exit status 2; anything else is a bug and is allowed to surface.

Messages speak the library's language: scenario keys (``channels.phone.agents``) and the names of
the Python API's arguments, the latter between single backticks, as in "`workers` must be ≥ 1
(got 0)". A front end with names of its own for those arguments shows
:meth:`SimroiError.worded`: the CLI passes its flags, and prints "--workers must be ≥ 1 (got 0)".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_ARGUMENT = re.compile(r"`([a-z][a-z0-9_]*)`")
#: Control characters (C0, DEL, C1) as their Python escapes: a file name may hold a line break.
_ESCAPES = {c: repr(chr(c))[1:-1] for c in (*range(0x20), *range(0x7F, 0xA0))}


class SimroiError(Exception):
    """Base class for problems in the user's input or environment (exit status 2 in the CLI)."""

    def worded(self, names: Mapping[str, str]) -> str:
        """The message with each backticked argument name found in ``names`` replaced by its
        entry (``{"workers": "--workers"}``); other text, and names not in ``names``, are kept."""
        return _word(str(self), names)

    def worded_lines(self, names: Mapping[str, str]) -> list[str]:
        """One line per problem, worded as :meth:`worded` words the message; a line break or
        another control character inside a problem (a file named ``"a\\nb"``) is written as its
        escape, so no problem spills onto a second line."""
        return [worded_text(problem, names) for problem in self._problem_list()]

    def _problem_list(self) -> list[str]:
        return [str(self)]


def worded_text(text: str, names: Mapping[str, str]) -> str:
    """``text`` as one line of a front end: each backticked argument name found in ``names``
    replaced by its entry, as :meth:`SimroiError.worded` words a message, and a line break or
    another control character inside it (a file named ``"a\\nb"``) written as its escape."""
    return _word(text, names).translate(_ESCAPES)


def _word(text: str, names: Mapping[str, str]) -> str:
    return _ARGUMENT.sub(lambda m: names.get(m.group(1), m.group(0)), text)


class ScenarioError(SimroiError, ValueError):
    """A scenario file, an override or a value in it breaks a rule.

    ``problems`` holds one line per problem, each naming the file, the key, the rule and the value.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))

    def _problem_list(self) -> list[str]:
        return self.problems


class OptionError(SimroiError, ValueError):
    """An argument of a library call breaks a rule: a run option (``workers``, ``scheduler`` …)
    or an input of a queue study. The message names the argument between backticks."""


class InputFileError(SimroiError, OSError):
    """A file simroi must read is missing, unreadable or not what it claims to be."""


class OutputError(SimroiError, OSError):
    """An output file cannot be written (unwritable directory, full disk, ...)."""


class ResultFileError(SimroiError, ValueError):
    """A result or checkpoint file is missing, corrupt, foreign or from an incompatible run."""


class DataFileError(SimroiError, ValueError):
    """A data file (interval report, contact log, customer outcomes) breaks a rule.

    ``problems`` holds one line per problem, each naming the file, the row, the column, the rule
    and the value: ``intervals.csv row 17, column offered: must be a whole number ≥ 0 (got -3)``.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))

    def _problem_list(self) -> list[str]:
        return self.problems
