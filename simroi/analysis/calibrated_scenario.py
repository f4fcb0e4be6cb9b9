"""Writing a calibrated scenario: the base scenario's file with the fitted keys replaced.

``simroi calibrate`` fits some of a scenario's inputs to the user's data and keeps every other
input, comment and line of the base scenario (``--into``, default: the bundled default). The
base file is edited as a TOML *document* (:mod:`tomlkit`), not re-serialized from a dictionary,
so the comments that give each assumption its source survive, and a fitted key reads as any
other: an uncertain input with its ``source`` — ``{ dist = "normal", mean = 6.2, sd = 0.1,
source = "calls.csv, 8,064 rows, 2003-01-01 to 2003-06-30; maximum likelihood; n=41,022" }`` —
or, for a value that cannot carry a ``source`` field (a profile, opening hours, a family name),
the same text as a comment after it.

**Program and baseline.** A fitted operational number describes the contact centre as it runs
today, which both worlds share: it goes into the shared ``[channels.<name>]`` (or
``[experience]``) table, so an inline ``[baseline]`` inherits it. Where the baseline overrides
that very key, the fitted value is written there too, and :class:`WrittenScenario` lists the key
so the report can say so. A baseline in a file of its own (``scenario.baseline``) is not edited:
its path is rewritten to stay valid from the output's folder, and the report says that its
channels keep their own values.

**Orderings and correlations.** ``[[orderings]]`` and ``[[correlations]]`` state assumed relations
between uncertain inputs. A fitted input's uncertainty is its sampling error, independent of the
others, and the data, not an assumed order, now says where it lies: a fitted key is taken out of
every ordering group and correlation matrix (a group left with one input goes), and the report
lists what was taken out.

The result is validated with the project's loader before anything is written, and written
atomically: an invalid calibrated scenario is refused with its problems, and no file is left.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import tomlkit
from tomlkit.items import AoT, Item, Table

from simroi.errors import ScenarioError
from simroi.execution.result import atomic_write
from simroi.scenario.load import (
    LoadedScenario,
    load_scenario,
    load_scenario_text,
    resolve_scenario_path,
)

__all__ = ["ScenarioEdit", "WrittenScenario", "toml_value", "write_calibrated_scenario"]

#: Values written on one line of a long list (a 5-minute profile has 288).
_PER_LINE = 12


@dataclass(frozen=True)
class ScenarioEdit:
    """One key of the scenario to set.

    Attributes
    ----------
    key : str
        The full dotted key: ``channels.phone.handle_time_minutes``,
        ``experience.churn_multiplier_ignored``, ``customers.active_customers``.
    value : dict, float, int, str, bool or list
        What to write: a distribution table (a mapping with ``dist``; its ``source`` is set from
        ``source``), or a plain value (a number, a list of numbers, a table such as opening
        hours, a string), which gets ``source`` as a comment after it.
    source : str
        Where the value comes from: file, rows, dates, method.
    """

    key: str
    value: Any
    source: str


@dataclass(frozen=True)
class WrittenScenario:
    """A calibrated scenario written to ``path``, loaded back as the loader sees it.

    Attributes
    ----------
    path : Path
        The file written.
    loaded : LoadedScenario
        The written file, validated by :func:`simroi.scenario.load.load_scenario`.
    baseline_keys : tuple of str
        Keys the inline ``[baseline]`` overrides and that were therefore written there as well.
    unlinked : tuple of str
        One line per fitted key taken out of an ``[[orderings]]`` group or a
        ``[[correlations]]`` matrix.
    baseline_file : str or None
        The baseline file (as now written in ``scenario.baseline``) when the base names one; it
        is not edited, so its channels keep their own values.
    """

    path: Path
    loaded: LoadedScenario
    baseline_keys: tuple[str, ...] = ()
    unlinked: tuple[str, ...] = ()
    baseline_file: str | None = None


class _Exact(float):
    """A number written with every digit it needs (``repr``), not rounded to six."""


def toml_value(value: Any) -> str:
    """``value`` as TOML text: numbers with 6 significant digits, long lists wrapped.

    Raises
    ------
    ValueError
        For a number that TOML cannot hold here (NaN or infinite) or an unsupported type.
    """
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        items = [toml_value(v) for v in value]
        if len(items) <= _PER_LINE:
            return "[" + ", ".join(items) + "]"
        lines = [
            "    " + ", ".join(items[i : i + _PER_LINE]) + ","
            for i in range(0, len(items), _PER_LINE)
        ]
        return "[\n" + "\n".join(lines) + "\n]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return tomlkit.string(value).as_string()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value!r} into a scenario")
        if isinstance(value, _Exact):
            return repr(float(value))
        return f"{value:.6g}" if value != int(value) or abs(value) >= 1e15 else str(int(value))
    if hasattr(value, "item"):  # a numpy scalar
        return toml_value(value.item())
    raise ValueError(f"cannot write {type(value).__name__} {value!r} into a scenario")


def _inside(normal: dict[str, Any]) -> None:
    """Set a truncated normal's limits a hair inside, and write them with every digit.

    A fitted normal is truncated to its key's range (``handle_time_minutes`` > 0 as ``low =
    1e-6``). The loader checks the support's ends as ``ppf(0)`` and ``ppf(1)``, computed as
    ``mean + a·sd``; with the limit sixty sd from the mean that sum loses its last bits and can
    land a hair outside the range. A margin of 1e-9 of the scale keeps it inside and changes no
    draw that matters.
    """
    mean, sd = float(normal.get("mean", 0.0)), float(normal.get("sd", 0.0))
    margin = 1e-9 * max(abs(mean), sd)
    for bound, sign in (("low", 1.0), ("high", -1.0)):
        if isinstance(normal.get(bound), int | float):
            normal[bound] = _Exact(float(normal[bound]) + sign * margin)


def _item(value: Any, source: str) -> Item:
    """The tomlkit item for an edit: a distribution with ``source`` inside, else the value with
    ``source`` as its comment."""
    if isinstance(value, Mapping) and "dist" in value:
        shown = {k: v for k, v in value.items() if k != "source"}
        if shown.get("dist") == "normal":
            _inside(shown)
        shown["source"] = source
        item: Item = tomlkit.parse(f"v = {toml_value(shown)}\n")["v"]
        return item
    item = tomlkit.parse(f"v = {toml_value(value)}\n")["v"]
    item.comment(f"fitted: {source}")
    return item


def _set(table: Table | Any, key: str, item: Item) -> None:
    """Set ``key`` in ``table``: in place where it exists, else after the table's last key (so
    that a comment block introducing a later sub-table stays above that sub-table)."""
    if key in table:
        comment = item.trivia.comment
        table[key] = item
        # tomlkit hands the old value's comment (``# ASSUMPTION: ...``) to its replacement; it
        # described the assumption the fit replaces, so the new value keeps only its own.
        replaced = cast(Item, table.item(key) if isinstance(table, Table) else table[key])
        replaced.trivia.comment = comment
        if not comment:
            replaced.trivia.comment_ws = ""
        return
    container = table.value if isinstance(table, Table) else table
    body = container.body
    last = None
    for i, (k, v) in enumerate(body):
        if k is not None and not isinstance(v, Table | AoT):
            last = i
    if last is None or last == len(body) - 1:
        table[key] = item
        return
    # tomlkit has no public "insert at"; its container's own method keeps the key index right.
    container._insert_at(last + 1, key, item)


def _table_at(doc: Any, parts: Sequence[str], *, create: bool) -> Any | None:
    """The table at dotted ``parts`` of ``doc``, made when ``create`` (else None if missing)."""
    node = doc
    for part in parts:
        if part not in node:
            if not create:
                return None
            node.add(part, tomlkit.table())
        node = node[part]
        if not isinstance(node, Mapping):
            return None
    return node


def _tail_start(body: list[tuple[Any, Item]]) -> int:
    """Where a table's trailing comments begin: after its last key or sub-table. tomlkit files
    a comment written above a table header under the table *before* it."""
    i = len(body)
    while i > 0 and body[i - 1][0] is None:
        i -= 1
    return i


def _previous_body(doc: Any, aot_key: str, index: int) -> list[tuple[Any, Item]] | None:
    """The body holding the comments written above element ``index`` of the array of tables
    ``aot_key``: the element before it, or whatever table precedes the array in the file."""
    if index > 0:
        body: list[tuple[Any, Item]] = doc[aot_key][index - 1].value.body
        return body
    keys = [getattr(k, "key", None) for k, _ in doc.body]
    at = keys.index(aot_key)
    if at == 0:
        return None
    before = doc.body[at - 1][1]
    if isinstance(before, AoT) and len(before):
        body = before[-1].value.body
        return body
    if isinstance(before, Table):
        body = before.value.body
        return body
    return None


def _remove_table(doc: Any, aot_key: str, index: int) -> None:
    """Delete one ``[[aot_key]]`` table with the comments written above it; the comments at its
    end, written above the next table, move to where its own were."""
    aot = doc[aot_key]
    own = aot[index].value.body
    moved = own[_tail_start(own) :]
    previous = _previous_body(doc, aot_key, index)
    if previous is not None:
        # Only items after the last key change, so tomlkit's key index stays right.
        previous[_tail_start(previous) :] = moved
    del aot[index]


def _unlink(doc: Any, keys: set[str]) -> list[str]:
    """Take ``keys`` out of ``[[orderings]]`` and ``[[correlations]]``; one line per removal."""
    lines: list[str] = []
    orderings = doc.get("orderings")
    if isinstance(orderings, AoT):
        for i in reversed(range(len(orderings))):
            group = orderings[i]
            inputs = [str(k) for k in group.get("inputs", [])]
            kept = [k for k in inputs if k not in keys]
            if kept == inputs:
                continue
            what = ", ".join(k for k in inputs if k in keys)
            label = f" ({group['note']})" if "note" in group else ""
            if len(kept) < 2:
                _remove_table(doc, "orderings", i)
                lines.append(f"[[orderings]]{label}: removed, {what} now fitted")
            else:
                group["inputs"] = kept
                lines.append(f"[[orderings]]{label}: {what} taken out, now fitted")
        if len(orderings) == 0:
            del doc["orderings"]
    correlations = doc.get("correlations")
    if isinstance(correlations, AoT):
        for i in reversed(range(len(correlations))):
            group = correlations[i]
            inputs = [str(k) for k in group.get("inputs", [])]
            keep = [j for j, k in enumerate(inputs) if k not in keys]
            if len(keep) == len(inputs):
                continue
            what = ", ".join(k for k in inputs if k in keys)
            if len(keep) < 2:
                _remove_table(doc, "correlations", i)
                lines.append(f"[[correlations]] of {', '.join(inputs)}: removed, {what} now fitted")
                continue
            matrix = [[float(x) for x in row] for row in group["matrix"]]
            group["inputs"] = [inputs[j] for j in keep]
            group["matrix"] = [[matrix[a][b] for b in keep] for a in keep]
            lines.append(f"[[correlations]]: {what} taken out, now fitted")
        if len(correlations) == 0:
            del doc["correlations"]
    return lines


def _validated(text: str, out: Path) -> LoadedScenario:
    """Load ``text`` as if it were ``out`` (a relative baseline resolves beside it); raise
    ScenarioError naming ``out`` if the loader refuses it. Writes nothing."""
    try:
        return load_scenario_text(text, out)
    except ScenarioError as exc:
        raise ScenarioError(
            [
                f"{out}: the calibrated scenario would be invalid, nothing written: "
                + line.removeprefix(f"{out}: ")
                for line in exc.problems
            ]
        ) from None


def write_calibrated_scenario(
    base: str | Path | None,
    edits: Sequence[ScenarioEdit],
    out: str | Path,
    *,
    header: Sequence[str] = (),
    name: str | None = None,
) -> WrittenScenario:
    """Write ``base`` with ``edits`` applied to ``out``, validated, atomically.

    Parameters
    ----------
    base : path, bundled scenario name or None
        The scenario that supplies everything not fitted (None: the bundled default), resolved
        as ``simroi run`` resolves its argument.
    edits : sequence of ScenarioEdit
        The keys to set; a channel key must name a channel of ``base``.
    out : path
        The file to write; its folder must exist.
    header : sequence of str
        Comment lines put at the top of the file (without ``#``).
    name : str, optional
        A new ``scenario.name`` (results carry it, so a calibrated run is told from the base's).

    Raises
    ------
    ScenarioError
        If ``base`` is invalid, an edit names a channel ``base`` lacks, or the result does not
        validate; nothing is written.
    OutputError
        If ``out`` cannot be written.
    """
    path = resolve_scenario_path(base)
    program = load_scenario(path).program  # refuses an invalid base with its own problems
    target = Path(out)
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    baseline = doc.get("baseline")
    baseline_keys: list[str] = []
    for edit in edits:
        parts = edit.key.split(".")
        if parts[0] == "channels" and len(parts) > 2 and parts[1] not in program.channels:
            names = ", ".join(program.channels)
            raise ScenarioError(
                f"{path}: no channel {parts[1]!r} for {edit.key} (channels: {names})"
            )
        table = _table_at(doc, parts[:-1], create=True)
        if table is None:
            raise ScenarioError(f"{path}: {'.'.join(parts[:-1])} is not a table")
        _set(table, parts[-1], _item(edit.value, edit.source))
        if isinstance(baseline, Mapping):
            overridden = _table_at(baseline, parts[:-1], create=False)
            if overridden is not None and parts[-1] in overridden:
                _set(overridden, parts[-1], _item(edit.value, edit.source))
                baseline_keys.append(edit.key)
    if name is not None:
        _set(_table_at(doc, ["scenario"], create=True), "name", tomlkit.item(name))
    unlinked = _unlink(doc, {edit.key for edit in edits})
    baseline_file = None
    meta = doc.get("scenario")
    if isinstance(meta, Table) and isinstance(meta.get("baseline"), str):
        resolved = (path.parent / str(meta["baseline"])).resolve()
        folder = target.parent.resolve() if str(target.parent) else Path.cwd()
        baseline_file = os.path.relpath(resolved, folder)
        meta["baseline"] = baseline_file
    lines = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header)
    text = lines + ("#\n" if lines else "") + tomlkit.dumps(doc)
    loaded = _validated(text, target)
    atomic_write(target, lambda handle: handle.write(text.encode("utf-8")))
    return WrittenScenario(target, loaded, tuple(baseline_keys), tuple(unlinked), baseline_file)
