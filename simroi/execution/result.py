"""Results are data: per-trial samples plus provenance, saved and loaded without re-simulating.

A :class:`RunResult` holds every per-trial array of a run (ROI, NPV, payback, the present value
of each line item, every KPI of program and baseline, the sampled inputs) and the provenance that
replays it (DESIGN.md §3). Every summary, table, chart and slide is derived from it.

Files are NumPy ``.npz`` archives with a JSON ``meta`` entry (``format = "simroi-result"``), written
atomically: to a temporary file in the target directory, then renamed, so an interrupted write
never leaves a half-written result.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import IO, Any

import numpy as np

from simroi.errors import OutputError, ResultFileError
from simroi.formatting import short_repr

__all__ = [
    "FORMAT",
    "Provenance",
    "ResultSet",
    "RunResult",
    "atomic_write",
    "is_device",
    "load_any",
    "load_result_file",
    "save_result_file",
    "sibling_temporary_name",
]

FORMAT = "simroi-result"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Provenance:
    """Everything needed to replay a run exactly.

    ``command`` replays the result this run belongs to (a whole comparison or sweep for their
    runs), as the front end that made it recorded it with :meth:`RunResult.with_command` or
    :meth:`ResultSet.with_command`: the command line's "Replay exactly" line, or the Python
    API's call (:mod:`simroi.api`). Empty in files written before it existed, and for a run of
    a scenario that was changed after loading (nothing can load it again).
    """

    simroi_version: str
    numpy_version: str
    seed: int
    trials: int
    block_size: int
    engine: str
    sampling: str
    scenario_name: str
    scenario_hash: str
    scenario_source: str
    baseline_name: str | None
    created_utc: str
    overrides: tuple[str, ...] = ()
    stop_reason: str = ""
    command: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the seed as a string: it can exceed 64 bits)."""
        data = dict(self.__dict__)
        data["seed"] = str(self.seed)
        data["overrides"] = list(self.overrides)
        return data

    @classmethod
    def from_json(cls, data: Any, source: str | Path = "result") -> Provenance:
        """Inverse of :meth:`to_json`. Raises ResultFileError naming ``source`` and the field
        when ``data`` is not a provenance (a damaged or edited file)."""
        if not isinstance(data, dict):
            raise ResultFileError(f"{source}: no provenance (got {short_repr(data)})")
        data = dict(data)
        missing = [f.name for f in fields(cls) if f.name not in data and f.default is MISSING]
        if missing:
            raise ResultFileError(f"{source}: provenance lacks {', '.join(missing)}")
        seed, overrides = data["seed"], data.get("overrides", [])
        if not (isinstance(seed, str) and seed.isdigit()):  # to_json writes it as digits
            raise ResultFileError(
                f"{source}: provenance.seed must be digits (got {short_repr(seed)})"
            )
        if not isinstance(overrides, list):
            raise ResultFileError(
                f"{source}: provenance.overrides must be a list (got {short_repr(overrides)})"
            )
        data["seed"], data["overrides"] = int(seed), tuple(overrides)
        try:
            made = cls(**data)
        except TypeError as exc:  # a field this version does not know
            raise ResultFileError(f"{source}: provenance is damaged ({exc})") from None
        for spec in fields(cls):
            value = getattr(made, spec.name)
            kinds = _PROVENANCE_TYPES[str(spec.type)]
            items = value if isinstance(value, tuple) else (value,)
            if isinstance(value, bool) or not all(isinstance(v, kinds) for v in items):
                shown = short_repr(value)
                raise ResultFileError(
                    f"{source}: provenance.{spec.name} must be {spec.type} (got {shown})"
                )
        return made


#: What each provenance field may hold, by its annotation (a tuple's items for a tuple).
_PROVENANCE_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "str": (str,),
    "str | None": (str, type(None)),
    "tuple[str, ...]": (str,),
}


@dataclass(frozen=True)
class RunResult:
    """One scenario run against its baseline: per-trial samples and provenance.

    ``samples`` keys: ``roi``, ``npv``, ``payback_months``, ``pv_benefits``, ``pv_costs``,
    ``pv.<line>``, ``kpi.<program|baseline>.<channel>.<kpi>`` and ``kpi.<world>.<metric>``,
    ``input.<dotted.key>``. ``net_by_month`` (trials, horizon + 1) is the incremental net cash
    flow with t0 first (absent for very large runs). ``meta`` carries the scenario description,
    objectives, assumptions table and currency for reports. ``samples`` also holds the lifetime
    view, ``lifetime.npv`` and ``lifetime.roi`` (:mod:`simroi.model.lifetime`).

    ``monthly`` maps each month-by-month KPI (``program.phone.service_level``,
    ``baseline.customers``, ``customers_kept``, ``net_cash_flow``, …; see
    :mod:`simroi.model.monthly`) to a (trials, horizon) float32 array, month 1 first; empty for
    very large runs and in files written before it existed.
    """

    provenance: Provenance
    samples: dict[str, np.ndarray]
    net_by_month: np.ndarray | None
    meta: dict[str, Any] = field(default_factory=dict)
    kind: str = "run"
    monthly: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def trials(self) -> int:
        """Number of trials."""
        return int(self.samples["roi"].shape[0])

    def with_command(self, command: str, *, overrides: Sequence[str] | None = None) -> RunResult:
        """A copy whose provenance records ``command``, the command line (or Python call) that
        replays it, and ``overrides``, the ``--set`` strings the scenario was loaded with (None
        keeps those recorded)."""
        kept = self.provenance.overrides if overrides is None else tuple(overrides)
        return replace(self, provenance=replace(self.provenance, command=command, overrides=kept))

    def save(self, path: str | Path) -> Path:
        """Write the result atomically to ``path`` (``.npz``); returns the path."""
        arrays = {f"s/{k}": v for k, v in self.samples.items()}
        arrays.update({f"m/{k}": v for k, v in self.monthly.items()})
        if self.net_by_month is not None:
            arrays["net_by_month"] = self.net_by_month
        meta = {"provenance": self.provenance.to_json(), **self.meta}
        return save_result_file(path, self.kind, meta, arrays)

    @classmethod
    def load(cls, path: str | Path) -> RunResult:
        """Read a result written by :meth:`save` (raises ResultFileError if it is not one)."""
        kind, meta, arrays = load_result_file(path)
        if kind != "run":
            raise ResultFileError(f"{path}: holds a {kind!r} result, not a run")
        samples = {k.removeprefix("s/"): v for k, v in arrays.items() if k.startswith("s/")}
        monthly = {k.removeprefix("m/"): v for k, v in arrays.items() if k.startswith("m/")}
        provenance = Provenance.from_json(meta.pop("provenance", None), path)
        return cls(provenance, samples, arrays.get("net_by_month"), meta, monthly=monthly)


def sibling_temporary_name(target: Path, suffix: str) -> str:
    """A name for a new temporary file beside ``target`` (hidden, named after it, ending in
    ``suffix``), not yet made: the caller keeps the name, then makes the file exclusively
    (``O_EXCL``), so that no interrupt can leave behind a file it cannot name.

    Raises OutputError (one line, naming ``target``) when the directory is missing.
    """
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(f"{target}: cannot write: directory {str(directory)!r} does not exist")
    return str(directory / f".{target.name}.{secrets.token_hex(6)}{suffix}")


def is_device(path: str | Path) -> bool:
    """Whether ``path`` (through any link) exists and is neither a file nor a folder: a device
    or a named pipe, written to in place by :func:`atomic_write`."""
    given = Path(path)
    return given.exists() and not (given.is_file() or given.is_dir())


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Write a file through a temporary sibling and rename it into place.

    A symbolic link is written through (the file it points to is replaced, the link kept). A
    device or a named pipe (``/dev/null``, ``/dev/stdout``) is written to directly: it has no
    content to keep and must not be replaced by a file.

    Raises OutputError (one line) when the directory is missing or unwritable or the disk is full;
    the temporary file is removed, and an existing file at ``path`` is left untouched.
    """
    given = Path(path)
    if is_device(given):
        try:
            with given.open("wb") as handle:
                write(handle)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        return given
    target = Path(os.path.realpath(given)) if given.is_symlink() else given
    # The name is kept before the file exists: a Ctrl-C at any moment finds it to remove (one
    # between making a file and naming it left a .tmp in a kept checkpoint, seen under load).
    tmp: str | None = None
    fd, wrapped = -1, False
    try:
        name = ""
        while fd < 0:
            name = tmp = sibling_temporary_name(target, ".tmp")
            try:
                fd = os.open(name, _NEW_FILE, 0o600)
            except FileExistsError:  # another's (48 random bits alike): not ours to remove
                tmp = None
        wrapped = True  # the handle closes the descriptor from here
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        # Made 0600; give the file the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(name, 0o666 & ~umask)
        os.replace(name, target)
    except OutputError:  # already one line naming the target (a missing directory)
        _remove(tmp, None if wrapped else fd)
        raise
    except OSError as exc:
        _remove(tmp, None if wrapped else fd)
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp, None if wrapped else fd)
        raise
    return given


#: Flags of a temporary file: made new, never an existing one (and binary on Windows).
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _remove(tmp: str | None, fd: int | None) -> None:
    """Close a descriptor no handle took and remove the temporary file, quietly."""
    if fd is not None and fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)
    if tmp is not None:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def save_result_file(
    path: str | Path, kind: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]
) -> Path:
    """Save ``arrays`` and a JSON ``meta`` (with format, version and kind) atomically."""
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, **meta}
    payload = {**arrays, "meta": np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)}
    savez: Any = np.savez_compressed  # numpy's stub types **arrays as its keyword options
    return atomic_write(path, lambda handle: savez(handle, **payload))


def load_result_file(path: str | Path) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    """Read ``(kind, meta, arrays)`` from a result file, or raise a one-line ResultFileError."""
    source = Path(path)
    if not source.is_file():
        raise ResultFileError(f"{source}: file not found")
    try:
        # Check the archive first: np.load leaks its file handle on a truncated zip.
        with zipfile.ZipFile(source) as archive:
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("a member is damaged")
        with np.load(source, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ResultFileError(f"{source}: not a simroi result file ({exc})") from None
    raw = arrays.pop("meta", None)
    try:
        meta = json.loads(bytes(raw).decode("utf-8")) if raw is not None else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ResultFileError(f"{source}: not a simroi result file (no simroi metadata)")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ResultFileError(
            f"{source}: result format version {meta.get('format_version')} is not supported "
            f"(this simroi reads version {FORMAT_VERSION})"
        )
    kind = str(meta.pop("kind", ""))
    meta.pop("format", None)
    meta.pop("format_version", None)
    return kind, meta, arrays


@dataclass(frozen=True)
class ResultSet:
    """Several runs saved together: a comparison (``kind = "compare"``) or a sweep (``"sweep"``).

    ``runs`` are complete :class:`RunResult` objects simulated with common random numbers (the
    same seed and streams), in the order given; ``meta`` holds what the kind needs (for a sweep,
    the swept keys and each run's grid values; for both, derived tables are recomputed from the
    runs, never stored alone).
    """

    kind: str
    runs: list[RunResult]
    meta: dict[str, Any] = field(default_factory=dict)

    def with_command(self, command: str) -> ResultSet:
        """A copy whose runs' provenance records ``command``, the command line that replays
        the whole set."""
        return replace(self, runs=[run.with_command(command) for run in self.runs])

    def save(self, path: str | Path) -> Path:
        """Write all runs atomically to one ``.npz`` file."""
        arrays: dict[str, np.ndarray] = {}
        runs_meta = []
        for i, run in enumerate(self.runs):
            arrays.update({f"r{i}/s/{k}": v for k, v in run.samples.items()})
            arrays.update({f"r{i}/m/{k}": v for k, v in run.monthly.items()})
            if run.net_by_month is not None:
                arrays[f"r{i}/net_by_month"] = run.net_by_month
            runs_meta.append({"provenance": run.provenance.to_json(), **run.meta})
        return save_result_file(path, self.kind, {"runs": runs_meta, **self.meta}, arrays)

    @classmethod
    def load(cls, path: str | Path) -> ResultSet:
        """Read a comparison or sweep written by :meth:`save`."""
        kind, meta, arrays = load_result_file(path)
        if kind not in {"compare", "sweep"}:
            raise ResultFileError(f"{path}: holds a {kind!r} result, not a comparison or sweep")
        runs = []
        for i, run_meta in enumerate(meta.pop("runs", [])):
            prefix = f"r{i}/s/"
            samples = {k.removeprefix(prefix): v for k, v in arrays.items() if k.startswith(prefix)}
            m = f"r{i}/m/"
            monthly = {k.removeprefix(m): v for k, v in arrays.items() if k.startswith(m)}
            run_meta = dict(run_meta)
            provenance = Provenance.from_json(run_meta.pop("provenance", None), path)
            net = arrays.get(f"r{i}/net_by_month")
            runs.append(RunResult(provenance, samples, net, run_meta, monthly=monthly))
        return cls(kind, runs, meta)


def load_any(path: str | Path) -> RunResult | ResultSet:
    """Load a run, comparison or sweep result file, whichever it holds."""
    kind, _, _ = load_result_file(path)
    return RunResult.load(path) if kind == "run" else ResultSet.load(path)
