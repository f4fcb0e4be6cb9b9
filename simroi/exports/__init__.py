"""Files from a report: tables, workbook, charts and slides.

Named ``exports``, not ``export``, so that ``simroi.export`` stays the Python API's verb.
"""
