"""The user's own data: reading interval reports, contact logs and customer outcomes, and fitting
the model's inputs to them (``simroi calibrate``, ``simroi backtest``)."""
