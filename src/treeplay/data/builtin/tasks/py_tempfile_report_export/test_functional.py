import csv
import os
import tempfile

from solution import export_report_csv
from treeplay_judge import remote_module

# The candidate runs in its own process: the judge patches that process through remote_module.
TEMPFILE = remote_module("tempfile")

ROWS = [{"id": 1, "customer": "Ada", "total": "19.90"}, {"id": 2, "customer": "Grace, Jr.", "total": "5.00"},
        {"id": 3, "customer": "Linus"}]
FIELDS = ["id", "customer", "total"]


def _read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_writes_csv_in_given_directory():
    with tempfile.TemporaryDirectory() as tmp:
        path = export_report_csv(ROWS, FIELDS, directory=tmp)
        name = os.path.basename(path)
        assert os.path.dirname(os.path.abspath(path)) == os.path.abspath(tmp)
        assert name.startswith("report-") and name.endswith(".csv")
        assert _read(path) == [FIELDS, ["1", "Ada", "19.90"], ["2", "Grace, Jr.", "5.00"], ["3", "Linus", ""]]


def test_each_export_gets_its_own_file():
    with tempfile.TemporaryDirectory() as tmp:
        first = export_report_csv(ROWS[:1], FIELDS, directory=tmp)
        second = export_report_csv(ROWS[1:2], FIELDS, directory=tmp)
        assert first != second
        assert _read(first)[1][1] == "Ada" and _read(second)[1][1] == "Grace, Jr."


def test_defaults_to_system_temp_dir():
    with tempfile.TemporaryDirectory() as tmp:
        saved, TEMPFILE.tempdir = TEMPFILE.tempdir, tmp
        try:
            path = export_report_csv([], ["a", "b"])
        finally:
            TEMPFILE.tempdir = saved
        assert os.path.dirname(os.path.abspath(path)) == os.path.abspath(tmp)
        assert _read(path) == [["a", "b"]]
