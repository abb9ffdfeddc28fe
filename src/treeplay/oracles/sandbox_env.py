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
    ``node_packages`` (default ``NODE_PACKAGES``; without npm none, with a warning). Idempotent: a stamp file
    records what was installed, so a second call only reads it. Installing needs the package registries. As
    root it also creates the sandbox user.
    """
    target = sandbox_env_dir()
    python, stamp = target / "bin" / "python", target / ".treeplay-env.json"
    if node_packages is None:
        node_packages = NODE_PACKAGES if shutil.which("npm") else ()
        if not node_packages:
            print("treeplay: warning: npm is not installed: the sandbox gets no node modules (JavaScript tasks "
                  "that require packages will fail); install npm and run `make setup` again", file=sys.stderr)
    wanted = json.dumps({"base_python": base_python, "packages": sorted(packages),
                         "node_packages": sorted(node_packages)})
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return python
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
                            "pip install"),
                           *([(["npm", "install", "--prefix", str(target), "--no-audit", "--no-fund",
                                "--no-save", *node_packages], "npm install")] if node_packages else [])):
            res = proc.run(argv, timeout=1800, install_hint="apt-get install python3.11-venv")
            if not res.ok:
                raise ToolError(f"building the sandbox environment failed ({what})", tool=what,
                                stderr=res.stderr, fix="check the package registry, then run `make setup` again")
        stamp.with_suffix(".tmp").write_text(wanted, encoding="utf-8")
        stamp.with_suffix(".tmp").rename(stamp)
    finally:
        os.umask(old_umask)
    return python


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
