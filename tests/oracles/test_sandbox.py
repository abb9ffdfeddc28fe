"""Hostile programs against the sandbox: each test names the guarantee it protects and checks it from outside."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from treeplay.errors import ToolError, ToolMissingError
from treeplay.oracles import sandbox as sandbox_module
from treeplay.oracles.proc import ProcResult
from treeplay.oracles.sandbox import Limits, Sandbox, ensure_sandbox_env, sandbox_env_dir

requires_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None,
                                    reason="bubblewrap is not installed (apt-get install bubblewrap)")
pytestmark = [pytest.mark.timeout(60)]


def _box(**limits: object) -> Sandbox:
    box = Sandbox(Limits(**limits))
    try:
        assert box.python
    except ToolMissingError as err:
        pytest.skip(f"{err.message} (fix: {err.fix})")
    return box


def _run_python(box: Sandbox, code: str, *args: str, timeout: float | None = None) -> ProcResult:
    with box.workdir() as work:
        return box.run([box.python, "-I", "-c", textwrap.dedent(code), *args], workdir=work, timeout=timeout)


def _run_python_with_stdin(box: Sandbox, code: str, stdin: str) -> ProcResult:
    with box.workdir() as work:
        return box.run([box.python, "-I", "-c", textwrap.dedent(code)], workdir=work, stdin=stdin,
                       writable_work=False)


def _processes_with(token: str) -> list[int]:
    """Host pids whose command line contains ``token`` (the hostile programs carry it in their argv)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.tools
@requires_bwrap
class TestContainment:
    def test_timeout_kills_infinite_loop(self):
        start = time.monotonic()
        res = _run_python(_box(), "while True: pass", timeout=1)
        assert res.timed_out and res.returncode is None
        assert time.monotonic() - start < 5

    def test_cpu_limit_kills_busy_program(self):
        start = time.monotonic()
        res = _run_python(_box(cpu_seconds=1), "while True: pass", timeout=15)
        assert not res.timed_out, "the CPU limit, not the wall clock, must end it"
        assert res.returncode in (-signal.SIGXCPU, -signal.SIGKILL)
        assert time.monotonic() - start < 6

    def test_fork_bomb_is_contained(self):
        token = "fork-bomb-" + secrets.token_hex(6)
        res = _run_python(_box(processes=16), """
            import os, sys, time
            n = 0
            try:
                while n < 500:
                    if os.fork() == 0:
                        time.sleep(60)
                        os._exit(0)
                    n += 1
            except OSError as err:
                print("blocked after", n, type(err).__name__)
        """, token)
        assert "blocked after" in res.stdout, res
        assert int(res.stdout.split()[2]) < 16
        assert _processes_with(token) == [], "a sleeping child outlived the run"

    def test_process_limit_is_per_run_not_shared_by_concurrent_runs(self):
        box = _box(processes=16)
        code = """
            import os, time
            for _ in range(10):
                if os.fork() == 0:
                    time.sleep(1.5)
                    os._exit(0)
            print("forked 10")
        """
        with ThreadPoolExecutor(2) as pool:  # 20 processes at once: one shared budget of 16 would refuse some
            results = list(pool.map(lambda _: _run_python(box, code), range(2)))
        assert all(res.ok and "forked 10" in res.stdout for res in results), results

    def test_memory_bomb_is_killed(self):
        start = time.monotonic()
        res = _run_python(_box(memory_mb=256), "x = bytearray(2 << 30); print('allocated', len(x))")
        assert not res.ok and "allocated" not in res.stdout
        assert "MemoryError" in res.stderr
        assert time.monotonic() - start < 10

    def test_asan_memory_bomb_is_killed(self):
        if shutil.which("gcc") is None:
            pytest.skip("gcc is not installed")
        box = _box(memory_mb=256)
        bomb = "#include <stdlib.h>\n#include <string.h>\n#include <stdio.h>\nint main(void) {\n" \
               "  for (int i = 0; i < 64; i++) { char *p = malloc(64 << 20); memset(p, i + 1, 64 << 20);\n" \
               "    printf(\"%d\\n\", p[4096]); fflush(stdout); }\n  puts(\"survived\"); return 0; }\n"
        with box.workdir() as work:
            (work / "bomb.c").write_text(bomb)
            build = box.run(["gcc", "-O1", "-fsanitize=address", "-o", "bomb", "bomb.c"], workdir=work, timeout=60)
            assert build.ok, build
            asan = box.with_limits(Limits(memory_mb=256, sanitizer=True))
            res = asan.run([str(work / "bomb")], workdir=work, timeout=20)
        assert not res.ok and not res.timed_out and "survived" not in res.stdout, res
        assert len(res.stdout.split()) < 8, "it got to use far more than 256 MB"

    def test_disk_fill_is_capped(self):
        box = _box(file_size_mb=8)
        with box.workdir() as work:
            res = box.run([box.python, "-I", "-c", textwrap.dedent("""
                import os
                chunk = b"x" * (1 << 20)
                for where in ("big.bin", "/tmp/big.bin"):
                    try:
                        with open(where, "wb") as fh:
                            for _ in range(100):
                                fh.write(chunk)
                    except OSError as err:
                        print(where, "stopped:", err.strerror)
                try:
                    for i in range(100):  # many files, each below the cap: /tmp is a small tmpfs
                        with open(f"/tmp/part{i}", "wb") as fh:
                            fh.write(chunk * 4)
                except OSError as err:
                    print("tmp stopped:", err.strerror)
            """)], workdir=work)
            assert (work / "big.bin").stat().st_size <= 8 << 20
        assert res.stdout.count("stopped:") == 3, res
        assert "File too large" in res.stdout and "No space left" in res.stdout

    def test_network_connect_fails(self):
        server = socket.create_server(("127.0.0.1", 0))
        abstract = socket.socket(socket.AF_UNIX)
        name = "\0treeplay-test-" + secrets.token_hex(6)
        abstract.bind(name)
        server.listen()
        abstract.listen()
        try:
            res = _run_python(_box(), """
                import socket, sys
                targets = [(socket.AF_INET, ("127.0.0.1", int(sys.argv[1]))), (socket.AF_INET, ("1.1.1.1", 53)),
                           (socket.AF_UNIX, sys.argv[2].replace("@", "\\0"))]
                for family, address in targets:
                    s = socket.socket(family)
                    s.settimeout(2)
                    try:
                        s.connect(address)
                        print("CONNECTED", address)
                    except OSError as err:
                        print("failed:", type(err).__name__)
            """, str(server.getsockname()[1]), name.replace("\0", "@"))
            for listener in (server, abstract):
                listener.settimeout(0.2)
                with pytest.raises(socket.timeout):
                    listener.accept()
        finally:
            server.close()
            abstract.close()
        assert res.ok and "CONNECTED" not in res.stdout and res.stdout.count("failed:") == 3, res

    def test_host_secret_is_unreadable(self, tmp_path, monkeypatch):
        secret = tmp_path / "secret.txt"
        secret.write_text("hunter2")
        monkeypatch.setenv("TREEPLAY_TEST_API_KEY", "sk-hunter3")
        res = _run_python(_box(), """
            import os, sys
            print(sorted(os.environ.items()))
            for path in (sys.argv[1], "/root", "/etc/shadow", sys.argv[2], "/home", "/var"):
                try:
                    print(path, open(path).read()[:40] if os.path.isfile(path) else os.listdir(path))
                except OSError as err:
                    print(path, "denied:", type(err).__name__)
        """, str(secret), str(Path(__file__).resolve()))
        assert res.ok, res
        assert "hunter2" not in res.stdout and "sk-hunter3" not in res.stdout
        assert res.stdout.count("denied:") == 6, res.stdout

    def test_write_outside_workdir_fails(self, tmp_path):
        token = secrets.token_hex(6)
        marker = tmp_path / f"escaped-{token}"
        box = _box()
        with box.workdir() as work:
            res = box.run([box.python, "-I", "-c", textwrap.dedent("""
                import sys
                for path in (sys.argv[1], "/etc/escaped", "/usr/escaped", "/opt/escaped", sys.argv[2], "/escaped",
                             "/dev/escaped", "/tmp/escaped-" + sys.argv[3]):
                    try:
                        open(path, "w").write("x")
                        print(path, "written")
                    except OSError as err:
                        print(path, "denied:", type(err).__name__)
            """), str(marker), str(Path(sandbox_module.__file__).resolve()), token], workdir=work)
        assert not marker.exists() and not Path("/etc/escaped").exists() and not Path("/usr/escaped").exists()
        assert not Path(f"/tmp/escaped-{token}").exists(), "the sandbox's /tmp must be private"
        assert res.stdout.count("denied:") == 7 and res.stdout.count("written") == 1, res.stdout

    @pytest.mark.parametrize("main_exits", [True, False], ids=["main-exits", "main-times-out"])
    def test_orphan_child_does_not_outlive_run(self, main_exits):
        token = "orphan-" + secrets.token_hex(6)
        start = time.monotonic()
        res = _run_python(_box(), """
            import os, sys, time
            if os.fork() == 0:
                os.setsid()  # a daemon: new session, double fork, no link to the main program
                if os.fork() == 0:
                    os.closerange(0, 3)
                    time.sleep(60)
                os._exit(0)
            time.sleep(0.3)
            if sys.argv[2] == "hang":
                time.sleep(60)
        """, token, "exit" if main_exits else "hang", timeout=2)
        assert res.timed_out is not main_exits
        assert _processes_with(token) == []
        assert time.monotonic() - start < 6

    def test_output_flood_is_capped(self):
        box = _box(output_bytes=1000, file_size_mb=8)
        res = _run_python(box, "import sys\nwhile True: sys.stdout.write('x' * 65536)")
        assert len(res.stdout) < 1100 and "more bytes cut" in res.stdout
        assert not res.ok and not res.timed_out

    def test_cannot_kill_parent(self):
        bystander = subprocess.Popen(["sleep", "30"])
        try:
            res = _run_python(_box(), """
                import os, signal, sys
                for pid in (int(sys.argv[1]), int(sys.argv[2]), os.getppid(), -1):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        print(pid, "sent")
                    except OSError as err:
                        print(pid, "refused:", type(err).__name__)
                print("still here")
            """, str(os.getpid()), str(bystander.pid))
            time.sleep(0.2)
            assert bystander.poll() is None, "a host process was killed from inside the sandbox"
        finally:
            bystander.kill()
            bystander.wait()
        assert res.stdout.count("refused:") >= 2, res  # our pid and the bystander's do not exist inside

    def test_program_runs_unprivileged(self):
        res = _run_python(_box(), """
            import os, subprocess
            status = dict(line.split(":", 1) for line in open("/proc/self/status"))
            print(os.getuid(), status["CapEff"].strip(), status["NoNewPrivs"].strip())
            print(subprocess.run(["unshare", "--user", "true"], capture_output=True).returncode)
        """)
        uid, caps, no_new_privs, unshare_rc = res.stdout.split()
        assert int(uid) != 0 and int(caps, 16) == 0 and no_new_privs == "1", res
        assert unshare_rc != "0", "user namespaces must be disabled inside"

    def test_failing_program_is_a_result_with_subprocess_exit_codes(self):
        box = _box()
        assert _run_python(box, "raise SystemExit(3)").returncode == 3
        assert _run_python(box, "import os; os.abort()").returncode == -signal.SIGABRT

    def test_workdir_is_writable_and_removed_afterwards(self):
        box = _box()
        with box.workdir() as work:
            (work / "input.txt").write_text("in")
            os.chmod(work / "input.txt", 0o600)  # as root: handed over to the sandbox user before the run
            res = box.run([box.python, "-I", "-c", "print(open('input.txt').read()); open('out', 'w').write('ok')"],
                          workdir=work, stdin="ignored")
            assert res.ok and res.stdout.strip() == "in", res
            assert (work / "out").read_text() == "ok"
        assert not work.exists()

    def test_read_only_work_folder_leaves_only_a_capped_scratch_writable(self):
        box = _box(scratch_mb=16)
        with box.workdir() as work:
            (work / "test_security.py").write_text("def test(): assert False\n")
            res = box.run([box.python, "-I", "-c", textwrap.dedent(f"""
                import os
                try:
                    open({str(work / "test_security.py")!r}, "w").write("def test(): pass")
                except OSError as err:
                    print("work:", err.strerror)
                print("cwd:", os.getcwd())
                try:
                    for i in range(8):  # 8 MiB files in the scratch folder, which holds 16 MiB
                        open(f"part{{i}}", "wb").write(b"x" * (8 << 20))
                except OSError as err:
                    print("scratch:", err.strerror)
            """)], workdir=work, writable_work=False)
            assert "assert False" in (work / "test_security.py").read_text()
            assert sorted(p.name for p in work.iterdir()) == ["test_security.py"]
        assert "work: Read-only file system" in res.stdout, res
        assert "cwd: /tmp" in res.stdout and "scratch: No space left on device" in res.stdout, res

    def test_standard_input_cannot_be_read_twice(self):
        # A judge's token arrives on a pipe: once the judge has read it, no other process of the sandbox (the
        # candidate, through its own descriptor or the sandbox init's) finds anything left.
        res = _run_python_with_stdin(_box(), """
            import os, subprocess, sys
            token = sys.stdin.readline().strip()
            try:
                os.lseek(0, 0, 0)
            except OSError as err:
                print("seek:", err.strerror)
            child = subprocess.run([sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"],
                                   stdin=open("/proc/1/fd/0") if os.access("/proc/1/fd/0", os.R_OK) else None,
                                   capture_output=True, text=True)
            print("child:", child.stdout.strip() or child.stderr.strip()[-80:])
            print("token:", token)
        """, "SECRET-TOKEN\n")
        assert "token: SECRET-TOKEN" in res.stdout and "seek: Illegal seek" in res.stdout, res
        assert res.stdout.count("SECRET-TOKEN") == 1, res

    def test_broken_bwrap_is_a_tool_error_not_a_failing_program(self):
        box = Sandbox(bwrap=shutil.which("false"))
        with box.workdir() as work, pytest.raises(ToolError, match="could not start the sandbox"):
            box.run(["true"], workdir=work)


def test_work_folders_of_killed_runs_are_removed_on_the_next_start(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = tmp_path / f"treeplay-sb-{gone.pid}-abc"
    live = tmp_path / f"treeplay-sb-{os.getpid()}-def"
    other = tmp_path / "treeplay-sb-notapid"
    for folder in (stale, live, other):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "file").write_text("x")
    assert sandbox_module.sweep_stale_workdirs(tmp_path) == 1
    assert not stale.exists() and live.exists() and other.exists()


def test_unsafe_mode_warns_once_on_stderr(monkeypatch, capsys):
    monkeypatch.setattr(sandbox_module, "_warned_unsafe", False)
    box = Sandbox(unsafe_no_sandbox=True)
    Sandbox(unsafe_no_sandbox=True)
    err = capsys.readouterr().err
    assert err.count("WARNING") == 1 and "unsafe_no_sandbox" in err
    with box.workdir() as work:
        res = box.run([box.python, "-c", "print('hi')"], workdir=work, timeout=30)
        slow = box.run([box.python, "-c", "while True: pass"], workdir=work, timeout=0.5)
    assert res.ok and res.stdout.strip() == "hi"
    assert slow.timed_out


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_missing_bwrap_is_refused_with_install_hint(monkeypatch, tmp_path, how):
    missing = str(tmp_path / "no-such-bwrap")
    if how == "environment":
        monkeypatch.setenv("TREEPLAY_BWRAP", missing)
    with pytest.raises(ToolMissingError) as info:
        Sandbox(bwrap=missing if how == "argument" else None)
    assert "apt-get install bubblewrap" in info.value.fix and "bubblewrap" in info.value.message


def test_missing_sandbox_env_says_make_setup(monkeypatch, tmp_path):
    monkeypatch.setenv("TREEPLAY_SANDBOX_ENV", str(tmp_path / "no-env"))
    box = Sandbox(bwrap=shutil.which("true") or "/bin/true")  # any executable: only .python is asked for
    with pytest.raises(ToolMissingError) as info:
        assert box.python
    assert "make setup" in info.value.fix


def test_second_sandbox_env_setup_starts_no_process(monkeypatch):
    if not (sandbox_env_dir() / ".treeplay-env.json").exists():
        pytest.skip("the sandbox environment is not built (make setup)")

    def no_process(*args, **kwargs):
        raise AssertionError(f"a ready environment must not be rebuilt: {args}")

    monkeypatch.setattr("treeplay.oracles.sandbox_env.proc.run", no_process)
    assert ensure_sandbox_env().exists()


@pytest.mark.tools
@requires_bwrap
def test_sandboxed_node_finds_the_environments_modules():
    box = _box()
    if not (box.env_dir / "node_modules" / "escape-html").is_dir():
        pytest.skip("the sandbox environment has no node modules (npm missing when `make setup` ran)")
    with box.workdir() as work:
        (work / "t.js").write_text("console.log(require('escape-html')('<b>'));\n")
        res = box.run([box.node, "t.js"], workdir=work)
    assert res.returncode == 0 and res.stdout.strip() == "&lt;b&gt;", res.stderr


@pytest.mark.tools
@requires_bwrap
def test_environment_under_tmp_stays_visible_inside(monkeypatch, tmp_path):
    # The sandbox mounts a private /tmp; an environment that lives under /tmp must be mounted after it.
    env = tmp_path / "sandbox-py"
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "python").symlink_to(os.path.realpath("/usr/bin/python3.11"))
    (env / ".treeplay-env.json").write_text("{}")
    for folder in (tmp_path, *tmp_path.parents):  # readable by the unprivileged sandbox user
        if str(folder).startswith(tempfile_root()):
            folder.chmod(0o755)
    monkeypatch.setenv("TREEPLAY_SANDBOX_ENV", str(env))
    res = _run_python(_box(), "print(6 * 7)")
    assert res.returncode == 0 and res.stdout.strip() == "42", res.stderr


def tempfile_root() -> str:
    import tempfile

    return os.path.realpath(tempfile.gettempdir())
