import os
import tempfile

from solution import save_attachment


def _files_outside(tmp, upload_dir):
    found = []
    for root, _dirs, files in os.walk(tmp):
        for name in files:
            if os.path.dirname(os.path.join(root, name)) != upload_dir:
                found.append(os.path.join(root, name))
    return found


def _attempt(filename):
    """Upload with an attacker-chosen name; return (raised ValueError, files written outside the folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        upload_dir = os.path.join(tmp, "a", "uploads")
        os.makedirs(upload_dir)
        os.makedirs(os.path.join(tmp, "a", "conf"))
        rejected = False
        try:
            save_attachment(upload_dir, filename.replace("TMP", tmp), b"malicious")
        except ValueError:
            rejected = True
        except OSError:
            pass
        return rejected, _files_outside(tmp, upload_dir)


def test_dot_dot_name_is_rejected():
    rejected, outside = _attempt("../conf/settings.py")
    assert outside == []
    assert rejected


def test_filter_evasion_is_rejected():
    rejected, outside = _attempt("....//conf/settings.py")
    assert outside == []
    rejected, outside = _attempt("..././conf/settings.py")
    assert outside == []


def test_absolute_name_is_rejected():
    rejected, outside = _attempt("TMP/a/conf/planted.py")
    assert outside == []
    assert rejected


def test_bare_parent_reference_is_rejected():
    rejected, outside = _attempt("..")
    assert rejected and outside == []
