"""Data: importers for public task formats, CWE ids, and the builtin task set. Pure Python, no torch."""
