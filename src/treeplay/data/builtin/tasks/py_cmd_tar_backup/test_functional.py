import os
import tarfile
import tempfile

from solution import create_backup


def _tree(root):
    os.makedirs(os.path.join(root, "src", "docs"))
    with open(os.path.join(root, "src", "notes.txt"), "w") as f:
        f.write("remember the milk\n")
    with open(os.path.join(root, "src", "docs", "readme.md"), "w") as f:
        f.write("# Readme\n")
    return os.path.join(root, "src")


def test_archive_holds_the_listed_files_under_relative_names():
    with tempfile.TemporaryDirectory() as tmp:
        src = _tree(tmp)
        out = os.path.join(tmp, "backup.tar.gz")
        assert create_backup(src, ["notes.txt", "docs/readme.md"], out) == out
        with tarfile.open(out, "r:gz") as tar:
            assert sorted(tar.getnames()) == ["docs/readme.md", "notes.txt"]
            assert tar.extractfile("notes.txt").read() == b"remember the milk\n"


def test_only_listed_files_are_included():
    with tempfile.TemporaryDirectory() as tmp:
        src = _tree(tmp)
        out = os.path.join(tmp, "one.tar.gz")
        create_backup(src, ["docs/readme.md"], out)
        with tarfile.open(out, "r:gz") as tar:
            assert tar.getnames() == ["docs/readme.md"]


def test_missing_file_raises_runtime_error():
    with tempfile.TemporaryDirectory() as tmp:
        src = _tree(tmp)
        try:
            create_backup(src, ["does-not-exist.txt"], os.path.join(tmp, "x.tar.gz"))
        except RuntimeError:
            pass
        else:
            raise AssertionError("expected RuntimeError")


def test_empty_list_raises_value_error():
    with tempfile.TemporaryDirectory() as tmp:
        src = _tree(tmp)
        try:
            create_backup(src, [], os.path.join(tmp, "x.tar.gz"))
        except ValueError:
            pass
        else:
            raise AssertionError("expected ValueError")
