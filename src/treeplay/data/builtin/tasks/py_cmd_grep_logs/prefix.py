import subprocess


def search_logs(log_dir: str, needle: str) -> list[tuple[str, int, str]]:
    """Search all *.log files under log_dir (recursively) with grep for lines containing needle as a literal
    substring. Return (path relative to log_dir, 1-based line number, line text) tuples sorted by path and line
    number; [] when nothing matches; RuntimeError if grep fails. needle is only ever search text."""
