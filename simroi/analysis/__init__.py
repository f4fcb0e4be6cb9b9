"""Statistics of per-trial samples: summaries, comparisons, sweeps and sensitivity."""
