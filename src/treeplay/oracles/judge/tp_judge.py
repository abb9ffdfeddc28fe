"""The judge: runs a task's tests against a candidate that lives in another process (runs in the sandbox).

Started by a runner as ``python -I tp_judge.py CONFIG_JSON`` with a random token on standard input. Before any
candidate code exists, the judge reads the token, makes itself non-dumpable (so no process of the same user can
ptrace it or read its memory or descriptors through /proc), points standard input at /dev/null and standard
output at standard error, and keeps a private copy of the original standard output for its report. Every report
line carries the token; the candidate never sees it.

The candidate runs in a child (``tp_candidate.py``), started on first use and again after it crashes, exits or
runs out of time. The tests see its module as ``sys.modules[<module>]``, a ``RemoteModule`` whose attributes are
proxies (``tp_rpc``). A test passes only when its function returned here, in the judge, without an exception
and the candidate process did not die during it. Modes (``CONFIG["mode"]``):

- ``native``: treeplay's test files (``test_*`` functions; ``tp_native.py``);
- ``pytest``: a CWEval pytest module (``tp_pytest.py``); for compiled and JavaScript tasks the candidate is a
  program the test runs as a child process, so no module is proxied;
- ``seccodeplt``: the judge evaluates the task's setup and ``testcases`` itself for the expected values; the
  candidate process evaluates them for the arguments and runs one case at a time (``tp_seccodeplt.py``).
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import signal
import subprocess
import sys
import time
import types

try:  # in the sandbox: the judge's folder is on sys.path
    import tp_rpc
except ImportError:  # imported as part of treeplay (its tests)
    from treeplay.oracles.judge import tp_rpc

_PR_SET_DUMPABLE = 4


class Reporter:
    """Writes tagged JSON records on a private copy of the original standard output."""

    def __init__(self, token: str, stream) -> None:
        self.token, self.stream = token, stream

    def emit(self, record: dict) -> None:
        self.stream.write("\n" + self.token + json.dumps(record) + "\n")
        self.stream.flush()


def seal() -> Reporter:
    """Take the token, become non-dumpable and move the standard streams away from the report channel."""
    token = sys.stdin.readline().strip()
    if ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise SystemExit("treeplay judge: prctl(PR_SET_DUMPABLE) failed")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    report = os.fdopen(os.dup(1), "w")  # os.dup: not inherited by children
    os.dup2(2, 1)
    sys.dont_write_bytecode = True
    return Reporter(token, report)


class CandidateProcess:
    """The candidate's process: started on demand, replaced after it dies; its deaths are counted."""

    def __init__(self, folder: str, deadline: float, *, setup=None, cwd: str | None = None) -> None:
        self.folder, self.deadline = folder, deadline
        self.cwd = cwd or os.getcwd()  # the writable scratch folder the candidate starts in
        self.setup = setup  # called with each new endpoint (SecCodePLT loads the program there)
        self.endpoint: tp_rpc.Endpoint | None = None
        self.process: subprocess.Popen | None = None
        self.deaths = 0  # crashes, exits and time-outs so far (a test compares before and after)
        self.last_death = ""
        self._refs: dict = {}  # path -> reference, for the current endpoint
        self.replay: list = []  # (module path, attribute, value) set by tests, set again in a fresh process
        self.call_deadline: float | None = None  # a tighter deadline for the current request (SecCodePLT)

    def current(self) -> tp_rpc.Endpoint:
        if self.endpoint is None:
            self._start()
        return self.endpoint

    def _start(self) -> None:
        child_reads, to_child = os.pipe()
        from_child, child_writes = os.pipe()
        here = os.path.dirname(os.path.abspath(__file__))
        # -s -P, not -I: the environment (built from scratch by the sandbox) carries PYTHONHASHSEED, shared with
        # the judge, so that str() of a set or dict orders the same in both processes.
        start = f"import sys; sys.path.insert(0, {here!r}); import tp_candidate; tp_candidate.main()"
        self.process = subprocess.Popen([sys.executable, "-s", "-P", "-c", start, str(child_reads),
                                         str(child_writes), self.folder], pass_fds=(child_reads, child_writes),
                                        stdin=subprocess.DEVNULL, cwd=self.cwd)
        tp_rpc.close_quietly(child_reads, child_writes)
        self.endpoint = tp_rpc.Endpoint(tp_rpc.Channel(from_child, to_child), guarded=True,
                                        deadline=self._deadline, on_failure=self._failed)
        self._refs = {}
        try:
            for path, name, value in self.replay:
                setattr(self.resolve(path), name, value)
            if self.setup is not None:
                self.setup(self.endpoint)
        except BaseException as exc:
            if self.endpoint is not None:  # not already ended by a channel failure
                self.kill(f"the candidate program did not load: {str(exc)[:300]}")
            raise

    def _deadline(self) -> float:
        return min(self.deadline, self.call_deadline) if self.call_deadline is not None else self.deadline

    def _failed(self, endpoint: tp_rpc.Endpoint, error: BaseException) -> None:
        if endpoint is not self.endpoint:
            return
        if isinstance(error, tp_rpc.CallTimeout):
            self.kill("the candidate ran past its time budget")
        elif not isinstance(error, tp_rpc.ChannelFailure):  # a test's own timer, mid-request
            self.kill(f"the candidate was stopped: {str(error) or type(error).__name__}")
        else:
            code = self._exit_code()
            if code in (-signal.SIGXCPU, -signal.SIGKILL):  # its CPU-time limit, or the kernel's
                self.kill(f"the candidate ran past its time budget (killed by signal {-code})")
            else:
                self.kill(f"the candidate process ended (exit {code}): {error}")

    def kill(self, why: str) -> None:
        """End the current process (it failed: a crash, an exit, a time-out); the next use starts another."""
        endpoint, process = self.endpoint, self.process
        self.endpoint = self.process = None
        self.deaths += 1
        self.last_death = why
        if endpoint is not None:
            endpoint.closed = True
            tp_rpc.close_quietly(endpoint.channel.read_fd, endpoint.channel.write_fd)
        if process is not None:
            try:
                process.kill()
            except OSError:
                pass
            process.wait()

    def _exit_code(self) -> int | str:
        process = self.process
        if process is None:
            return "unknown"
        try:
            return process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            return "none yet"

    def resolve(self, path: tuple) -> tp_rpc.Proxy:
        """The proxy of ``module.attr.attr...`` in the current process (looked up once per process)."""
        endpoint = self.current()
        found = self._refs.get(path)
        if found is None:
            found = endpoint.request("import", name=path[0])
            for name in path[1:]:
                found = getattr(found, name)
            if len(path) == 1:  # modules only: attributes may be patched, so they are read anew
                self._refs[path] = found
        return found

    def collect_patterns(self, into: dict) -> None:
        """Add the regular expressions the current process compiled to ``into`` (a dead process has none left)."""
        if self.endpoint is None or self.endpoint.closed:
            return
        try:
            found = self.endpoint.request("patterns")
        except BaseException:  # the candidate broke its side: the tests it was in fail anyway
            return
        if isinstance(found, list):
            for item in found[:1000]:
                if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and \
                        isinstance(item[1], int):
                    into.setdefault((item[0][:5000], item[1]), None)

    def close(self) -> None:
        if self.process is not None:
            self.kill("finished")
            self.deaths -= 1


class PathProxy(tp_rpc.Proxy):
    """A module attribute of the candidate: the object it named when read, looked up again by its path only in a
    fresh candidate process (after a crash or a time-out), so a test's ``from solution import f`` keeps working."""

    __slots__ = ("_tp_owner", "_tp_path")

    def __init__(self, owner: CandidateProcess, path: tuple, target: tp_rpc.Proxy) -> None:
        super().__init__(target._tp_endpoint, target._tp_ref)
        object.__setattr__(self, "_tp_owner", owner)
        object.__setattr__(self, "_tp_path", path)

    def _tp_target(self) -> tuple:
        if self._tp_endpoint is not None and not self._tp_endpoint.closed:
            return self._tp_endpoint, self._tp_ref
        target = self._tp_owner.resolve(self._tp_path)
        if not isinstance(target, tp_rpc.Proxy):
            raise tp_rpc.StaleReference(f"{'.'.join(self._tp_path)} is no longer an object of the candidate")
        object.__setattr__(self, "_tp_endpoint", target._tp_endpoint)
        object.__setattr__(self, "_tp_ref", target._tp_ref)
        return target._tp_endpoint, target._tp_ref


class RemoteModule(types.ModuleType):
    """``sys.modules[name]`` in the judge: the candidate process's module of that name."""

    def __init__(self, owner: CandidateProcess, path: tuple) -> None:
        super().__init__(".".join(path))
        self.__dict__["_tp_owner"] = owner
        self.__dict__["_tp_path"] = path
        self.__dict__["__spec__"] = None

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        owner, path = self.__dict__["_tp_owner"], self.__dict__["_tp_path"]
        value = getattr(owner.resolve(path), name)
        return PathProxy(owner, path + (name,), value) if isinstance(value, tp_rpc.Proxy) else value

    def __setattr__(self, name: str, value) -> None:
        owner, path = self.__dict__["_tp_owner"], self.__dict__["_tp_path"]
        setattr(owner.resolve(path), name, value)
        owner.replay.append((path, name, value))


def helper_module(owner: CandidateProcess) -> types.ModuleType:
    """``treeplay_judge``, importable by tests.

    ``remote_module("socket")`` is the candidate's socket module, so a test can patch what the candidate's process
    uses (a fake DNS, a fixed clock, an environment variable). ``candidate_memory()`` reads the candidate
    process's resident and peak resident memory (bytes) from /proc, and ``reset_candidate_peak()`` starts a new
    peak: measured from outside, so the candidate cannot misreport them.
    """
    module = types.ModuleType("treeplay_judge")
    module.remote_module = lambda name: RemoteModule(owner, (name,))
    module.candidate_deaths = lambda: owner.deaths

    def status_path(name: str) -> str:
        owner.current()
        return f"/proc/{owner.process.pid}/{name}"

    def candidate_memory() -> dict:
        with open(status_path("status")) as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        return {"rss": int(fields["VmRSS"].split()[0]) * 1024, "peak": int(fields["VmHWM"].split()[0]) * 1024}

    def reset_candidate_peak() -> None:
        with open(status_path("clear_refs"), "w") as handle:
            handle.write("5")

    module.candidate_memory = candidate_memory
    module.reset_candidate_peak = reset_candidate_peak
    return module


def main() -> None:
    reporter = seal()
    config = json.loads(sys.argv[1])
    deadline = time.monotonic() + float(config["budget"])
    config["scratch"] = os.getcwd()  # the sandbox starts us in its private, writable /tmp
    if config.get("cwd"):  # CWEval's tests name files relative to the task folder (./third_party/...)
        os.chdir(config["cwd"])
    modes = {"native": "tp_native", "pytest": "tp_pytest", "seccodeplt": "tp_seccodeplt"}
    if config.get("mode") not in modes:
        raise SystemExit(f"treeplay judge: unknown mode {config.get('mode')!r}")
    importlib.import_module(modes[config["mode"]]).run(config, reporter, deadline)
    os._exit(0)  # no atexit handler, no finalizer of a test's object runs after the report


if __name__ == "__main__":
    main()
