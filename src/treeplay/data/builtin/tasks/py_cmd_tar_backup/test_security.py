import os
import tempfile

from solution import create_backup


def _attempt(names):
    """Run create_backup with attacker-chosen names; report whether the injected command ran."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        os.makedirs(src)
        with open(os.path.join(src, "notes.txt"), "w") as f:
            f.write("data\n")
        marker = os.path.join(tmp, "pwned")
        names = [n.replace("MARKER", marker) for n in names]
        try:
            create_backup(src, names, os.path.join(tmp, "out.tar.gz"))
        except (RuntimeError, ValueError):
            pass
        return os.path.exists(marker)


def test_semicolon_does_not_run_a_second_command():
    assert not _attempt(["notes.txt", "x; touch MARKER"])


def test_command_substitution_is_not_expanded():
    assert not _attempt(["notes.txt", "$(touch MARKER)", "`touch MARKER`"])


def test_names_are_never_parsed_as_tar_options():
    # GNU tar runs the --checkpoint-action command when it sees these as options
    assert not _attempt(["notes.txt", "--checkpoint=1", "--checkpoint-action=exec=touch MARKER"])
