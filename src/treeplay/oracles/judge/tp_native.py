"""Judge mode ``native``: every ``test_*`` function of one treeplay test file, run here, in the judge.

The test file imports the candidate's module (``from solution import f``): it gets a ``RemoteModule``, and every
call crosses to the candidate's process. A test passes when its function returns without an exception AND the
candidate process did not die or time out during it (a test cannot swallow that: see ``tp_rpc.ChannelFailure``).
The report is one record: ``{"results": [[name, error or null], ...], "load_error": ...}``.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import traceback

try:  # in the sandbox: the judge's folder is on sys.path
    import tp_judge
except ImportError:  # imported as part of treeplay (its tests)
    from treeplay.oracles.judge import tp_judge


def run(config: dict, reporter, deadline: float) -> None:
    owner = tp_judge.CandidateProcess(config["folder"], deadline, cwd=config["scratch"])
    module_name = config["module"]
    sys.modules[module_name] = tp_judge.RemoteModule(owner, (module_name,))
    sys.modules["treeplay_judge"] = tp_judge.helper_module(owner)
    results, load_error, patterns = [], None, {}
    try:
        spec = importlib.util.spec_from_file_location("_treeplay_tests", config["tests"])
        module = importlib.util.module_from_spec(spec)
        deaths = owner.deaths
        spec.loader.exec_module(module)
        if owner.deaths != deaths:
            raise RuntimeError(owner.last_death)
        tests = [(n, f) for n, f in vars(module).items() if n.startswith("test_") and callable(f)]
    except BaseException as exc:
        load_error, tests = _describe(exc), []
    for name, function in tests:
        if time.monotonic() >= deadline:
            results.append([name, "not run: the time budget was spent"])
            continue
        deaths = owner.deaths
        try:
            function()
            error = None
        except BaseException as exc:
            error = _describe(exc)
        if owner.deaths != deaths:  # the candidate crashed, exited or hung inside this test
            error = owner.last_death + ("" if error is None else f" ({error})")
        results.append([name, error])
        owner.collect_patterns(patterns)
    owner.close()
    reporter.emit({"results": results, "load_error": load_error, "patterns": [list(p) for p in patterns]})


def _describe(exc: BaseException) -> str:
    try:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    except BaseException:
        text = type(exc).__name__
    return text[:500]
