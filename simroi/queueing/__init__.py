"""The queue: shifts, the vectorized engine, the simpy reference, Erlang formulas, staffing.

Nothing here knows about months, customers or money; it serves contacts.
"""
