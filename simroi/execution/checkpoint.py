"""Checkpoints: the finished blocks of an interrupted run, kept so that a resumed run can finish it.

A checkpoint is a directory (the CLI's default is ``<out>.checkpoint`` beside the result file)
holding ``header.json`` — what run the blocks belong to: simroi and numpy versions, scenario name
and content hash, seed, trials, block size and engine — and one ``block-<k>.npz`` per finished
block with that block's per-trial arrays. Every file is written atomically (a temporary sibling,
then a rename), the header before any block, and each block as soon as it is finished, so a run
killed at any moment leaves a consistent checkpoint: a block is either complete or absent.

Because block *k* always draws from the streams spawned for block *k* (DESIGN.md §3), a resumed
run that skips the finished blocks and simulates the others gives the same result, bit for bit,
as an uninterrupted run. That only holds for the same run, so :meth:`Checkpoint.resume` refuses a
checkpoint whose header differs from the run being resumed and says which fields differ.

A command that makes several runs (``compare``, ``sweep``, ``sensitivity``) keeps a
:class:`CheckpointSet`: a directory with ``set.json`` — the command, its seed and the settings
that decide its runs — and one ordinary checkpoint directory per run (``run-0000``,
``swing-0003``, …), each with its own header. A resumed command reuses every block of every run
it finds, finished runs and half-finished ones alike, and refuses a set made by another command
or with other settings; each run's header still guards its own blocks.
"""

from __future__ import annotations

import contextlib
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from simroi.errors import OutputError, ResultFileError
from simroi.execution.result import atomic_write
from simroi.formatting import counted
from simroi.queueing.engines import same_numbers
from simroi.randomness import fresh_entropy

__all__ = [
    "Checkpoint",
    "CheckpointHeader",
    "CheckpointSet",
    "default_checkpoint_path",
    "discard_checkpoint",
]

FORMAT = "simroi-checkpoint"
FORMAT_VERSION = 1
_HEADER = "header.json"
_SET = "set.json"
SET_FORMAT = "simroi-checkpoint-set"
_RUN = re.compile(r"^[a-z]+-\d{4,}$")
_BLOCK = re.compile(r"^block-(\d{6,})\.npz$")


def default_checkpoint_path(out: str | Path) -> Path:
    """Where a run writing ``out`` keeps its checkpoint: ``<out>.checkpoint`` beside it."""
    out = Path(out)
    return out.with_name(out.name + ".checkpoint")


@dataclass(frozen=True)
class CheckpointHeader:
    """Identifies a run: a checkpoint's blocks may only be reused by the same run.

    ``trials`` is the number of trials asked for, or ``"auto"`` for the stopping rule.
    """

    simroi_version: str
    numpy_version: str
    scenario_name: str
    scenario_hash: str
    seed: int
    trials: int | str
    block_size: int
    engine: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the seed as a string: it can exceed 64 bits)."""
        data = asdict(self)
        data["seed"] = str(self.seed)
        return {"format": FORMAT, "format_version": FORMAT_VERSION, **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckpointHeader:
        """Inverse of :meth:`to_json` (raises KeyError, TypeError or ValueError if malformed)."""
        fields = {k: data[k] for k in cls.__dataclass_fields__}
        fields["seed"] = int(fields["seed"])
        return cls(**fields)

    def differences(self, other: CheckpointHeader) -> list[str]:
        """What differs between this checkpoint (``self``) and the run ``other``, in words."""
        out = []
        if (self.scenario_name, self.scenario_hash) != (other.scenario_name, other.scenario_hash):
            out.append(
                f"it is for scenario {self.scenario_name!r} (content {self.scenario_hash[:12]}), "
                f"this run is {other.scenario_name!r} (content {other.scenario_hash[:12]}): "
                "the scenario file or an override differs"
            )
        if self.seed != other.seed:
            out.append(f"it has seed {self.seed}, this run has seed {other.seed}")
        if self.trials != other.trials:
            kept = counted(self.trials, "trial") if isinstance(self.trials, int) else self.trials
            out.append(f"it is for {kept}, this run asks for {other.trials}")
        if self.block_size != other.block_size:
            out.append(f"its block size is {self.block_size}, this run's is {other.block_size}")
        if not same_numbers(self.engine, other.engine):
            out.append(f"it used the {self.engine} engine, this run the {other.engine} engine")
        if self.simroi_version != other.simroi_version:
            out.append(
                f"it was written by simroi {self.simroi_version}, this is simroi "
                f"{other.simroi_version}"
            )
        if self.numpy_version != other.numpy_version:
            out.append(
                f"it was written with numpy {self.numpy_version}, this is numpy "
                f"{other.numpy_version}"
            )
        return out


class Checkpoint:
    """A checkpoint directory: a header and the blocks finished so far.

    Use :meth:`start` for a new run and :meth:`resume` to continue one; then :meth:`save_block`
    after each finished block, :meth:`finished` and :meth:`load_block` to read them back, and
    :meth:`discard` once the run's result is safely written.
    """

    def __init__(self, path: Path, header: CheckpointHeader) -> None:
        self.path = path
        self.header = header

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def start(cls, path: str | Path, header: CheckpointHeader) -> Checkpoint:
        """Create a fresh checkpoint at ``path`` (refusing to overwrite another run's)."""
        path = Path(path)
        if (path / _HEADER).exists():
            raise ResultFileError(
                f"{path}: a checkpoint of an interrupted run is already there; continue it with "
                "`resume`, or delete it to start over"
            )
        if path.exists() and not path.is_dir():
            raise OutputError(f"{path}: cannot keep a checkpoint there: it is a file")
        if path.is_dir() and any(path.iterdir()):
            raise OutputError(
                f"{path}: cannot keep a checkpoint there: the directory is not empty and holds "
                "no simroi checkpoint"
            )
        try:
            path.mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"{path}: cannot create the checkpoint directory: {exc.strerror or exc}"
            ) from None
        text = json.dumps(header.to_json(), indent=2) + "\n"
        atomic_write(path / _HEADER, lambda handle: handle.write(text.encode("utf-8")))
        return cls(path, header)

    @staticmethod
    def read_header(path: str | Path) -> CheckpointHeader:
        """The header of the checkpoint at ``path`` (a one-line ResultFileError if none)."""
        path = Path(path)
        header_file = path / _HEADER
        if not header_file.is_file():
            raise ResultFileError(
                f"{path}: no checkpoint to resume (a run keeps its `checkpoint` only while it is "
                "unfinished)"
            )
        try:
            return CheckpointHeader.from_json(_format_json(header_file, FORMAT, "header"))
        except _UNUSABLE as e:
            raise _unusable(path, e) from None

    @classmethod
    def resume(cls, path: str | Path, expected: CheckpointHeader) -> Checkpoint:
        """Open the checkpoint at ``path`` for the run ``expected``, or refuse with the reasons."""
        path = Path(path)
        header = cls.read_header(path)
        differences = header.differences(expected)
        if differences:
            raise ResultFileError(
                f"{path}: cannot resume: this checkpoint belongs to another run: "
                + "; ".join(differences)
            )
        return cls(path, header)

    # --- blocks ----------------------------------------------------------------------------

    def _block_path(self, block: int) -> Path:
        return self.path / f"block-{block:06d}.npz"

    def _run_id(self) -> str:
        return json.dumps(self.header.to_json(), sort_keys=True)

    def save_block(self, block: int, arrays: dict[str, np.ndarray]) -> None:
        """Keep one finished block's per-trial arrays (atomically; raises OutputError).

        The block's per-trial float64 columns are stored as one (trials, columns) matrix, so a
        block is a few archive members rather than one per quantity.
        """
        names = list(arrays)
        columns = [k for k in names if arrays[k].ndim == 1 and arrays[k].dtype == np.float64]
        payload = {f"other/{k}": arrays[k] for k in names if k not in columns}
        if columns:
            payload["columns"] = np.stack([arrays[k] for k in columns], axis=1)
        meta = {"run": self._run_id(), "block": block, "names": names, "columns": columns}
        payload["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
        savez: Any = np.savez  # uncompressed: per-trial floats hardly compress, and it is faster
        try:
            atomic_write(self._block_path(block), lambda handle: savez(handle, **payload))
        except OutputError as exc:
            raise OutputError(
                f"{exc} (the blocks finished so far are kept in {self.path}; free some space or "
                "fix the permissions, then rerun with `resume`)"
            ) from None

    def finished(self) -> set[int]:
        """The blocks with a file in the checkpoint."""
        return {
            int(match.group(1))
            for entry in self.path.iterdir()
            if (match := _BLOCK.match(entry.name)) is not None
        }

    def load_block(self, block: int) -> dict[str, np.ndarray] | None:
        """One finished block's arrays, or None if it is absent or cannot be read back.

        A block that cannot be read is simply simulated again, which gives the same numbers.
        """
        path = self._block_path(block)
        try:
            # Open the archive first: np.load leaks its file handle on a truncated zip.
            with zipfile.ZipFile(path):
                pass
            with np.load(path, allow_pickle=False) as data:
                stored = {k: data[k] for k in data.files}
            meta = json.loads(bytes(stored["meta"]).decode("utf-8"))
            if meta.get("run") != self._run_id() or meta.get("block") != block:
                return None
            matrix = stored.get("columns", np.empty((0, 0)))
            column = {name: i for i, name in enumerate(meta["columns"])}
            return {
                name: matrix[:, column[name]] if name in column else stored[f"other/{name}"]
                for name in meta["names"]
            }
        except (
            OSError,
            ValueError,
            KeyError,
            TypeError,
            IndexError,
            AttributeError,
            EOFError,
            UnicodeDecodeError,
            zipfile.BadZipFile,
        ):
            return None

    def discard(self) -> None:
        """Remove the checkpoint's files and its directory (once the result is written)."""
        discard_checkpoint(self.path)


def discard_checkpoint(path: str | Path) -> None:
    """Remove a checkpoint's files and, if nothing else is in it, its directory."""
    path = Path(path)
    if not path.is_dir():
        return
    for entry in path.iterdir():
        if entry.name == _HEADER or _BLOCK.match(entry.name) or entry.name.endswith(".tmp"):
            with contextlib.suppress(OSError):
                entry.unlink()
    with contextlib.suppress(OSError):
        path.rmdir()


@dataclass(frozen=True)
class CheckpointSet:
    """The checkpoints of a command that makes several runs: one :class:`Checkpoint` per run.

    Open it with :meth:`open`; give each run the checkpoint :meth:`slot` names (resuming it when
    it says so); :meth:`discard` the set once the result is written.

    Attributes
    ----------
    path : the set's directory (``<out>.checkpoint`` beside the result file in the CLI)
    command : the command whose runs these are (``compare``, ``sweep``, ``sensitivity``)
    seed : the root seed every run of the command shares
    resume : whether the runs already there are to be continued (else the set is new)
    """

    path: Path
    command: str
    seed: int
    resume: bool

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        command: str,
        settings: Mapping[str, Any],
        seed: int | None,
        resume: bool,
    ) -> CheckpointSet:
        """Start a new set at ``path``, or reopen one to resume it, checking it is this command's.

        Parameters
        ----------
        path : the directory
        command : the command's name
        settings : JSON-ready values that decide which runs the command makes (scenarios,
            overrides, trials, engine, …); a set made with other settings is refused
        seed : the seed asked for; None draws a fresh one for a new set, or takes the set's
        resume : reopen an interrupted command's set (else the set must not exist yet)

        Raises
        ------
        ResultFileError
            Resuming with no set at ``path``, or one from another command, seed or settings;
            starting where an unfinished set or run checkpoint already is.
        OutputError
            The directory cannot be created or written.
        """
        path = Path(path)
        wanted = {k: settings[k] for k in sorted(settings)}
        if resume:
            kept = _read_set(path, command)
            differences = [
                f"it has {key} {_shown(kept['settings'].get(key))}, this {command} has "
                f"{_shown(value)}"
                for key, value in wanted.items()
                if kept["settings"].get(key) != value
            ]
            kept_seed = int(kept["seed"])
            if seed is not None and seed != kept_seed:
                differences.append(f"it has seed {kept_seed}, this {command} has seed {seed}")
            if differences:
                raise ResultFileError(
                    f"{path}: cannot resume: this checkpoint belongs to another {command}: "
                    + "; ".join(differences)
                )
            return cls(path, command, kept_seed, resume=True)
        if (path / _SET).exists() or (path / _HEADER).exists():
            raise ResultFileError(
                f"{path}: a checkpoint of an interrupted command is already there; continue it "
                "with `resume`, or delete it to start over"
            )
        if path.exists() and not path.is_dir():
            raise OutputError(f"{path}: cannot keep a checkpoint there: it is a file")
        if path.is_dir() and any(path.iterdir()):
            raise OutputError(
                f"{path}: cannot keep a checkpoint there: the directory is not empty and holds "
                "no simroi checkpoint"
            )
        chosen = fresh_entropy() if seed is None else seed
        try:
            path.mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"{path}: cannot create the checkpoint directory: {exc.strerror or exc}"
            ) from None
        data = {
            "format": SET_FORMAT,
            "format_version": FORMAT_VERSION,
            "command": command,
            "seed": str(chosen),
            "settings": wanted,
        }
        text = json.dumps(data, indent=2) + "\n"
        atomic_write(path / _SET, lambda handle: handle.write(text.encode("utf-8")))
        return cls(path, command, chosen, resume=False)

    def run_path(self, name: str) -> Path:
        """The checkpoint directory of the run called ``name`` (``run-0002``, ``base`` …)."""
        if not _RUN.match(name) and name != "base":
            raise ValueError(f"not a run name: {name!r}")
        return self.path / name

    def slot(self, name: str) -> tuple[Path, bool]:
        """The checkpoint directory of the run ``name`` and whether to resume it.

        A run is resumed when its header is there; a run directory without one (the command was
        stopped while the run was starting) is cleared, so that the run starts afresh.
        """
        path = self.run_path(name)
        if self.resume and (path / _HEADER).is_file():
            return path, True
        discard_checkpoint(path)
        return path, False

    def discard(self) -> None:
        """Remove every run's checkpoint and the set (once the command's result is written)."""
        if not self.path.is_dir():
            return
        for entry in self.path.iterdir():
            if entry.is_dir() and (_RUN.match(entry.name) or entry.name == "base"):
                discard_checkpoint(entry)
            elif entry.name == _SET or entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    entry.unlink()
        with contextlib.suppress(OSError):
            self.path.rmdir()


#: What reading a checkpoint's JSON raises when the file is not a usable one.
_UNUSABLE = (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError)


def _format_json(file: Path, form: str, what: str) -> dict[str, Any]:
    """The JSON object in ``file``: a ValueError unless it says it is a checkpoint ``what``
    (``form``) of this :data:`FORMAT_VERSION` (any of :data:`_UNUSABLE` if unreadable)."""
    data = json.loads(file.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if data.get("format") != form:
        raise ValueError(f"no simroi checkpoint {what}")
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"checkpoint format version {data.get('format_version')}")
    return cast(dict[str, Any], data)


def _unusable(path: Path, error: Exception) -> ResultFileError:
    """The one-line error of the checkpoint at ``path`` whose JSON is unusable (a KeyError
    names the missing key)."""
    why = f"no {error.args[0]!r}" if isinstance(error, KeyError) else str(error)
    return ResultFileError(f"{path}: not a usable simroi checkpoint ({why})")


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _read_set(path: Path, command: str) -> dict[str, Any]:
    """The ``set.json`` of the set at ``path``, checked to be ``command``'s."""
    if (path / _HEADER).is_file():
        raise ResultFileError(
            f"{path}: cannot resume: this is the checkpoint of a `simroi run`, not of a {command}"
        )
    file = path / _SET
    if not file.is_file():
        raise ResultFileError(
            f"{path}: no checkpoint to resume (a {command} keeps its checkpoint only while it is "
            "unfinished)"
        )
    try:
        data = _format_json(file, SET_FORMAT, "set")
        int(data["seed"])
        if not isinstance(data["settings"], dict):
            raise TypeError("settings are not a table")
    except _UNUSABLE as e:
        raise _unusable(path, e) from None
    if data.get("command") != command:
        raise ResultFileError(
            f"{path}: cannot resume: this is the checkpoint of a {data.get('command')}, not of "
            f"a {command}"
        )
    return data
