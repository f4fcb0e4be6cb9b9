"""The README's examples run as written, in a fresh directory (STYLE.md, habit 10).

Every ``simroi`` command line in the README's ``bash`` blocks is run in a new, empty directory,
the commands of one block in order (an ``export`` reads the ``run --out`` above it), and must
exit with status 0. A simulating command is shortened: ``--trials`` becomes a few trials and
``--set`` shortens the horizon and the sampled days; ``queue`` keeps its queue and runs fewer
days. Paths under ``/tmp/`` move into the test's directory, and ``[--json]`` runs both ways. A
full comment line right after a command (``# … Staffing: …``) is output the README promises: the
command must print it.

The Python API example (a ``>>>`` block) runs as a doctest: every output the README shows must
be printed exactly (whitespace aside), at the README's own trials and seed; a call whose result
is neither shown nor kept runs shortened, like the commands.
"""

from __future__ import annotations

import ast
import doctest
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from simroi.cli.app import main

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)

SMALL_TRIALS = 20
FAST = ("scenario.horizon_months=3", "simulation.sampled_days_per_month=1")
SIMULATING = {"run", "compare", "sweep", "sensitivity"}
#: Commands whose ``--trials`` is shortened; the simulating ones also get the ``FAST`` overrides
#: (``backtest`` simulates single days, so a horizon does not shorten it).
TRIALS = SIMULATING | {"queue", "backtest"}


@dataclass(frozen=True)
class Command:
    """One ``simroi`` command line of the README, with the output lines it promises."""

    line: int
    words: tuple[str, ...]
    promised: tuple[str, ...] = ()


@dataclass(frozen=True)
class Block:
    """The fenced ``bash`` block a command sequence comes from, by its first line in the README."""

    line: int
    commands: tuple[Command, ...]


def _blocks(language: str) -> list[tuple[int, str]]:
    """``(line of the block's first line, text)`` of every fenced block in ``language``."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start(2)) + 1, match.group(2))
        for match in FENCE.finditer(text)
        if match.group(1) == language
    ]


def _commands(first_line: int, text: str) -> list[Command]:
    """The ``simroi`` command lines of a bash block (continuations joined; ``a && simroi b``
    gives ``simroi b``), each with the full comment lines right after it."""
    commands: list[Command] = []
    logical, start, after_command = "", first_line, False
    for number, raw in enumerate(text.splitlines(), first_line):
        if not logical:
            start = number
        if raw.rstrip().endswith("\\"):
            logical += raw.rstrip()[:-1] + " "
            continue
        line, logical = (logical + raw).strip(), ""
        if line.startswith("#"):
            if after_command:
                last = commands[-1]
                promise = line.lstrip("#").strip().removeprefix("…").strip()
                commands[-1] = Command(last.line, last.words, (*last.promised, promise))
            continue
        after_command = False
        for segment in line.split("&&"):
            words = shlex.split(segment, comments=True)
            after_command = words[:1] == ["simroi"]
            if after_command:
                commands.append(Command(start, tuple(words)))
    return commands


def _readme_blocks() -> list[Block]:
    blocks = [Block(line, tuple(_commands(line, text))) for line, text in _blocks("bash")]
    return [block for block in blocks if block.commands]


def _variants(words: tuple[str, ...]) -> list[list[str]]:
    """The command with each optional ``[--flag]`` left out and put in."""
    variants: list[list[str]] = [[]]
    for word in words:
        if word.startswith("[") and word.endswith("]"):
            variants = [*variants, *([*v, word[1:-1]] for v in variants)]
        else:
            variants = [[*v, word] for v in variants]
    return variants


def shortened(words: list[str], directory: Path) -> list[str]:
    """``words`` (without the leading ``simroi``) as the test runs them (see the docstring)."""
    words = [word.replace("/tmp/", f"{directory}/") for word in words]
    if words[0] in TRIALS:
        if "--trials" in words:
            words[words.index("--trials") + 1] = str(SMALL_TRIALS)
        else:
            words = [w for w in words if not w.startswith("--trials=")]
            words += ["--trials", str(SMALL_TRIALS)]
    if words[0] in SIMULATING:
        for override in FAST:
            words += ["--set", override]
    return words


def _words_only(text: str) -> str:
    return " ".join(text.split())


BLOCKS = _readme_blocks()


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    kept = "".join(c for c in heading.strip().lower() if c.isalnum() or c in " -_")
    return "#" + kept.replace(" ", "-")


def test_the_contents_list_links_every_section_in_order() -> None:
    text = README.read_text(encoding="utf-8")
    outside_code = FENCE.sub("", text)
    sections = [_anchor(h) for h in re.findall(r"^## (.+)$", outside_code, re.MULTILINE)]
    contents = outside_code.split("## Contents", 1)[1].split("\n## ", 1)[0]
    links = re.findall(r"^- \[.+\]\((#[^)]+)\)$", contents, re.MULTILINE)
    assert links == [s for s in sections if s != "#contents"]


def test_a_shortened_command_keeps_its_meaning_with_fewer_trials(tmp_path: Path) -> None:
    fast = ["--set", FAST[0], "--set", FAST[1]]
    assert shortened(["run", "--trials", "300", "--out", "/tmp/r.npz"], tmp_path) == [
        *["run", "--trials", str(SMALL_TRIALS), "--out", f"{tmp_path}/r.npz"],
        *fast,
    ]
    assert shortened(["sweep", "x", "--trials=9"], tmp_path) == [
        *["sweep", "x", "--trials", str(SMALL_TRIALS)],
        *fast,
    ]
    assert shortened(["queue", "--agents", "3"], tmp_path)[-2:] == ["--trials", str(SMALL_TRIALS)]
    export = ["export", "r.npz", "--to", "t.md"]
    assert shortened(export, tmp_path) == export
    assert _variants(("queue", "--seed", "7", "[--json]")) == [
        ["queue", "--seed", "7"],
        ["queue", "--seed", "7", "--json"],
    ]


def test_the_readme_commands_are_found() -> None:
    # A change in the README's layout must not leave this file testing nothing.
    found = [command.words[1] for block in BLOCKS for command in block.commands]
    assert {"run", "export", "queue"} <= set(found)
    assert len(found) >= 6


@pytest.mark.parametrize("block", BLOCKS, ids=[f"README line {b.line}" for b in BLOCKS])
def test_every_readme_command_runs_in_a_fresh_directory(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in block.commands:
        for variant in _variants(command.words[1:]):
            args = shortened(variant, tmp_path)
            result = CliRunner().invoke(main, args)
            shown = shlex.join(["simroi", *args])
            assert result.exit_code == 0, (
                f"README line {command.line}: {shown} exited {result.exit_code}:\n"
                f"{result.output}{result.exception!r}"
            )
            for promise in command.promised:
                assert _words_only(promise) in _words_only(result.output), (
                    f"README line {command.line}: {shown} did not print {promise!r}:\n"
                    f"{result.output}"
                )


# --------------------------------------------------------------------------------------------------
# The Python API example


def _api_example() -> tuple[int, str]:
    (found,) = [(line, text) for line, text in _blocks("python") if ">>> import simroi" in text]
    return found


def _shortened_source(source: str) -> str:
    """A ``simroi.<verb>(...)`` call with fewer trials (and a short horizon if it simulates)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "simroi"
            and node.func.attr in TRIALS
        ):
            continue
        keywords = {k.arg: k for k in node.keywords}
        small = ast.Constant(SMALL_TRIALS)
        if "trials" in keywords:
            keywords["trials"].value = small
        else:
            node.keywords.append(ast.keyword("trials", small))
        if node.func.attr in SIMULATING:
            fast: list[ast.expr] = [ast.Constant(o) for o in FAST]
            if "overrides" in keywords:
                given = keywords["overrides"].value
                keywords["overrides"].value = ast.List([ast.Starred(given, ast.Load()), *fast])
            else:
                node.keywords.append(ast.keyword("overrides", ast.List(fast, ast.Load())))
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


class _ShownOutputOnly(doctest.OutputChecker):
    """The README leaves out some outputs (a table, a chart list): only shown ones must match."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        return want == "" or super().check_output(want, got, optionflags)


def _readme_doctest() -> doctest.DocTest:
    line, text = _api_example()
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(README), line - 1)
    for example in test.examples:
        # A statement whose result is neither shown nor kept only has to run: shorten it.
        statement = ast.parse(example.source).body
        if example.want == "" and len(statement) == 1 and isinstance(statement[0], ast.Expr):
            example.source = _shortened_source(example.source)
    return test


def test_the_api_example_is_found_and_shows_outputs() -> None:
    test = _readme_doctest()
    verbs = {
        node.func.attr
        for example in test.examples
        for node in ast.walk(ast.parse(example.source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert {"run", "compare", "sweep", "queue", "export"} <= verbs
    assert sum(example.want != "" for example in test.examples) >= 3


def test_the_readme_python_api_example_runs_and_prints_what_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    runner = doctest.DocTestRunner(checker=_ShownOutputOnly(), optionflags=flags)
    report = io.StringIO()
    outcome = runner.run(_readme_doctest(), out=report.write, clear_globs=True)
    assert outcome.failed == 0, report.getvalue()
