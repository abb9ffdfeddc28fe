"""``go vet`` as an Oracle for Go: one ``go list`` and one ``go vet -json`` over a folder holding the whole batch.

go vet works on packages, so each program is written as the only file of its own package,
``<GOPATH>/src/p<index>/main.go``, in a temporary GOPATH (module mode off, ``GO111MODULE=off``; Debian's
``/usr/share/gocode`` is added when it exists, so libraries installed as golang-*-dev packages resolve). Code models
write snippets that import packages this machine does not have (gin, gorilla/mux, lib/pq): ``go vet`` stops
the whole run when one package's imports are missing, so ``go list -e`` first finds the packages whose imports
do not resolve and those programs get no vet findings (semgrep still scans them). A program that does not
parse or type-check is reported by vet as ``vet: <file>: <error>`` and also gets no findings: broken code is
a verdict, not a tool failure. A crash of go itself (panic, unknown output, time-out) is a ``ToolError``.

Findings: vet's analyzers report correctness bugs, most without a security weakness behind them, so only the
ones with an honest CWE get one (and medium severity where the bug is exploitable); the rest are low with no
CWE. The environment is fixed so results do not depend on the user's Go settings: no network
(``GOPROXY=off``, ``GOFLAGS`` empty, ``CGO_ENABLED=0``), and a build cache in treeplay's user cache
(``go-build``; the first run fills it with the standard library's export data, later runs reuse it).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from treeplay.data.cwe import try_canonical_cwe
from treeplay.errors import ToolError
from treeplay.oracles import proc
from treeplay.oracles.analyzer_tools import clamp_line, find_tool, tool_version
from treeplay.oracles.base import Program
from treeplay.records import Finding
from treeplay.userdirs import user_cache_dir

INSTALL_HINT = "apt-get install golang-go (Debian/Ubuntu), brew install go (macOS), or see go.dev/doc/install"
# vet analyzer -> (CWE, severity). Analyzers not listed: no CWE, low.
ANALYZER_CWE: dict[str, tuple[str | None, str]] = {
    "httpresponse": ("CWE-476", "medium"),  # resp used before err is checked: nil dereference on failure
    "lostcancel": ("CWE-772", "low"),       # context never cancelled: goroutines and timers leak
    "copylocks": ("CWE-667", "low"),        # a copied mutex no longer guards the original's data
    "atomic": ("CWE-362", "low"),           # x = atomic.AddInt64(&x, 1) is a non-atomic store
    "shift": ("CWE-1335", "low"),           # shift count >= width of the type
    "unsafeptr": ("CWE-119", "low"),        # uintptr -> unsafe.Pointer: the GC may move or free the object
}
_POSITION = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?$")
_SYSTEM_GOPATH = ("/usr/share/gocode",)
_BATCH_PACKAGE = re.compile(r"\bp\d{5}\.")  # "p00020.S": the batch folder's name, not the program's
_CRASH = re.compile(r"^(panic:|fatal error:|runtime error:|go: |internal compiler error)", re.MULTILINE)


class GovetOracle:
    """Scan Go programs with ``go vet`` (all default analyzers)."""

    name = "govet"
    languages = frozenset({"go"})

    def __init__(self, *, timeout: float = 600.0) -> None:
        self.timeout = timeout

    def version(self) -> str:
        """``go version`` and the CWE table (both change what is reported)."""
        ver = tool_version(find_tool("go", INSTALL_HINT), args=("version",))
        return f"{ver}; cwe {sorted(ANALYZER_CWE.items())}"

    def scan(self, programs: Sequence[Program]) -> dict[str, list[Finding]]:
        """One ``go list`` and one ``go vet`` over the batch; findings per program key."""
        out: dict[str, list[Finding]] = {p.key: [] for p in programs}
        if not programs:
            return out
        binary = find_tool("go", INSTALL_HINT)
        with tempfile.TemporaryDirectory(prefix="treeplay-govet-") as tmp:
            src = Path(tmp) / "src"
            names: dict[str, str] = {}
            for index, prog in enumerate(programs):
                folder = src / f"p{index:05d}"
                folder.mkdir(parents=True)
                (folder / "main.go").write_text(prog.code, encoding="utf-8")
                names[folder.name] = prog.key
            env = _environment(Path(tmp))
            good = self._resolvable(binary, src, env, names)
            if not good:
                return out
            res = proc.run([binary, "vet", "-json", *(f"./{name}" for name in good)], cwd=src,
                           timeout=self.timeout, env=env, install_hint=INSTALL_HINT)
        for package, findings in _parse_vet(res, set(good)).items():
            out[names[package]].extend(findings)
        return out

    def _resolvable(self, binary: str, src: Path, env: dict[str, str], names: dict[str, str]) -> list[str]:
        """Packages whose imports all resolve (``go vet`` would stop the whole run on the others)."""
        res = proc.run([binary, "list", "-e", "-f", "{{.ImportPath}}\t{{.Incomplete}}", "./..."], cwd=src,
                       timeout=self.timeout, env=env, install_hint=INSTALL_HINT)
        if not res.ok:
            raise ToolError(f"go list exited {res.returncode}", tool=self.name, stderr=res.stderr[-4000:])
        good = []
        for line in res.stdout.splitlines():
            package, _, incomplete = line.partition("\t")
            if package in names and incomplete.strip() == "false":
                good.append(package)
        return sorted(good)


def _environment(gopath: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("GOFLAGS", "GOROOT", "GOWORK", "GOENV"):
        env.pop(name, None)
    # Debian's golang-*-dev packages put library sources here: programs importing them can be type-checked.
    paths = [str(gopath)] + [d for d in _SYSTEM_GOPATH if Path(d).is_dir()]
    env.update(GO111MODULE="off", GOPATH=os.pathsep.join(paths), GOFLAGS="", GOPROXY="off", GOSUMDB="off",
               CGO_ENABLED="0", GOTOOLCHAIN="local", GOCACHE=str(_build_cache()), GOENV="off")
    return env


def _build_cache() -> Path:
    for folder in (user_cache_dir() / "go-build", Path(tempfile.gettempdir()) / "treeplay-go-build"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK):
                return folder
        except OSError:
            continue
    raise ToolError("no writable folder for go's build cache", tool="govet")


def _parse_vet(res: proc.ProcResult, packages: set[str]) -> dict[str, list[Finding]]:
    """Findings per package from ``go vet -json`` output (all on stderr: "# pkg" then JSON or "vet: ...")."""
    # Exit 0: clean; 1/2: findings printed or some package did not type-check. Anything else, or text that
    # is neither a package header, a JSON report nor a vet diagnostic, means go itself failed.
    if res.timed_out:
        raise ToolError("go vet timed out", tool="govet", stderr=res.stderr[-4000:])
    text = res.stderr + "\n" + res.stdout
    if res.returncode not in (0, 1, 2) or _CRASH.search(text):
        raise ToolError(f"go vet exited {res.returncode}", tool="govet", stderr=text[-4000:])
    found: dict[str, list[Finding]] = {}
    decoder = json.JSONDecoder()
    pos = 0
    while pos < len(text):
        if text[pos] == "{":
            try:
                report, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as err:
                raise ToolError("go vet printed malformed JSON", tool="govet", stderr=text[-4000:]) from err
            _collect(report, packages, found)
            continue
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end].strip()
        if line and not line.startswith(("#", "vet:", "}")) and not text[pos].isspace():
            # a type-check error of a package without "vet:" prefix (older Go), else unknown output
            if not _POSITION.match(line.split(": ", 1)[0]):
                raise ToolError(f"unexpected go vet output: {line[:200]}", tool="govet", stderr=text[-4000:])
        pos = end + 1
    return found


def _collect(report: dict[str, Any], packages: set[str], found: dict[str, list[Finding]]) -> None:
    for package, analyzers in report.items():
        if package not in packages or not isinstance(analyzers, dict):
            continue
        for analyzer, diagnostics in analyzers.items():
            cwe, severity = ANALYZER_CWE.get(analyzer, (None, "low"))
            for diag in diagnostics if isinstance(diagnostics, list) else []:
                where = _POSITION.match(str(diag.get("posn", "")))
                line = int(where.group("line")) if where else None
                found.setdefault(package, []).append(Finding(
                    tool="govet", rule=analyzer, cwe=try_canonical_cwe(cwe) if cwe else None,
                    line=clamp_line(line), severity=severity,
                    message=_BATCH_PACKAGE.sub("", " ".join(str(diag.get("message", "")).split()))))
