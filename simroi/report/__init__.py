"""What every output shows, computed once from a result: formats, report types and builders."""
