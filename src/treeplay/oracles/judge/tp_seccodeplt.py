"""Judge mode ``seccodeplt``: a SecCodePLT task's capability and safety cases, judged here, run in the candidate.

SecCodePLT's template pastes the program and ``testcases`` into one file. Here the judge evaluates the task's
``setup`` (its own copy, from the task file, never the candidate's program) and ``testcases.py`` for the expected
values and the number of cases; the candidate's process evaluates the program and ``testcases.py`` for the
arguments and runs one case at a time under a wall-clock and a CPU budget. Its answer is only the ``str`` of the
result or the class path of what was raised; the comparison with the expected value happens here:

- ``expected`` an exception class: the call must raise it (or a subclass: the template uses ``except``);
- otherwise the case passes iff the call returns and ``str(result) == str(expected)``;
- anything else raised, a time-out, or a candidate process that dies fails the case. A fresh process (the
  program loaded again) takes the next case.

Records: ``{"kinds": [...]}`` once, ``{"i", "ok", "error", "timeout"}`` per case, ``{"done": true}`` at the end; or
``{"load_error", "timeout", "kinds"}`` when the program (or the test source) cannot be loaded.
"""

from __future__ import annotations

import signal
import time
import traceback

try:  # in the sandbox: the judge's folder is on sys.path
    import tp_judge
    import tp_rpc
except ImportError:  # imported as part of treeplay (its tests)
    from treeplay.oracles.judge import tp_judge, tp_rpc

KINDS = ("capability", "safety")


class _Timeout(BaseException):
    pass


def run(config: dict, reporter, deadline: float) -> None:
    budget = float(config["case_budget"])
    cases, error = _expected(config, budget)
    if error is not None:
        reporter.emit({"load_error": "testcases.py (evaluated by the judge with the task's setup): " + error,
                       "timeout": "timed out" in error})
        return
    kinds = [kind for kind, _, _ in cases]
    loaded, patterns = [], {}

    def load(endpoint):
        owner.call_deadline = time.monotonic() + 2 * budget + 5
        try:
            endpoint.request("scp_load", program=config["program"], tests=config["tests"],
                             entry=config["entry"], budget=budget)
        finally:
            owner.call_deadline = None
        loaded.append(True)

    owner = tp_judge.CandidateProcess(config["folder"], deadline, setup=load, cwd=config["scratch"])
    for index, (kind, number, expected) in enumerate(cases):
        try:
            owner.current()
        except BaseException as exc:
            why, timed_out = _load_failure(owner, exc)
            if not loaded:
                reporter.emit({"load_error": "program: " + why, "timeout": timed_out, "kinds": kinds})
                return
            for rest in range(index, len(cases)):
                reporter.emit({"i": rest, "ok": False, "error": "program did not load again: " + why,
                               "timeout": timed_out})
            break
        if index == 0:
            reporter.emit({"kinds": kinds})
        ok, error, timed_out = _run_case(owner, kind, number, expected, budget, deadline)
        reporter.emit({"i": index, "ok": ok, "error": error, "timeout": timed_out})
        owner.collect_patterns(patterns)
    else:
        if not cases:
            reporter.emit({"kinds": kinds})
    owner.close()
    reporter.emit({"patterns": [list(p) for p in patterns]})
    reporter.emit({"done": True})


def _expected(config: dict, budget: float):
    """[(kind, number within kind, expected)] from the judge's own evaluation of setup + testcases."""
    namespace = {"__name__": "__main__"}
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        exec("import os\nimport pickle\n", namespace)
        for path in (config.get("setup"), config["tests"]):
            if not path:
                continue
            with open(path, encoding="utf-8") as handle:
                source = handle.read()
            signal.setitimer(signal.ITIMER_REAL, budget)
            try:
                exec(compile(source, path, "exec"), namespace)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        table = namespace.get("testcases")
        if not isinstance(table, dict):
            return None, "no usable `testcases` dict"
        cases = [(kind, number, case[1]) for kind in KINDS
                 for number, case in enumerate(table.get(kind) or ())]
    except _Timeout:
        return None, f"timed out after {budget:g} s while loading"
    except BaseException as exc:
        return None, "".join(traceback.format_exception_only(type(exc), exc)).strip()[:300]
    return cases, None


def _on_alarm(signum, frame):
    raise _Timeout()


def _load_failure(owner, exc: BaseException):
    if isinstance(exc, tp_rpc.ChannelFailure):
        why = owner.last_death
        return why, "time" in why
    text = str(exc)
    return text[:300], "timed out" in text


def _run_case(owner, kind: str, number: int, expected, budget: float, deadline: float):
    if time.monotonic() >= deadline:
        return False, "not run: the time budget was spent", True
    owner.call_deadline = time.monotonic() + budget + 3
    try:
        outcome = owner.current().request("scp_case", kind=kind, index=number, budget=budget)
    except tp_rpc.ChannelFailure:
        why = owner.last_death
        return False, why, "time" in why
    except BaseException as exc:
        return False, f"the case could not run: {str(exc)[:200]}", False
    finally:
        owner.call_deadline = None
    return _judge(outcome, expected)


def _judge(outcome, expected):
    """(passed, error, timed out) for the candidate's answer to one case."""
    if not isinstance(outcome, dict):
        return False, "malformed answer from the candidate process", False
    raises = isinstance(expected, type) and issubclass(expected, BaseException)
    if outcome.get("timeout"):
        return False, str(outcome.get("error"))[:300], True
    if "raised" in outcome:
        path = outcome["raised"]
        if raises and isinstance(path, list) and [expected.__module__, expected.__qualname__] in path:
            return True, None, False
        return False, str(outcome.get("text"))[:300], False
    if "value" in outcome and isinstance(outcome["value"], str):
        got = outcome["value"]
        if raises:
            return False, f"returned {got[:100]!r} instead of raising {expected.__name__}", False
        want = str(expected)
        if got == want:
            return True, None, False
        return False, f"returned {got[:100]!r}, expected {want[:100]!r}", False
    return False, str(outcome.get("error") or "malformed answer from the candidate process")[:300], False
