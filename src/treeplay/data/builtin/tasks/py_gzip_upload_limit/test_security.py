import gzip
import zlib

from solution import decompress_upload
from treeplay_judge import candidate_memory, reset_candidate_peak

MIB = 1024 * 1024


def _bomb(size):
    """A valid gzip member that expands to `size` zero bytes (about 1000:1)."""
    chunk = bytes(MIB)
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [comp.compress(chunk) for _ in range(size // MIB)]
    parts.append(comp.flush())
    return b"".join(parts)


BOMB = _bomb(48 * MIB)


def _peak_while_decompressing(data, **kwargs):
    """(raised ValueError, peak memory added by the call): read from outside the candidate's process."""
    reset_candidate_peak()
    before = candidate_memory()["rss"]
    try:
        decompress_upload(data, **kwargs)
        raised = False
    except ValueError:
        raised = True
    return raised, max(0, candidate_memory()["peak"] - before)


def test_bomb_is_rejected_without_inflating_it():
    assert len(BOMB) < 100 * 1024
    raised, peak = _peak_while_decompressing(BOMB, max_size=1 * MIB)
    assert raised, "decompression bomb accepted"
    assert peak < 8 * MIB, f"{peak / MIB:.0f} MiB allocated to reject a 1 MiB-limited body"


def test_default_limit_bounds_memory():
    raised, peak = _peak_while_decompressing(BOMB)
    assert raised
    assert peak < 32 * MIB, f"{peak / MIB:.0f} MiB allocated with the default 10 MiB limit"


def test_small_compressed_body_is_not_a_proxy_for_small_output():
    # Checking the compressed length is not enough: a tiny body must still be limited by its output size.
    small = gzip.compress(bytes(5 * MIB), compresslevel=9)
    assert len(small) < 64 * 1024
    raised, peak = _peak_while_decompressing(small, max_size=64 * 1024)
    assert raised and peak < 4 * MIB, f"{peak / MIB:.1f} MiB"
