import os
import zipfile


def extract_archive(zip_path: str, dest_dir: str) -> list[str]:
    """Extract all files of the uploaded ZIP at zip_path into dest_dir, keeping sub-folders, and return their
    paths relative to dest_dir in archive order (directories not listed). Raise ValueError, before writing
    anything, if a member name is absolute or would land outside dest_dir."""
    import shutil

    extracted = []
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = os.path.join(dest_dir, info.filename)
            if info.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            extracted.append(info.filename)
    return extracted
