"""``treeplay scan PATH...``: run the static analyzers on source files and print the findings.

The command is defined here (``add_scan_parser``) and wired into ``treeplay.cli``. Directories are walked
(hidden folders, ``__pycache__``, ``node_modules`` and virtual environments are skipped); the language comes
from the file extension. Output formats:

- ``table`` (default): one line per finding, ``path:line  severity  CWE  tool/rule  message``, then a summary;
- ``json``: the contract other programs read, a list with one object per scanned file,
  ``{"path", "language", "findings": [{"tool", "rule", "cwe", "line", "severity", "message"}]}``;
- ``sarif``: a SARIF 2.1.0 log (``treeplay.oracles.sarif``).

The exit code is 0 whether or not there are findings, unless ``--fail-on-findings`` is given (then 1 when any
file has a finding). A missing or failing analyzer is exit 3 (raised as ``ToolError``), bad usage exit 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from treeplay.cli_args import output_file
from treeplay.errors import DataError, UsageError
from treeplay.oracles.base import DEFAULT_SEVERITY, SEVERITIES, Program
from treeplay.oracles.profiles import PROFILES
from treeplay.records import LANGUAGE_OF_EXTENSION

_SKIP_DIRS = {"__pycache__", "node_modules", "venv", ".venv", "site-packages"}

EPILOG = """\
examples:
  treeplay scan app.py lib/                       # table of findings, medium severity and up
  treeplay scan src --format json > findings.json
  treeplay scan src --format sarif -o treeplay.sarif
  treeplay scan gen/ --analyzers bandit,semgrep --severity high --fail-on-findings
  treeplay scan gen/ --profile paper             # what CodeQL (the paper's judge) would flag, offline

profiles:
""" + "".join(f"  {p.name:<8} {p.purpose}\n           (analyzers: {', '.join(p.analyzers)}; severity {p.severity}"
              f"{'; ' + ', '.join(sorted(p.languages)) + ' files only' if p.languages else ''})\n"
              for p in PROFILES.values())


def add_scan_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``scan`` subcommand to ``treeplay``'s subparsers; its handler is ``run_scan``."""
    from treeplay.oracles.static import ANALYZERS, DEFAULT_ANALYZERS

    parser = subparsers.add_parser(
        "scan", help="scan source files with the security analyzers (table, JSON or SARIF)",
        description="Scan files and folders with the static security analyzers (bandit, semgrep with "
                    "CodeShield's and treeplay's rules, cppcheck, flawfinder, CodeShield's regex rules, go vet "
                    "when go is installed; codeql on request). Python, C, C++, JavaScript, Go, Java and Ruby "
                    "are covered. Each analyzer runs once over all files; results are cached.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders to scan")
    parser.add_argument("--format", "-f", choices=["table", "json", "sarif"], default="table",
                        help="output format (default: table)")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="default",
                        help="the analyzers and severity to use (default: %(default)s; see 'profiles' below)")
    parser.add_argument("--analyzers",
                        help=f"comma-separated, from {', '.join(ANALYZERS)} (default: the profile's; default "
                             f"profile: {','.join(DEFAULT_ANALYZERS)})")
    parser.add_argument("--severity", choices=SEVERITIES,
                        help=f"lowest severity reported (default: the profile's; default profile: "
                             f"{DEFAULT_SEVERITY})")
    parser.add_argument("--fail-on-findings", action="store_true", help="exit 1 when any finding is reported")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the finding cache")
    parser.add_argument("-o", "--output", type=output_file("-o"),
                        help="write the report to this file instead of stdout")
    parser.set_defaults(func=run_scan)
    return parser


def run_scan(args: argparse.Namespace) -> int:
    """Handler of ``treeplay scan``; returns the exit code."""
    from treeplay.oracles.static import ANALYZERS, covered_languages, scan_programs

    profile = PROFILES[args.profile]
    chosen = ",".join(profile.analyzers) if args.analyzers is None else args.analyzers
    severity = profile.severity if args.severity is None else args.severity
    analyzers = [a.strip() for a in chosen.split(",") if a.strip()]
    unknown = [a for a in analyzers if a not in ANALYZERS]
    if unknown or not analyzers:
        raise UsageError(f"unknown analyzer(s): {', '.join(unknown) or '(none given)'}",
                         fix=f"choose from {', '.join(ANALYZERS)}")
    programs = load_programs(args.paths)
    uncovered = sorted({p.language for p in programs} - covered_languages(analyzers))
    if uncovered:
        count = sum(1 for p in programs if p.language in uncovered)
        print(f"treeplay scan: note: {count} file(s) in {', '.join(uncovered)} are not covered by "
              f"{', '.join(analyzers)} and get no findings", file=sys.stderr)
    found = scan_programs(programs, analyzers=analyzers, severity=severity,
                          **({"cache": None} if args.no_cache else {}))
    report = render(programs, found, args.format, analyzers)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
    flagged = any(found[p.key] for p in programs)
    return 1 if args.fail_on_findings and flagged else 0


def iter_source_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Files to scan, in a stable order; explicit files must have a known extension."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                parts = child.relative_to(path).parts
                if any(p.startswith(".") or p in _SKIP_DIRS for p in parts[:-1]):
                    continue
                if child.is_file() and _language(child) is not None and not child.name.startswith("."):
                    yield child
        elif path.is_file():
            if _language(path) is None:
                known = ", ".join("." + ext for ext in sorted(LANGUAGE_OF_EXTENSION))
                raise UsageError(f"{path}: unknown language for extension '{path.suffix}'",
                                 fix=f"scan files ending in {known}")
            yield path
        else:
            raise DataError("no such file or folder", file=path, fix="check the path")


def load_programs(paths: Sequence[Path]) -> list[Program]:
    """Every source file under ``paths`` as a Program keyed by its path (as given, deduplicated)."""
    programs: dict[str, Program] = {}
    for path in iter_source_files(paths):
        key = str(path)
        if key not in programs:
            code = path.read_text(encoding="utf-8", errors="replace")
            programs[key] = Program(key=key, language=_language(path), code=code)
    return list(programs.values())


def render(programs: Sequence[Program], found: dict[str, Any], fmt: str, analyzers: Sequence[str]) -> str:
    """The report text in ``fmt`` (table, json or sarif)."""
    if fmt == "json":
        rows = [{"path": p.key, "language": p.language,
                 "findings": [dataclasses.asdict(f) for f in found[p.key]]} for p in programs]
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if fmt == "sarif":
        from treeplay.oracles.sarif import to_sarif

        log = to_sarif([(p.key, found[p.key]) for p in programs], analyzers=analyzers)
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
    lines = []
    for p in programs:
        for f in found[p.key]:
            lines.append(f"{p.key}:{f.line}  {f.severity:<6}  {f.cwe or '-':<8}  {f.tool}/{f.rule}  {f.message}")
    flagged = sum(1 for p in programs if found[p.key])
    total = sum(len(found[p.key]) for p in programs)
    lines.append(f"{total} finding(s) in {flagged} of {len(programs)} file(s) "
                 f"(analyzers: {', '.join(analyzers)})")
    return "\n".join(lines) + "\n"


def _language(path: Path) -> str | None:
    """treeplay language of a file, by its extension (None: not a language treeplay scans)."""
    return LANGUAGE_OF_EXTENSION.get(path.suffix.lower().lstrip("."))
