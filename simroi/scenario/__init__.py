"""The input: scenario files read once into frozen, validated models, and their uncertain inputs.

spec (the models), load (the only code that reads TOML), distributions, quantity, quantiles,
correlation, sampling (one draw of every uncertain input per trial).
"""
