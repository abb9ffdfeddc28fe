"""bandit, the Python security linter, as an Oracle: one ``bandit -r`` over a folder holding the whole batch.

CWE ids come from bandit's own ``issue_cwe`` metadata (canonicalised); severity is bandit's issue severity
(LOW/MEDIUM/HIGH), except for the tests in ``SEVERITY_OVERRIDES``. ``# nosec`` comments are ignored
(``--ignore-nosec``): a model trained against this oracle must not be able to silence it by writing a comment.

Tests skipped by default (``DEFAULT_SKIP``) are those a treeplay semgrep rule replaces with a narrower pattern:
bandit flags every ``eval``/``exec`` (B307, B102), every SQL-looking string built by formatting (B608), every shell
command that is not a constant (B605) and every unpickling (B301), including the usual fixes.
``treeplay-py-code-eval`` and ``treeplay-py-sql-string-formatted`` flag the same calls and strings but spare code
checked first (a syntax tree walked against an allow-list, a full match on digits and operators) and strings that
cannot carry SQL (f-strings with nothing interpolated, constants concatenated, "?" placeholders);
``treeplay-py-shell-command-string`` spares shell commands whose words were all checked against an allow-list or
quoted; ``treeplay-py-pickle-deserialization`` spares a value pickled and loaded back in the same function and a
shelf opened with flag "n" (always new and empty). (semgrep also drops CodeShield's rules for the same calls:
``semgrep.REPLACED_RULES``.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from treeplay.data.cwe import try_canonical_cwe
from treeplay.errors import ToolError
from treeplay.oracles import proc
from treeplay.oracles.analyzer_tools import batch_folder, clamp_line, find_tool, tool_version
from treeplay.oracles.base import DEFAULT_SEVERITY, SEVERITIES, Program, severity_at_least
from treeplay.records import Finding

INSTALL_HINT = "pip install 'bandit>=1.7' (or pip install 'treeplay[oracles]')"

# Replaced by treeplay's semgrep rules (see the module docstring): exec, eval, unpickling, shell commands and SQL
# strings built by formatting.
DEFAULT_SKIP = ("B102", "B301", "B307", "B605", "B608")
# Tests whose finding is not a weakness in itself on a current Python, reported as low (below the default threshold):
# - B113, a request without a time-out: a robustness problem (a hung call), not an exploitable one.
# - B313-B319, the standard library's XML parsers: since Python 3.7.1 they resolve no external entities and fetch
#   no DTDs, and expat 2.4.1 and newer (pyexpat.EXPAT_VERSION) limits entity expansion ("billion laughs"). lxml
#   (B320) and parsers configured to resolve entities (treeplay-py-xml-external-entities) stay flagged.
# - B402, ``import ftplib``: the module also holds FTP_TLS; a plaintext ``ftplib.FTP`` call is B321 (high) on its
#   own, and FTP_TLS without a certificate check is treeplay-py-starttls-without-context.
SEVERITY_OVERRIDES = {"B113": "low", "B313": "low", "B314": "low", "B315": "low", "B316": "low", "B317": "low",
                      "B318": "low", "B319": "low", "B402": "low"}


class BanditOracle:
    """Scan Python programs with bandit.

    ``severity`` and ``confidence`` are the lowest bandit issue severity / confidence reported (low, medium,
    high); the default keeps medium-severity issues and up at any confidence. ``skip`` lists bandit test ids
    to leave out (default ``DEFAULT_SKIP``; for example add ``"B101"`` for ``assert``). ``severities`` maps test
    ids to the severity reported for them (default ``SEVERITY_OVERRIDES``), before the ``severity`` filter.
    """

    name = "bandit"
    languages = frozenset({"python"})

    def __init__(self, *, severity: str = DEFAULT_SEVERITY, confidence: str = "low",
                 skip: Sequence[str] = DEFAULT_SKIP, severities: Mapping[str, str] | None = None,
                 timeout: float = 600.0) -> None:
        severities = dict(SEVERITY_OVERRIDES if severities is None else severities)
        for value in (severity, confidence, *severities.values()):
            if value not in SEVERITIES:
                raise ValueError(f"expected one of {SEVERITIES}, got {value!r}")
        self.severity = severity
        self.confidence = confidence
        self.skip = tuple(skip)
        self.severities = severities
        self.timeout = timeout

    def _binary(self) -> str:
        return find_tool("bandit", INSTALL_HINT)

    def version(self) -> str:
        """bandit's version and the settings that change what it reports."""
        ver = tool_version(self._binary(), package="bandit")
        overrides = ",".join(f"{test}={sev}" for test, sev in sorted(self.severities.items()))
        return (f"bandit {ver}; severity>={self.severity}; confidence>={self.confidence}; skip={','.join(self.skip)}; "
                f"severities={overrides}")

    def scan(self, programs: Sequence[Program]) -> dict[str, list[Finding]]:
        """One bandit run over the batch; findings per program key."""
        out: dict[str, list[Finding]] = {p.key: [] for p in programs}
        if not programs:
            return out
        binary = self._binary()
        with batch_folder(programs) as (folder, names):
            report = folder.parent / f"{folder.name}.bandit.json"
            argv = [binary, "-r", str(folder), "-f", "json", "-o", str(report), "-q", "--ignore-nosec"]
            if self.skip:
                argv += ["--skip", ",".join(self.skip)]
            try:
                res = proc.run(argv, cwd=folder, timeout=self.timeout, install_hint=INSTALL_HINT)
                data = _read_report(report, res)
            finally:
                report.unlink(missing_ok=True)
        for item in data.get("results", []):
            key = names.get(Path(str(item.get("filename", ""))).name)
            if key is None:
                continue
            finding = self._finding(item)
            if finding is not None:
                out[key].append(finding)
        return out

    def _finding(self, item: dict[str, Any]) -> Finding | None:
        severity = str(item.get("issue_severity", "LOW")).lower()
        confidence = str(item.get("issue_confidence", "LOW")).lower()
        severity = severity if severity in SEVERITIES else "low"
        severity = self.severities.get(str(item.get("test_id", "")), severity)
        confidence = confidence if confidence in SEVERITIES else "low"
        if not (severity_at_least(severity, self.severity) and severity_at_least(confidence, self.confidence)):
            return None
        cwe_id = (item.get("issue_cwe") or {}).get("id")
        return Finding(tool=self.name, rule=str(item.get("test_id", "")),
                       cwe=try_canonical_cwe(cwe_id) if cwe_id else None,
                       line=clamp_line(item.get("line_number")), severity=severity,
                       message=str(item.get("issue_text", "")).strip())


def _read_report(report: Path, res: proc.ProcResult) -> dict[str, Any]:
    # bandit exits 1 when it found issues; only a missing or unreadable report means it failed. Files that
    # do not parse are listed under "errors" in a good report: broken code is not a tool failure.
    if res.timed_out:
        raise ToolError("bandit timed out", tool="bandit", stderr=res.stderr)
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise ToolError(f"bandit exited {res.returncode} without a JSON report", tool="bandit",
                        stderr=res.stderr[-4000:], fix="run bandit by hand on one file to see why") from None
    if not isinstance(data, dict):
        raise ToolError("bandit wrote a report that is not a JSON object", tool="bandit", stderr=res.stderr)
    return data
