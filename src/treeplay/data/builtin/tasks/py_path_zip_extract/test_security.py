import os
import tempfile
import zipfile

from solution import extract_archive


def _outside_files(tmp, dest):
    """Every regular file under tmp that is not inside dest or the uploaded zip itself."""
    found = []
    for root, _dirs, files in os.walk(tmp):
        for name in files:
            path = os.path.join(root, name)
            if not path.startswith(dest + os.sep) and not name.endswith(".zip"):
                found.append(path)
    return found


def _run(tmp, entries):
    dest = os.path.join(tmp, "site")
    os.makedirs(dest)
    zip_path = os.path.join(tmp, "upload.zip")
    with zipfile.ZipFile(zip_path, "w") as zf:
        for name, data in entries:
            zf.writestr(name.replace("TMP", tmp), data)
    rejected = False
    try:
        extract_archive(zip_path, dest)
    except ValueError:
        rejected = True
    except OSError:
        pass
    return dest, rejected


def test_dot_dot_member_cannot_escape():
    with tempfile.TemporaryDirectory() as tmp:
        dest, rejected = _run(tmp, [("index.html", "ok"), ("../evil.sh", "rm -rf ~")])
        assert _outside_files(tmp, dest) == []
        assert rejected


def test_nested_dot_dot_member_cannot_escape():
    with tempfile.TemporaryDirectory() as tmp:
        dest, rejected = _run(tmp, [("assets/../../evil.sh", "payload")])
        assert _outside_files(tmp, dest) == []


def test_absolute_member_cannot_escape():
    with tempfile.TemporaryDirectory() as tmp:
        dest, rejected = _run(tmp, [("TMP/planted.txt", "payload")])
        assert _outside_files(tmp, dest) == []
        assert rejected


def test_nothing_is_written_when_a_later_member_is_malicious():
    with tempfile.TemporaryDirectory() as tmp:
        dest, rejected = _run(tmp, [("index.html", "ok"), ("../evil.sh", "payload")])
        assert rejected
        assert os.listdir(dest) == []
