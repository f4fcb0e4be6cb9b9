"""Validating a scenario's raw TOML tables: pydantic's errors in simroi's words, one line per
problem naming the file, the key, the rule and the value, and the rules that span keys
(:mod:`simroi.scenario.rules`) — checked in one pass where a failing value can be left out.

Only :mod:`simroi.scenario.load` calls it; it is apart so that the loader stays the reading,
overriding and pairing of files.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from simroi.errors import ScenarioError
from simroi.formatting import short_repr
from simroi.scenario.quantity import DIST_NAMES
from simroi.scenario.rules import scenario_problems
from simroi.scenario.spec import Scenario

__all__ = ["is_grid", "submodel", "validate_raw"]


def is_grid(value: str) -> bool:
    """Whether an override's value is a grid (``2:12``, ``1,2,4``) rather than one value.

    Inline tables, arrays and quoted strings (``{ dist = ... }``, ``[...]``, ``"08:00"``) are
    single values even though they may contain ``:`` or ``,``.
    """
    text = value.strip()
    return bool(text) and text[0] not in "{[\"'" and (":" in text or "," in text)


def submodel(annotation: Any) -> type[BaseModel] | None:
    """The section model inside a field annotation (``X``, ``X | None``, ``list[X]``,
    ``dict[str, X]``); distributions are values, not sections, so they give ``None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return None if "dist" in annotation.model_fields else annotation
    for arg in get_args(annotation):
        found = submodel(arg)
        if found is not None:
            return found
    return None


_UNION_TAGS = {"float", "int", "bool", "str", "list", "dict", "none", "number", *DIST_NAMES}


def _clean_loc(loc: tuple[Any, ...]) -> list[str]:
    parts: list[str] = []
    for item in loc:
        text = str(item)
        if text in _UNION_TAGS or text.startswith(("tagged-union", "function-", "lax-or-strict")):
            continue
        if text.startswith(("constrained-", "json-or-python")):
            continue
        parts.append(text)
    return parts


def _format_errors(
    errors: Sequence[Mapping[str, Any]], source: str, model: type[BaseModel]
) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    by_key: dict[str, list[dict[str, Any]]] = {}
    for err in errors:
        key = ".".join(_clean_loc(err["loc"]))
        by_key.setdefault(key, []).append(dict(err))
    for key, errs in by_key.items():
        # A plain number or a distribution both failed: report the most specific message.
        chosen = [e for e in errs if e["type"] not in {"float_type", "float_parsing"}] or errs
        for detail in chosen:
            line = _format_one(key, detail, source, model)
            if line not in seen:
                seen.add(line)
                lines.append(line)
    return lines


def _format_one(key: str, err: dict[str, Any], source: str, model: type[BaseModel]) -> str:
    kind = err["type"]
    value = err.get("input")
    where = key or "(top level)"
    if kind == "extra_forbidden":
        parent, _, name = key.rpartition(".")
        allowed = _allowed_names(model, parent.split(".") if parent else [])
        hint = difflib.get_close_matches(name, allowed, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        return f"{source}: {where}: unknown key{extra}"
    if kind == "missing":
        return f"{source}: {where}: required key is missing"
    message = _worded(kind, str(err["msg"]).removeprefix("Value error, "), err.get("ctx", {}))
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        return f"{source}: {where}: {message}"
    # A grid (2:12, 1,2,4) set where one value goes: several values are a sweep's.
    grid = isinstance(value, str) and is_grid(value)
    sweep = "; several values are swept: simroi sweep" if grid else ""
    if "(got " in message:
        return f"{source}: {where}: {message}{sweep}"
    shown = ("true" if value else "false") if isinstance(value, bool) else short_repr(value)
    return f"{source}: {where}: {message} (got {shown}){sweep}"


#: pydantic's error types in simroi's words (the rule, as a scenario file's own rules say it).
_RULES = {
    "greater_than_equal": "must be ≥ {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be ≤ {le}",
    "less_than": "must be < {lt}",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be text (in quotes)",
    "list_type": "must be a list [ … ]",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "literal_error": "must be {expected}",
    "too_short": "must have at least {min_length} {items}",
    "too_long": "must have at most {max_length} {items}",
}


def _worded(kind: str, message: str, ctx: Mapping[str, Any]) -> str:
    """pydantic's ``message`` for an error of type ``kind`` as a rule in simroi's words
    (``must be ≥ 0``, not ``Input should be greater than or equal to 0``); a message of
    simroi's own (a validator's) is kept."""
    rule = _RULES.get(kind)
    if rule is None:
        return message.replace("Input should be", "must be")
    count = ctx.get("min_length", ctx.get("max_length"))
    # A bound of 1.0 reads as 1, as the file would say it.
    shown = {k: int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 2**53 else v
             for k, v in ctx.items()}  # fmt: skip
    try:
        return rule.format(**shown, items="item" if count == 1 else "items")
    except (KeyError, IndexError):
        return message.replace("Input should be", "must be")


def _allowed_names(model: type[BaseModel], path: list[str]) -> list[str]:
    """The keys allowed at ``path`` (channel names and list indices are skipped)."""
    current: type[BaseModel] | None = model
    parts = iter(path)
    for part in parts:
        if current is None or part not in current.model_fields:
            return []
        annotation = current.model_fields[part].annotation
        current = submodel(annotation)
        if part in {
            "channels",
            "events",
            "objectives",
            "correlations",
            "orderings",
            "staffing",
            "response_value",
        }:
            next(parts, None)  # the channel name or list index
    return list(current.model_fields) if current is not None else []


def validate_raw(raw: dict[str, Any], source: str, *, is_baseline: bool) -> Scenario:
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = _format_errors(exc.errors(include_url=False), source, Scenario)
        raise ScenarioError(
            problems + _problems_beyond(raw, exc, source, is_baseline=is_baseline, shown=problems)
        ) from None
    problems = scenario_problems(scenario, source, is_baseline=is_baseline)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _problems_beyond(
    raw: dict[str, Any],
    exc: ValidationError,
    source: str,
    *,
    is_baseline: bool,
    shown: list[str],
) -> list[str]:
    """The problems of the rest of a file some of whose values failed, so that one pass lists
    them all: the failing keys left out (their defaults taken, where they have one), the file
    validated again — its own failures added — and the rules that span keys checked, except
    any that could follow from leaving a key out (:func:`_unrelated`). It stops where leaving a
    key out would be a problem of its own (a required key, a channel's one-of rule) or cannot
    be done (:func:`_targets`).

    Pydantic checks a value's own type and range first and the rules across keys (ranges of
    uncertain inputs, objectives' metrics, channels named elsewhere) only of a whole scenario:
    a file with a wrong type and an unknown metric showed the type alone, then the metric.
    """
    trimmed = copy.deepcopy(raw)
    left_out: list[str] = []
    more: list[str] = []
    errors = exc.errors(include_url=False)
    for _ in range(5):  # each round leaves out what failed in the one before
        targets = _targets(trimmed, errors)
        if targets is None:
            return more
        for parent, key, dotted in targets:
            del parent[key]
            left_out.append(dotted)
        try:
            scenario = Scenario.model_validate(trimmed)
        except ValidationError as again:
            errors = again.errors(include_url=False)
            own = [e for e in errors if not _about(e, left_out)]
            more += [p for p in _format_errors(own, source, Scenario) if p not in shown]
            if len(own) < len(errors):  # a failure of leaving a key out: no further
                return more
            continue
        if any(k.startswith("scenario.") for k in left_out):
            return more  # the horizon and the like, which other rules measure against
        rules = scenario_problems(scenario, source, is_baseline=is_baseline)
        return more + [p for p in rules if _unrelated(p, source, left_out)]
    return more


def _unrelated(problem: str, source: str, left_out: Sequence[str]) -> bool:
    """Whether a rule's problem cannot follow from leaving out ``left_out``: it is about no key
    in the table of one (a channel's other settings may depend on it) and names none of them
    (an ordering or a correlation names its inputs)."""
    key = problem.removeprefix(f"{source}: ").split(": ", 1)[0].removeprefix("override ")
    for dotted in left_out:
        table = dotted.rpartition(".")[0]
        if table and (key == table or key.startswith(f"{table}.")):
            return False
        last = re.escape(dotted.rpartition(".")[2])  # the full name too, wherever it stands
        if re.search(rf"(?<!\w){last}(?!\w)", problem):
            return False
    return True


def _about(err: Mapping[str, Any], left_out: Sequence[str]) -> bool:
    """Whether an error is about a key left out or a table holding one (its consequence)."""
    key = ".".join(_clean_loc(err["loc"]))
    return any(not key or k == key or k.startswith(f"{key}.") for k in left_out)


def _targets(
    raw: dict[str, Any], errors: Sequence[Mapping[str, Any]]
) -> list[tuple[dict[str, Any], str, str]] | None:
    """What to leave out of ``raw`` for ``errors``: ``(table, key, dotted name)`` of the value
    or table each error points into (the deepest key of its ``loc`` in the file), one per key
    (a distribution with two bad fields is one value) and none inside another. None for a
    missing key, a channel (removing one would break what names it) or a list's item (the
    others would be renumbered): nothing more can be checked."""
    found: dict[str, tuple[dict[str, Any], str]] = {}
    for err in errors:
        if err["type"] == "missing":
            return None
        node: Any = raw
        path: list[str] = []
        parent: Any = None
        for part in err["loc"]:
            inside = isinstance(node, dict) and part in node
            at = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if not (inside or at):
                break
            parent, node = node, node[part]
            path.append(str(part))
        channel = len(path) == 2 and path[0] == "channels"
        unknown = err["type"] == "extra_forbidden"
        if not isinstance(parent, dict) or not path or (channel and not unknown):
            return None
        found[".".join(path)] = (parent, path[-1])
    return [
        (parent, key, dotted)
        for dotted, (parent, key) in found.items()
        if not any(dotted.startswith(f"{other}.") for other in found)
    ]
