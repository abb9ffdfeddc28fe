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

One ``semgrep scan`` covers the whole batch (see "Speed" below for its cost). Every call passes
``--metrics off --disable-version-check``: without the second flag semgrep waits ~95 s for a network time-out on
an offline machine. ``--disable-nosem`` makes ``# nosemgrep`` comments powerless, so generated code cannot
silence the oracle. The CWE comes from rule metadata (``cwe_id``, else the first ``CWE-n`` in ``cwe``).

Speed (docs/oracles.md, "Speed"): a call costs ~1.3 s to start and ~10 ms per Python file (~3 ms per C or
JavaScript file), most of it the taint (dataflow) rules. Two things are done for it, neither changes a finding:

- The rule files are passed as one file (``merged_rule_file``: all their rules in one JSON file, written once
  per content hash to the user cache). semgrep validates each ``--config`` in a process of its own and parses
  YAML slowly: with the 16 files a call took 3.2-3.6 s to start, with the one file 1.3-1.6 s. A YAML file that
  PyYAML (YAML 1.1) might read otherwise than semgrep (YAML 1.2) does, or that does not parse, is not merged:
  the files are then passed as they are, as before.
- semgrep runs one worker per usable core in its fork-based parallel mode (``--jobs N --x-parmap``; ``--jobs 1``
  on one core). Its default multicore mode (OCaml domains, what it does without ``--jobs`` or with ``--jobs N``
  alone) used 1.4-2.5x the CPU time of one thread and scanned 1,000 programs no faster on 2 cores; the forked
  workers use the CPU time of one thread and take 0.63x its wall time. Two semgrep processes on halves of the
  batch took 0.75x, for 1.35x the CPU time (each pays the start-up). ``--x-parmap`` is one of semgrep's
  experimental options: the pinned semgrep (1.182) has it (a semgrep that rejects it is called again without
  it); findings are the same as on one thread, in the same order.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

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
# Rules of CodeShield's bundles that a treeplay rule replaces when treeplay's rules run, per bundle: the same calls,
# minus the usual fixes (code or commands checked against an allow-list, or quoted, before they run; a path
# resolved and checked against its root before it is opened). They are dropped from a copy of the bundle; without
# treeplay's rules the bundles are used as shipped.
REPLACED_RULES = {
    "python": {
        "insecure-eval-use": "treeplay-py-code-eval",
        "insecure-exec-use": "treeplay-py-code-eval",
        "insecure-os-system-use": "treeplay-py-shell-command-string",
        "insecure-os-popen-use": "treeplay-py-shell-command-string",
        "unsafe-pickle-use": "treeplay-py-pickle-deserialization",
        "unsafe-dill-use": "treeplay-py-pickle-deserialization",
        "unsafe-json-pickle-use": "treeplay-py-pickle-deserialization",
    },
    "javascript": {
        "pathtraversal-non-literal-fs-filename": "treeplay-js-path-traversal",
    },
}
# Semgrep's own levels and the newer ones some rules use.
_SEVERITY = {"ERROR": "high", "CRITICAL": "high", "HIGH": "high", "WARNING": "medium", "MEDIUM": "medium",
             "INFO": "low", "LOW": "low", "INVENTORY": "low", "EXPERIMENT": "low"}
_CWE = re.compile(r"CWE[-_ ]?(\d+)", re.IGNORECASE)
# No telemetry, no update check, wherever semgrep looks for these settings.
_ENV_OFF = {"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
MAX_JOBS = 8  # semgrep workers when ``jobs`` is None: one per usable core, at most this many


def codeshield_rules(usecase: str = "codeshield", *, replaced: bool = False) -> list[Path]:
    """CodeShield's semgrep rule bundles in the installed package (found without importing it).

    Python, C (also C++) and JavaScript as shipped; Java as a filtered copy (see ``java_bundle``); with
    ``replaced``, Python and JavaScript as copies without their ``REPLACED_RULES`` (for scans that also run
    treeplay's rules).
    """
    if usecase not in USECASES:
        raise ValueError(f"usecase must be one of {USECASES}, got {usecase!r}")
    folder = codeshield_root() / "semgrep" / "_generated_"
    paths = [folder / f"{lang}_{usecase}.json" for lang in (*_CODESHIELD_LANGUAGES, "java")]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise ToolMissingError(f"CodeShield's rule bundle {missing[0]} is missing", tool="codeshield",
                               fix=f"reinstall it: {CODESHIELD_HINT}")
    if replaced:
        paths = [filtered_bundle(path, REPLACED_RULES[lang]) if lang in REPLACED_RULES else path
                 for lang, path in zip((*_CODESHIELD_LANGUAGES, "java"), paths, strict=True)]
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
    return filtered_bundle(source, REJECTED_RULES)


def filtered_bundle(source: Path, drop: Mapping[str, str]) -> Path:
    """A copy of a CodeShield bundle without the rules named in ``drop``, written once to a file named by the hash
    of the bundle and of the names dropped."""
    raw = source.read_bytes()
    digest = hashlib.sha256(raw + repr(sorted(drop)).encode()).hexdigest()[:16]
    data = json.loads(raw)
    data["rules"] = [r for r in data.get("rules", []) if r.get("id") not in drop]
    return write_rule_file(f"codeshield-{source.stem}-{digest}.json", json.dumps(data).encode())


def treeplay_rules() -> list[Path]:
    """treeplay's own rule files (shipped as package data)."""
    return sorted(RULES_DIR.glob("*.yaml"))


class SemgrepOracle:
    """Scan Python, C, C++, JavaScript, Go, Java and Ruby programs with semgrep.

    ``codeshield`` and ``own_rules`` switch the two rule sets; ``dataflow`` adds a pack of
    ``treeplay.oracles.dataflow`` ("default", "paper", or None for none); ``usecase`` picks CodeShield's bundle;
    ``jobs`` is semgrep's ``-j`` (None: one per usable core, at most ``MAX_JOBS``), more than one in semgrep's
    fork-based parallel mode (see the module docstring). ``name`` is the analyzer's name (the
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
        files = codeshield_rules(self.usecase, replaced=self.own_rules) if self.codeshield else []
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
        files = self.rule_files()
        merged = merged_rule_file(files)
        configs = [arg for path in ([merged] if merged else files) for arg in ("--config", str(path))]
        jobs = self.jobs or _usable_cores()
        with batch_folder(programs) as (folder, names):
            report = folder.parent / f"{folder.name}.semgrep.json"
            argv = [binary, "scan", "--metrics", "off", "--disable-version-check", "--disable-nosem",
                    "--no-rewrite-rule-ids", "--no-git-ignore", "--x-ignore-semgrepignore-files", "--quiet",
                    *configs, "--json", "--output", str(report), "--jobs", str(jobs)]
            if jobs > 1:
                argv.append("--x-parmap")
            argv.append(str(folder))
            run = functools.partial(proc.run, cwd=folder, timeout=self.timeout, env=_environment(),
                                    install_hint=INSTALL_HINT)
            try:
                res = run(argv)
                if res.returncode not in (0, 1) and "x-parmap" in res.stderr:  # a semgrep without the option
                    argv.remove("--x-parmap")
                    res = run(argv)
                data = _read_report(report, res)
            finally:
                report.unlink(missing_ok=True)
        for item in data.get("results", []):
            key = names.get(Path(str(item.get("path", ""))).name)
            if key is not None:
                out[key].append(_finding(item, self.name))
        return out


def _usable_cores() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_JOBS))


# --------------------------------------------------------------------------------- one merged rule file

# The plain (unquoted) YAML scalars that YAML 1.1 (PyYAML) and YAML 1.2 (semgrep's loader) both read as the same
# non-string value; any other plain scalar PyYAML does not read as a string, and any string YAML 1.2 would read as
# something else, keeps a file from being merged.
_SAME_IN_BOTH = {
    "tag:yaml.org,2002:null": re.compile(r"~|null|Null|NULL|"),
    "tag:yaml.org,2002:bool": re.compile(r"true|True|TRUE|false|False|FALSE"),
    "tag:yaml.org,2002:int": re.compile(r"[-+]?(0|[1-9][0-9]*)"),
    "tag:yaml.org,2002:float": re.compile(r"[-+]?(\.[0-9]+|[0-9]+\.[0-9]*)([eE][-+][0-9]+)?"),
}
_NOT_A_STRING_IN_1_2 = re.compile(r"~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|"
                                  r"0x[0-9a-fA-F]+|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|"
                                  r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_STR = "tag:yaml.org,2002:str"
_LINE_BREAKS_1_1 = ("\x85", "\u2028", "\u2029")  # line breaks in YAML 1.1, plain characters in 1.2
_merged: dict[str, Path] = {}


def merged_rule_file(paths: Sequence[Path]) -> Path | None:
    """Every rule of ``paths`` (JSON or YAML rule files) in one JSON rule file, or None when one does not merge.

    The file is written once per content hash (``write_rule_file``). None when a file does not parse, has no
    ``rules`` list, or is YAML that might read differently in semgrep (see ``_yaml_rules``): the caller then passes
    the files themselves, and semgrep reports their problems as it always did.
    """
    raw = [(path, path.read_bytes()) for path in paths]
    digest = hashlib.sha256()
    for path, data in raw:
        digest.update(path.name.encode() + b"\0" + data + b"\0")
    name = f"merged-{digest.hexdigest()[:16]}.json"
    known = _merged.get(name)
    if known is not None and known.is_file():
        return known
    rules: list[Any] = []
    for path, data in raw:
        found = _json_rules(data) if path.suffix == ".json" else _yaml_rules(data)
        if found is None:
            return None
        rules += found
    try:
        text = json.dumps({"rules": rules}, allow_nan=False)
    except (TypeError, ValueError):
        return None
    try:
        _merged[name] = write_rule_file(name, text.encode())
    except ToolError:
        return None
    return _merged[name]


def _json_rules(data: bytes) -> list[Any] | None:
    try:
        doc = json.loads(data, object_pairs_hook=_unique_keys)
    except ValueError:  # not JSON, or a key repeated (semgrep may read that otherwise): left to semgrep
        return None
    rules = doc.get("rules") if isinstance(doc, dict) else None
    return rules if isinstance(rules, list) else None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({key for key, _ in pairs}) != len(pairs):
        raise ValueError("repeated key")
    return dict(pairs)


def _yaml_rules(data: bytes) -> list[Any] | None:
    """The rules of a YAML rule file, or None unless it reads the same in YAML 1.1 (PyYAML) and 1.2 (semgrep)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(c in text for c in _LINE_BREAKS_1_1):
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None or not _same_in_both(node, set()):
            return None
        doc = loader.construct_document(node)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    rules = doc.get("rules") if isinstance(doc, dict) else None
    return rules if isinstance(rules, list) else None


def _same_in_both(node: yaml.Node, seen: set[int]) -> bool:
    if id(node) in seen:
        return True
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        plain = not node.style  # None (PyYAML's Python loader) or "" (its C loader); quoted or block: strings
        if node.tag == _STR:
            return not plain or not _NOT_A_STRING_IN_1_2.fullmatch(node.value)
        same = _SAME_IN_BOTH.get(node.tag)
        return plain and same is not None and bool(same.fullmatch(node.value))
    if isinstance(node, yaml.SequenceNode):
        return all(_same_in_both(item, seen) for item in node.value)
    if isinstance(node, yaml.MappingNode):
        keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode) and key.tag == _STR]
        if len(keys) != len(node.value) or len(set(keys)) != len(keys):  # non-string or repeated keys
            return False
        return all(_same_in_both(key, seen) and _same_in_both(value, seen) for key, value in node.value)
    return False


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
