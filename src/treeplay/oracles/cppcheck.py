"""cppcheck as an Oracle for C and C++: one run over a folder holding the whole batch, XML report.

cppcheck reports a ``cwe`` attribute on most checks; that is the finding's CWE. Severity: cppcheck ``error`` is
high, ``warning`` medium, ``style``/``performance``/``portability`` low; ``information`` and tool diagnostics
(missing headers, code it could not parse, its own internal errors) are not findings about the code's security
and are dropped. Inline suppressions (``// cppcheck-suppress``) are not enabled, so generated code cannot
silence the oracle.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from treeplay.data.cwe import try_canonical_cwe
from treeplay.errors import ToolError
from treeplay.oracles import proc
from treeplay.oracles.analyzer_tools import batch_folder, clamp_line, find_tool, tool_version
from treeplay.oracles.base import Program
from treeplay.records import Finding

INSTALL_HINT = "apt-get install cppcheck (Debian/Ubuntu), brew install cppcheck (macOS), or see cppcheck.sourceforge.io"
_SEVERITY = {"error": "high", "warning": "medium", "style": "low", "performance": "low", "portability": "low"}
# Diagnostics about the analysis itself, not about the code's safety.
_NOT_FINDINGS = frozenset({
    "missingInclude", "missingIncludeSystem", "syntaxError", "unknownMacro", "internalAstError", "internalError",
    "cppcheckError", "toomanyconfigs", "noValidConfiguration", "preprocessorErrorDirective", "checkersReport",
    "unmatchedSuppression", "normalCheckLevelMaxBranches", "ctuOneDefinitionRuleViolation",
})
DEFAULT_CHECKS = ("warning", "style", "performance", "portability")


class CppcheckOracle:
    """Scan C and C++ programs with cppcheck (``--enable`` = ``checks``, ``--inconclusive`` when asked)."""

    name = "cppcheck"
    languages = frozenset({"c", "cpp"})

    def __init__(self, *, checks: Sequence[str] = DEFAULT_CHECKS, inconclusive: bool = True,
                 libraries: Sequence[str] = ("posix",), timeout: float = 600.0) -> None:
        self.checks = tuple(checks)
        self.inconclusive = inconclusive
        self.libraries = tuple(libraries)
        self.timeout = timeout

    def _args(self) -> list[str]:
        args = ["--xml", "-q", f"--enable={','.join(self.checks)}"] if self.checks else ["--xml", "-q"]
        args += [f"--library={lib}" for lib in self.libraries]
        return args + (["--inconclusive"] if self.inconclusive else [])

    def version(self) -> str:
        """cppcheck's version and the arguments that change what it reports."""
        return f"{tool_version(find_tool('cppcheck', INSTALL_HINT))}; {' '.join(self._args())}"

    def scan(self, programs: Sequence[Program]) -> dict[str, list[Finding]]:
        """One cppcheck run over the batch; findings per program key."""
        out: dict[str, list[Finding]] = {p.key: [] for p in programs}
        if not programs:
            return out
        binary = find_tool("cppcheck", INSTALL_HINT)
        with batch_folder(programs) as (folder, names):
            report = folder.parent / f"{folder.name}.cppcheck.xml"
            argv = [binary, *self._args(), f"--output-file={report}", str(folder)]
            try:
                res = proc.run(argv, cwd=folder, timeout=self.timeout, install_hint=INSTALL_HINT)
                root = _read_report(report, res)
            finally:
                report.unlink(missing_ok=True)
        for error in root.iter("error"):
            location = error.find("location")
            if location is None or error.get("id") in _NOT_FINDINGS:
                continue
            severity = _SEVERITY.get(error.get("severity", ""))
            key = names.get(Path(location.get("file", "")).name)
            if severity is None or key is None:
                continue
            cwe = error.get("cwe")
            out[key].append(Finding(
                tool=self.name, rule=error.get("id", ""), cwe=try_canonical_cwe(cwe) if cwe else None,
                line=clamp_line(_int(location.get("line"))), severity=severity,
                message=error.get("msg", "").strip()))
        return out


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _read_report(report: Path, res: proc.ProcResult) -> ET.Element:
    if res.timed_out:
        raise ToolError("cppcheck timed out", tool="cppcheck", stderr=res.stderr)
    try:
        root = ET.fromstring(report.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ET.ParseError):
        root = None
    if res.returncode != 0 or root is None:
        raise ToolError(f"cppcheck exited {res.returncode} without an XML report", tool="cppcheck",
                        stderr=res.stderr[-4000:] or res.stdout[-4000:])
    return root
