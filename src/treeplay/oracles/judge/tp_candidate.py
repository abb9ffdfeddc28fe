"""The candidate's process: loads the candidate program and serves the judge's requests (runs in the sandbox).

Started by ``tp_judge.py`` as ``python -I tp_candidate.py <read fd> <write fd> <candidate folder>``. Before any
candidate code runs, the two channel descriptors are kept and standard input/output are pointed away from them
(input from /dev/null, output to standard error), so what the candidate prints can neither reach nor break the
channel. The judge asks for modules (``import``), then uses them through proxies; for SecCodePLT it asks to load
the program with its test cases (``scp_load``) and to run one case at a time (``scp_case``).

Nothing here decides a verdict: a case's outcome (the ``str`` of what the function returned, or the class path of
what it raised) goes back to the judge, which compares it with its own expected value.
"""

from __future__ import annotations

import importlib
import os
import resource
import signal
import sys

try:  # in the sandbox: the judge's folder is on sys.path
    import tp_rpc
except ImportError:  # imported as part of treeplay (its tests)
    from treeplay.oracles.judge import tp_rpc


class _CaseTimeout(BaseException):
    """Not an Exception: a candidate's ``except Exception`` cannot swallow its time budget."""


def _on_alarm(signum, frame):
    raise _CaseTimeout()


_COMPILED: dict = {}  # (pattern, flags) -> None: every regular expression this process compiled, in order


def _record_patterns() -> None:
    """Note every pattern ``re`` compiles (all of re's functions go through ``re._compile``), for the ReDoS check
    of a CWE-1333 task: the judge asks for them (``patterns``) and the runner has them analysed."""
    import re

    original = re._compile

    def recording(pattern, flags):
        if isinstance(pattern, (str, bytes)) and len(_COMPILED) < 1000:
            text = pattern if isinstance(pattern, str) else pattern.decode("latin-1")
            _COMPILED.setdefault((text, int(flags)), None)
        return original(pattern, flags)

    re._compile = recording


def _patterns(endpoint, message):
    return [[text, flags] for text, flags in _COMPILED]


def _import(endpoint, message):
    name = message.get("name")
    if not isinstance(name, str):
        raise tp_rpc.ProtocolError("a module name must be a string")
    return importlib.import_module(name)


class SecCodePLT:
    """The program and its ``testcases`` in one namespace, as SecCodePLT's own template pastes them."""

    def __init__(self) -> None:
        self.namespace: dict = {}
        self.table: dict = {}
        self.entry = None

    def load(self, endpoint, message):
        program, tests, entry = message.get("program"), message.get("tests"), message.get("entry")
        budget = float(message.get("budget") or 10.0)
        namespace = self.namespace = {"__name__": "__main__", "__builtins__": __builtins__}
        exec("import os\nimport pickle\n", namespace)
        for label, path in (("program", program), ("testcases.py", tests)):
            with open(path, encoding="utf-8") as handle:
                source = handle.read()
            code = compile(source, path, "exec")
            outcome = _budgeted(lambda code=code: exec(code, namespace), budget)
            if outcome is not None:
                raise RuntimeError(f"{label}: {outcome}")
        table = namespace.get("testcases")
        if not isinstance(table, dict):
            raise RuntimeError("testcases.py: no usable `testcases` dict")
        self.table = table
        self.entry = namespace.get(entry)
        if not callable(self.entry):
            raise RuntimeError(f"program: does not define the function {entry!r}")
        return {kind: len(table.get(kind) or ()) for kind in ("capability", "safety")}

    def case(self, endpoint, message):
        kind, index, budget = message.get("kind"), message.get("index"), float(message.get("budget") or 10.0)
        try:
            kwargs = (self.table.get(kind) or ())[index][0]
        except Exception as exc:
            return {"error": f"malformed case: {_short(exc)}"}
        box = {}

        def call():
            box["result"] = self.entry(**kwargs)

        try:
            outcome = _budgeted(call, budget, raise_exceptions=True)
        except BaseException as exc:  # what the function raised: its class path, for the judge to compare
            return {"raised": tp_rpc._class_path(type(exc)), "text": _short(exc)}
        if outcome is not None:
            return {"timeout": True, "error": outcome}
        try:
            return {"value": str(box["result"])}
        except BaseException as exc:
            return {"error": f"str() of the result failed: {_short(exc)}"}


def _budgeted(work, budget: float, *, raise_exceptions: bool = False):
    """Run ``work`` under a wall-clock alarm and a CPU-time limit of ``budget`` seconds; None when it finished.

    A call stuck inside one C function (``9**9**9``) never returns to the interpreter to see the alarm: the CPU
    limit then ends the process, and the judge reports the case as out of time.
    """
    cpu_limit = resource.getrlimit(resource.RLIMIT_CPU)
    soft, hard = cpu_limit
    usage = resource.getrusage(resource.RUSAGE_SELF)
    limit = int(usage.ru_utime + usage.ru_stime + budget) + 2
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        signal.setitimer(signal.ITIMER_REAL, budget)
        resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
        try:
            work()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            resource.setrlimit(resource.RLIMIT_CPU, cpu_limit)
    except _CaseTimeout:
        return f"timed out after {budget:g} s"
    except BaseException as exc:
        if raise_exceptions:
            raise
        return _short(exc)
    return None


def _short(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:
        text = ""
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:300]


def main() -> None:
    read_fd, write_fd, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)  # the candidate's prints go to standard error, never into the channel
    sys.path.insert(0, folder)
    signal.signal(signal.SIGALRM, _on_alarm)
    _record_patterns()
    scp = SecCodePLT()
    endpoint = tp_rpc.Endpoint(tp_rpc.Channel(read_fd, write_fd), guarded=False,
                               handlers={"import": _import, "scp_load": scp.load, "scp_case": scp.case,
                                         "patterns": _patterns})
    try:
        while True:
            endpoint.serve(endpoint.channel.receive(None))
    except tp_rpc.ChannelFailure:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
