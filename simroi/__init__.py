"""simroi: Monte Carlo ROI of customer service and social customer care.

A discrete-event simulation of customer contacts across phone, email and social channels, linked
to retention, spending and word of mouth, run as thousands of vectorized trials so that every
answer is a distribution with a confidence interval.

The Python API has the CLI's verbs::

    import simroi
    loaded = simroi.load_scenario()                # the bundled default scenario
    result = simroi.run(loaded, simroi.RunOptions(trials=1000, seed=7))
    summary = simroi.summarize(result)             # a RunSummary: what `simroi run` prints
    summary.roi.p50, summary.prob_roi_positive.value, summary.samples["roi"]
    summary.to_dict()                              # what `simroi run --json` prints
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("simroi")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

_EXPORTS = {
    "RunOptions": "simroi.execution.runner",
    "run": "simroi.execution.runner",
    "RunResult": "simroi.execution.result",
    "SimroiError": "simroi.errors",
    "load_scenario": "simroi.scenario.load",
    "summarize": "simroi.analysis.summary",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> object:
    # Lazy: `import simroi` stays cheap, so the CLI starts fast and submodules import on use.
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'simroi' has no attribute {name!r}")
