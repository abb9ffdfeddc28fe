"""The real analyzers behind the Oracle protocol, run once over one batch (module fixture) to stay fast.

Every test here needs the tools (``tools`` mark) and skips with a reason when one is absent.
"""

from __future__ import annotations

import pytest

from treeplay.errors import ToolMissingError
from treeplay.oracles.base import SEVERITIES, Program
from treeplay.oracles.static import DEFAULT_ANALYZERS, make_oracle, scan_programs

from .recording import run_recording

pytestmark = pytest.mark.tools

PROGRAMS = [
    Program("py/shell", "python", "import subprocess\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"),
    Program("py/pickle", "python", "import pickle\n\ndef load(blob):\n    return pickle.loads(blob)\n"),
    Program("py/xss", "python", "def greet(name):\n    return f'<h1>Hello {name}</h1>'\n"),
    Program("py/suppressed", "python",
            "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)  # nosec  # nosemgrep\n"),
    Program("py/clean", "python", "def add(a: int, b: int) -> int:\n    return a + b\n"),
    Program("py/broken", "python", "def f(:\n    return\n"),
    Program("c/strcpy", "c", "#include <string.h>\nvoid cp(char *dst, const char *src) {\n  strcpy(dst, src);\n}\n"),
    Program("c/sscanf", "c",
            "#include <stdio.h>\nint name(const char *line) {\n"
            "  char buf[16];\n  return sscanf(line, \"%s\", buf);\n}\n"),
    Program("c/ignored", "c",
            "#include <string.h>\nvoid cp(char *d, const char *s) {\n  /* Flawfinder: ignore */\n  strcpy(d, s);\n}\n"),
    Program("c/clean", "c", "int add(int a, int b) {\n  return a + b;\n}\n"),
    Program("js/exec", "javascript",
            "const cp = require('child_process');\nfunction du(dir) {\n  return cp.execSync(`du -s ${dir}`);\n}\n"),
]


def _available(name: str) -> bool:
    try:
        make_oracle(name).version()
    except ToolMissingError:
        return False
    return True


AVAILABLE = [name for name in DEFAULT_ANALYZERS if _available(name)]


def _need(*names: str) -> None:
    missing = [n for n in names if n not in AVAILABLE]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")


@pytest.fixture(scope="module")
def batch():
    """(findings per key at severity low, argv of every process started) for one scan of PROGRAMS."""
    if not AVAILABLE:
        pytest.skip("no analyzer installed")
    return run_recording(lambda: scan_programs(PROGRAMS, analyzers=AVAILABLE, severity="low", cache=None))


def _rules(found, key):
    return {(f.tool, f.rule, f.cwe) for f in found[key]}


def test_bandit_flags_shell_injection_with_cwe_78(batch):
    _need("bandit")
    found, _ = batch
    hits = [f for f in found["py/shell"] if "bandit" in f.tool.split("+")]
    assert any(f.cwe == "CWE-78" and f.severity == "high" and f.line == 4 for f in hits), found["py/shell"]


def test_semgrep_codeshield_rules_flag_pickle_with_cwe_502(batch):
    _need("semgrep")
    found, _ = batch
    assert any("semgrep" in f.tool and f.cwe == "CWE-502" and "pickle" in f.rule for f in found["py/pickle"])


def test_treeplay_rules_flag_unescaped_html_with_cwe_79(batch):
    _need("semgrep")
    found, _ = batch
    assert [f.rule for f in found["py/xss"]] == ["treeplay-py-html-fstring-unescaped"]
    assert found["py/xss"][0].cwe == "CWE-79" and found["py/xss"][0].line == 2


def test_semgrep_codeshield_and_treeplay_rules_cover_javascript(batch):
    _need("semgrep")
    found, _ = batch
    rules = {rule for f in found["js/exec"] for rule in f.rule.split("+")}  # merged findings join their rules
    # CodeShield tags its child-process rule CWE-95; ours say CWE-78 (the dataflow rule joins the pattern rule)
    assert {"child-process", "treeplay-js-shell-command-string"} <= rules, found["js/exec"]


def test_cppcheck_flags_unbounded_sscanf_with_cwe(batch):
    _need("cppcheck")
    found, _ = batch
    hit = [f for f in found["c/sscanf"] if "cppcheck" in f.tool]
    assert hit and hit[0].rule.startswith("invalidscanf") and hit[0].cwe == "CWE-119", found["c/sscanf"]


def test_flawfinder_flags_strcpy_with_cwe_120(batch):
    _need("flawfinder")
    found, _ = batch
    assert any("flawfinder" in f.tool and f.cwe == "CWE-120" and f.severity == "high" for f in found["c/strcpy"])


def test_suppression_comments_do_not_hide_findings(batch):
    _need("bandit", "semgrep", "flawfinder")
    found, _ = batch
    tools = {t for f in found["py/suppressed"] for t in f.tool.split("+")}
    assert {"bandit", "semgrep"} <= tools, found["py/suppressed"]
    assert any("flawfinder" in f.tool for f in found["c/ignored"]), found["c/ignored"]


def test_clean_code_has_no_findings(batch):
    found, _ = batch
    assert found["py/clean"] == () and found["c/clean"] == ()


def test_unparsable_code_is_a_verdict_not_an_error(batch):
    found, _ = batch
    assert found["py/broken"] == ()


def test_every_key_present_and_findings_well_formed(batch):
    found, _ = batch
    assert set(found) == {p.key for p in PROGRAMS}
    for findings in found.values():
        for f in findings:
            assert f.severity in SEVERITIES and f.line >= 1 and f.rule and f.tool
            assert f.cwe is None or (f.cwe.startswith("CWE-") and f.cwe[4:].isdigit())


def test_each_analyzer_starts_once_per_batch(batch):
    _, started = batch
    scans = [argv for argv in started if "--version" not in argv]
    names = sorted(argv[0].rsplit("/", 1)[-1] for argv in scans)
    # codeshield-regex runs in-process; govet has no Go program in this batch; redos starts recheck only for a batch
    # that holds a regular expression (tests/oracles/test_redos.py checks it starts once then)
    assert names == sorted(a for a in AVAILABLE if a not in ("codeshield-regex", "govet", "redos")), names


def test_semgrep_runs_offline_without_metrics_or_version_check(batch):
    _need("semgrep")
    _, started = batch
    (argv,) = [a for a in started if a[0].endswith("semgrep")]
    assert argv[argv.index("--metrics") + 1] == "off"
    assert "--disable-version-check" in argv and "--disable-nosem" in argv


def test_batched_scan_equals_one_scan_per_file(batch):
    found, _ = batch
    fast = [name for name in ("bandit", "cppcheck", "flawfinder") if name in AVAILABLE]
    for name in fast:
        oracle = make_oracle(name)
        progs = [p for p in PROGRAMS if p.language in oracle.languages]
        together = oracle.scan(progs)
        for prog in progs:
            assert oracle.scan([prog])[prog.key] == together[prog.key], (name, prog.key)


def test_bandit_rates_an_ftplib_import_low_and_a_plaintext_ftp_call_high():
    _need("bandit")
    from treeplay.oracles.bandit import BanditOracle

    tls = "import ftplib\nimport ssl\n\nconn = ftplib.FTP_TLS('h', context=ssl.create_default_context())\n"
    plain = "import ftplib\n\nconn = ftplib.FTP('h')\n"
    found = BanditOracle(severity="low").scan([Program("tls", "python", tls), Program("plain", "python", plain)])
    assert {(f.rule, f.severity) for f in found["tls"]} == {("B402", "low")}
    assert ("B321", "high") in {(f.rule, f.severity) for f in found["plain"]}
