"""Bad command-line options (time limits, counts, shards, output paths) and bad finding caches.

Options: one error line naming the option and its value, a fix, exit 2, nothing written, for every command that
takes the option (``treeplay.cli_args``). Caches: whatever is wrong with the cache file, every scan works; the
file is moved aside with a one-line warning and a fresh cache takes its place.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bad_inputs import BINARY, assert_one_line_error, write_bytes, write_lines
from tests.bad_inputs import ws as ws  # noqa: F401  (the fixture)
from treeplay.cli import main
from treeplay.oracles.cache import FILENAME, FindingCache
from treeplay.records import Candidate, Task, to_dict

PROGRAM = b"import os\nos.system(input())\n"
TASK = Task(id="t1", language="python", cwes=("CWE-78",), prompt="p", prefix="import os\n", golden="import os\n")


def _files(ws: Path) -> dict[str, Path]:
    """Valid inputs, so that only the option under test is wrong; and a file to put a folder below."""
    return {"tasks": write_lines(ws / "t.jsonl", [to_dict(TASK)]),
            "cands": write_lines(ws / "c.jsonl", [to_dict(Candidate("t1", "os.system('x')\n", "t1/0"))]),
            "prog": write_bytes(ws / "a.py", PROGRAM),
            "file": write_bytes(ws / "f.txt", b"not a folder"), "dir": _mkdir(ws / "out")}


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


Argv = Callable[[dict[str, Path]], list[object]]

CASES: list[tuple[str, Argv, list[str]]] = [
    *[(f"test-timeout-{v}", lambda f, v=v: ["test", f["tasks"], "--timeout", v], ["--timeout", v])
      for v in ("nan", "inf", "-1", "0", "abc")],
    *[(f"test-workers-{v}", lambda f, v=v: ["test", f["tasks"], "--workers", v], ["--workers", v])
      for v in ("0", "-3", "x")],
    ("score-timeout-nan", lambda f: ["score", f["tasks"], f["cands"], "-o", "v.jsonl", "--timeout", "nan"],
     ["--timeout"]),
    ("score-workers-0", lambda f: ["score", f["tasks"], f["cands"], "-o", "v.jsonl", "--workers", "0"], ["--workers"]),
    ("score-o-folder", lambda f: ["score", f["tasks"], f["cands"], "-o", f["dir"]], ["-o", "out", "folder"]),
    ("score-o-below-a-file", lambda f: ["score", f["tasks"], f["cands"], "-o", f["file"] / "v.jsonl"],
     ["-o", "f.txt"]),
    ("score-o-not-verdicts", lambda f: ["score", f["tasks"], f["cands"], "-o", write_bytes(
        f["file"].with_name("v.jsonl"), b'{"a": 1}\n' + BINARY[:300])], ["v.jsonl:1"]),
    ("scan-o-folder", lambda f: ["scan", f["prog"], "-o", f["dir"]], ["-o", "folder"]),
    ("scan-o-below-a-file", lambda f: ["scan", f["prog"], "-o", f["file"] / "r.json"], ["-o", "f.txt"]),
    ("nodes-o-folder", lambda f: ["nodes", f["tasks"], "-o", f["dir"]], ["-o", "folder"]),
    *[(f"grow-shard{v}", lambda f, v=v: ["grow", f["tasks"], f["tasks"], "-o", "tr.jsonl", f"--shard{v}"],
       ["--shard", v.lstrip("=")]) for v in ("=2/2", "=x", "=1/0", "=-1/2", "=1/2/3")],
    ("grow-iteration-negative", lambda f: ["grow", f["tasks"], f["tasks"], "-o", "tr.jsonl", "--iteration", "-1"],
     ["--iteration"]),
    ("grow-o-folder", lambda f: ["grow", f["tasks"], f["tasks"], "-o", f["dir"]], ["-o", "folder"]),
    ("pairs-o-folder", lambda f: ["pairs", f["tasks"], f["tasks"], "-o", f["dir"]], ["-o", "folder"]),
    ("pairs-o-below-a-file", lambda f: ["pairs", f["tasks"], f["tasks"], "-o", f["file"] / "p.jsonl"],
     ["-o", "f.txt"]),
    ("train-o-a-file", lambda f: ["train", "--tasks", f["tasks"], "-o", f["file"]], ["-o", "f.txt", "file"]),
    ("eval-limit-0", lambda f: ["eval", "--benchmark", f["tasks"], "--limit", "0"], ["--limit"]),
    ("eval-limit-negative", lambda f: ["eval", "--benchmark", f["tasks"], "--limit", "-2"], ["--limit"]),
    ("eval-out-a-file", lambda f: ["eval", "--benchmark", f["tasks"], "--out", f["file"]], ["--out", "f.txt"]),
    ("report-o-a-file", lambda f: ["report", f["dir"], "-o", f["file"]], ["-o", "f.txt"]),
    ("selfplay-out-a-file", lambda f: ["selfplay", "--out", f["file"]], ["--out", "f.txt"]),
    ("selfplay-out-below-a-file", lambda f: ["selfplay", "--out", f["file"] / "run"], ["--out", "f.txt"]),
    ("selfplay-out_dir-a-file", lambda f: ["selfplay", f"out_dir={f['file']}", "tasks=builtin:train"],
     ["out_dir", "f.txt"]),
    ("eval-out_dir-a-file", lambda f: ["eval", "--benchmark", f["tasks"], f"out_dir={f['file']}"],
     ["out_dir", "f.txt"]),
    ("demo-out-a-file", lambda f: ["demo", "--out", f["file"]], ["--out", "f.txt"]),
    ("import-o-folder", lambda f: ["data", "import", "-f", "native", f["tasks"], "-o", f["dir"]], ["-o", "folder"]),
    ("import-o-empty", lambda f: ["data", "import", "-f", "native", f["tasks"], "-o", ""], ["-o", "folder"]),
    ("import-o-below-a-file", lambda f: ["data", "import", "-f", "native", f["tasks"], "-o", f["file"] / "t.jsonl"],
     ["-o", "f.txt"]),
    ("builtin-o-folder", lambda f: ["data", "builtin", "-o", f["dir"]], ["-o", "folder"]),
]


@pytest.mark.parametrize("argv, names", [pytest.param(a, n, id=i) for i, a, n in CASES])
def test_bad_option_is_one_line_exit_2_nothing_written(argv: Argv, names: list[str], ws: Path, capsys) -> None:
    assert_one_line_error(argv(_files(ws)), capsys, ws, names)


# ---------------------------------------------------------------------------------------------------- caches


def _full_cache(folder: Path) -> Path:
    """A healthy cache with enough rows to span many pages, its WAL folded into the file."""
    FindingCache(folder).put_many({f"k{i}": [] for i in range(3000)})
    path = folder / FILENAME
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _rewrite(keep: int, tail: Callable[[int], bytes]) -> Callable[[Path], None]:
    """Keep the first ``keep`` bytes (the SQLite header at least) and replace the rest by ``tail(n)``."""
    def spoil(path: Path) -> None:
        data = path.read_bytes()
        path.write_bytes(data[:keep] + tail(len(data) - keep))
    return spoil


def _sql(script: str) -> Callable[[Path], None]:
    def spoil(path: Path) -> None:
        with sqlite3.connect(path) as db:
            db.executescript(script)
    return spoil


def _row_not_findings(path: Path) -> None:
    """The row the scan will read holds text that is not a list of findings."""
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO findings VALUES (?, 'oops', 0)", (_key(),))


def _key() -> str:
    """The cache key of PROGRAM under the codeshield-regex analyzer (the row the scan will read)."""
    from treeplay.oracles.cache import cache_key
    from treeplay.oracles.static import make_oracle

    return cache_key("codeshield-regex", make_oracle("codeshield-regex").version(), "python", PROGRAM.decode())


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "x").write_text("x")


CACHE_CASES = {
    "garbage-after-header": _rewrite(100, os.urandom),
    "garbage-pages": _rewrite(4096, os.urandom),
    "zeroed-pages": _rewrite(4096, lambda n: bytes(n)),
    "truncated": _rewrite(5000, lambda n: b""),
    "text-file": lambda p: p.write_text("not a database"),
    "wrong-schema": _sql("DROP TABLE findings; CREATE TABLE findings (a, b);"),
    "row-not-findings": _row_not_findings,
    "a-folder": _folder,
    "binary": lambda p: p.write_bytes(BINARY),
}


@pytest.mark.parametrize("spoil", CACHE_CASES.values(), ids=CACHE_CASES)
def test_corrupt_cache_is_moved_aside_and_every_later_scan_works(spoil, ws: Path, capsys) -> None:
    cache = Path(os.environ["TREEPLAY_CACHE_DIR"])
    spoil(_full_cache(cache))
    prog = _files(ws)["prog"]
    argv = ["scan", str(prog), "--analyzers", "codeshield-regex", "--format", "json"]
    assert main([*argv, "--no-cache"]) == 0
    expected = json.loads(capsys.readouterr().out)
    for run in range(2):  # the first scan meets the bad file; the second one the fresh cache
        assert main(argv) == 0
        out, err = capsys.readouterr()
        assert json.loads(out) == expected and "Traceback" not in err
        warnings = [line for line in err.splitlines() if line]
        if run == 0:
            assert len(warnings) == 1 and warnings[0].startswith("treeplay: warning: finding cache"), err
        else:
            assert warnings == [], err
    aside = [p for p in cache.glob(f"{FILENAME}.corrupt-*") if not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1 and (cache / FILENAME).is_file()
    assert len(FindingCache(cache)) == 1  # the one program scanned since
