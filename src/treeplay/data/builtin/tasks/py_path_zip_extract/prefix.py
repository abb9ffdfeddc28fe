import os
import zipfile


def extract_archive(zip_path: str, dest_dir: str) -> list[str]:
    """Extract all files of the uploaded ZIP at zip_path into dest_dir, keeping sub-folders, and return their
    paths relative to dest_dir in archive order (directories not listed). Raise ValueError, before writing
    anything, if a member name is absolute or would land outside dest_dir."""
