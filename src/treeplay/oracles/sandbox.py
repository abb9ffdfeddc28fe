"""Sandbox for running untrusted, model-generated code (Linux; bubblewrap 0.8 or newer, util-linux prlimit).

API (stable; the test runners code against it)::

    sb = Sandbox(Limits(wall_seconds=20))           # ToolMissingError without bubblewrap
    with sb.workdir() as work:                      # fresh folder; the only host path the program may write
        (work / "solution.py").write_text(code)     # write every input BEFORE the first run (see below)
        res = sb.run([sb.python, "-I", "x.py"], workdir=work, timeout=10)   # -> proc.ProcResult, never raises

Guaranteed for every run:

- User: as root, the program runs as the system user ``treeplay-sandbox`` (created when missing, else ``nobody``),
  since root ignores RLIMIT_NPROC and reads everything; as a normal user, as that user. bwrap itself runs
  unprivileged in a new user namespace: no capabilities, no_new_privs, no nested user namespaces.
- Namespaces (``--unshare-all``): no network (only its own loopback; abstract sockets are per namespace too), own
  pids, ipc, uts, cgroup; ``--new-session`` (no terminal injection); ``--die-with-parent``.
- Files: /usr (gcc, g++, go, node), /etc, the /bin-style links and the sandbox's Python environment are read-only; the
  work folder is the one writable host path (bound at its own path, cwd); /tmp and /dev/shm are private tmpfs of
  ``file_size_mb``; / and /dev are read-only; nothing else of the host (/root, /home, /work, /var, /sys) exists.
- Environment: from scratch (PATH, HOME = work folder, TMPDIR, LANG, one-thread math libraries) plus the caller's
  ``env``; the host's own (API keys, tokens) is never passed on.
- rlimits, set by prlimit inside: CPU (SIGXCPU, SIGKILL a second later), DATA (``memory_mb``: heap and private
  mappings fail with ENOMEM), FSIZE (``file_size_mb`` per file, captured output included), CORE 0, NPROC
  (``processes``, threads included). NPROC is set inside the new user namespace on purpose: the kernel counts it
  per namespace there, so concurrent runs do not share one budget and the user's other processes do not count.
- A memory and a pids cgroup when the host lets us nest them in our own (root on cgroup v1, a delegated v2 tree):
  ``memory_mb`` for all the run holds (tmpfs and shared memory too; beyond it the kernel kills) and ``processes``.
- RLIMIT_DATA, not RLIMIT_AS: V8 (WebAssembly, 10 GB) and AddressSanitizer (~15 TB of shadow) reserve address
  space that RLIMIT_AS refuses. ASan's shadow is a private writable mapping, so RLIMIT_DATA refuses it too:
  ``Limits(sanitizer=True)`` drops it for ASan builds, held then by the cgroup if there is one and by ASan's own
  ``hard_rss_limit_mb`` and ``malloc_limit_mb`` (ASAN_OPTIONS) otherwise.
- Time: after ``timeout`` seconds (default ``wall_seconds``) the sandbox's init gets SIGKILL, and the kernel kills
  every process of its pid namespace (daemons, double forks, setsid escapes); so too when the main program exits.
  ``run`` returns once they are gone.
- Output goes to unlinked temporary files, never to memory (so Popen here: ``proc.run`` buffers), read back up to
  ``output_bytes`` per stream. Exit codes follow subprocess: negative = killed by that signal (bwrap says 128+N;
  ``run`` maps it back, so a program exiting with 129..192 itself reads as killed).

Not guaranteed: safety from kernel exploits (no seccomp filter); total CPU of many processes (each has
``cpu_seconds``; the wall clock bounds the sum); the total size of the work folder (files are capped one by one);
shared memory beyond the tmpfs caps where no cgroup exists; secrecy of world-readable files in /usr and /etc; the
work folder's contents after a run (they are the program's, symlinks included: never write into it again). As root,
``preexec_fn`` joins the cgroups and drops to the sandbox user between fork and exec (system calls only).
``unsafe_no_sandbox=True`` keeps only the timeout, the rlimits except NPROC, the process-group kill, the output cap
and the fresh environment: for trusted code.
"""

from __future__ import annotations

import copy
import itertools
import os
import pwd
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from treeplay.errors import ToolError, ToolMissingError
from treeplay.oracles import proc
from treeplay.oracles.sandbox_env import (  # noqa: F401  (re-exported: part of the sandbox API)
    BASE_PYTHON,
    ENV_PACKAGES,
    SANDBOX_USER,
    _sandbox_ids,
    ensure_sandbox_env,
    sandbox_env_dir,
)

_TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")  # links into /usr on merged-/usr systems
_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
_CGROUPS = Path("/sys/fs/cgroup")
_RUN_IDS = itertools.count()
_WORKDIR_PREFIX = "treeplay-sb-"
_PIPE_INPUT_MAX = 16384  # bytes of standard input sent through a pipe: well within a Linux pipe's 64 KiB buffer
_warned_unsafe = False
_swept = False


@dataclass(frozen=True)
class Limits:
    """Per-run limits. ``sanitizer``: the program is an AddressSanitizer build (no RLIMIT_DATA, see above)."""

    cpu_seconds: int = 10
    memory_mb: int = 1024
    file_size_mb: int = 64
    processes: int = 64
    wall_seconds: float = 20.0
    output_bytes: int = 1 << 20
    sanitizer: bool = False
    scratch_mb: int = 256  # the private /tmp: with ``writable_work=False``, all a program may write


def _warn_unsafe() -> None:
    global _warned_unsafe
    if not _warned_unsafe:
        _warned_unsafe = True
        sys.stderr.write("treeplay: WARNING: unsafe_no_sandbox=True: running code WITHOUT bubblewrap, as "
                         f"{pwd.getpwuid(os.geteuid()).pw_name}, with only rlimits and a timeout. "
                         "Use it for trusted code only.\n")
        sys.stderr.flush()


class Sandbox:
    """Runs programs under the limits above; see the module docstring for what that guarantees.

    ``bwrap`` (or $TREEPLAY_BWRAP) overrides where bubblewrap is looked for.
    """

    def __init__(self, limits: Limits = Limits(), *, unsafe_no_sandbox: bool = False,
                 bwrap: str | None = None) -> None:
        self.limits = limits
        self.unsafe = unsafe_no_sandbox
        self.env_dir = sandbox_env_dir()
        self.prlimit = shutil.which("prlimit") or ""
        if not self.prlimit:
            raise ToolMissingError("prlimit is not installed", tool="prlimit", fix="apt-get install util-linux")
        # Only node from the system folders: they are what the sandbox can see (not e.g. an nvm install in /root).
        self._node = shutil.which("node", path=None if unsafe_no_sandbox else _SYSTEM_PATH)
        self._ids: tuple[int, int] | None = None
        self._cgroups_ok = False
        self.bwrap: str | None = None
        if unsafe_no_sandbox:
            _warn_unsafe()
            return
        found = bwrap or os.environ.get("TREEPLAY_BWRAP") or shutil.which("bwrap")
        if not found or not os.access(found, os.X_OK):
            raise ToolMissingError(f"bubblewrap ({found or 'bwrap'}) is not installed; treeplay runs untrusted "
                                   "code only inside it", tool="bwrap",
                                   fix="apt-get install bubblewrap (or, for trusted code only, "
                                       "Sandbox(unsafe_no_sandbox=True))")
        self.bwrap = found
        if os.geteuid() == 0:
            self._ids = _sandbox_ids()
            self._cgroups_ok = True  # tried per run; switched off at the first refusal
        sweep_stale_workdirs()

    @property
    def python(self) -> str:
        """The interpreter for Python code inside the sandbox (the sandbox's own environment)."""
        exe = self.env_dir / "bin" / "python"
        if exe.exists() and (self.env_dir / ".treeplay-env.json").exists():
            return str(exe)
        if self.unsafe:
            return sys.executable
        raise ToolMissingError(f"the sandbox's Python environment is missing ({self.env_dir})", tool="sandbox-py",
                               fix="make setup (or: python -m treeplay.oracles.sandbox_env --setup)")

    @property
    def node(self) -> str:
        if self._node is None:
            raise ToolMissingError(f"node is not installed (in {_SYSTEM_PATH})", tool="node",
                                   fix="apt-get install nodejs")
        return self._node

    def with_limits(self, limits: Limits) -> Sandbox:
        """The same sandbox with other limits (e.g. ``sanitizer=True`` for an ASan build)."""
        other = copy.copy(self)
        other.limits = limits
        return other

    @contextmanager
    def workdir(self) -> Iterator[Path]:
        """A fresh folder for one program's files, removed afterwards. Write inputs before the first run.

        Its name carries this process's id, so that the next treeplay process can remove the folders of one that
        was killed (``sweep_stale_workdirs``).
        """
        work = Path(tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{os.getpid()}-")).resolve()
        try:
            if self._ids is not None:
                os.chown(work, *self._ids)
            yield work
        finally:
            _remove_tree(work)

    def run(self, argv: Sequence[str], *, workdir: Path, timeout: float | None = None,
            env: Mapping[str, str] | None = None, stdin: str | None = None,
            writable_work: bool = True) -> proc.ProcResult:
        """Run ``argv`` in ``workdir``; failing, hanging or hostile code is a result, never an exception.

        ``writable_work=False`` (every run of a candidate's code): the work folder is read-only, and the program
        starts in /tmp, a private tmpfs of ``limits.scratch_mb``, the only place it can write; so nothing it writes
        reaches the host's disk, and it cannot change the files a judge reads. Without bubblewrap (trusted code
        only) the program starts in a fresh temporary folder instead. Raises ``ToolError`` only when the sandbox
        itself could not start (keeping bwrap's message).
        """
        work = Path(workdir).resolve()
        wall = self.limits.wall_seconds if timeout is None else timeout
        if self.bwrap is None:
            with _cwd_for(work, writable_work) as cwd:
                environment = self._environment(cwd, env)
                return self._execute([*self._rlimits(nproc=False), *argv], cwd, environment, stdin, wall, None)
        if self._ids is not None:
            _hand_over(work, *self._ids)
        environment = self._environment(work if writable_work else Path("/tmp"), env)
        with tempfile.TemporaryFile() as status:
            cmd = [self.bwrap, *self._bwrap_args(work, status.fileno(), writable_work), *self._rlimits(nproc=True),
                   *argv]
            return self._execute(cmd, work, environment, stdin, wall, status)

    def _environment(self, work: Path, extra: Mapping[str, str] | None) -> dict[str, str]:
        path = [str(self.env_dir / "bin")] if self.env_dir.exists() else []
        modules = self.env_dir / "node_modules"
        if modules.is_dir():  # node packages for JavaScript tasks, and their tools (the ReDoS checker)
            path.append(str(modules / ".bin"))
        environment = {"PATH": ":".join([*path, _SYSTEM_PATH]), "HOME": str(work),
                       "TMPDIR": "/tmp", "LANG": "C.UTF-8", "NODE_PATH": str(modules),
                       # one thread each: threads count against `processes` and every arena against memory
                       "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        environment.update(extra or {})
        if self.limits.sanitizer:  # appended last: ASan reads options left to right, so these win
            mb = self.limits.memory_mb
            ours = f"hard_rss_limit_mb={mb}:malloc_limit_mb={mb}"
            environment["ASAN_OPTIONS"] = ":".join(filter(None, (environment.get("ASAN_OPTIONS"), ours)))
        return environment

    def _rlimits(self, *, nproc: bool) -> list[str]:
        lim, mb = self.limits, 1 << 20
        args = [self.prlimit, f"--cpu={lim.cpu_seconds}:{lim.cpu_seconds + 1}",
                f"--fsize={lim.file_size_mb * mb}:{lim.file_size_mb * mb}", "--core=0:0"]
        if not lim.sanitizer:
            args.append(f"--data={lim.memory_mb * mb}:{lim.memory_mb * mb}")
        if nproc:  # only inside the user namespace, where the count is per sandbox (module docstring)
            args.append(f"--nproc={lim.processes}:{lim.processes}")
        return [*args, "--"]

    def _bwrap_args(self, work: Path, status_fd: int, writable_work: bool = True) -> list[str]:
        shm_size, tmp_size = str(self.limits.file_size_mb << 20), str(self.limits.scratch_mb << 20)
        args = ["--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL", "--die-with-parent",
                "--new-session", "--hostname", "treeplay-sandbox", "--json-status-fd", str(status_fd),
                "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
        for name in _TOP_LEVEL:
            host = Path("/", name)
            if host.is_symlink():
                args += ["--symlink", os.readlink(host), str(host)]
            elif host.is_dir():
                args += ["--ro-bind", str(host), str(host)]
        args += ["--proc", "/proc", "--dev", "/dev", "--size", tmp_size, "--tmpfs", "/tmp",
                 "--size", shm_size, "--tmpfs", "/dev/shm"]
        if self.env_dir.exists():  # after the private /tmp, which would otherwise hide an environment under /tmp
            args += ["--ro-bind", str(self.env_dir), str(self.env_dir)]
        bind, start = ("--bind", str(work)) if writable_work else ("--ro-bind", "/tmp")
        return [*args, bind, str(work), str(work), "--chdir", start,
                # bwrap builds / and /dev as tmpfs owned by the sandbox user: read-only, or they are unbounded RAM
                "--remount-ro", "/dev", "--remount-ro", "/", "--"]

    def _execute(self, cmd: list[str], work: Path, env: dict[str, str], stdin: str | None, wall: float,
                 status: IO[bytes] | None) -> proc.ProcResult:
        cgroups = self._make_cgroups() if status is not None and self._cgroups_ok else []
        fds = [os.open(group / "cgroup.procs", os.O_WRONLY) for group in cgroups]
        enter = _entering(fds, self._ids) if status is not None and self._ids is not None else None
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, _input(stdin) as source:
            try:
                child = subprocess.Popen(cmd, cwd=work, env=env, stdin=source, stdout=out, stderr=err,
                                         start_new_session=True, preexec_fn=enter,
                                         pass_fds=(status.fileno(),) if status is not None else ())
            except BaseException:
                for group in cgroups:
                    _remove_cgroup(group)
                raise
            finally:
                for fd in fds:
                    os.close(fd)
            try:
                timed_out = not _exited_within(child, wall)
            finally:
                _end(child, _init_pid(status), cgroups)
            code = child.returncode
            if status is not None:
                if _init_pid(status) is None and not timed_out:
                    raise ToolError("bubblewrap could not start the sandbox", tool="bwrap",
                                    stderr=_read_capped(err, 4000), fix="run `bwrap --version` (0.8 or newer is "
                                    "needed) and check that user namespaces are enabled")
                if 128 < code <= 128 + 64:  # bwrap's init reports a death by signal N as 128 + N
                    code = 128 - code
            return proc.ProcResult(returncode=None if timed_out else code, timed_out=timed_out,
                                   stdout=_read_capped(out, self.limits.output_bytes),
                                   stderr=_read_capped(err, self.limits.output_bytes))

    def _make_cgroups(self) -> list[Path]:
        """A memory and a pids cgroup for one run, nested in our own; [] (and no more tries) where refused."""
        name = f"treeplay-{os.getpid()}-{next(_RUN_IDS)}"
        mem, pids = str(self.limits.memory_mb << 20), str(self.limits.processes + 4)  # + bwrap's own
        made: list[Path] = []
        try:
            own: dict[str, str] = {}
            for line in Path("/proc/self/cgroup").read_text().splitlines():
                _, controllers, path = line.split(":", 2)
                own.update(dict.fromkeys(controllers.split(","), path.lstrip("/")))
            if (_CGROUPS / "cgroup.controllers").exists():  # cgroup v2 only
                plan = [(_CGROUPS / own[""] / name, {"memory.max": mem, "pids.max": pids}, {"memory.swap.max": "0"})]
            else:
                plan = [(_CGROUPS / "memory" / own["memory"] / name, {"memory.limit_in_bytes": mem},
                         {"memory.memsw.limit_in_bytes": mem}),
                        (_CGROUPS / "pids" / own["pids"] / name, {"pids.max": pids}, {})]
            for path, required, optional in plan:
                path.mkdir()
                made.append(path)
                for key, value in required.items():
                    (path / key).write_text(value)
                for key, value in optional.items():
                    with suppress(OSError):  # no swap accounting: nothing to cap
                        (path / key).write_text(value)
            return made
        except (OSError, KeyError, ValueError):  # not root, no delegation, controller missing: rlimits only
            for path in made:
                _remove_cgroup(path)
            self._cgroups_ok = False
            return []


def _entering(fds: Sequence[int], ids: tuple[int, int]) -> Callable[[], None]:
    """What the child does between fork and exec, still as root: join the cgroups, become the sandbox user."""
    def enter() -> None:
        for fd in fds:
            os.write(fd, b"0")  # "0" = the writing process itself
        os.setgroups([])
        os.setresgid(ids[1], ids[1], ids[1])
        os.setresuid(ids[0], ids[0], ids[0])
    return enter


@contextmanager
def _input(stdin: str | None) -> Iterator[IO[bytes] | int]:
    """Standard input: a pipe, filled and closed before the program starts, when it fits the pipe's buffer (a
    judge's token: once read, nothing of it is left for another process of the sandbox, even one that opens the
    sandbox init's descriptor 0 through /proc); a file beyond that, so no writer thread and no deadlock."""
    if stdin is None:
        yield subprocess.DEVNULL
        return
    data = stdin.encode()
    if len(data) <= _PIPE_INPUT_MAX:
        read_fd, write_fd = os.pipe()
        try:
            os.write(write_fd, data)
        finally:
            os.close(write_fd)
        with os.fdopen(read_fd, "rb") as source:
            yield source
        return
    with tempfile.TemporaryFile() as source:
        source.write(data)
        source.seek(0)
        yield source


@contextmanager
def _cwd_for(work: Path, writable_work: bool) -> Iterator[Path]:
    """Without bubblewrap: the work folder itself, or a fresh scratch folder standing in for the private /tmp."""
    if writable_work:
        yield work
        return
    scratch = Path(tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{os.getpid()}-")).resolve()
    try:
        yield scratch
    finally:
        _remove_tree(scratch)


def sweep_stale_workdirs(root: Path | None = None) -> int:
    """Remove work folders that a killed treeplay process left behind; returns how many were removed.

    A folder is stale when the process whose id its name carries no longer exists (folders of running
    processes, this one included, are left alone). Runs once per process, when the first Sandbox is made.
    """
    global _swept
    if root is None:
        if _swept:
            return 0
        _swept = True
    removed = 0
    folder = Path(root or tempfile.gettempdir())
    for entry in folder.glob(f"{_WORKDIR_PREFIX}*"):
        found = re.match(rf"{re.escape(_WORKDIR_PREFIX)}(\d+)-", entry.name)
        if found is None or not entry.is_dir() or entry.is_symlink() or _alive(int(found.group(1))):
            continue
        _remove_tree(entry)
        removed += not entry.exists()
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, as another user
        return True
    return True


def _init_pid(status: IO[bytes] | None) -> int | None:
    """Host pid of the sandbox's init (pid 1 of its namespace), from bwrap's JSON status; None before start."""
    if status is None:
        return None
    status.seek(0)
    found = re.search(rb'"child-pid"\s*:\s*(\d+)', status.read(4096))
    return int(found.group(1)) if found else None


def _exited_within(child: subprocess.Popen[bytes], seconds: float) -> bool:
    """Whether ``child`` exits within ``seconds``. A pidfd wakes us at once; Popen.wait polls with growing sleeps."""
    try:
        fd = os.pidfd_open(child.pid)
    except (AttributeError, OSError):  # before Linux 5.3
        with suppress(subprocess.TimeoutExpired):
            child.wait(timeout=seconds)
        return child.poll() is not None
    try:
        return bool(select.select([fd], [], [], max(seconds, 0.0))[0])
    finally:
        os.close(fd)


def _end(child: subprocess.Popen[bytes], init: int | None, cgroups: Sequence[Path]) -> None:
    """Kill everything the run started and wait until it is gone."""
    if init is not None and child.poll() is None:
        # Killing the namespace's init makes the kernel kill every process in it; bwrap (our child) exits only
        # after that init is reaped, so child.wait() below returns when the whole tree is gone.
        _kill(init, signal.SIGKILL)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    for group in cgroups:
        _remove_cgroup(group)


def _kill(pid: int, sig: int) -> None:
    with suppress(OSError):
        os.kill(pid, sig)


def _remove_cgroup(path: Path) -> None:
    for _ in range(200):
        try:
            for pid in (path / "cgroup.procs").read_text().split():
                _kill(int(pid), signal.SIGKILL)
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:  # EBUSY: killed processes not reaped yet
            time.sleep(0.01)


def _hand_over(work: Path, uid: int, gid: int) -> None:
    """Give the work folder's contents to the sandbox user (the caller may have written them 0600 as root).

    Safe against planted symlinks: lchown never follows them, and no sandboxed process is alive now.
    """
    os.lchown(work, uid, gid)
    for root, dirs, files in os.walk(work):
        for name in (*dirs, *files):
            os.lchown(os.path.join(root, name), uid, gid)


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    if path.exists():  # the program made folders unreadable (possible when we are not root): open them, retry
        for root, dirs, _ in os.walk(path):
            for full in (os.path.join(root, name) for name in dirs if not os.path.islink(os.path.join(root, name))):
                with suppress(OSError):
                    os.chmod(full, 0o700)
        shutil.rmtree(path, ignore_errors=True)


def _read_capped(stream: IO[bytes], limit: int) -> str:
    size = os.fstat(stream.fileno()).st_size
    stream.seek(0)
    text = stream.read(limit).decode("utf-8", errors="replace")
    return text + (f"\n[... {size - limit} more bytes cut]" if size > limit else "")
