"""Judge mode ``pytest``: one CWEval pytest module, run by pytest inside the judge.

For Python tasks the module the test imports (``cwe_022_0_task``) is a ``RemoteModule``: the candidate runs in its
own process. For C, C++, Go and JavaScript tasks the test runs the candidate as a child program, so the candidate
is never in the judge's process either. A plugin (as CWEval's ``run_tests.py`` does with ``-k 'not _unsafe'``)
deselects the tests of the benchmark's own ``_unsafe`` reference programs, bounds every test with a timer, and
reports each test's outcome as soon as it is known; a test during which the candidate process died fails.
"""

from __future__ import annotations

import os
import signal
import sys

try:  # in the sandbox: the judge's folder is on sys.path
    import tp_judge
except ImportError:  # imported as part of treeplay (its tests)
    from treeplay.oracles.judge import tp_judge


def run(config: dict, reporter, deadline: float) -> None:
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    import pytest

    owner = tp_judge.CandidateProcess(config["folder"], deadline, cwd=config["scratch"])
    module_name = config.get("module")
    if module_name:
        sys.modules[module_name] = tp_judge.RemoteModule(owner, (module_name,))
    budget = float(config["test_budget"])
    arguments = [config["tests"], "-q", "-p", "no:cacheprovider", "-p", "no:pastebin", "--basetemp",
                 os.path.join(config["scratch"], "pytest-tmp"), "--rootdir", os.path.dirname(config["tests"])]
    code = pytest.main(arguments, plugins=[_plugin(pytest, owner, reporter, budget)])
    owner.close()
    reporter.emit({"done": int(code)})


def _plugin(pytest, owner: tp_judge.CandidateProcess, reporter, budget: float):
    def on_alarm(signum, frame):
        pytest.fail(f"timed out after {budget:g} s", pytrace=False)

    class Plugin:
        deaths: dict = {}

        def pytest_collection_modifyitems(self, session, config, items):
            keep = [i for i in items if "_unsafe" not in getattr(i, "originalname", i.name)]
            dropped = [i for i in items if i not in keep]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
                items[:] = keep
            kinds = [[item.nodeid, next((m for m in ("functionality", "security") if item.get_closest_marker(m)),
                                        None)] for item in keep]
            reporter.emit({"collected": kinds})

        def pytest_collectreport(self, report):
            if report.failed:
                reporter.emit({"collect_error": str(report.longrepr)[-800:]})

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_call(self, item):
            before = owner.deaths
            signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, budget)
            try:
                yield
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                if owner.deaths != before:
                    self.deaths[item.nodeid] = owner.last_death

        def pytest_runtest_logreport(self, report):
            if report.when == "call" or (report.when == "setup" and not report.passed):
                error = None if report.passed else str(report.longrepr)[-400:]
                outcome = report.outcome
                if report.nodeid in self.deaths:
                    outcome, error = "failed", self.deaths[report.nodeid]
                reporter.emit({"test": report.nodeid, "when": report.when, "outcome": outcome, "error": error})

    return Plugin()
