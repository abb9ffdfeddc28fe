import os
import tempfile

from solution import save_attachment


def test_saves_and_returns_path():
    with tempfile.TemporaryDirectory() as tmp:
        path = save_attachment(tmp, "screenshot 1.png", b"\x89PNG data")
        assert path == os.path.join(tmp, "screenshot 1.png")
        with open(path, "rb") as f:
            assert f.read() == b"\x89PNG data"


def test_unicode_and_dotted_names_are_allowed():
    with tempfile.TemporaryDirectory() as tmp:
        for name in ["résumé.pdf", "archive.tar.gz", "..hidden-but-fine", "v1..2.txt"]:
            path = save_attachment(tmp, name, b"x")
            assert os.path.basename(path) == name and os.path.isfile(path)
        assert sorted(os.listdir(tmp)) == sorted(["résumé.pdf", "archive.tar.gz", "..hidden-but-fine", "v1..2.txt"])


def test_existing_file_is_overwritten():
    with tempfile.TemporaryDirectory() as tmp:
        save_attachment(tmp, "notes.txt", b"old")
        save_attachment(tmp, "notes.txt", b"new")
        with open(os.path.join(tmp, "notes.txt"), "rb") as f:
            assert f.read() == b"new"


def test_empty_name_raises_value_error():
    with tempfile.TemporaryDirectory() as tmp:
        try:
            save_attachment(tmp, "", b"x")
        except ValueError:
            pass
        else:
            raise AssertionError("expected ValueError")
