import hashlib
import os
import tempfile
import zlib

from solution import find_duplicate_uploads

# Two different 128-byte blocks with the same MD5 (the published collision of Wang et al.). Appending the
# same bytes to both keeps the MD5 equal, so an attacker can make any two documents that start this way collide.
MD5_BLOCK_A = bytes.fromhex(
    "d131dd02c5e6eec4693d9a0698aff95c2fcab58712467eab4004583eb8fb7f89"
    "55ad340609f4b30283e488832571415a085125e8f7cdc99fd91dbdf280373c5b"
    "d8823e3156348f5bae6dacd436c919c6dd53e2b487da03fd02396306d248cda0"
    "e99f33420f577ee8ce54b67080a80d1ec69821bcb6a8839396f9652b6ff72a70"
)
MD5_BLOCK_B = bytes.fromhex(
    "d131dd02c5e6eec4693d9a0698aff95c2fcab50712467eab4004583eb8fb7f89"
    "55ad340609f4b30283e4888325f1415a085125e8f7cdc99fd91dbd7280373c5b"
    "d8823e3156348f5bae6dacd436c919c6dd53e23487da03fd02396306d248cda0"
    "e99f33420f577ee8ce54b67080280d1ec69821bcb6a8839396f965ab6ff72a70"
)
# Two different contents with the same CRC-32, found by a birthday search in well under a second.
CRC_A = b"invoice-839922.txt contents"
CRC_B = b"invoice-7400200.txt contents"


def _put(root, name, data):
    with open(os.path.join(root, name), "wb") as fh:
        fh.write(data)


def test_md5_colliding_uploads_are_not_merged():
    tail = b"\n%% attacker-chosen document body, identical in both files\n" * 10
    good, evil = MD5_BLOCK_A + tail, MD5_BLOCK_B + tail
    assert good != evil and hashlib.md5(good).digest() == hashlib.md5(evil).digest()
    with tempfile.TemporaryDirectory() as tmp:
        _put(tmp, "contract-signed.pdf", good)
        _put(tmp, "contract-forged.pdf", evil)
        assert find_duplicate_uploads(tmp) == []


def test_checksum_colliding_uploads_are_not_merged():
    assert CRC_A != CRC_B and zlib.crc32(CRC_A) == zlib.crc32(CRC_B)
    with tempfile.TemporaryDirectory() as tmp:
        _put(tmp, "a.txt", CRC_A)
        _put(tmp, "b.txt", CRC_B)
        assert find_duplicate_uploads(tmp) == []


def test_real_duplicates_still_found_next_to_collisions():
    tail = b"shared tail"
    with tempfile.TemporaryDirectory() as tmp:
        _put(tmp, "1.bin", MD5_BLOCK_A + tail)
        _put(tmp, "2.bin", MD5_BLOCK_B + tail)
        _put(tmp, "3.bin", MD5_BLOCK_A + tail)
        assert find_duplicate_uploads(tmp) == [["1.bin", "3.bin"]]
