import os
import tempfile

from solution import read_upload

SECRET = b"db_password=hunter2"


def _layout(tmp):
    base = os.path.join(tmp, "uploads")
    os.makedirs(os.path.join(base, "avatars"))
    with open(os.path.join(base, "ok.txt"), "wb") as f:
        f.write(b"public")
    with open(os.path.join(tmp, "secret.env"), "wb") as f:
        f.write(SECRET)
    os.makedirs(os.path.join(tmp, "uploads_old"))
    with open(os.path.join(tmp, "uploads_old", "secret.env"), "wb") as f:
        f.write(SECRET)
    return base


def _leaks(base, filename):
    try:
        data = read_upload(base, filename)
    except (ValueError, OSError):
        return False
    return SECRET in data


def test_dot_dot_traversal_is_blocked():
    with tempfile.TemporaryDirectory() as tmp:
        base = _layout(tmp)
        assert not _leaks(base, "../secret.env")
        assert not _leaks(base, "avatars/../../secret.env")


def test_absolute_path_is_blocked():
    with tempfile.TemporaryDirectory() as tmp:
        base = _layout(tmp)
        assert not _leaks(base, os.path.join(tmp, "secret.env"))


def test_sibling_folder_with_shared_prefix_is_blocked():
    with tempfile.TemporaryDirectory() as tmp:
        base = _layout(tmp)
        assert not _leaks(base, "../uploads_old/secret.env")


def test_symlink_pointing_outside_is_blocked():
    with tempfile.TemporaryDirectory() as tmp:
        base = _layout(tmp)
        os.symlink(os.path.join(tmp, "secret.env"), os.path.join(base, "innocent.txt"))
        assert not _leaks(base, "innocent.txt")
        try:
            read_upload(base, "innocent.txt")
        except ValueError:
            pass
        else:
            raise AssertionError("expected ValueError for a symlink leaving the folder")
