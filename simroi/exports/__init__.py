"""Files from a report: tables, workbook, charts and slides.

Named ``exports``, not ``export``, so that ``simroi.export`` stays the Python API's verb.
"""

__all__ = ["CHART_NAMES"]

#: Every chart simroi draws (:mod:`simroi.exports.charts`; which exist for a result:
#: :func:`~simroi.exports.charts.available_charts`). Here rather than in ``charts``, so that the
#: command line's help can list them without importing matplotlib.
CHART_NAMES = (
    "roi",
    "cashflow",
    "lines",
    "objectives",
    "ramp",
    "tornado",
    "tornado-swing",
    "compare",
    "differences",
    "sweep",
    "sweep-probability",
)
