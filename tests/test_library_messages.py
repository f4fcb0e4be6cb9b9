"""No library message names a CLI flag: outside ``simroi/cli/``, errors speak of arguments.

The Python API and the command line share every error message. A library message names an
argument between backticks ("`trials` must be ≥ 1") and the CLI rewords it as its flag
(:meth:`simroi.errors.SimroiError.worded`); a ``--flag`` written into a library message would
reach a notebook user who has no such flag. ``tests/execution/test_option_errors.py`` holds a few
packages' raise statements to this; here every module outside ``simroi/cli/`` is read, and with
the messages as they are built, not only as they are raised:

* every string literal (f-string text included) in a ``raise``, in an exception built anywhere
  (a call to an exception class: a builtin, one whose name ends in ``Error``, ``Exception`` or
  ``Warning``, or a simroi class deriving from one) and in a ``warn(...)`` call;
* what the names in those expressions hold, in the function that raises: assignments (walrus
  included) and what is appended, extended, inserted or added to them, then what *those* names
  hold, and module-level constants (also those imported from another simroi module);
* the whole body (docstrings aside) of every simroi function, method or exception class those
  expressions call, followed across modules by import: the rule functions that return problem
  lines (``scenario_problems``, each distribution's ``_problems``) are messages too.

Docstrings and comments may name flags; they document the command line.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import simroi

PACKAGE = Path(simroi.__file__).parent
#: A command-line flag, also when an f-string builds it (``f"--{name}"``).
FLAG = re.compile(r"(?<![\w-])--(?:[a-z]|\{)")
_ERROR_SUFFIXES = ("Error", "Exception", "Warning")
_GROWERS = {"append", "extend", "insert", "add", "update"}

Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.Module
Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass
class _Module:
    """One parsed module with what the scan needs to resolve its names."""

    name: str
    path: Path
    tree: ast.Module
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    definitions: dict[str, list[Definition]] = field(default_factory=dict)
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (module, name)

    @classmethod
    def parse(cls, name: str, path: Path, source: str | None = None) -> _Module:
        text = path.read_text(encoding="utf-8") if source is None else source
        module = cls(name, path, ast.parse(text))
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(module.tree):
            for child in ast.iter_child_nodes(node):
                module.parents[child] = node
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                module.definitions.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    kept = package[: len(package) - node.level + 1]
                    base = ".".join([*kept, *filter(None, [base])])
                for alias in node.names:
                    module.imported[alias.asname or alias.name] = (base, alias.name)
        return module

    def scope_of(self, node: ast.AST) -> Scope:
        """The function (or the module) a node is written in."""
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return self.tree


def _library_modules() -> dict[str, _Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[1:2] == ["cli"]:
            continue  # the command line speaks of its own flags
        name = ".".join(parts)
        found[name] = _Module.parse(name, path)
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring constants in ``tree``."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _texts(node: ast.AST, skip: set[int]) -> Iterator[tuple[int, str]]:
    """String literals in ``node``; an f-string as its text with ``{}`` for each value."""
    inside_fstrings: set[int] = set()
    for part in ast.walk(node):
        if isinstance(part, ast.JoinedStr):
            text = "".join(
                str(value.value) if isinstance(value, ast.Constant) else "{}"
                for value in part.values
            )
            inside_fstrings |= {id(value) for value in ast.walk(part)}
            yield part.lineno, text
    for part in ast.walk(node):
        if (
            isinstance(part, ast.Constant)
            and isinstance(part.value, str)
            and id(part) not in skip | inside_fstrings
        ):
            yield part.lineno, part.value


class _MessageScan:
    """The strings that can end up in an error message, per module (see the module docstring)."""

    def __init__(self, modules: dict[str, _Module]) -> None:
        self.modules = modules
        self.seen: set[tuple[str, int]] = set()
        self.found: list[tuple[str, int, str]] = []

    # -- what a name or a call refers to -------------------------------------------------------

    def _definitions(self, module: _Module, name: str) -> list[tuple[_Module, Definition]]:
        """simroi definitions ``name`` refers to in ``module``: its own, or imported ones."""
        if name in module.definitions:
            return [(module, d) for d in module.definitions[name]]
        origin = module.imported.get(name)
        if origin is not None and origin[0] in self.modules:
            other = self.modules[origin[0]]
            return [(other, d) for d in other.definitions.get(origin[1], [])]
        return []

    def _is_error_class(self, module: _Module, name: str, depth: int = 0) -> bool:
        builtin = getattr(builtins, name, None)
        if isinstance(builtin, type) and issubclass(builtin, BaseException):
            return True
        if name.endswith(_ERROR_SUFFIXES):
            return True
        if depth > 20:
            return False
        for owner, definition in self._definitions(module, name):
            if isinstance(definition, ast.ClassDef):
                for base in definition.bases:
                    base_name = base.attr if isinstance(base, ast.Attribute) else None
                    base_name = base.id if isinstance(base, ast.Name) else base_name
                    if base_name and self._is_error_class(owner, base_name, depth + 1):
                        return True
        return False

    @staticmethod
    def _callee(call: ast.Call) -> str | None:
        if isinstance(call.func, ast.Name):
            return call.func.id
        if isinstance(call.func, ast.Attribute):
            return call.func.attr
        return None

    def is_message_root(self, module: _Module, node: ast.AST) -> bool:
        if isinstance(node, ast.Raise):
            return node.exc is not None
        if isinstance(node, ast.Call):
            callee = self._callee(node)
            return callee == "warn" or (callee is not None and self._is_error_class(module, callee))
        return False

    # -- following a message back to its strings -------------------------------------------------

    def expression(self, module: _Module, scope: Scope, node: ast.AST) -> None:
        """Scan an expression that is (part of) a message, written in ``scope``."""
        if not self._first_visit(module, node):
            return
        skip = _docstrings(node)
        for line, text in _texts(node, skip):
            self._check(module, line, text)
        for part in ast.walk(node):
            if isinstance(part, ast.Name) and isinstance(part.ctx, ast.Load):
                self.name(module, scope, part.id)
            elif isinstance(part, ast.Call):
                callee = self._callee(part)
                if callee is not None:
                    for owner, definition in self._definitions(module, callee):
                        self.definition(owner, definition)

    def name(self, module: _Module, scope: Scope, name: str) -> None:
        """What ``name`` holds in ``scope``, else at module level, else where it was imported."""
        places: list[tuple[_Module, Scope, str]] = [(module, scope, name)]
        if scope is not module.tree:
            places.append((module, module.tree, name))
        origin = module.imported.get(name)
        if origin is not None and origin[0] in self.modules:
            places.append((self.modules[origin[0]], self.modules[origin[0]].tree, origin[1]))
        for owner, where, stored_as in places:
            values = list(self._values(where, stored_as))
            for value in values:
                self.expression(owner, where, value)
            if values:
                return

    def definition(self, module: _Module, definition: Definition) -> None:
        """A simroi function, method or class a message is built with: all of its strings."""
        if not self._first_visit(module, definition):
            return
        skip = _docstrings(definition)
        for line, text in _texts(definition, skip):
            self._check(module, line, text)
        for part in ast.walk(definition):
            if isinstance(part, ast.Call):
                callee = self._callee(part)
                if callee is not None:
                    for owner, other in self._definitions(module, callee):
                        self.definition(owner, other)

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _values(scope: Scope, name: str) -> Iterator[ast.AST]:
        """Expressions stored in ``name`` within ``scope``, or grown into it (``append`` …).

        In a module, only module-level statements count (a function's locals are its own).
        """
        if isinstance(scope, ast.Module):
            nodes = [
                node
                for statement in scope.body
                if not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                for node in ast.walk(statement)
            ]
        else:
            nodes = list(ast.walk(scope))
        for node in nodes:
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.NamedExpr):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                stored = {t.id for tgt in targets for t in ast.walk(tgt) if isinstance(t, ast.Name)}
                if name in stored and node.value is not None:
                    yield node.value
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _GROWERS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name
            ):
                yield from node.args

    def _first_visit(self, module: _Module, node: ast.AST) -> bool:
        key = (module.name, id(node))
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def _check(self, module: _Module, line: int, text: str) -> None:
        if FLAG.search(text):
            self.found.append((module.name, line, text))

    # -- the whole scan --------------------------------------------------------------------------

    def run(self) -> list[str]:
        for module in self.modules.values():
            for node in ast.walk(module.tree):
                if self.is_message_root(module, node):
                    self.expression(module, module.scope_of(node), node)
        return sorted({f"{m}:{line}: {text!r}" for m, line, text in self.found})


def flag_mentions(modules: dict[str, _Module]) -> list[str]:
    """Every message string (as above) in ``modules`` that names a CLI flag."""
    return _MessageScan(modules).run()


def test_no_library_message_outside_the_cli_names_a_cli_flag() -> None:
    offending = flag_mentions(_library_modules())
    assert offending == [], "\n".join(offending)


def test_the_scan_reads_every_package_outside_the_cli() -> None:
    packages = {name.split(".")[1] for name in _library_modules() if name.count(".") >= 1}
    subpackages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert subpackages - packages == {"cli"}
    assert {"analysis", "report", "exports", "api", "execution", "errors"} <= packages


PLANTED = '''
"""Docstrings may name --flags: they document the command line."""
from simroi.errors import SimroiError
from simroi.planted_rules import rule_lines, HINT


class StopError(SimroiError):
    def __init__(self, n):
        super().__init__(f"stopped after {n}; run again with --resume")


class Stopped(KeyboardInterrupt):
    def __init__(self):
        super().__init__("see --checkpoint")


def _hint(name):
    """A helper that words a message (--docstring is fine)."""
    return f"set --{name} or leave it out"


def direct(x):
    raise ValueError(f"`x` must be > 0 (got {x}); try --trials 10")


def through_a_name(x):
    message = "use --seed"
    raise SimroiError(message)


def through_a_list(x):
    problems = []
    problems.append("bad --engine")
    if problems:
        raise ValueError("; ".join(problems))


def through_a_helper(x):
    raise SimroiError(_hint("workers"))


def through_a_class():
    raise StopError(3)


def through_a_keyboard_interrupt():
    raise Stopped()


def built_then_returned():
    return SimroiError("pass --out")


def through_a_walrus(spec):
    if problems := rule_lines(spec):
        raise ValueError(problems)


def through_a_constant():
    raise ImportError(HINT)


def not_a_message():
    return "simroi run --seed 7"   # a replay line is no error message
'''

PLANTED_RULES = """
HINT = "pip install it, then --json"


def rule_lines(spec):
    return [f"spec is bad: see --schema"]
"""


def test_the_scan_sees_planted_flags_however_the_message_is_built(tmp_path: Path) -> None:
    # The scan itself must be able to fail: every way above of building a message is caught,
    # while a docstring and a string that never reaches an error are not.
    planted = tmp_path / "planted.py"
    rules = tmp_path / "planted_rules.py"
    planted.write_text(PLANTED, encoding="utf-8")
    rules.write_text(PLANTED_RULES, encoding="utf-8")
    modules = {
        "simroi.planted": _Module.parse("simroi.planted", planted),
        "simroi.planted_rules": _Module.parse("simroi.planted_rules", rules),
    }
    found = flag_mentions(modules)
    flags = {flag for line in found for flag in re.findall(r"--(?:[a-z]+|\{)", line)}
    assert flags == {
        "--resume",
        "--checkpoint",
        "--{",
        "--trials",
        "--seed",
        "--engine",
        "--out",
        "--schema",
        "--json",
    }
    assert not any("simroi run --seed 7" in line for line in found)
    assert not any("docstring" in line or "document the command line" in line for line in found)


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("try --trials 10", True),
        ("set --{}", True),
        ("P5–P95 — a range", False),
        ("a--b", False),
        ("----", False),
        ("`trials` must be ≥ 1", False),
    ],
)
def test_a_flag_is_two_dashes_before_a_name(text: str, flagged: bool) -> None:
    assert bool(FLAG.search(text)) is flagged
