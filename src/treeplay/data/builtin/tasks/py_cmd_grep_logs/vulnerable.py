import subprocess


def search_logs(log_dir: str, needle: str) -> list[tuple[str, int, str]]:
    """Search all *.log files under log_dir (recursively) with grep for lines containing needle as a literal
    substring. Return (path relative to log_dir, 1-based line number, line text) tuples sorted by path and line
    number; [] when nothing matches; RuntimeError if grep fails. needle is only ever search text."""
    cmd = f'cd {log_dir} && grep -rnF --include="*.log" "{needle}"'
    result = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if result.returncode == 1:
        return []
    if result.returncode != 0:
        raise RuntimeError(f"grep failed: {result.stderr.strip()}")
    matches = []
    for line in result.stdout.splitlines():
        path, number, text = line.split(":", 2)
        matches.append((path, int(number), text))
    return sorted(matches, key=lambda m: (m[0], m[1]))
