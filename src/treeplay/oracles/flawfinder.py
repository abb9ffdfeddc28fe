"""flawfinder as an Oracle for C and C++: one run over a folder holding the whole batch, CSV report.

flawfinder flags risky calls (``strcpy``, ``sprintf``, ``system``, format strings...) with a risk level 0-5 and
CWE ids. Severity: level 4-5 is high, 3 medium, 1-2 low (level 0, "judged harmless", is not reported). Where
flawfinder writes ``CWE-119!/CWE-120`` (a general weakness, then the specific one) the specific one is kept;
in a list (``CWE-362, CWE-20``) the first. ``--neverignore`` makes ``/* Flawfinder: ignore */`` comments
powerless, so generated code cannot silence the oracle.

The verdicts that need the code around a call come from ``treeplay.oracles.c_checks`` (tree-sitter): a
printf-like wrapper's own ``vsnprintf(..., fmt, ap)`` and a format glued from macros and literals are not
flagged; a call of the wrapper with a non-constant format is (rule ``treeplay-format-wrapper``, CWE-134, high, as
flawfinder rates a non-constant ``printf``); an exec of a literal program that is not a shell is low, not high.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from treeplay.data.cwe import try_canonical_cwe
from treeplay.errors import ToolError
from treeplay.oracles import c_checks, proc
from treeplay.oracles.analyzer_tools import batch_folder, clamp_line, find_tool, tool_version
from treeplay.oracles.base import Program
from treeplay.records import Finding

INSTALL_HINT = "pip install 'flawfinder>=2.0' (or pip install 'treeplay[oracles]', or apt-get install flawfinder)"
_CWE = re.compile(r"CWE-(\d+)")
C_CHECKS_VERSION = 2  # bump when c_checks changes a verdict (the finding cache keys on version())
_OUTPUT_LIMIT = 256 << 20  # the CSV of a large batch easily exceeds proc.run's default 1 MiB


def flawfinder_cwe(field: str) -> str | None:
    """The CWE flawfinder means: ``CWE-119!/CWE-120`` -> ``CWE-120``; ``CWE-362, CWE-20`` -> ``CWE-362``."""
    head = field.split(",")[0]
    ids = _CWE.findall(head.split("!/")[-1]) or _CWE.findall(field)
    return try_canonical_cwe(ids[0]) if ids else None


def level_severity(level: int) -> str:
    """flawfinder risk level (1-5) as low/medium/high."""
    return "high" if level >= 4 else "medium" if level == 3 else "low"


class FlawfinderOracle:
    """Scan C and C++ programs with flawfinder, reporting hits of risk level ``min_level`` and up."""

    name = "flawfinder"
    languages = frozenset({"c", "cpp"})

    def __init__(self, *, min_level: int = 1, timeout: float = 600.0) -> None:
        if not 0 <= min_level <= 5:
            raise ValueError(f"min_level must be 0..5, got {min_level}")
        self.min_level = min_level
        self.timeout = timeout

    def version(self) -> str:
        """flawfinder's version and the settings that change what it reports."""
        ver = tool_version(find_tool("flawfinder", INSTALL_HINT), package="flawfinder")
        return f"flawfinder {ver}; minlevel={self.min_level}; c_checks={C_CHECKS_VERSION}"

    def scan(self, programs: Sequence[Program]) -> dict[str, list[Finding]]:
        """One flawfinder run over the batch; findings per program key."""
        out: dict[str, list[Finding]] = {p.key: [] for p in programs}
        if not programs:
            return out
        binary = find_tool("flawfinder", INSTALL_HINT)
        with batch_folder(programs) as (folder, names):
            argv = [binary, "--csv", "--neverignore", f"--minlevel={self.min_level}", str(folder)]
            res = proc.run(argv, cwd=folder, timeout=self.timeout, output_limit=_OUTPUT_LIMIT,
                           install_hint=INSTALL_HINT)
        if res.timed_out or res.returncode != 0 or not res.stdout.startswith("File,"):
            raise ToolError(f"flawfinder exited {res.returncode} without a CSV report", tool="flawfinder",
                            stderr=res.stderr[-4000:] or res.stdout[-4000:])
        for row in csv.DictReader(io.StringIO(res.stdout)):
            key = names.get(Path(row.get("File", "")).name)
            try:
                level = int(row.get("Level") or 0)
                line = int(row.get("Line") or 0)
            except ValueError:
                continue
            if key is None or level < max(self.min_level, 1):
                continue
            message = f"{row.get('Name', '')}: " + " ".join((row.get("Warning") or "").split())
            out[key].append(Finding(tool=self.name, rule=row.get("RuleId") or row.get("Name") or "",
                                    cwe=flawfinder_cwe(row.get("CWEs") or ""), line=clamp_line(line),
                                    severity=level_severity(level), message=message))
        for program in programs:
            out[program.key] = with_c_checks(program, out[program.key])
        return out


def with_c_checks(program: Program, findings: list[Finding]) -> list[Finding]:
    """flawfinder's findings for ``program`` corrected by ``c_checks``: a wrapper forwarding its own format is not
    a finding, a wrapper called with a non-constant format is, and an exec of a fixed program is low."""
    report = c_checks.check(program.language, program.code)
    kept = []
    for finding in findings:
        name = finding.message.split(":", 1)[0]
        if finding.cwe == "CWE-134" and name in c_checks.PRINTF_CALLS and (
                finding.line in report.forwarded_lines or finding.line in report.constant_format_lines):
            continue
        if finding.line in report.fixed_exec_lines and name in c_checks.EXEC_CALLS and finding.severity != "low":
            finding = replace(finding, severity="low", message=f"{finding.message} (a fixed program: low)")
        kept.append(finding)
    for call in report.nonconstant_calls:
        kept.append(Finding(tool="flawfinder", rule="treeplay-format-wrapper", cwe="CWE-134", line=call.line,
                            severity="high",
                            message=f"{call.wrapper}: a printf-like function (it passes its format to a v*printf "
                                    f"call) called with the non-constant format {call.argument[:60]!r}; "
                                    "use a constant format and pass the data as an argument"))
    return sorted(kept, key=lambda f: f.line)
