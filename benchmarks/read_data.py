"""Time and size the data-file reader (``simroi.data.read.read_data``) on large files.

Writes two files to a temporary folder:

- a contact log of ``--contacts`` rows (default 10 million) over a year, three channels, every
  column (arrived_at, channel, outcome, wait_seconds, handle_seconds, resolved, public,
  customer_id from two million customers);
- a year of 5-minute intervals for ``--queues`` queues (default 10): 1,051,200 rows with
  offered, answered, abandoned, answered_within_sla, handle and wait means and agents;

then reads each in a fresh process (so the peak resident memory is the reader's, not the
writer's) and prints rows/s and peak RSS (``resource.getrusage``, ``ru_maxrss``) beside the RSS
of the process after importing simroi, before reading.

Usage::

    python benchmarks/read_data.py [--contacts 10000000] [--queues 10] [--chunk-rows 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

import numpy as np

_BLOCK = 1_000_000
_YEAR_S = 365 * 86_400


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _stamps(seconds: np.ndarray) -> np.ndarray:
    times = np.datetime64("2025-01-01T00:00:00") + seconds.astype("timedelta64[s]")
    return np.char.replace(np.datetime_as_string(times, unit="s"), "T", " ")


def write_contacts(path: Path, rows: int, rng: np.random.Generator) -> None:
    """A year of contacts, in order of arrival, written a million rows at a time."""
    channels = np.array(["phone", "email", "social"])
    outcomes = np.array(["answered", "abandoned", "ignored"])
    arrivals = np.sort(rng.integers(0, _YEAR_S, rows))
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "arrived_at,channel,outcome,wait_seconds,handle_seconds,resolved,public,customer_id\n"
        )
        for lo in range(0, rows, _BLOCK):
            n = min(_BLOCK, rows - lo)
            channel = rng.integers(0, 3, n)
            outcome = np.where(rng.random(n) < 0.9, 0, np.where(channel == 0, 1, 2))
            answered = outcome == 0
            wait = np.round(rng.exponential(60.0, n), 1).astype(str)
            handle = np.where(answered, np.round(rng.lognormal(5.5, 0.8, n), 1).astype(str), "")
            resolved = np.where(answered, (rng.random(n) < 0.7).astype(int).astype(str), "")
            public = (rng.random(n) < 0.2).astype(int).astype(str)
            customer = np.char.add("C", np.char.zfill(rng.integers(0, 2_000_000, n).astype(str), 7))
            columns = [
                _stamps(arrivals[lo : lo + n]),
                channels[channel],
                outcomes[outcome],
                wait,
                handle,
                resolved,
                public,
                customer,
            ]
            _write_rows(out, columns)


def _write_rows(out: TextIO, columns: list[np.ndarray]) -> None:
    """Write one CSV line per element of the columns (arrays of text, one length)."""
    line = columns[0]
    for column in columns[1:]:
        line = np.char.add(np.char.add(line, ","), column)
    out.write("\n".join(line.tolist()) + "\n")


def write_intervals(path: Path, queues: int, rng: np.random.Generator) -> None:
    """A year of 5-minute intervals for each queue, all queues of an interval together."""
    starts = np.arange(0, _YEAR_S, 300)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "interval_start,channel,offered,answered,abandoned,answered_within_sla,"
            "handle_seconds_mean,wait_seconds_mean,agents\n"
        )
        for lo in range(0, starts.size, _BLOCK // queues):
            when = np.repeat(starts[lo : lo + _BLOCK // queues], queues)
            n = when.size
            queue = np.char.add("queue", np.tile(np.arange(queues), n // queues).astype(str))
            offered = rng.poisson(20.0, n)
            answered = rng.binomial(offered, 0.92)
            abandoned = offered - answered
            within = rng.binomial(answered, 0.8)
            aht = np.where(answered > 0, np.round(rng.normal(300, 30, n), 1).astype(str), "")
            asa = np.where(answered > 0, np.round(rng.exponential(20, n), 1).astype(str), "")
            agents = np.round(rng.uniform(5, 20, n), 2).astype(str)
            columns = [
                _stamps(when),
                queue,
                offered.astype(str),
                answered.astype(str),
                abandoned.astype(str),
                within.astype(str),
                aht,
                asa,
                agents,
            ]
            _write_rows(out, columns)


def read_one(path: str, chunk_rows: int | None) -> None:
    """Child process: read one file, print a JSON line with rows, seconds and memory."""
    from simroi.data.read import CHUNK_ROWS, read_data

    before = _rss_mib()
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    data = read_data(path, chunk_rows=chunk_rows or CHUNK_ROWS)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    rows = sum(s.rows for s in data.sources)
    held = sum(
        a.nbytes
        for frame in (*data.intervals.values(), *data.contacts.values())
        for a in vars(frame).values()
        if isinstance(a, np.ndarray)
    )
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "rss_after_import_mib": before,
                "peak_rss_mib": _rss_mib(),
                "arrays_mib": held / 2**20,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000_000)
    parser.add_argument("--queues", type=int, default=10)
    parser.add_argument("--chunk-rows", type=int, default=None, help="default: the reader's")
    parser.add_argument("--read", help=argparse.SUPPRESS)
    parser.add_argument("--write", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        read_one(args.read, args.chunk_rows)
        return
    if args.write:
        kind, path = args.write
        rng = np.random.default_rng(20250101)
        if kind == "contacts":
            write_contacts(Path(path), args.contacts, rng)
        else:
            write_intervals(Path(path), args.queues, rng)
        return
    # Writing and reading each run in a process of their own: a process's peak RSS carries
    # over to the processes it starts, so the parent stays small.
    me = [
        sys.executable,
        __file__,
        "--contacts",
        str(args.contacts),
        "--queues",
        str(args.queues),
    ]
    if args.chunk_rows is not None:
        me += ["--chunk-rows", str(args.chunk_rows)]
    with tempfile.TemporaryDirectory() as folder:
        for label, kind in (("contact log", "contacts"), ("interval report", "intervals")):
            path = Path(folder) / f"{kind}.csv"
            t0 = time.perf_counter()
            subprocess.run([*me, "--write", kind, str(path)], check=True)
            print(
                f"wrote {label}: {path.stat().st_size / 2**20:,.0f} MiB in "
                f"{time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            child = subprocess.run(
                [*me, "--read", str(path)], check=True, capture_output=True, text=True
            )
            got = json.loads(child.stdout)
            print(
                f"read {label}: {got['rows']:,} rows in {got['seconds']:.1f} s "
                f"({got['rows'] / got['seconds']:,.0f} rows/s wall, "
                f"{got['rows'] / got['cpu_seconds']:,.0f} rows per CPU-second); "
                f"peak RSS {got['peak_rss_mib']:,.0f} MiB (after import "
                f"{got['rss_after_import_mib']:,.0f} MiB); arrays held "
                f"{got['arrays_mib']:,.0f} MiB",
                flush=True,
            )
            path.unlink()


if __name__ == "__main__":
    main()
