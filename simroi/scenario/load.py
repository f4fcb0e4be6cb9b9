"""Loading scenario files: the one place that sees raw TOML.

:func:`load_scenario` reads a file, applies overrides (``dotted.key=value``), resolves the baseline
(another file or an inline ``[baseline]`` table of overrides), validates everything into frozen
:class:`~simroi.scenario.spec.Scenario` objects and checks the rules that span sections (ranges of
probabilities and money, channel names, objectives, correlations, orderings). Every problem
becomes one line naming the file, the key, the rule and the value, collected into a single
:class:`~simroi.errors.ScenarioError`.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from simroi.errors import ScenarioError
from simroi.formatting import short_repr
from simroi.scenario.spec import Scenario, ScenarioFile
from simroi.scenario.validation import is_grid, submodel, validate_raw

__all__ = [
    "BUNDLED_DEFAULT",
    "BundledScenario",
    "LoadedScenario",
    "bundled_scenarios",
    "describe_bundled_scenarios",
    "is_grid",
    "load_scenario",
    "load_scenario_text",
    "parse_override",
    "resolve_scenario_path",
    "scenario_json_schema",
]

BUNDLED_DEFAULT = "default"


@dataclass(frozen=True)
class LoadedScenario:
    """A program scenario, its baseline (if any) and where they came from.

    ``content_hash`` is a SHA-256 over the validated content of both, recorded in every result.
    """

    program: Scenario
    baseline: Scenario | None
    source: str
    content_hash: str

    @property
    def name(self) -> str:
        """The program scenario's name."""
        return self.program.scenario.name


# --- bundled scenarios -------------------------------------------------------------------------


def _bundled_dir() -> Path:
    """The bundled scenarios: installed as ``simroi.scenarios``, or the source tree's folder."""
    try:
        return Path(str(resources.files("simroi.scenarios")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "scenarios"


def bundled_scenarios() -> dict[str, Path]:
    """The scenario files shipped with simroi, by name (file stem)."""
    return {p.stem: p for p in sorted(_bundled_dir().glob("*.toml"))}


@dataclass(frozen=True)
class BundledScenario:
    """A scenario shipped with simroi: its name (what commands accept), description and file."""

    name: str
    description: str
    path: Path


def describe_bundled_scenarios() -> list[BundledScenario]:
    """The bundled scenarios by name, each with the ``[scenario] description`` of its file.

    Only reads each file (a missing description is empty); :func:`load_scenario` validates one.
    """
    rows = []
    for name, path in bundled_scenarios().items():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        rows.append(
            BundledScenario(name, str(data.get("scenario", {}).get("description", "")), path)
        )
    return rows


def resolve_scenario_path(name_or_path: str | Path | None) -> Path:
    """A file path for a user's argument: an existing path, or the name of a bundled scenario."""
    if name_or_path is None:
        name_or_path = BUNDLED_DEFAULT
    path = Path(name_or_path)
    if path.is_file():
        return path
    bundled = bundled_scenarios()
    if str(name_or_path) in bundled:
        return bundled[str(name_or_path)]
    if path.suffix == "" and path.name in bundled:
        return bundled[path.name]
    hint = difflib.get_close_matches(str(name_or_path), list(bundled), n=1)
    extra = f" (did you mean the bundled scenario {hint[0]!r}?)" if hint else ""
    raise ScenarioError(f"{name_or_path}: file not found and not a bundled scenario{extra}")


# --- reading -----------------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read the file ({exc})") from None
    return _parse_toml(text, path)


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: malformed TOML: {exc}") from None


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``"dotted.key=value"``; the value is read as a TOML value (``0.5``, ``"x"``,
    ``{ dist = "pert", ... }``, ``true``), falling back to a bare string."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(f"override {text!r}: expected dotted.key=value")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return key, parsed


# Keys that are alternatives: setting one in an override removes the other.
_ALTERNATIVES = {
    "agents": ("staffing", "staffing_rule"),
    "staffing": ("agents", "staffing_rule"),
    "staffing_rule": ("agents", "staffing"),
}


def _deep_merge(base: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in patch.items():
        for other in _ALTERNATIVES.get(key, ()):
            if other not in patch:
                out.pop(other, None)
        if isinstance(value, Mapping) and isinstance(out.get(key), dict) and "dist" not in value:
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _check_override_key(raw: dict[str, Any], key: str, source: str, prefix: str = "") -> None:
    """Raise unless ``key`` names a field of the schema (channels by their names in ``raw``,
    list items by index); messages name it with ``prefix`` (``baseline.``) as it was given."""
    parts = key.split(".")
    given = prefix + key
    model: type[BaseModel] | None = Scenario
    node: Any = raw
    i = 0
    while i < len(parts) and model is not None:
        part = parts[i]
        fields = model.model_fields
        where = prefix + ".".join(parts[: i + 1])
        if part not in fields:
            hint = difflib.get_close_matches(part, list(fields), n=1)
            extra = f" (did you mean {prefix + '.'.join([*parts[:i], hint[0]])!r}?)" if hint else ""
            raise ScenarioError(f"{source}: override {given}: no such key {where!r}{extra}")
        node = node.get(part) if isinstance(node, dict) else None
        model = submodel(fields[part].annotation)
        i += 1
        if model is None or i >= len(parts):
            break
        if isinstance(node, dict) and part == "channels":
            channel = parts[i]
            if channel not in node:
                names = ", ".join(sorted(node)) or "none"
                raise ScenarioError(
                    f"{source}: override {given}: no channel {channel!r} (channels: {names})"
                )
            node = node[channel]
            i += 1
        elif isinstance(node, list):
            index = parts[i]
            if not index.isdigit() or int(index) >= len(node):
                raise ScenarioError(
                    f"{source}: override {given}: {part} has {len(node)} entries; "
                    f"{index!r} is not an index of one"
                )
            node = node[int(index)]
            i += 1
    if i < len(parts) and model is None and len(parts) - i > 0:
        raise ScenarioError(f"{source}: override {given}: {'.'.join(parts[:i])!r} is not a table")


def _list_index(items: list[Any], part: str, key: str, source: str) -> int:
    """``part`` as an index of ``items`` (an earlier override may have made a table a list)."""
    if not part.isdigit() or int(part) >= len(items):
        raise ScenarioError(
            f"{source}: override {key}: {part!r} is not an index of a list of {len(items)} items"
        )
    return int(part)


def _apply_overrides(raw: dict[str, Any], overrides: Sequence[str], source: str) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    for text in overrides:
        key, value = parse_override(text)
        target_key = key
        target = out
        if key.startswith("baseline."):
            target_key = key.removeprefix("baseline.")
            if isinstance(out.get("baseline"), dict):
                target = out["baseline"]
                _check_override_key(raw, target_key, source, prefix="baseline.")
            else:
                raise ScenarioError(
                    f"{source}: override {key}: the scenario has no inline [baseline] table"
                )
        else:
            _check_override_key(raw, key, source)
        node: Any = target
        parts = target_key.split(".")
        for part in parts[:-1]:
            if isinstance(node, list):
                node = node[_list_index(node, part, key, source)]
                continue
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict | list):
                raise ScenarioError(f"{source}: override {key}: {part!r} is not a table")
            node = nxt
        if isinstance(node, list):
            node[_list_index(node, parts[-1], key, source)] = value
        else:
            node[parts[-1]] = value
            for other in _ALTERNATIVES.get(parts[-1], ()):
                node.pop(other, None)
    return out


def _overrides_named(problems: list[str], source: str, overrides: Sequence[str]) -> list[str]:
    """``problems`` with those of a key an override set said so (``override KEY: …``, as the
    override's own problems are): the value in the message is the override's, not the file's."""
    keys = [parse_override(text)[0] for text in overrides]
    if not keys:
        return problems
    named = []
    for line in problems:
        for key in keys:
            where = f"{source} [baseline]" if key.startswith("baseline.") else source
            bare = key.removeprefix("baseline.")
            for tail in (": ", "."):
                if line.startswith(f"{where}: {bare}{tail}"):
                    line = f"{where}: override {line.removeprefix(f'{where}: ')}"
                    break
            else:
                continue
            break
        named.append(line)
    return named


# --- public entry point ------------------------------------------------------------------------


def load_scenario(
    path_or_name: str | Path | None = None, *, overrides: Sequence[str] = ()
) -> LoadedScenario:
    """Load, override, validate and pair a scenario with its baseline.

    Parameters
    ----------
    path_or_name : path or bundled scenario name, optional
        ``None`` loads the bundled default scenario.
    overrides : sequence of ``"dotted.key=value"``
        Applied to the program before validation (and so inherited by an inline baseline);
        ``baseline.dotted.key=value`` targets an inline baseline only.

    Raises
    ------
    ScenarioError
        With one line per problem, each naming file, key, rule and value.
    """
    path = resolve_scenario_path(path_or_name)
    return _loaded(path, _read_toml(path), overrides)


def load_scenario_text(text: str, path: str | Path) -> LoadedScenario:
    """Load scenario ``text`` as :func:`load_scenario` loads a file, as if it were the file at
    ``path`` (which need not exist): its messages name ``path``, and a baseline file it names
    is found beside ``path``. For checking a scenario before it is written."""
    return _loaded(Path(path), _parse_toml(text, Path(path)), ())


def _loaded(path: Path, raw: dict[str, Any], overrides: Sequence[str]) -> LoadedScenario:
    source = str(path)
    raw = _apply_overrides(raw, overrides, source)
    inline = raw.pop("baseline", None)
    baseline_file = (
        raw.get("scenario", {}).get("baseline") if isinstance(raw.get("scenario"), dict) else None
    )
    problems: list[str] = []
    if inline is not None and not isinstance(inline, dict):
        problems.append(
            f"{source}: baseline: must be a table of overrides (got {short_repr(inline)})"
        )
        inline = None
    if inline is not None and baseline_file is not None:
        problems.append(
            f"{source}: baseline: give either scenario.baseline (a file) or a [baseline] table, "
            "not both"
        )
    try:
        program = validate_raw(raw, source, is_baseline=False)
    except ScenarioError as exc:
        problems = exc.problems + problems
        program = None
    baseline: Scenario | None = None
    if not problems and program is not None:
        try:
            baseline = _load_baseline(path, raw, inline, baseline_file, source)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems or program is None:
        raise ScenarioError(_overrides_named(problems, source, overrides))
    digest = hashlib.sha256()
    digest.update(json.dumps(program.model_dump(mode="json"), sort_keys=True).encode())
    if baseline is not None:
        digest.update(json.dumps(baseline.model_dump(mode="json"), sort_keys=True).encode())
    return LoadedScenario(program, baseline, source, digest.hexdigest())


def _load_baseline(
    path: Path,
    raw: dict[str, Any],
    inline: dict[str, Any] | None,
    baseline_file: str | None,
    source: str,
) -> Scenario | None:
    if inline is not None:
        merged = _deep_merge(raw, inline)
        merged.setdefault("scenario", {})
        meta, own, program_meta = merged["scenario"], inline.get("scenario"), raw.get("scenario")
        # Tables of the wrong type are left for the validator to report.
        named = isinstance(own, dict) and "name" in own
        if isinstance(meta, dict) and isinstance(program_meta, dict) and not named:
            meta["name"] = f"{program_meta.get('name')} (baseline)"
        return validate_raw(merged, f"{source} [baseline]", is_baseline=True)
    if baseline_file is None:
        return None
    chain = [path.resolve()]
    target = (path.parent / baseline_file).resolve()
    if target == chain[0]:
        raise ScenarioError(
            f"{source}: scenario.baseline: refers back to this file ({baseline_file!r})"
        )
    if not target.is_file():
        raise ScenarioError(f"{source}: scenario.baseline: file not found ({baseline_file!r})")
    base_raw = _read_toml(target)
    # Walk the baseline's own chain only to refuse cycles; a baseline's baseline is not used.
    cursor, cursor_raw = target, base_raw
    while True:
        nxt = (
            cursor_raw.get("scenario", {}).get("baseline")
            if isinstance(cursor_raw.get("scenario"), dict)
            else None
        )
        if not isinstance(nxt, str):
            break
        nxt_path = (cursor.parent / nxt).resolve()
        if nxt_path in chain or nxt_path == cursor:
            raise ScenarioError(
                f"{source}: scenario.baseline: the baseline chain returns to {nxt_path.name!r}"
            )
        chain.append(cursor)
        if not nxt_path.is_file():
            break
        cursor, cursor_raw = nxt_path, _read_toml(nxt_path)
    base_raw.pop("baseline", None)
    return validate_raw(base_raw, str(target), is_baseline=True)


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario file format (for editors; written by ``simroi schema``)."""
    schema = ScenarioFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "simroi scenario (schema_version 1)"
    return schema
