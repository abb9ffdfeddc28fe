import os
import tempfile

from solution import read_upload


def _uploads(tmp):
    base = os.path.join(tmp, "uploads")
    os.makedirs(os.path.join(base, "avatars"))
    with open(os.path.join(base, "report.pdf"), "wb") as f:
        f.write(b"%PDF-1.7 fake")
    with open(os.path.join(base, "avatars", "42.png"), "wb") as f:
        f.write(b"\x89PNG fake")
    return base


def test_reads_top_level_and_nested_files():
    with tempfile.TemporaryDirectory() as tmp:
        base = _uploads(tmp)
        assert read_upload(base, "report.pdf") == b"%PDF-1.7 fake"
        assert read_upload(base, "avatars/42.png") == b"\x89PNG fake"


def test_harmless_dot_segments_inside_the_folder_are_fine():
    with tempfile.TemporaryDirectory() as tmp:
        base = _uploads(tmp)
        assert read_upload(base, "avatars/../report.pdf") == b"%PDF-1.7 fake"


def test_missing_file_raises_file_not_found():
    with tempfile.TemporaryDirectory() as tmp:
        base = _uploads(tmp)
        for name in ["nope.txt", "avatars"]:
            try:
                read_upload(base, name)
            except FileNotFoundError:
                pass
            else:
                raise AssertionError(name)
