"""Running blocks of trials: the runner, local workers, Dask, checkpoints and result files.

Named ``execution``, not ``run``, so that ``simroi.run`` stays the Python API's verb.
"""
