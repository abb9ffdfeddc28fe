import os
import zipfile


def extract_archive(zip_path: str, dest_dir: str) -> list[str]:
    """Extract all files of the uploaded ZIP at zip_path into dest_dir, keeping sub-folders, and return their
    paths relative to dest_dir in archive order (directories not listed). Raise ValueError, before writing
    anything, if a member name is absolute or would land outside dest_dir."""
    import shutil

    base = os.path.realpath(dest_dir)
    with zipfile.ZipFile(zip_path) as archive:
        members = archive.infolist()
        # Validate every name first so a bad member cannot leave a half-extracted tree behind.
        plan = []
        for info in members:
            name = info.filename.replace("\\", "/")
            if name.startswith("/") or os.path.isabs(name) or (len(name) > 1 and name[1] == ":"):
                raise ValueError(f"absolute member name {info.filename!r}")
            target = os.path.realpath(os.path.join(base, name))
            if os.path.commonpath([base, target]) != base or (target == base and not info.is_dir()):
                raise ValueError(f"member {info.filename!r} escapes the destination")
            plan.append((info, target))
        extracted = []
        for info, target in plan:
            if info.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            extracted.append(os.path.relpath(target, base).replace(os.sep, "/"))
    return extracted
