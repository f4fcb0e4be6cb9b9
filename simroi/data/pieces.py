"""Where a read puts the rows of one kind and channel, chunk by chunk, until the files end.

Numbers, booleans and times go into blocks that grow geometrically up to 32 MiB each: at glibc's
largest mmap threshold, so a large block is a mapping of its own, its pages resident only once
written, and returned to the system when freed. Joining the blocks at the end then costs one
column at a time, and a channel that fits in one block is not copied at all (the result is a
view of its block, or a right-sized copy when the block is mostly empty). Strings (whose width
may change from chunk to chunk) are kept as a list of chunks and joined at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = ["Pieces"]

#: Largest block, bytes (glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit systems).
BLOCK_BYTES = 32 * 2**20
#: Rows of a column's first block.
FIRST_ROWS = 2**14


class _Column:
    """One column's values so far: fixed-width blocks, or chunks for strings."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.blocks: list[np.ndarray] = []
        self.fill = 0  # rows used in the last block
        self.growing = dtype.kind in "biufM"

    def append(self, values: np.ndarray) -> None:
        if not self.growing:
            self.blocks.append(values)
            return
        done = 0
        while done < values.size:
            if not self.blocks or self.fill == self.blocks[-1].size:
                rows = FIRST_ROWS << len(self.blocks)
                rows = min(rows, max(BLOCK_BYTES // self.dtype.itemsize, FIRST_ROWS))
                self.blocks.append(np.empty(rows, dtype=self.dtype))
                self.fill = 0
            block = self.blocks[-1]
            n = min(block.size - self.fill, values.size - done)
            block[self.fill : self.fill + n] = values[done : done + n]
            self.fill += n
            done += n

    def take(self) -> np.ndarray:
        """All values in order, shape (rows,); the column's blocks are released."""
        blocks, self.blocks = self.blocks, []
        if not self.growing:
            return np.concatenate(blocks)
        if not blocks:
            return np.empty(0, dtype=self.dtype)
        if len(blocks) == 1:
            block = blocks[0]
            return block[: self.fill] if 2 * self.fill >= block.size else block[: self.fill].copy()
        parts = [*blocks[:-1], blocks[-1][: self.fill]]
        del blocks
        return np.concatenate(parts)


class Pieces:
    """The rows read so far for one kind and channel: column name → values, the files they
    came from, in the order read, and the first file's first row that names the channel (for
    messages; ``None`` where no column names it)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.columns: dict[str, _Column] = {}
        self.files: list[Path] = []
        self.first_row: int | None = None

    def add(
        self, values: Mapping[str, np.ndarray], path: Path, first_row: int | None = None
    ) -> None:
        """Append one chunk's values (every array of one length) from ``path``, whose first
        row is ``first_row`` (a spreadsheet's row number) where a column named the channel."""
        if not self.files:
            self.first_row = first_row
        for key, value in values.items():
            column = self.columns.get(key)
            if column is None:
                column = self.columns[key] = _Column(value.dtype)
            column.append(value)
        if path not in self.files:
            self.files.append(path)

    def take(self, key: str) -> np.ndarray | None:
        """The column's values joined (and released), or None if the files lack it."""
        column = self.columns.pop(key, None)
        return None if column is None else column.take()

    @property
    def keys(self) -> list[str]:
        return list(self.columns)
