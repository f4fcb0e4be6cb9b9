"""The randomness contract (DESIGN.md §3): one root seed; streams spawned by key, not arithmetic.

A run has one root :class:`numpy.random.SeedSequence`. Trials are processed in blocks of a fixed
size; every random stream a block uses is the child of the root at the spawn key
``(block, *purpose)``, where ``purpose`` is a tuple of stable integer codes derived from names
("arrivals", "phone", an input's name ...). Because the key names the purpose rather than the order
in which streams were asked for:

* a block gives bit-identical numbers whichever process or executor runs it;
* adding an uncertain input to a scenario does not shift the streams of the others;
* a program and its baseline (or every point of a sweep) draw the same numbers for the same
  purpose: common random numbers.

Nothing here keeps state: a :class:`Streams` value is a root entropy plus a block index.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_BLOCK_SIZE", "Streams", "fresh_entropy", "name_code"]

#: Trials per block unless a scenario says otherwise (``[simulation] block_size``).
DEFAULT_BLOCK_SIZE = 500


def name_code(name: str) -> int:
    """A stable 32-bit code for a stream name (independent of Python's hash randomisation)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "little")


def fresh_entropy() -> int:
    """A new root entropy (128 bits) for a run without a seed; it is recorded and printed."""
    return secrets.randbits(128)


@dataclass(frozen=True)
class Streams:
    """The random streams of one block of trials.

    Parameters
    ----------
    entropy : int
        The run's root entropy (the ``--seed``).
    block : int
        Index of the block of trials; block *k* always gets the same streams.
    """

    entropy: int
    block: int

    def seed_sequence(self, *purpose: str | int) -> np.random.SeedSequence:
        """The seed sequence for ``purpose``: child ``(block, *codes)`` of the root."""
        codes = tuple(p if isinstance(p, int) else name_code(p) for p in purpose)
        return np.random.SeedSequence(self.entropy, spawn_key=(self.block, *codes))

    def rng(self, *purpose: str | int) -> np.random.Generator:
        """A fresh generator for ``purpose``; asking twice gives two in the same state."""
        return np.random.Generator(np.random.PCG64(self.seed_sequence(*purpose)))
