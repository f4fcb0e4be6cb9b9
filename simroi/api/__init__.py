"""The Python API: the command line's verbs as functions, for notebooks and scripts.

Each verb takes what its command takes — a scenario (a file path or a bundled scenario's name),
``trials``, ``seed``, ``overrides`` (the ``--set`` strings) — and returns a result object that
shows a readable summary in a terminal (``repr``) and in Jupyter (``_repr_html_``), gives its
per-trial samples as numpy arrays (``.samples``) and as a pandas DataFrame (``to_frame()``, with
``pip install "simroi[notebook]"``), its JSON (``to_dict()``, the same object the command's
``--json`` prints) and a result file (``save(path)``, what ``--out`` writes, for
:func:`export` and ``simroi export``). The same seed gives the same numbers as the command.

Every result of :func:`run`, :func:`compare`, :func:`sweep` and :func:`sensitivity` stores the
call that replays it in its provenance (``provenance.command``), as a line of Python, e.g.
``simroi.run('default', trials=20, seed=7, overrides=['scenario.horizon_months=3'],
engine='compiled')``: the seed used (also when none was given), and every argument that
changes a number, nothing that does not (``workers``, ``executor``, ``scheduler``,
``progress``). ``simroi export`` shows it on the deck.

The data verbs take the user's own files: :func:`sample_data` writes sample ones,
:func:`calibrate` fits a scenario to them and writes it, :func:`backtest` checks a scenario day
by day against them. Their results are the commands' (``to_json()``, ``to_dict()``).

The verbs live by kind: :mod:`simroi.api.simulate` (the simulating verbs and
:func:`load_scenario`), :mod:`simroi.api.results` (:func:`load_result`, :func:`export`) and
:mod:`simroi.api.data` (the data verbs); this module gathers them.

Bad input raises a :class:`simroi.errors.SimroiError` whose one-line message names the file, key,
rule and value, or the argument. Subclasses also derive from the builtin they refine:
``ValueError`` (``OptionError``, ``ScenarioError``, ``ResultFileError``, ``ComparisonError``,
``SensitivityError``) or ``OSError`` (``InputFileError``, ``OutputError``); see simroi.errors.
"""

from simroi.api.data import DataFiles, backtest, calibrate, sample_data
from simroi.api.results import AnyResult, export, load_result
from simroi.api.simulate import (
    Engine,
    Executor,
    Progress,
    ScenarioName,
    compare,
    load_scenario,
    queue,
    run,
    sensitivity,
    sweep,
)

__all__ = [
    "AnyResult",
    "DataFiles",
    "Engine",
    "Executor",
    "Progress",
    "ScenarioName",
    "backtest",
    "calibrate",
    "compare",
    "export",
    "load_result",
    "load_scenario",
    "queue",
    "run",
    "sample_data",
    "sensitivity",
    "sweep",
]
