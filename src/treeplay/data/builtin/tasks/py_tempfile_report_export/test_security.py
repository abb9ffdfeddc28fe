import os
import re
import stat
import tempfile

from solution import export_report_csv
from treeplay_judge import remote_module

# The candidate runs in its own process: the judge patches that process through remote_module.
TEMPFILE = remote_module("tempfile")
CANDIDATE_OS = remote_module("os")

FIELDS = ["user", "iban"]
ROWS = [{"user": "ada", "iban": "DE89370400440532013000"}]


def _victims(tmp):
    """An existing file of another user and the path of a file the attacker wants created in their name."""
    victim_dir = os.path.join(tmp, "victim")
    os.mkdir(victim_dir)
    existing = os.path.join(victim_dir, "settings.conf")
    with open(existing, "w") as fh:
        fh.write("precious\n")
    return existing, os.path.join(victim_dir, "authorized_keys")


def _check_victims(existing, planted):
    with open(existing) as fh:
        assert fh.read() == "precious\n", "export wrote through a symlink into another file"
    assert not os.path.lexists(planted), "export created a file through a dangling symlink"


def test_does_not_follow_symlinks_planted_at_predictable_names():
    with tempfile.TemporaryDirectory() as tmp:
        existing, planted = _victims(tmp)
        first = export_report_csv(ROWS, FIELDS, directory=tmp)
        os.remove(first)  # the caller deletes the file after streaming it
        # The attacker saw the first name and plants symlinks at it and at the names that follow it.
        name = os.path.basename(first)
        guesses = {name} | {name[:m.start()] + str(int(m.group()) + k) + name[m.end():]
                            for m in re.finditer(r"\d+", name) for k in (1, 2, 3)}
        for i, guess in enumerate(sorted(guesses)):
            os.symlink(existing if i % 2 else planted, os.path.join(tmp, guess))
        second = export_report_csv(ROWS, FIELDS, directory=tmp)
        _check_victims(existing, planted)
        assert not os.path.islink(second)


def test_does_not_lose_the_race_for_the_name():
    # Simulate an attacker who wins the race between choosing a temporary name and opening it.
    with tempfile.TemporaryDirectory() as tmp:
        existing, _planted = _victims(tmp)
        real_mktemp = TEMPFILE.mktemp

        def racing_mktemp(*args, **kwargs):
            name = real_mktemp(*args, **kwargs)
            os.symlink(existing, name)
            return name

        TEMPFILE.mktemp = racing_mktemp
        try:
            path = export_report_csv(ROWS, FIELDS, directory=tmp)
        finally:
            TEMPFILE.mktemp = real_mktemp
        _check_victims(existing, _planted)
        assert not os.path.islink(path)


def test_file_is_private_to_its_owner():
    with tempfile.TemporaryDirectory() as tmp:
        old = CANDIDATE_OS.umask(0o022)
        try:
            path = export_report_csv(ROWS, FIELDS, directory=tmp)
        finally:
            CANDIDATE_OS.umask(old)
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        assert mode & 0o077 == 0, f"report readable by other users (mode {oct(mode)})"
