import subprocess


def create_backup(source_dir: str, file_names: list[str], archive_path: str) -> str:
    """Create a .tar.gz at archive_path with the system tar binary, holding file_names (paths relative to
    source_dir, stored under those names). Each name is a literal file name, never shell syntax or a tar
    option. Raise ValueError for an empty list, RuntimeError if tar fails; return archive_path."""
    if not file_names:
        raise ValueError("no files to back up")
    cmd = f"tar -czf {archive_path} -C {source_dir} {' '.join(file_names)}"
    result = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"tar failed: {result.stderr.strip()}")
    return archive_path
