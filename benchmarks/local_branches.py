"""What verified mode gets to judge: function branches vs local branches (``grow.stop=function`` vs ``statement``).

For each data set, the same tasks, risk nodes, model and budget (2 branches per node, 128 new tokens, the embedded
default model), grow the trees both ways, score every branch (the default analyzers, and the task's tests in the
sandbox where it has them), and count per mode the branches that parse, are clean (parse, no finding, tests
pass), are vulnerable (a finding or a failed security test), fail their functional tests, or repeat the golden
code (identical; the pairs stage drops them). Every stage resumes, so a killed run picks up where it stopped.

```bash
.venv/bin/python benchmarks/local_branches.py --data DATA --out runs/local-branches    # about an hour on 2 cores
.venv/bin/python benchmarks/local_branches.py --data DATA --out runs/lb --limit 5      # a few minutes
.venv/bin/python benchmarks/local_branches.py --data DATA --modes statement statement-redraw   # grow.redraws=2
.venv/bin/python benchmarks/local_branches.py --data DATA --modes statement-redraw --redraws 3  # "statement-redraw-3"
```

Sets: SafeCoder's Python records with the paper's GPT-4o risk nodes (``tsp/sec-new-desc_annotated.json``), and 69
SecCodePLT train tasks (3 per CWE) with two diff nodes each, as in the reproduction study. Writes
``<out>/summary.json`` and ``benchmarks/results/local_branches.json``; the last line is ``RESULT local_branches
ratio=<share of statement branches that parse> ...`` (a share, not a speed-up).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from treeplay.cli import main as treeplay  # noqa: E402

SETS = {
    "safecoder-python": {"import": ["--format", "tsp-annotated", "{data}/tsp/sec-new-desc_annotated.json",
                                    "--language", "python"],
                         "nodes": ["--method", "annotation"]},
    "seccodeplt-train-69": {"import": ["--format", "seccodeplt", "{data}/seccodeplt/train.json@per_cwe=3"],
                            "nodes": ["--method", "diff", "nodes.max_nodes=2"]},
}
# mode -> grow overrides; "statement-redraw" draws a branch whose program does not parse again, REDRAWS times at
# most (--redraws N; another N is kept as "statement-redraw-N")
REDRAWS = 2
MODES = {"function": ["grow.stop=function"], "statement": ["grow.stop=statement"],
         "statement-redraw": ["grow.stop=statement", f"grow.redraws={REDRAWS}"]}
GROW = ["grow.width=2", "grow.max_new_tokens=128", "grow.max_batch=64"]


def run(*argv: str) -> None:
    code = treeplay(list(argv))
    if code:
        raise SystemExit(f"treeplay {' '.join(argv)} exited {code}")


def prepare(name: str, spec: dict, data: Path, out: Path, limit: int | None) -> tuple[Path, Path]:
    tasks, nodes = out / name / "tasks.jsonl", out / name / "nodes.jsonl"
    if not tasks.exists():
        tasks.parent.mkdir(parents=True, exist_ok=True)
        source = [a.replace("{data}", str(data)) for a in spec["import"]]
        if "@" in source[2] and not Path(source[2]).exists():  # a selector: load it as a task source
            from treeplay.data.importers import load_task_sources
            from treeplay.records import write_jsonl

            write_jsonl(tasks, load_task_sources(f"{source[1]}:{source[2]}", data_dir=str(data)))
        else:
            run("data", "import", *source, "-o", str(tasks))
        if limit:
            lines = tasks.read_text(encoding="utf-8").splitlines(keepends=True)[:limit]
            tasks.write_text("".join(lines), encoding="utf-8")
    if not nodes.exists():
        run("nodes", str(tasks), *spec["nodes"], "-o", str(nodes))
    return tasks, nodes


def count(tasks_path: Path, trees_path: Path, verdicts_path: Path) -> dict:
    """Per branch: parsed, clean, vulnerable, failed functional tests, identical (as the pairs stage sees them)."""
    from treeplay.oracles.verdict import is_secure
    from treeplay.records import Task, Tree, Verdict, load_jsonl
    from treeplay.tree.pairs import extract_pairs

    tasks = {t.id: t for t in load_jsonl(tasks_path, Task)}
    trees = load_jsonl(trees_path, Tree)
    verdicts = {v.candidate_id: v for v in load_jsonl(verdicts_path, Verdict)}
    result = extract_pairs(trees, tasks, mode="verified", verdicts=verdicts)
    scored = list(verdicts.values())
    total = len(scored)

    def share(n: int) -> dict:
        return {"n": n, "share": round(n / total, 3) if total else 0.0}

    return {"branches": total,
            "parse": share(sum(v.parsed for v in scored)),
            "clean": share(sum(v.parsed and is_secure(v, "low") and v.functional is not False for v in scored)),
            "vulnerable": share(sum(v.parsed and (bool(v.findings) or v.secure_tests is False) for v in scored)),
            "fail_functional": share(sum(v.parsed and v.functional is False for v in scored)),
            "identical": share(result.counts["identical"]),
            "finish": {r: sum(b.finish_reason == r for t in trees for b in t.branches)
                       for r in ("stop", "eos", "length")},
            "pairs": result.counts["pairs"], "pairs_by_reason": result.by_reason}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the folder holding tsp/ and seccodeplt/")
    parser.add_argument("--out", type=Path, default=Path("runs/local-branches"))
    parser.add_argument("--limit", type=int, help="only the first N tasks of each set")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--modes", nargs="+", default=["function", "statement"], choices=list(MODES))
    parser.add_argument("--redraws", type=int, default=REDRAWS, metavar="N",
                        help=f"grow.redraws for the statement-redraw mode (default {REDRAWS}); another N is kept in "
                             "the summary as statement-redraw-N, beside the default's figures")
    args = parser.parse_args()
    if args.redraws < 1:
        parser.error("--redraws must be at least 1 (0 is the plain statement mode)")
    modes, label = dict(MODES), {m: m for m in MODES}
    if args.redraws != REDRAWS:
        modes["statement-redraw"] = ["grow.stop=statement", f"grow.redraws={args.redraws}"]
        label["statement-redraw"] = f"statement-redraw-{args.redraws}"
    previous = args.out / "summary.json"  # modes measured before in this folder stay in the summary
    summary: dict = json.loads(previous.read_text(encoding="utf-8")) if previous.is_file() else {}
    for name in args.sets:
        tasks, nodes = prepare(name, SETS[name], args.data, args.out, args.limit)
        for mode in args.modes:
            folder = args.out / name / label[mode]
            folder.mkdir(parents=True, exist_ok=True)
            run("grow", str(tasks), str(nodes), "-o", str(folder / "trees.jsonl"), *GROW, *modes[mode],
                "--no-progress")
            run("score", str(tasks), "--trees", str(folder / "trees.jsonl"), "-o", str(folder / "verdicts.jsonl"))
            summary.setdefault(name, {})[label[mode]] = count(tasks, folder / "trees.jsonl",
                                                              folder / "verdicts.jsonl")
            print(json.dumps({name: {label[mode]: summary[name][label[mode]]}}, indent=1), flush=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    target = ROOT / "benchmarks" / "results" / "local_branches.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    measured = [label[m] for m in args.modes]
    local = next((m for m in reversed(measured) if m.startswith("statement")), measured[-1])
    parsed = [summary[s][local]["parse"]["share"] for s in args.sets]
    parts = " ".join(f"{s}_{m}_parse={summary[s][m]['parse']['share']}" for s in args.sets for m in measured)
    print(f"RESULT local_branches ratio={min(parsed):.3f} {parts}")


if __name__ == "__main__":
    main()
