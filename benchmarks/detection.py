"""Measure static detection per CWE: recall on vulnerable programs, false alarms on secure references.

Sets: ``builtin`` (treeplay's own tasks: ``.golden`` = secure reference, ``.vulnerable`` = vulnerable variants),
``seccodeplt`` (SecCodePLT dev: ``.golden`` = patched program, ``.vulnerable[0]`` = vulnerable program) and
``seccodeplt-train`` (SecCodePLT train, which treeplay's rules were never tuned on: a held-out check) and
``securityeval-prompts`` (the code each of SecurityEval's 121 prompts gives the model, as secure references only:
false alarms, no recall). For every
analyzer on its own and for all of them together (``treeplay.oracles.static.scan_programs``, findings deduped),
a program counts as flagged when it has at least one finding at or above ``--severity``. "with its CWE" counts a
vulnerable program only when a finding names one of the task's CWEs. "after review" counts a flagged secure
reference only when one of its findings is not a real weakness reviewed in ``benchmarks/reviewed_alarms.yaml``
(``benchmarks/reviewed.py``). Prints the markdown tables of docs/oracles.md; "-" marks an analyzer that covers
none of those programs' languages.

    .venv/bin/python benchmarks/detection.py                        # builtin and SecCodePLT dev, medium
    .venv/bin/python benchmarks/detection.py --set seccodeplt-train  # the held-out check
    .venv/bin/python benchmarks/detection.py --set securityeval-prompts  # false alarms on the prompts' code
    .venv/bin/python benchmarks/detection.py --set builtin --severity low --json counts.json
    .venv/bin/python benchmarks/detection.py --analyzers semgrep --semgrep-rules codeshield --usecase cyberseceval
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from treeplay.oracles.base import Oracle, Program
from treeplay.oracles.cache import FindingCache
from treeplay.oracles.semgrep import USECASES, SemgrepOracle
from treeplay.oracles.static import DEFAULT_ANALYZERS, covered_languages, scan_programs
from treeplay.records import Task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reviewed import load_reviewed, still_alarm  # noqa: E402

SHARED = Path(os.environ.get("TREEPLAY_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
SETS = {"builtin": None, "seccodeplt": SHARED / "seccodeplt" / "dev.json",
        "seccodeplt-train": SHARED / "seccodeplt" / "train.json",
        "securityeval-prompts": SHARED / "securityeval" / "prompts.json"}
# counts[column][cwe] = [vulnerable flagged, vulnerable, secure flagged, secure, vulnerable flagged with its CWE,
#                        secure flagged after review (benchmarks/reviewed_alarms.yaml)]
Counts = dict[str, dict[str, list[int]]]


def load_set(name: str) -> list[Task]:
    """The tasks of one measured set."""
    if name == "builtin":
        from treeplay.data.builtin import load_builtin
        return load_builtin()
    from treeplay.data.importers import import_tasks
    if name == "securityeval-prompts":  # the code each prompt gives the model: secure parts only, no variant
        prompts = import_tasks("securityeval", SETS[name])
        return [dataclasses.replace(t, golden=t.prefix, vulnerable=()) for t in prompts]
    return import_tasks("seccodeplt", SETS[name])


def programs_of(tasks: Sequence[Task]) -> tuple[list[Program], dict[str, tuple[Task, str]]]:
    """Every secure reference and vulnerable variant as a Program; key -> (task, "secure"|"vulnerable")."""
    progs, role = [], {}
    for task in tasks:
        if task.golden is not None:
            progs.append(Program(f"{task.id}/secure", task.language, task.golden))
            role[f"{task.id}/secure"] = (task, "secure")
        for i, code in enumerate(task.vulnerable):
            key = f"{task.id}/vulnerable{i}"
            progs.append(Program(key, task.language, code))
            role[key] = (task, "vulnerable")
    return progs, role


def measure(tasks: Sequence[Task], analyzers: Sequence[str], severity: str, cache: FindingCache | None,
            oracles: dict[str, Oracle] | None = None) -> Counts:
    """Flag counts per column (each analyzer, then ``combined``) and CWE (plus ``all``)."""
    progs, role = programs_of(tasks)
    reviewed = load_reviewed()
    columns = {name: [name] for name in analyzers}
    columns["combined"] = list(analyzers)
    counts: Counts = {}
    for column, names in columns.items():
        covered = covered_languages(names)
        mine = [p for p in progs if p.language in covered]
        found = scan_programs(mine, analyzers=names, severity=severity, cache=cache, oracles=oracles)
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
        for key, findings in found.items():
            task, kind = role[key]
            right = any(f.cwe in task.cwes for f in findings)
            for cwe in (*task.cwes, "all"):
                row = table[cwe]
                if kind == "vulnerable":
                    row[0] += bool(findings)
                    row[1] += 1
                    row[4] += right
                else:
                    row[2] += bool(findings)
                    row[3] += 1
                    row[5] += still_alarm(key, (f.rule for f in findings), reviewed)
        counts[column] = dict(table)
    return counts


def _pct(hit: int, total: int) -> str:
    return f"{100 * hit / total:.0f}%" if total else "-"


def _frac(hit: int, total: int) -> str:
    return f"{_pct(hit, total)} ({hit}/{total})" if total else "-"


def _row(counts: Counts, column: str, cwe: str) -> list[int]:
    return counts[column].get(cwe, [0, 0, 0, 0, 0, 0])


def summary(counts: Counts, tasks: Sequence[Task], name: str, severity: str) -> str:
    """One row per analyzer: recall, false alarms (overall), and after review."""
    vuln = sum(len(t.vulnerable) for t in tasks)
    lines = [f"| {name} ({len(tasks)} tasks, {vuln} vulnerable, {len(tasks)} secure; >= {severity}) "
             "| recall | recall with its CWE | false alarms | false alarms after review |", "|---|---:|---:|---:|---:|"]
    for column in counts:
        r = _row(counts, column, "all")
        label = f"**{column}**" if column == "combined" else column
        lines.append(f"| {label} | {_pct(r[0], r[1])} | {_pct(r[4], r[1])} | {_frac(r[2], r[3])} "
                     f"| {_frac(r[5], r[3])} |")
    return "\n".join(lines) + "\n"


def per_cwe(counts: Counts, tasks: Sequence[Task]) -> str:
    """Per CWE: recall of each analyzer and combined, then combined false alarms."""
    columns = list(counts)
    ntasks: dict[str, int] = defaultdict(int)
    for task in tasks:
        for cwe in task.cwes:
            ntasks[cwe] += 1
    cwes = sorted(ntasks, key=lambda c: (-ntasks[c], int(c.split("-")[1])))
    head = ("| CWE | tasks | vulnerable | " + " | ".join(f"recall {c}" for c in columns)
            + " | false alarms combined | after review |")
    lines = [head, "|---|---:|---:|" + "---:|" * (len(columns) + 2)]
    for cwe in cwes:
        total = _row(counts, "combined", cwe)
        cells = [_pct(_row(counts, c, cwe)[0], _row(counts, c, cwe)[1]) for c in columns]
        lines.append(f"| {cwe} | {ntasks[cwe]} | {total[1]} | " + " | ".join(cells)
                     + f" | {_pct(total[2], total[3])} | {_pct(total[5], total[3])} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=[*SETS, "both"], default="both", help="both = builtin + seccodeplt")
    parser.add_argument("--analyzers", default=",".join(DEFAULT_ANALYZERS))
    parser.add_argument("--severity", default="medium", choices=["low", "medium", "high"])
    parser.add_argument("--semgrep-rules", choices=["both", "codeshield", "treeplay"], default="both",
                        help="which rule sets semgrep runs (default: both)")
    parser.add_argument("--usecase", choices=list(USECASES), default=USECASES[0], help="CodeShield's rule bundle")
    parser.add_argument("--no-cache", action="store_true", help="run every analyzer (ignore the finding cache)")
    parser.add_argument("--json", type=Path, help="also write the raw counts here")
    args = parser.parse_args(argv)
    analyzers = [a for a in args.analyzers.split(",") if a]
    cache = None if args.no_cache else FindingCache()
    semgrep = SemgrepOracle(codeshield=args.semgrep_rules != "treeplay", own_rules=args.semgrep_rules != "codeshield",
                            usecase=args.usecase)
    sets = ["builtin", "seccodeplt"] if args.set == "both" else [args.set]
    raw = {}
    for name in sets:
        start = time.perf_counter()
        tasks = load_set(name)
        counts = measure(tasks, analyzers, args.severity, cache, {"semgrep": semgrep})
        raw[name] = counts
        langs = ", ".join(sorted({t.language for t in tasks}))
        print(f"### {name}: {len(tasks)} tasks ({langs}), severity >= {args.severity}\n")
        print(summary(counts, tasks, name, args.severity))
        print(per_cwe(counts, tasks))
        print(f"[{name}: measured in {time.perf_counter() - start:.1f} s]", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
