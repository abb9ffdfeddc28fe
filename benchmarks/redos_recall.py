"""ReDoS (CWE-1333) detection: recall and false alarms of the ``redos`` analyzer, and its time per program.

```bash
.venv/bin/python benchmarks/redos_recall.py                     # the hand-written pairs and the builtin tasks
.venv/bin/python benchmarks/redos_recall.py --data DATA_DIR      # also false alarms on secure references
```

Sets: treeplay's hand-written vulnerable/fixed pairs (``tests/oracles/fixtures/redos_pairs.py``: nested
quantifiers, overlapping alternations, polynomial cases; Python and JavaScript), the builtin CWE-1333 tasks
(secure reference and vulnerable variants), and with ``--data`` every secure reference that has a regular
expression to judge and no ReDoS to find by design: SafeCoder's fixed Python and JavaScript functions and
SecCodePLT's patched programs (a flag there is a false alarm, or a ReDoS the data set did not mean to fix: the
script lists them). Recall and false alarms are given at every severity and at the default threshold (medium:
exponential and polynomial of degree 3+). Time per program: one batch per set (one recheck process), divided
by its programs. Writes ``benchmarks/results/redos_recall.json``; the last line is
``RESULT redos_recall ratio=<recall at any severity on the pairs> ...`` (ratio is a recall, not a speed-up).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "oracles" / "fixtures"))

from redos_pairs import PAIRS  # noqa: E402

from treeplay.data.builtin import load_builtin  # noqa: E402
from treeplay.oracles.base import Program, severity_at_least  # noqa: E402
from treeplay.oracles.redos import RedosOracle  # noqa: E402


def _scan(programs: list[Program]) -> tuple[dict, float]:
    start = time.perf_counter()
    found = RedosOracle().scan(programs)
    return found, time.perf_counter() - start


def _flagged(findings: list, severity: str) -> bool:
    return any(severity_at_least(f.severity, severity) for f in findings)


def _rates(found: dict, keys: list[str], severity: str) -> tuple[int, int]:
    return sum(_flagged(found[k], severity) for k in keys), len(keys)


def pairs_table() -> dict:
    out = {}
    for language in ("python", "javascript"):
        pairs = [p for p in PAIRS if p["language"] == language]
        programs = [Program(key=f"{p['name']}/{side}", language=language, code=p[side])
                    for p in pairs for side in ("vulnerable", "fixed")]
        found, seconds = _scan(programs)
        row = {"pairs": len(pairs), "ms_per_program": round(1000 * seconds / len(programs), 2)}
        for severity in ("low", "medium"):
            row[f"recall_{severity}"] = _rates(found, [f"{p['name']}/vulnerable" for p in pairs], severity)
            row[f"false_alarms_{severity}"] = _rates(found, [f"{p['name']}/fixed" for p in pairs], severity)
        row["by_kind"] = {kind: _rates(found, [f"{p['name']}/vulnerable" for p in pairs if p["kind"] == kind],
                                       "low") for kind in ("nested", "alternation", "polynomial")}
        out[language] = row
    return out


def builtin_table() -> dict:
    tasks = [t for t in load_builtin() if "CWE-1333" in t.cwes]
    programs = [Program(key=f"{t.id}/secure", language=t.language, code=t.golden) for t in tasks]
    programs += [Program(key=f"{t.id}/vulnerable{i}", language=t.language, code=v)
                 for t in tasks for i, v in enumerate(t.vulnerable)]
    found, _ = _scan(programs)
    vulnerable = [p.key for p in programs if "/vulnerable" in p.key]
    secure = [p.key for p in programs if p.key.endswith("/secure")]
    return {"tasks": [t.id for t in tasks], "recall_medium": _rates(found, vulnerable, "medium"),
            "false_alarms_low": _rates(found, secure, "low")}


def references_table(data: Path) -> dict:
    from treeplay.data.safecoder import import_safecoder
    from treeplay.data.seccodeplt import import_seccodeplt

    sets = {"safecoder fixed (python, javascript)": [
        t for split in ("train", "val") for t in import_safecoder(data / "safecoder" / f"sec-new-desc.{split}.jsonl")
        if t.language in ("python", "javascript")],
        "seccodeplt patched": [t for split in ("train", "dev")
                               for t in import_seccodeplt(data / "seccodeplt" / f"{split}.json")]}
    out = {}
    for name, tasks in sets.items():
        programs = [Program(key=t.id, language=t.language, code=t.golden) for t in tasks]
        found, seconds = _scan(programs)
        keys = [p.key for p in programs]
        out[name] = {"programs": len(programs), "false_alarms_low": _rates(found, keys, "low"),
                     "false_alarms_medium": _rates(found, keys, "medium"),
                     "ms_per_program": round(1000 * seconds / len(programs), 2),
                     "flagged_medium": [f"{k}:{f.line} {f.message[:100]}" for k in keys for f in found[k]
                                        if severity_at_least(f.severity, "medium")]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="the folder holding safecoder/ and seccodeplt/")
    args = parser.parse_args()
    result = {"pairs": pairs_table(), "builtin": builtin_table()}
    if args.data:
        result["references"] = references_table(args.data)
    out = ROOT / "benchmarks" / "results" / "redos_recall.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))
    hits = sum(row["recall_low"][0] for row in result["pairs"].values())
    total = sum(row["recall_low"][1] for row in result["pairs"].values())
    alarms = sum(row["false_alarms_low"][0] for row in result["pairs"].values())
    ms = max(row["ms_per_program"] for row in result["pairs"].values())
    print(f"RESULT redos_recall ratio={hits / total:.3f} pairs={total} false_alarms={alarms} ms_per_program={ms}")


if __name__ == "__main__":
    main()
