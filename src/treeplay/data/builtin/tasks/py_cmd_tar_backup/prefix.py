import subprocess


def create_backup(source_dir: str, file_names: list[str], archive_path: str) -> str:
    """Create a .tar.gz at archive_path with the system tar binary, holding file_names (paths relative to
    source_dir, stored under those names). Each name is a literal file name, never shell syntax or a tar
    option. Raise ValueError for an empty list, RuntimeError if tar fails; return archive_path."""
