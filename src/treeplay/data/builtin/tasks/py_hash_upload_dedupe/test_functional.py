import os
import tempfile

from solution import find_duplicate_uploads


def _put(root, rel, data):
    path = os.path.join(root, *rel.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def test_groups_identical_files_recursively():
    with tempfile.TemporaryDirectory() as tmp:
        _put(tmp, "a.jpg", b"\xff\xd8photo-1")
        _put(tmp, "2024/05/copy-of-a.jpg", b"\xff\xd8photo-1")
        _put(tmp, "b.txt", b"report")
        _put(tmp, "z/b-again.txt", b"report")
        _put(tmp, "y/b-third.txt", b"report")
        _put(tmp, "unique.bin", b"only once")
        assert find_duplicate_uploads(tmp) == [
            ["2024/05/copy-of-a.jpg", "a.jpg"],
            ["b.txt", "y/b-third.txt", "z/b-again.txt"],
        ]


def test_no_duplicates_gives_empty_list():
    with tempfile.TemporaryDirectory() as tmp:
        _put(tmp, "one.txt", b"1")
        _put(tmp, "two.txt", b"2")
        _put(tmp, "empty.txt", b"")
        assert find_duplicate_uploads(tmp) == []


def test_large_files_are_compared_by_content():
    with tempfile.TemporaryDirectory() as tmp:
        big = bytes(range(256)) * 12000
        _put(tmp, "video.mp4", big)
        _put(tmp, "video-copy.mp4", big)
        _put(tmp, "video-edit.mp4", big[:-1] + b"\x00")  # only the last byte differs
        assert find_duplicate_uploads(tmp) == [["video-copy.mp4", "video.mp4"]]
