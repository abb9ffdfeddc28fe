"""semgrep as an Oracle, with CodeShield's rules (as shipped in the installed ``codeshield`` package) and ours.

Rules:

- CodeShield (Meta's Insecure Code Detector, ``pip install codeshield``): the per-language rule bundles it
  generates for itself, ``insecure_code_detector/rules/semgrep/_generated_/<language>_<usecase>.json``. They are
  read from the installed package, never copied. ``usecase="codeshield"`` (the default, CodeShield's own choice)
  leaves out the noisier rules that ``"cyberseceval"`` (the set CyberSecEval scores with) adds: hard-coded
  secrets, fixed seeds and nonces, JavaScript timing comparisons; on the builtin set it has the same recall with
  fewer false alarms (docs/oracles.md).
  Bundles used: Python, C, JavaScript and Java. The C bundle declares ``languages: [cpp, c]`` and the C++ bundle
  is byte-for-byte the same file, so the C bundle covers C++. semgrep 1.182 rejects one rule of the Java bundle
  (``ssrf_insecure_patterns``: its pattern ``import java.net.URL`` lacks the semicolon Java's grammar needs)
  and a rejected rule fails the whole call, so the Java bundle is loaded, the rules in ``REJECTED_RULES``
  dropped, and the rest written to a file in the user cache named by the bundle's hash (``java_bundle``).
  CodeShield has no Go or Ruby semgrep rules.
- treeplay's pack, ``treeplay/oracles/rules/*.yaml``: general patterns for CWEs of the builtin set and SecCodePLT
  that neither bandit nor CodeShield catch, and the whole semgrep coverage of Go and Ruby. Its rule ids start
  with ``treeplay-`` and a language tag (``py``, ``js``, ``c``, ``cpp``, ``go``, ``java``, ``rb``).

One ``semgrep scan`` covers the whole batch (start-up costs 2-4 s; each file ~3 ms with CodeShield's rules,
~10 ms with treeplay's taint rules added). Every call passes
``--metrics off --disable-version-check``: without the second flag semgrep waits ~95 s for a network time-out on
an offline machine. ``--disable-nosem`` makes ``# nosemgrep`` comments powerless, so generated code cannot
silence the oracle. The CWE comes from rule metadata (``cwe_id``, else the first ``CWE-n`` in ``cwe``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from treeplay.data.cwe import try_canonical_cwe
from treeplay.errors import ToolError, ToolMissingError
from treeplay.oracles import proc
from treeplay.oracles.analyzer_tools import (
    batch_folder,
    clamp_line,
    files_digest,
    find_tool,
    tool_version,
    write_rule_file,
)
from treeplay.oracles.base import Program
from treeplay.records import Finding

INSTALL_HINT = "pip install 'semgrep==1.182.0' (or pip install 'treeplay[oracles]')"
CODESHIELD_HINT = "pip install 'codeshield==1.0.1' (or pip install 'treeplay[oracles]')"
USECASES = ("codeshield", "cyberseceval")
DATAFLOW_PACKS = ("default", "paper")  # treeplay.oracles.dataflow.PACKS, known without importing it
RULES_DIR = Path(__file__).resolve().parent / "rules"

# CodeShield bundles used as shipped, one per language family (the C bundle also covers C++).
_CODESHIELD_LANGUAGES = ("python", "c", "javascript")
# Rules of CodeShield's Java bundle that semgrep 1.182 refuses to load (one bad rule fails the whole call),
# with the reason; they are dropped from the copy of the bundle treeplay passes to semgrep.
REJECTED_RULES = {
    "ssrf_insecure_patterns": "pattern 'import java.net.URL' has no semicolon: semgrep's Java parser rejects it",
}
# Semgrep's own levels and the newer ones some rules use.
_SEVERITY = {"ERROR": "high", "CRITICAL": "high", "HIGH": "high", "WARNING": "medium", "MEDIUM": "medium",
             "INFO": "low", "LOW": "low", "INVENTORY": "low", "EXPERIMENT": "low"}
_CWE = re.compile(r"CWE[-_ ]?(\d+)", re.IGNORECASE)
# No telemetry, no update check, wherever semgrep looks for these settings.
_ENV_OFF = {"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}


def codeshield_rules(usecase: str = "codeshield") -> list[Path]:
    """CodeShield's semgrep rule bundles in the installed package (found without importing it).

    Python, C (also C++) and JavaScript as shipped; Java as a filtered copy (see ``java_bundle``).
    """
    if usecase not in USECASES:
        raise ValueError(f"usecase must be one of {USECASES}, got {usecase!r}")
    folder = codeshield_root() / "semgrep" / "_generated_"
    paths = [folder / f"{lang}_{usecase}.json" for lang in (*_CODESHIELD_LANGUAGES, "java")]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise ToolMissingError(f"CodeShield's rule bundle {missing[0]} is missing", tool="codeshield",
                               fix=f"reinstall it: {CODESHIELD_HINT}")
    return paths[:-1] + [java_bundle(paths[-1])]


def codeshield_root() -> Path:
    """The ``insecure_code_detector/rules`` folder of the installed ``codeshield`` package."""
    spec = importlib.util.find_spec("codeshield")
    if spec is None or not spec.submodule_search_locations:
        raise ToolMissingError("the 'codeshield' package (CodeShield's semgrep rules) is not installed",
                               tool="codeshield", fix=CODESHIELD_HINT)
    return Path(list(spec.submodule_search_locations)[0]) / "insecure_code_detector" / "rules"


def java_bundle(source: Path) -> Path:
    """CodeShield's Java bundle without ``REJECTED_RULES``, written once to a file named by its hash.

    The file lives in the user cache (``treeplay.config.user_cache_dir``), else the temporary folder; the
    hash of the source bundle names it, so a new CodeShield version writes a new file and identical
    processes share one. It is written atomically (temporary file, then rename).
    """
    raw = source.read_bytes()
    digest = hashlib.sha256(raw + repr(sorted(REJECTED_RULES)).encode()).hexdigest()[:16]
    data = json.loads(raw)
    data["rules"] = [r for r in data.get("rules", []) if r.get("id") not in REJECTED_RULES]
    return write_rule_file(f"codeshield-{source.stem}-{digest}.json", json.dumps(data).encode())


def treeplay_rules() -> list[Path]:
    """treeplay's own rule files (shipped as package data)."""
    return sorted(RULES_DIR.glob("*.yaml"))


class SemgrepOracle:
    """Scan Python, C, C++, JavaScript, Go, Java and Ruby programs with semgrep.

    ``codeshield`` and ``own_rules`` switch the two rule sets; ``dataflow`` adds a pack of
    ``treeplay.oracles.dataflow`` ("default", "paper", or None for none); ``usecase`` picks CodeShield's bundle;
    ``jobs`` is semgrep's ``-j`` (None: its default, the number of cores). ``name`` is the analyzer's name (the
    cache key and the findings' ``tool``): ``codeql-compat`` is this class with the "paper" pack alone.
    """

    name = "semgrep"
    languages = frozenset({"python", "c", "cpp", "javascript", "go", "java", "ruby"})

    def __init__(self, *, codeshield: bool = True, own_rules: bool = True, usecase: str = "codeshield",
                 dataflow: str | None = "default", jobs: int | None = None, timeout: float = 600.0,
                 name: str = "semgrep") -> None:
        if not (codeshield or own_rules or dataflow):
            raise ValueError("semgrep needs at least one rule set")
        if dataflow is not None and dataflow not in DATAFLOW_PACKS:
            raise ValueError(f"dataflow must be one of {DATAFLOW_PACKS} or None, got {dataflow!r}")
        self.name = name
        self.dataflow = dataflow
        if usecase not in USECASES:
            raise ValueError(f"usecase must be one of {USECASES}, got {usecase!r}")
        self.codeshield = codeshield
        self.own_rules = own_rules
        self.usecase = usecase
        self.jobs = jobs
        self.timeout = timeout

    def rule_files(self) -> list[Path]:
        """Every rule file passed to semgrep, CodeShield's first."""
        files = codeshield_rules(self.usecase) if self.codeshield else []
        files += treeplay_rules() if self.own_rules else []
        if self.dataflow:
            from treeplay.oracles.dataflow import rule_file
            files.append(rule_file(self.dataflow))
        return files

    def version(self) -> str:
        """semgrep's version and a hash of every rule file."""
        # `semgrep --version` alone waits ~95 s for an update check when offline.
        ver = tool_version(find_tool("semgrep", INSTALL_HINT), package="semgrep",
                           args=("--version", "--disable-version-check"), env=_ENV_OFF)
        return f"semgrep {ver}; rules {files_digest(self.rule_files())}"

    def scan(self, programs: Sequence[Program]) -> dict[str, list[Finding]]:
        """One semgrep run over the batch; findings per program key."""
        out: dict[str, list[Finding]] = {p.key: [] for p in programs}
        if not programs:
            return out
        binary = find_tool("semgrep", INSTALL_HINT)
        configs = [arg for path in self.rule_files() for arg in ("--config", str(path))]
        with batch_folder(programs) as (folder, names):
            report = folder.parent / f"{folder.name}.semgrep.json"
            argv = [binary, "scan", "--metrics", "off", "--disable-version-check", "--disable-nosem",
                    "--no-rewrite-rule-ids", "--no-git-ignore", "--x-ignore-semgrepignore-files", "--quiet",
                    *configs, "--json", "--output", str(report)]
            if self.jobs:
                argv += ["--jobs", str(self.jobs)]
            argv.append(str(folder))
            try:
                res = proc.run(argv, cwd=folder, timeout=self.timeout, env=_environment(),
                               install_hint=INSTALL_HINT)
                data = _read_report(report, res)
            finally:
                report.unlink(missing_ok=True)
        for item in data.get("results", []):
            key = names.get(Path(str(item.get("path", ""))).name)
            if key is not None:
                out[key].append(_finding(item, self.name))
        return out


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(_ENV_OFF)
    return env


def _read_report(report: Path, res: proc.ProcResult) -> dict[str, Any]:
    # Exit 0 (or 1 with findings under --error) with a JSON report is success; a target that does not parse
    # is listed in "errors" but is not a tool failure. Anything else (bad rule, crash, time-out) is.
    if res.timed_out:
        raise ToolError("semgrep timed out", tool="semgrep", stderr=res.stderr)
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        data = None
    if res.returncode not in (0, 1) or not isinstance(data, dict):
        messages = [str(e.get("message", ""))[:500] for e in (data or {}).get("errors", [])]
        raise ToolError(f"semgrep exited {res.returncode}" + (f": {messages[0]}" if messages else ""),
                        tool="semgrep", stderr=res.stderr[-4000:] or "\n".join(messages))
    return data


def _finding(item: dict[str, Any], tool: str = "semgrep") -> Finding:
    extra = item.get("extra") or {}
    meta = extra.get("metadata") or {}
    return Finding(tool=tool, rule=str(item.get("check_id", "")), cwe=rule_cwe(meta),
                   line=clamp_line((item.get("start") or {}).get("line")),
                   severity=_SEVERITY.get(str(extra.get("severity", "")).upper(), "medium"),
                   message=" ".join(str(extra.get("message", "")).split()))


def rule_cwe(meta: dict[str, Any]) -> str | None:
    """The canonical CWE of a semgrep rule from its metadata (``cwe_id`` first, then ``cwe``)."""
    for value in (meta.get("cwe_id"), meta.get("cwe")):
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None:
            continue
        match = _CWE.search(str(value))
        if match:
            return try_canonical_cwe(match.group(1))
    return None
