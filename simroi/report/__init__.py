"""What every output shows, computed once from a result: report types, the report of a run, of a
comparison and of a sweep, and the builder that picks one."""
