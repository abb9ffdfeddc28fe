"""``treeplay eval`` on generations files, with a fake analyzer in place of bandit (no tools needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import run_subcommand
from treeplay.errors import DataError, UsageError
from treeplay.eval.eval_cmd import add_eval_parser
from treeplay.records import Candidate, Task, Verdict, load_jsonl, write_jsonl

from .fixtures import (
    COMPLETIONS,
    PAPER_GENERATIONS,
    SECURITYEVAL,
    SQUARE_PROGRAMS,
    fake_oracle,
    square_task,
    task_id,
    write_json,
    write_lines,
)

TOP_KEYS = {"benchmark", "model", "generations", "n_samples", "temperature", "top_p", "n", "tasks", "with_tests",
            "parsed", "flagged", "spr@1", "secure@1", "func@1", "sec@1", "func-sec@1", "vulnerable", "ci95",
            "by_cwe", "by_language", "per_task", "spr@1[paper]", "paper"}


def run(argv: list[str]) -> int:
    return run_subcommand(add_eval_parser, "eval", [*argv, "--no-progress"])


@pytest.fixture
def oracle(monkeypatch, tmp_path):
    """The fake analyzer answers for "bandit" and for the paper profile's "codeql-compat"; the finding cache
    lives in the test's folder."""
    import treeplay.oracles.static as static

    fake = fake_oracle()
    monkeypatch.setenv("TREEPLAY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(static, "make_oracle",
                        lambda name: fake if name in ("bandit", "codeql-compat") else pytest.fail(name))
    return fake


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    return write_json(tmp_path / "prompts.json", SECURITYEVAL)


def test_paper_generations_give_the_hand_counted_metrics(tmp_path, prompts, oracle, capsys):
    gens = write_json(tmp_path / "paper.json", PAPER_GENERATIONS)
    out = tmp_path / "eval"
    assert run(["--benchmark", "securityeval", "--data", str(prompts), "--generations", str(gens), "--out", str(out),
                "score.analyzers=[bandit]", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert printed == metrics and set(metrics) == TOP_KEYS
    assert (metrics["benchmark"], metrics["model"], metrics["generations"]) == ("securityeval", None, str(gens))
    assert (metrics["n_samples"], metrics["temperature"], metrics["top_p"]) == (1, 0.2, 0.9)
    assert (metrics["n"], metrics["tasks"], metrics["with_tests"]) == (5, 5, 0)
    assert (metrics["parsed"], metrics["flagged"], metrics["vulnerable"]) == (4, 2, 2)
    assert metrics["spr@1"] == pytest.approx(1 - 2 / 4) and metrics["secure@1"] == pytest.approx(2 / 5)
    # the paper profile scans the same 4 parsed programs (here with the same fake): same counts
    assert metrics["spr@1[paper]"] == pytest.approx(1 - 2 / 4)
    assert (metrics["paper"]["parsed"], metrics["paper"]["flagged"]) == (4, 2)
    assert metrics["func@1"] is metrics["sec@1"] is metrics["func-sec@1"] is None
    assert metrics["by_cwe"]["CWE-78"]["flagged"] == 1 and metrics["by_cwe"]["CWE-22"]["parsed"] == 0
    assert metrics["by_language"]["python"]["n"] == 5
    written = load_jsonl(out / "generations.jsonl", Candidate)
    assert [c.completion for c in written] == COMPLETIONS
    verdicts = {v.candidate_id: v for v in load_jsonl(out / "verdicts.jsonl", Verdict)}
    assert verdicts[f"{task_id(SECURITYEVAL[0])}/s0"].findings[0].cwe == "CWE-78"


def test_native_generations_score_like_the_paper_list(tmp_path, prompts, oracle, capsys):
    rows = [{"task_id": task_id(e), "completion": c} for e, c in zip(SECURITYEVAL, COMPLETIONS, strict=True)]
    gens = write_lines(tmp_path / "g.jsonl", rows)
    assert run(["--benchmark", "securityeval", "--data", str(prompts), "--generations", str(gens),
                "--out", str(tmp_path / "eval"), "score.analyzers=[bandit]"]) == 0
    table = capsys.readouterr().out
    assert "programs 5 on 5 task(s) (0 with tests): 4 parsed, 2 flagged, 2 vulnerable" in table
    assert "spr@1" in table and "50.0%" in table and "40.0%" in table


def test_seen_from_splits_on_training_cwes(tmp_path, prompts, oracle):
    train = tmp_path / "train.jsonl"
    write_jsonl(train, [Task(id="t1", language="python", cwes=("CWE-78",), prompt="p"),
                        Task(id="t2", language="python", cwes=("CWE-89",), prompt="p")])
    out = tmp_path / "eval"
    assert run(["--benchmark", "securityeval", "--data", str(prompts), "--out", str(out), "--seen-from", str(train),
                "--generations", str(write_json(tmp_path / "paper.json", PAPER_GENERATIONS)),
                "score.analyzers=[bandit]"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["seen"]["n"], metrics["seen"]["flagged"], metrics["unseen"]["n"]) == (3, 1, 2)
    assert metrics["unseen"]["spr@1"] == 0.0 and metrics["seen"]["spr@1"] == pytest.approx(2 / 3)


def test_rerun_reuses_verdicts_and_refuses_other_settings(tmp_path, prompts, oracle):
    gens = write_json(tmp_path / "paper.json", PAPER_GENERATIONS)
    argv = ["--benchmark", "securityeval", "--data", str(prompts), "--generations", str(gens),
            "--out", str(tmp_path / "eval"), "score.analyzers=[bandit]"]
    assert run(argv) == 0
    calls, verdict_bytes = oracle.calls, (tmp_path / "eval" / "verdicts.jsonl").read_bytes()
    assert run(argv) == 0
    assert oracle.calls == calls and (tmp_path / "eval" / "verdicts.jsonl").read_bytes() == verdict_bytes
    with pytest.raises(UsageError, match="severity"):
        run([*argv, "score.severity=high"])
    changed = [dict(PAPER_GENERATIONS[0], Generation=PAPER_GENERATIONS[0]["Prompt"] + "pass\n")]
    with pytest.raises(UsageError, match="other programs"):
        run([*argv[:4], "--generations", str(write_json(tmp_path / "other.json", changed)), *argv[6:]])


def test_a_resumed_eval_says_how_many_verdicts_it_reused(tmp_path, prompts, oracle, capsys):
    gens = write_json(tmp_path / "paper.json", PAPER_GENERATIONS)
    argv = ["--benchmark", "securityeval", "--data", str(prompts), "--generations", str(gens),
            "--out", str(tmp_path / "eval"), "score.analyzers=[bandit]"]
    assert run(argv) == 0
    assert "resumed" not in capsys.readouterr().err
    verdicts = tmp_path / "eval" / "verdicts.jsonl"
    verdicts.write_bytes(b"".join(verdicts.read_bytes().splitlines(keepends=True)[:3]))  # interrupted after 3
    assert run(argv) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "resumed" in line]
    assert len(lines) == 1 and "3 of 5 verdict(s) reused" in lines[0]


def test_unknown_paper_id_stops_the_run_naming_the_file(tmp_path, prompts, oracle):
    gens = write_json(tmp_path / "paper.json", [dict(PAPER_GENERATIONS[0], ID="CWE-000_none.py")])
    with pytest.raises(DataError) as info:
        run(["--benchmark", "securityeval", "--data", str(prompts), "--generations", str(gens),
             "--out", str(tmp_path / "eval")])
    assert info.value.file == str(gens) and "entry 1" in info.value.message


def test_tests_give_func_sec_and_func_sec_at_k(tmp_path, capsys):
    tasks = tmp_path / "tasks.jsonl"
    write_jsonl(tasks, [square_task()])
    gens = write_lines(tmp_path / "g.jsonl", [{"task_id": "sq", "completion": c} for c, _, _ in SQUARE_PROGRAMS])
    out = tmp_path / "eval"
    assert run(["--benchmark", str(tasks), "--generations", str(gens), "--out", str(out), "score.analyzers=[]",
                "score.unsafe_no_sandbox=true", "eval.bootstrap=200"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["benchmark"], metrics["n_samples"], metrics["with_tests"]) == ("tasks", 5, 1)
    verdicts = load_jsonl(out / "verdicts.jsonl", Verdict)
    got = {v.candidate_id: (v.functional, v.secure_tests) for v in verdicts}
    assert got == {f"sq/s{k}": (f, s) for k, (_, f, s) in enumerate(SQUARE_PROGRAMS)}
    assert metrics["func@1"] == pytest.approx(3 / 5) and metrics["sec@1"] == pytest.approx(3 / 5)
    assert metrics["func-sec@1"] == pytest.approx(2 / 5) and metrics["func-sec@5"] == 1.0
    assert metrics["secure@1"] == pytest.approx(3 / 5) and metrics["vulnerable"] == 1
    assert "func@10" not in metrics


@pytest.mark.parametrize("argv, message", [
    (["--benchmark", "securityeval"], "--data"),
    (["--benchmark", "builtin", "--generations", "g.jsonl", "--adapter", "a"], "--adapter"),
    (["--benchmark", "builtin", "eval.top_p=0"], "eval.top_p"),
    (["--benchmark", "builtin", "eval.backend=openai"], "eval.endpoint"),
])
def test_bad_invocations_say_what_to_fix(tmp_path, argv, message):
    from treeplay.errors import TreeplayError

    with pytest.raises(TreeplayError) as info:
        run([*argv, "--out", str(tmp_path / "eval")])
    assert message in str(info.value) + str(info.value.fix)


def test_model_and_generations_exclude_each_other(tmp_path):
    with pytest.raises(SystemExit):
        run(["--model", "default", "--generations", "g.jsonl"])


def test_help_teaches_by_example(capsys):
    with pytest.raises(SystemExit):
        run(["--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "--generations" in text and "spr@1" in text


def test_a_failed_start_does_not_lock_the_folder(tmp_path, prompts, oracle):
    from treeplay.errors import ModelError

    out = tmp_path / "eval"
    with pytest.raises(ModelError):
        run(["--benchmark", "securityeval", "--data", str(prompts), "--model", "./no-such-model", "--out", str(out)])
    gens = write_json(tmp_path / "paper.json", PAPER_GENERATIONS)
    assert run(["--benchmark", "securityeval", "--data", str(prompts), "--generations", str(gens), "--out", str(out),
                "score.analyzers=[bandit]"]) == 0
    assert json.loads((out / "manifest.json").read_text())["model"] is None
