"""Benchmark: what the report's tree explorer weighs, and how fast a browser opens it, on a demo-like run and on a
synthetic run of 10,000 branches.

Both runs are written by ``tests/eval/explorer_fixture.py``: builtin Python tasks, risk nodes from the fix diffs
(the demo's ``nodes.method=diff``, at most 3 per task), 4 branches per node, verdicts as the oracles would give
them, pairs from the real pairs stage. The demo-like run has 4 tasks (48 branches); the synthetic run copies the
32 builtin Python tasks until it holds 10,000 branches, with random branch kinds (vulnerable variants, identical,
cut off, commented, whole rewrites of up to 1,200 characters from another task). Measured for each:

- ``html_bytes``: report.html without plots (tables + explorer), and ``explorer_bytes``: what the explorer adds
  (the same report with ``--no-explorer`` subtracted);
- ``run_bytes``: the files the explorer shows (tasks.jsonl, trees.jsonl, verdicts.jsonl, pairs.jsonl);
- ``report_s``: seconds to write the report; ``load_s``: seconds from navigation until the explorer is drawn in
  headless Chromium (when installed), ``open_task_s``: a click on a task until its tree is drawn.

``ratio`` = run_bytes / html_bytes of the 10,000-branch run: how much lighter the page is than the run files
it shows (the baseline a user has today: reading the JSONL by hand).

    .venv/bin/python benchmarks/explorer_weight.py                  # demo-like + 10,000 branches (about a minute)
    .venv/bin/python benchmarks/explorer_weight.py --quick          # demo-like + 2,000 branches
    .venv/bin/python benchmarks/explorer_weight.py --screenshot docs/img/explorer.png
    .venv/bin/python benchmarks/explorer_weight.py --run runs/demo --screenshot docs/img/explorer.png  # a real run

``--run RUN`` also measures a real run folder (``make demo`` writes ``runs/demo``). ``--screenshot`` also writes a PNG
of the explorer, on that run when given, else on the demo-like run: a task open at its first vulnerable branch, the
branch's verdict and diff shown. Writes benchmarks/results/explorer_weight.json; the last line is
``RESULT explorer_weight ratio=<run files / page> html_mb=<10k page> explorer_mb=<...> branches=<n> load_s=<...>``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fixture and the browser driver live with the tests

from tests.eval.browser import Browser, chromium_path  # noqa: E402
from tests.eval.explorer_fixture import make_run  # noqa: E402

from treeplay.eval.report import collect_runs, write_report  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "explorer_weight.json"
RUN_FILES = ("tasks.jsonl", "iter_1/trees.jsonl", "iter_1/verdicts.jsonl", "iter_1/pairs.jsonl")
READY = "document.getElementById('tree-explorer') && document.getElementById('tree-explorer').dataset.ready"


def measure(run: Path, out: Path, browser: Browser | None) -> dict[str, float | int]:
    """Sizes and times of one run's report (see the module docstring)."""
    start = time.perf_counter()
    report = write_report(collect_runs([run]), out / "with", plots=False)
    report_s = time.perf_counter() - start
    bare = write_report(collect_runs([run]), out / "without", plots=False, explorer=False)
    html = report.html.stat().st_size
    trees = [json.loads(line) for line in (run / "iter_1" / "trees.jsonl").read_text().splitlines()]
    figures: dict[str, float | int] = {
        "trees": len(trees), "branches": sum(len(t["branches"]) for t in trees),
        "html_bytes": html, "explorer_bytes": html - bare.html.stat().st_size,
        "run_bytes": sum((run / name).stat().st_size for name in RUN_FILES), "report_s": round(report_s, 2)}
    if browser is not None:
        start = time.perf_counter()
        browser.open(report.html)
        browser.wait_for(READY, timeout=60)
        figures["load_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        browser.click('.tp-row[data-i="1"]')
        browser.wait_for("document.querySelector('#tp-list .tp-row.tp-sel').dataset.i === '1'")
        figures["open_task_s"] = round(time.perf_counter() - start, 3)
        assert not browser.exceptions, browser.exceptions
    return figures


def first_vulnerable(run: Path) -> tuple[str, str]:
    """(task id, branch id) of the first branch of ``run``'s first iteration that parsed and has a finding, or
    failed a security test; the command-injection task's first branch on the demo-like run."""
    path = run / "iter_1" / "verdicts.jsonl"
    for line in path.read_text().splitlines() if path.exists() else []:
        verdict = json.loads(line)
        if verdict.get("parsed") and (verdict.get("findings") or verdict.get("secure_tests") is False):
            task, branch = verdict["candidate_id"].split("/", 1)
            return task, branch
    return "py_cmd_grep_logs", "n0/b0"


def screenshot(run: Path, out: Path, browser: Browser, path: Path) -> None:
    """The explorer on ``run``: a task open, its first vulnerable branch's verdict and diff shown."""
    task, branch = first_vulnerable(run)
    report = write_report(collect_runs([run]), out / "shot", plots=False)
    browser.open(report.html)
    browser.wait_for(READY)
    rows = browser.js("Array.from(document.querySelectorAll('.tp-row')).map(r => r.dataset.task)")
    if task not in (rows or []):  # the task list draws only the rows in view: search for the task
        browser.js(f"var q = document.getElementById('tp-search'); q.value = {json.dumps(task)}; "
                   "q.dispatchEvent(new Event('input'));")
    browser.click(f'.tp-row[data-task="{task}"]')
    browser.click(f'.tp-br[data-branch="{branch}"]')
    browser.js(f"document.getElementById('tree-explorer').scrollIntoView(); window.scrollBy(0, -8); "
               f"var b = document.querySelector('.tp-br[data-branch=\"{branch}\"]'); "
               f"var d = document.getElementById('tp-detail'); d.scrollTop = b.offsetTop - d.offsetTop - 120;")
    path.parent.mkdir(parents=True, exist_ok=True)
    browser.screenshot(path)
    print(f"screenshot: {path} ({task}, branch {branch})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 synthetic branches instead of 10,000")
    parser.add_argument("--screenshot", type=Path, metavar="PNG", help="also write a PNG of the explorer")
    parser.add_argument("--run", type=Path, metavar="RUN", help="also measure this run folder (e.g. runs/demo); "
                        "the screenshot is taken on it")
    args = parser.parse_args(argv)
    target = 2_000 if args.quick else 10_000
    binary = chromium_path()
    if binary is None:
        print("chromium not found: page sizes only (make setup installs it)", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp, (Browser(binary, width=1280, height=860) if binary
                                                 else contextlib.nullcontext()) as browser:
        root = Path(tmp)
        demo = make_run(root / "runs", "demo")
        copies = -(-target // (32 * 3 * 4)) + 1  # 32 builtin Python tasks, at most 3 nodes each, 4 branches
        synthetic = make_run(root / "runs", "synthetic", copies=copies, seed=0, max_branches=target)
        results = {"demo_like": measure(demo, root / "demo", browser),
                   f"synthetic_{target}": measure(synthetic, root / "synthetic", browser)}
        if args.run is not None:
            if not (args.run / "iter_1" / "trees.jsonl").exists():
                parser.error(f"{args.run}: no iter_1/trees.jsonl (a run folder of treeplay selfplay or make demo)")
            results["run"] = {"path": str(args.run), **measure(args.run, root / "run", browser)}
        if args.screenshot is not None and browser is not None:
            screenshot(args.run or demo, root, browser, args.screenshot)
    big = results[f"synthetic_{target}"]
    results["machine"] = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for name, figures in results.items():
        if name != "machine":
            print(name, json.dumps(figures))
    print(f"RESULT explorer_weight ratio={big['run_bytes'] / big['html_bytes']:.1f} "
          f"html_mb={big['html_bytes'] / 1e6:.2f} explorer_mb={big['explorer_bytes'] / 1e6:.2f} "
          f"branches={big['branches']} load_s={big.get('load_s', 'n/a')} "
          f"demo_kb={results['demo_like']['html_bytes'] / 1e3:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
