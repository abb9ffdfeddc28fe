import os
import tempfile

from solution import search_logs


def _logs(root):
    os.makedirs(os.path.join(root, "2024", "05"))
    files = {
        "app.log": "start\nERROR db timeout\nok\nERROR disk full\n",
        os.path.join("2024", "05", "worker.log"): "ERROR queue stuck\nidle\n",
        "notes.txt": "ERROR in a text file is not searched\n",
    }
    for name, text in files.items():
        with open(os.path.join(root, name), "w") as f:
            f.write(text)


def test_finds_matches_in_nested_log_files_sorted():
    with tempfile.TemporaryDirectory() as tmp:
        _logs(tmp)
        assert search_logs(tmp, "ERROR") == [
            ("2024/05/worker.log", 1, "ERROR queue stuck"),
            ("app.log", 2, "ERROR db timeout"),
            ("app.log", 4, "ERROR disk full"),
        ]


def test_needle_is_a_literal_not_a_regex():
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "a.log"), "w") as f:
            f.write("price 3.50 paid\nprice 3150 paid\n")
        assert search_logs(tmp, "3.50") == [("a.log", 1, "price 3.50 paid")]


def test_search_is_case_sensitive_and_empty_when_nothing_matches():
    with tempfile.TemporaryDirectory() as tmp:
        _logs(tmp)
        assert search_logs(tmp, "error") == []
        assert search_logs(tmp, "no such text") == []
