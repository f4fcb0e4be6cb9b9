"""The scenario files bundled with simroi (installed as the package data ``simroi.scenarios``)."""
