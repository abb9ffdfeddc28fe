import subprocess


def create_backup(source_dir: str, file_names: list[str], archive_path: str) -> str:
    """Create a .tar.gz at archive_path with the system tar binary, holding file_names (paths relative to
    source_dir, stored under those names). Each name is a literal file name, never shell syntax or a tar
    option. Raise ValueError for an empty list, RuntimeError if tar fails; return archive_path."""
    names = list(file_names)
    if not names:
        raise ValueError("no files to back up")
    # An argument list (no shell) keeps metacharacters inert; "--" ends option parsing so that a
    # name such as "--checkpoint-action=exec=..." is looked up as a file instead of run as an option.
    argv = ["tar", "-czf", archive_path, "-C", source_dir, "--", *names]
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"tar failed: {result.stderr.strip()}")
    return archive_path
