"""Detection per language on treeplay's own fixture snippets (one vulnerable and one secure snippet per CWE).

```bash
.venv/bin/python benchmarks/oracle_languages.py     # about 15 s: two scans of all fixtures
.venv/bin/python benchmarks/oracle_languages.py --safecoder sec-new-desc.train.jsonl sec-new-desc.val.jsonl
```

With ``--safecoder`` it measures on a held-out set instead, one the rules were not written against: SafeCoder's
vulnerability-fixing commits (``func_src_before`` = vulnerable, ``func_src_after`` = fixed, the commit's CWE),
per language. A fixed function can still hold other weaknesses, so "false alarms, any finding" is an upper bound.

Reads ``tests/oracles/fixtures/languages/<language>/<CWE>_{vulnerable,secure}.<ext>``, scans them once with
every installed default analyzer (severity >= medium, no cache) and prints a markdown table per language:
recall on the vulnerable snippets (flagged with the snippet's CWE / with any finding), false alarms on the
secure snippets (flagged with the snippet's CWE / with any finding), the recall with its CWE of the same
analyzers without treeplay's rules (a second scan) and which analyzers produced the right-CWE findings.
Writes ``benchmarks/results/oracle_languages.json``; the last line follows the benchmarks contract,
``RESULT oracle_languages ratio=<overall recall with the CWE> ...`` (ratio is a recall here, not a
speed-up) with per-language recall and false alarm figures as key=value pairs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from treeplay.errors import ToolMissingError  # noqa: E402
from treeplay.oracles.base import Program  # noqa: E402
from treeplay.oracles.semgrep import SemgrepOracle  # noqa: E402
from treeplay.oracles.static import DEFAULT_ANALYZERS, make_oracle, scan_programs  # noqa: E402
from treeplay.records import LANGUAGE_OF_EXTENSION  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reviewed import load_reviewed, still_alarm  # noqa: E402

FIXTURES = ROOT / "tests" / "oracles" / "fixtures" / "languages"
RESULTS = ROOT / "benchmarks" / "results" / "oracle_languages.json"


def installed(names: tuple[str, ...]) -> list[str]:
    """The analyzers among ``names`` whose tools are installed here."""
    ok = []
    for name in names:
        try:
            make_oracle(name).version()
        except ToolMissingError:
            continue
        ok.append(name)
    return ok


def fixture_rows() -> list[tuple[str, str, str, str, str]]:
    """(language, CWE, vulnerable|secure, key, code) of every fixture snippet."""
    rows = []
    for path in sorted(FIXTURES.glob("*/*_*.*")):
        cwe, kind = path.stem.split("_")
        rows.append((LANGUAGE_OF_EXTENSION[path.suffix[1:]], cwe, kind, f"{path.parent.name}/{path.name}",
                     path.read_text(encoding="utf-8")))
    return rows


def safecoder_rows(paths: list[str]) -> list[tuple[str, str, str, str, str]]:
    """The same rows from SafeCoder records: the function before (vulnerable) and after (secure) its fix."""
    from treeplay.data.importers import import_tasks

    rows = []
    for path in paths:
        for task in import_tasks("safecoder", path):
            if task.vulnerable and task.golden and task.cwes:
                rows.append((task.language, task.cwes[0], "vulnerable", f"{task.id}/before", task.vulnerable[0]))
                rows.append((task.language, task.cwes[0], "secure", f"{task.id}/after", task.golden))
    return rows


def measure(analyzers: list[str], rows: list[tuple[str, str, str, str, str]], *,
            own_rules: bool = True, by_cwe: bool = False) -> dict[str, dict]:
    """Counts per language (``by_cwe``: per language and CWE) from one scan of every row (``own_rules``: semgrep
    with treeplay's rules)."""
    programs = [Program(key, lang, code) for lang, _, _, key, code in rows]
    oracles = {} if own_rules else {"semgrep": SemgrepOracle(own_rules=False)}
    found = scan_programs(programs, analyzers=analyzers, severity="medium", cache=None, oracles=oracles)
    reviewed = load_reviewed()
    stats: dict[str, dict] = defaultdict(lambda: {"cwes": [], "vulnerable": 0, "secure": 0, "hit_cwe": 0,
                                                  "hit_any": 0, "fa_cwe": 0, "fa_any": 0, "fa_cwe_reviewed": 0,
                                                  "fa_any_reviewed": 0, "missed": [],
                                                  "false_alarms": [], "tools": Counter()})
    for lang, cwe, kind, key, _ in rows:
        findings = found[key]
        right = [f for f in findings if f.cwe == cwe]
        s = stats[f"{lang} {cwe}" if by_cwe else lang]
        if kind == "vulnerable":
            s["cwes"].append(cwe)
            s["vulnerable"] += 1
            s["hit_cwe"] += bool(right)
            s["hit_any"] += bool(findings)
            s["tools"].update({t for f in right for t in f.tool.split("+")})
            if not right:
                s["missed"].append(cwe)
        else:
            s["secure"] += 1
            s["fa_cwe"] += bool(right)
            s["fa_any"] += bool(findings)
            s["fa_cwe_reviewed"] += still_alarm(key, (f.rule for f in right), reviewed)
            s["fa_any_reviewed"] += still_alarm(key, (f.rule for f in findings), reviewed)
            if findings:
                s["false_alarms"].append(f"{cwe}: " + ", ".join(sorted({f"{f.tool}/{f.rule}" for f in findings})))
    return {lang: {**s, "tools": dict(s["tools"])} for lang, s in sorted(stats.items())}


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}%" if b else "-"


def table(stats: dict[str, dict], base: dict[str, dict]) -> str:
    """The markdown table of ``stats`` (all rules) with the recall of ``base`` (without treeplay's rules)."""
    lines = ["| language | CWEs | snippets (vulnerable + secure) | recall, its CWE | recall, any finding "
             "| false alarms, its CWE | false alarms, any finding | false alarms after review, its CWE / any "
             "| recall, its CWE, without treeplay's rules | right-CWE findings by |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for lang, s in stats.items():
        tools = ", ".join(f"{t} {n}" for t, n in sorted(s["tools"].items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"| {lang} | {len(set(s['cwes']))} | {s['vulnerable']} + {s['secure']} "
                     f"| {pct(s['hit_cwe'], s['vulnerable'])} | {pct(s['hit_any'], s['vulnerable'])} "
                     f"| {pct(s['fa_cwe'], s['secure'])} | {pct(s['fa_any'], s['secure'])} "
                     f"| {pct(s['fa_cwe_reviewed'], s['secure'])} / {pct(s['fa_any_reviewed'], s['secure'])} "
                     f"| {pct(base[lang]['hit_cwe'], base[lang]['vulnerable'])} | {tools} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--safecoder", nargs="+", metavar="JSONL", help="measure on SafeCoder records instead")
    parser.add_argument("--by-cwe", action="store_true", help="one row per language and CWE")
    args = parser.parse_args(argv)
    rows = safecoder_rows(args.safecoder) if args.safecoder else fixture_rows()
    name = ("oracle_languages_safecoder" if args.safecoder else "oracle_languages") + ("_by_cwe" if args.by_cwe else "")
    results = RESULTS.with_name(f"{name}.json")
    analyzers = installed(DEFAULT_ANALYZERS)
    start = time.perf_counter()
    stats = measure(analyzers, rows, by_cwe=args.by_cwe)
    seconds = time.perf_counter() - start
    base = measure(analyzers, rows, own_rules=False, by_cwe=args.by_cwe)
    print(f"analyzers: {', '.join(analyzers)} (severity >= medium; {seconds:.1f} s)\n")
    print(table(stats, base))
    for lang, s in stats.items():
        if s["missed"]:
            print(f"- {lang}: missed {', '.join(s['missed'])}")
        for alarm in s["false_alarms"]:
            print(f"- {lang}: secure snippet flagged, {alarm}")
    results.parent.mkdir(parents=True, exist_ok=True)
    tmp = results.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"analyzers": analyzers, "seconds": round(seconds, 2), "languages": stats,
                               "without_treeplay_rules": base}, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, results)
    hit = sum(s["hit_cwe"] for s in stats.values())
    total = sum(s["vulnerable"] for s in stats.values())
    figures = " ".join(f"recall_{key}={s['hit_cwe'] / s['vulnerable']:.2f} fa_{key}={s['fa_cwe'] / s['secure']:.2f} "
                       f"fa_reviewed_{key}={s['fa_cwe_reviewed'] / s['secure']:.2f}"
                       for key, s in ((lang.replace(" ", "_"), s) for lang, s in stats.items()))
    print(f"RESULT {name} ratio={hit / total:.2f} {figures} snippets={2 * total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
