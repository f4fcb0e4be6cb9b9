"""Output files are written through a temporary sibling and renamed into place
(:func:`simroi.execution.result.atomic_write`), except what must not be replaced: a device or a
named pipe is written to in place, and a symbolic link keeps pointing where it did."""

from __future__ import annotations

import errno
import os
import signal
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest

from simroi.cli.options import check_writable
from simroi.errors import OutputError
from simroi.execution.result import atomic_write


def test_a_named_pipe_is_written_to_not_replaced(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    assert atomic_write(pipe, lambda handle: handle.write(b"through the pipe")) == pipe
    reader.join(timeout=10)
    assert received == [b"through the pipe"]
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]  # no temporary left


def test_a_symbolic_link_keeps_pointing_at_the_file_it_replaces(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    real = tmp_path / "kept" / "result.bin"
    real.write_bytes(b"old")
    link = tmp_path / "result.bin"
    link.symlink_to(real)
    assert atomic_write(link, lambda handle: handle.write(b"new")) == link
    assert link.is_symlink() and link.resolve() == real
    assert real.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept", "result.bin"]


def test_a_relative_or_dangling_link_is_written_through(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    relative = tmp_path / "relative.bin"
    relative.symlink_to(Path("kept") / "target.bin")  # dangling until written
    atomic_write(relative, lambda handle: handle.write(b"made"))
    assert relative.is_symlink() and (tmp_path / "kept" / "target.bin").read_bytes() == b"made"


def test_a_device_is_checked_for_writing_not_for_its_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # /dev is not a user's to create files in (root's is: deny it, or this test could not fail)
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "TemporaryFile", denied)
    check_writable(os.devnull)  # /dev is not this process's to create files in, /dev/null is


def test_a_link_is_checked_where_it_points(tmp_path: Path) -> None:
    link = tmp_path / "link.npz"
    link.symlink_to(tmp_path / "missing" / "r.npz")
    with pytest.raises(OutputError, match="does not exist"):
        check_writable(str(link))


def test_a_missing_directory_is_said_once(tmp_path: Path) -> None:
    # `simroi schema --out /nonexistent/x.json` said "cannot write: ... cannot write: ..." twice.
    target = tmp_path / "missing" / "x.json"
    with pytest.raises(OutputError) as caught:
        atomic_write(target, lambda handle: handle.write(b"{}"))
    assert str(caught.value) == (
        f"{target}: cannot write: directory {str(target.parent)!r} does not exist"
    )


def test_an_output_error_while_writing_leaves_no_temporary_file(tmp_path: Path) -> None:
    def refuse(handle: object) -> None:
        raise OutputError("inner")

    with pytest.raises(OutputError, match="inner"):
        atomic_write(tmp_path / "out.json", refuse)
    assert list(tmp_path.iterdir()) == []


def test_a_ctrl_c_as_the_temporary_file_is_made_leaves_no_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C that came after the temporary file was made and before its name was kept left
    a ``.tmp`` in a kept checkpoint (seen once under load, in the resume test). The name is kept
    before the file is made, so an interrupt at any moment finds it to remove — with other
    threads running too (a pool's, a progress bar's), where holding the signal in one thread
    would not hold it."""
    made = os.open

    def interrupted(*args: Any, **kwargs: Any) -> int:
        fd = made(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # raised as soon as the file exists
        return fd

    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    monkeypatch.setattr(os, "open", interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            atomic_write(tmp_path / "block.npz", lambda handle: handle.write(b"never"))
    finally:
        stop.set()
    assert list(tmp_path.iterdir()) == []
