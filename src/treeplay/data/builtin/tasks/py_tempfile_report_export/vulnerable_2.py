import csv
import os
import tempfile


def export_report_csv(rows: list[dict], fieldnames: list[str], directory: str | None = None) -> str:
    """Write `rows` as CSV (a header line with `fieldnames`, then one line per row; missing values are
    empty) to a new temporary file and return the file's path.

    The file is created in `directory`, or in tempfile.gettempdir() when it is None, with a name starting
    with "report-" and ending with ".csv", and is kept after returning: the caller streams it to the user
    and deletes it. The temp directory is shared with other local users, so the file must be created
    atomically under a name they cannot predict, must never reuse or follow an existing file or symlink,
    and must be readable and writable only by its owner (mode 0o600)."""
    folder = directory or tempfile.gettempdir()
    index = 0
    path = os.path.join(folder, f"report-{index}.csv")
    while os.path.exists(path):
        index += 1
        path = os.path.join(folder, f"report-{index}.csv")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fieldnames, restval="")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    os.chmod(path, 0o600)
    return path
