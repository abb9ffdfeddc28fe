import os
import tempfile
import zipfile

from solution import extract_archive


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries:
            zf.writestr(name, data)


def test_extracts_files_and_folders_in_archive_order():
    with tempfile.TemporaryDirectory() as tmp:
        zip_path, dest = os.path.join(tmp, "site.zip"), os.path.join(tmp, "site")
        os.makedirs(dest)
        _zip(zip_path, [("index.html", "<h1>hi</h1>"), ("assets/", ""), ("assets/css/main.css", "body{}"),
                        ("about.html", "about")])
        assert extract_archive(zip_path, dest) == ["index.html", "assets/css/main.css", "about.html"]
        with open(os.path.join(dest, "assets", "css", "main.css")) as f:
            assert f.read() == "body{}"
        assert os.path.isdir(os.path.join(dest, "assets"))


def test_binary_content_is_preserved():
    with tempfile.TemporaryDirectory() as tmp:
        zip_path, dest = os.path.join(tmp, "a.zip"), os.path.join(tmp, "out")
        os.makedirs(dest)
        blob = bytes(range(256)) * 10
        _zip(zip_path, [("img/logo.bin", blob)])
        assert extract_archive(zip_path, dest) == ["img/logo.bin"]
        with open(os.path.join(dest, "img", "logo.bin"), "rb") as f:
            assert f.read() == blob


def test_empty_archive_gives_empty_list():
    with tempfile.TemporaryDirectory() as tmp:
        zip_path, dest = os.path.join(tmp, "e.zip"), os.path.join(tmp, "out")
        os.makedirs(dest)
        _zip(zip_path, [])
        assert extract_archive(zip_path, dest) == []
