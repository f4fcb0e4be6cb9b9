"""The exceptions simroi raises for problems a user can fix.

Every domain error subclasses :class:`SimroiError` *and* the builtin it refines, so callers
can catch either. The CLI maps any ``SimroiError`` to a one-line message and exit status 2;
anything else is a bug and is allowed to surface.
"""

from __future__ import annotations


class SimroiError(Exception):
    """Base class for problems in the user's input or environment (exit status 2 in the CLI)."""


class ScenarioError(SimroiError, ValueError):
    """A scenario file, an override or a value in it breaks a rule.

    ``problems`` holds one line per problem, each naming the file, the key, the rule and the value.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class InputFileError(SimroiError, OSError):
    """A file simroi must read is missing, unreadable or not what it claims to be."""


class OutputError(SimroiError, OSError):
    """An output file cannot be written (unwritable directory, full disk, ...)."""


class ResultFileError(SimroiError, ValueError):
    """A result or checkpoint file is missing, corrupt, foreign or from an incompatible run."""
