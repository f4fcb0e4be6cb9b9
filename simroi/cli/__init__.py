"""The ``simroi`` command line: a thin adapter over the library (parse, call, render, exit code)."""

from simroi.cli.app import main

__all__ = ["main"]
