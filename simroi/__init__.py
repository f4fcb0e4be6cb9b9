"""simroi: Monte Carlo ROI of customer service and social customer care.

A discrete-event simulation of customer contacts across phone, email and social channels, linked
to retention, spending and word of mouth, run as thousands of vectorized trials so that every
answer is a distribution with a confidence interval.

The Python API has the command line's verbs (:mod:`simroi.api`)::

    import simroi
    summary = simroi.run("default", trials=1000, seed=7)   # a RunSummary, shown as a table
    summary.roi.p50, summary.prob_roi_positive.value       # the numbers `simroi run` prints
    summary.samples["roi"]                                 # per-trial numpy arrays
    summary.to_dict()                                      # what `simroi run --json` prints
    simroi.compare("default", "social-team-2", trials=1000, seed=7)
    simroi.sweep(grid={"channels.social.agents": "1:6"}, trials=500, seed=7)
    simroi.sensitivity(trials=500, seed=7)
    simroi.queue(arrivals_per_hour=1260, agents=90, aht_minutes=4, patience_minutes=3)
    simroi.export(summary, "deck.pptx")
    files = simroi.sample_data("data/")                    # your own data's verbs, on samples
    fit = simroi.calibrate(files.paths[:3], out="my.toml")  # a CalibrationResult; writes my.toml
    simroi.backtest("my.toml", "data/intervals.csv", seed=1)   # a BacktestResult, day by day

Names resolve lazily, so ``import simroi`` stays cheap and the command line starts fast.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("simroi")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

_EXPORTS = {
    **{
        verb: "simroi.api"
        for verb in (
            *("run", "compare", "sweep", "sensitivity", "queue", "export"),
            *("load_scenario", "load_result"),
            *("sample_data", "calibrate", "backtest"),
        )
    },
    "RunSummary": "simroi.analysis.summary",
    "ComparisonResult": "simroi.analysis.comparison",
    "SweepResult": "simroi.analysis.sweep",
    "SensitivityResult": "simroi.analysis.sensitivity",
    "QueueStudy": "simroi.queueing.study",
    "RunResult": "simroi.execution.result",
    "CalibrationResult": "simroi.analysis.calibration",
    "BacktestResult": "simroi.analysis.backtest",
    "SampleFiles": "simroi.exports.sample_files",
    "summarize": "simroi.analysis.summary",
    "SimroiError": "simroi.errors",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> object:
    # Lazy: `import simroi` stays cheap, so the CLI starts fast and submodules import on use.
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'simroi' has no attribute {name!r}")
