"""The sandbox's own Python environment and its unprivileged user (built by ``make setup``).

Sandboxed programs run as an unprivileged user that cannot read root's home, where the project's virtual
environment lives, so they get their own environment, built from Debian's system Python in a folder that user
can read, holding the packages that task tests import. ``python -m treeplay.oracles.sandbox_env --setup``
builds it once; later calls only read a stamp (a fraction of a second).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from treeplay.errors import ToolError, ToolMissingError
from treeplay.oracles import proc

SANDBOX_USER = "treeplay-sandbox"
BASE_PYTHON = "/usr/bin/python3.11"  # Debian's: readable by the sandbox user, unlike a venv under /root
ENV_PACKAGES = ("defusedxml", "numpy", "sympy", "lxml", "requests", "pyyaml", "pytest", "PyJWT", "argon2-cffi",
                "pycryptodome", "wrapt-timeout-decorator")
# What CWEval's JavaScript tasks require (versions pinned where newer releases break its tests), and the ReDoS
# checker its CWE-1333 tests call. Installed into <env>/node_modules; sandboxed node finds them via NODE_PATH.
NODE_PACKAGES = ("escape-html", "node-rsa@1.1.1", "argon2@0.41.1", "escape-string-regexp", "lodash", "js-yaml",
                 "jsonwebtoken", "jsdom", "xpath", "sqlite3", "recheck-linux-x64")


def sandbox_env_dir() -> Path:
    """The sandbox's Python environment: $TREEPLAY_SANDBOX_ENV, else a folder the sandbox user can read."""
    if os.environ.get("TREEPLAY_SANDBOX_ENV"):
        return Path(os.environ["TREEPLAY_SANDBOX_ENV"])
    if os.geteuid() == 0:
        return Path("/opt/treeplay/sandbox-py")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "treeplay" / "sandbox-py"


def ensure_sandbox_env(packages: Sequence[str] = ENV_PACKAGES, *, base_python: str = BASE_PYTHON,
                       node_packages: Sequence[str] | None = None) -> Path:
    """Build (once) the environment that sandboxed programs run in; returns its Python interpreter.

    It holds a Python virtual environment with ``packages`` and, when npm is installed, ``node_modules`` with
    ``node_packages`` (default ``NODE_PACKAGES``). Idempotent: stamp files record what was installed, so a second
    call only reads them. Installing needs the package registries. As root it also creates the sandbox user.
    """
    target = sandbox_env_dir()
    python, stamp = target / "bin" / "python", target / ".treeplay-env.json"
    wanted = json.dumps({"base_python": base_python, "packages": sorted(packages)})
    if not (python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted):
        _build_python_env(target, python, stamp, wanted, packages, base_python)
    _ensure_node_modules(target, NODE_PACKAGES if node_packages is None else node_packages)
    return python


def _build_python_env(target: Path, python: Path, stamp: Path, wanted: str, packages: Sequence[str],
                      base_python: str) -> None:
    if not Path(base_python).exists():
        raise ToolMissingError(f"{base_python} is missing: the sandbox's Python environment is built from it",
                               tool="python3.11", fix="apt-get install python3.11 python3.11-venv")
    if os.geteuid() == 0:
        _sandbox_ids()
    old_umask = os.umask(0o022)  # everything must stay readable by the sandbox user
    try:
        stamp.unlink(missing_ok=True)  # a crash below leaves no stamp, so the next call rebuilds
        for argv, what in (([base_python, "-m", "venv", "--clear", str(target)], "venv"),
                           ([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages],
                            "pip install")):
            res = proc.run(argv, timeout=1800, install_hint="apt-get install python3.11-venv")
            if not res.ok:
                raise ToolError(f"building the sandbox environment failed ({what})", tool=what,
                                stderr=res.stderr, fix="check the package registry, then run `make setup` again")
        _write_stamp(stamp, wanted)
    finally:
        os.umask(old_umask)


def _ensure_node_modules(target: Path, node_packages: Sequence[str]) -> None:
    """Install the node packages JavaScript tasks require into ``<target>/node_modules`` (once).

    A failure here is a warning, not an error: Python and C tasks do not need these, and JavaScript tasks that
    require a missing package fail their tests visibly. The next ``make setup`` tries again.
    """
    if not node_packages:
        return
    stamp = target / "node_modules" / ".treeplay-node.json"
    wanted = json.dumps(sorted(node_packages))
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return
    if shutil.which("npm") is None:
        print("treeplay: warning: npm is not installed, so the sandbox has no node modules (JavaScript tasks that "
              "require packages will fail); install npm and run `make setup` again", file=sys.stderr)
        return
    env = dict(os.environ)
    if Path("/usr/include/node/node.h").exists():  # native modules build against the system's headers, offline
        env.setdefault("npm_config_nodedir", "/usr")
    old_umask = os.umask(0o022)
    try:
        res = proc.run(["npm", "install", "--prefix", str(target), "--no-audit", "--no-fund", "--no-save",
                        *node_packages], timeout=1800, env=env, install_hint="apt-get install npm")
        if not res.ok:
            print(f"treeplay: warning: npm install for the sandbox failed; JavaScript tasks that require packages "
                  f"will fail. Last output:\n{res.stderr[-1500:]}", file=sys.stderr)
            return
        _write_stamp(stamp, wanted)
    finally:
        os.umask(old_umask)


def _write_stamp(stamp: Path, content: str) -> None:
    tmp = stamp.with_suffix(".tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.rename(stamp)


def _sandbox_ids() -> tuple[int, int]:
    """uid and gid of the unprivileged sandbox user (root only); created when missing, else ``nobody``."""
    try:
        pwd.getpwnam(SANDBOX_USER)
    except KeyError:
        with suppress(ToolError):  # no useradd, or a parallel process won the race: looked up again below
            proc.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                      "--shell", "/usr/sbin/nologin", SANDBOX_USER], timeout=60)
    try:
        entry = pwd.getpwnam(SANDBOX_USER)
    except KeyError:
        return 65534, 65534
    return entry.pw_uid, entry.pw_gid


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m treeplay.oracles.sandbox_env --setup``: build the sandbox's Python environment (idempotent)."""
    parser = argparse.ArgumentParser(prog="python -m treeplay.oracles.sandbox_env")
    parser.add_argument("--setup", action="store_true", required=True, help="build the environment if needed")
    parser.parse_args(argv)
    start = time.monotonic()
    try:
        python = ensure_sandbox_env()
    except ToolError as err:
        print(f"treeplay: error: {err}\nfix: {err.fix}\n{err.stderr[-2000:]}", file=sys.stderr)
        return 3
    print(f"sandbox environment ready: {python} ({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
