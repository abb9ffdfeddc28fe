"""treeplay selfplay: the plan of stages, and a run killed with SIGKILL that resumes to the same artifacts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from treeplay.config import load_config
from treeplay.data.importers import load_task_sources
from treeplay.errors import ConfigError, DataError
from treeplay.records import Task, load_jsonl, write_jsonl
from treeplay.selfplay import benchmark_name, plan, prepare

TRAIN_IDS = ("py_sqli_user_search", "py_cmd_grep_logs")
EVAL_IDS = ("py_sqli_product_sort", "py_log_failed_login")


def names(config, run):
    return [step.name for step in plan(config, run)]


def test_plan_of_verified_tsp_scores_the_branches_and_evaluates_every_iteration(tmp_path):
    config = load_config(None, ["train.method=tsp", "pairs.mode=verified", "iterations=2"])
    assert names(config, tmp_path) == ["eval/iter_0", "nodes", "iter_1/grow", "iter_1/score", "iter_1/pairs",
                                       "iter_1/train", "eval/iter_1", "iter_2/grow", "iter_2/score",
                                       "iter_2/pairs", "iter_2/train", "eval/iter_2"]


def test_plan_of_paper_tsp_runs_no_oracle_and_iteration_t_starts_from_model_t_minus_1(tmp_path):
    config = load_config(None, ["train.method=tsp", "pairs.mode=paper", "iterations=2", "eval.every_iteration=false"])
    steps = {s.name: s for s in plan(config, tmp_path)}
    assert "iter_1/score" not in steps and "eval/iter_1" not in steps and "eval/iter_2" in steps
    assert f"model.adapter={tmp_path / 'iter_1' / 'model'}" in steps["iter_2/grow"].argv
    train2 = steps["iter_2/train"].argv
    assert train2[train2.index("--adapter") + 1] == str(tmp_path / "iter_1" / "model")


@pytest.mark.parametrize("method", ["sft", "dpo", "spin"])
def test_baselines_train_from_the_tasks_without_trees(tmp_path, method):
    config = load_config(None, [f"train.method={method}", "iterations=1"])
    assert names(config, tmp_path) == ["eval/iter_0", "iter_1/train", "eval/iter_1"]


def test_zero_iterations_only_evaluate_the_base_model(tmp_path):
    config = load_config(None, ["train.method=tsp", "iterations=0"])
    assert names(config, tmp_path) == ["eval/iter_0"]
    with pytest.raises(ConfigError, match="eval.base") as error:
        load_config(None, ["iterations=0", "eval.base=false"])
    assert error.value.key == "iterations"


def test_a_run_directory_refuses_a_different_config(tmp_path):
    prepare(load_config(None, ["tasks=builtin:train:c"]), tmp_path)
    with pytest.raises(ConfigError, match="different config"):
        prepare(load_config(None, ["tasks=builtin:train:c", "grow.width=2"]), tmp_path)


def test_a_run_folder_saved_with_the_removed_seed_key_resumes(tmp_path):
    config = load_config(None, ["tasks=builtin:train:c", "iterations=1"])
    prepare(config, tmp_path)
    saved = tmp_path / "config.yaml"
    text = saved.read_text()
    saved.write_text(text.replace("iterations: 1\n", "iterations: 1\nseed: 7\n"))  # as written before seed went
    prepare(config, tmp_path)
    assert saved.read_text() == text and load_config(saved) == config  # the stage commands can read it again
    saved.write_text(text.replace("iterations: 1\n", "iterations: 1\nseed: 7\n"))
    with pytest.raises(ConfigError, match="different config"):
        prepare(load_config(None, ["tasks=builtin:train:c", "iterations=2"]), tmp_path)


def test_a_run_folder_saved_before_a_key_was_added_resumes_with_its_default(tmp_path):
    config = load_config(None, ["tasks=builtin:train:c", "iterations=1", "pairs.mode=verified"])
    prepare(config, tmp_path)
    saved = tmp_path / "config.yaml"
    text = saved.read_text()
    older = text.replace("  inherited_findings: count\n", "")  # as written before pairs.inherited_findings
    assert older != text
    saved.write_text(older)
    prepare(config, tmp_path)
    assert saved.read_text() == text and load_config(saved) == config
    saved.write_text(older)  # the new key set otherwise than its default is another config
    with pytest.raises(ConfigError, match="different config"):
        prepare(load_config(None, ["tasks=builtin:train:c", "iterations=1", "pairs.mode=verified",
                                   "pairs.inherited_findings=ignore"]), tmp_path)


def test_builtin_sources_select_split_and_language():
    tasks = load_task_sources("builtin:test:python")
    assert len(tasks) == 14 and {t.split for t in tasks} == {"test"}
    assert {t.language for t in load_task_sources("builtin:train:c")} == {"c"}
    with pytest.raises(ConfigError):
        load_task_sources("builtin:dev")
    assert benchmark_name("builtin:test:python") == "builtin-test-python"


def test_sources_join_formats_and_keep_only_the_named_languages(tmp_path):
    from treeplay.data.builtin import load_builtin

    write_jsonl(tmp_path / "c.jsonl", [t for t in load_builtin() if t.language == "c"])
    spec = "native:{data_dir}/c.jsonl+builtin:test:python"
    both = load_task_sources(spec, data_dir=tmp_path)
    assert {t.language for t in both} == {"c", "python"}
    only_c = load_task_sources(spec, data_dir=tmp_path, languages=("c", "cpp"))
    assert only_c and {t.language for t in only_c} == {"c"}
    assert benchmark_name(spec) == "native+builtin-test-python"
    with pytest.raises(DataError, match="comes from both"):
        load_task_sources("builtin:test+builtin:test")
    with pytest.raises(ConfigError, match="does not exist"):
        load_task_sources("safecoder:{data_dir}/missing.jsonl", data_dir=tmp_path)
    with pytest.raises(ConfigError, match="unknown language"):
        load_task_sources("builtin", languages=("cobol",))


def test_a_run_keeps_training_and_evaluation_tasks_to_their_languages(tmp_path):
    config = load_config(None, ["tasks=builtin:train", "languages=[c]", "eval.benchmark=builtin",
                                "eval.languages=[python]", "eval.base=false", "iterations=1", "train.method=sft"])
    prepare(config, tmp_path)
    assert {t.language for t in load_jsonl(tmp_path / "tasks.jsonl", Task)} == {"c"}
    assert {t.language for t in load_jsonl(tmp_path / "eval_tasks.jsonl", Task)} == {"python"}
    steps = plan(config, tmp_path)
    assert [s.name for s in steps] == ["iter_1/train", "eval/iter_1"]
    argv = steps[-1].argv
    assert argv[argv.index("--benchmark") + 1] == str(tmp_path / "eval_tasks.jsonl")


def test_source_selectors_filter_by_split_and_cwe_and_cap_each_cwe(tmp_path):
    from dataclasses import replace

    from treeplay.data.builtin import load_builtin

    base = load_builtin()[0]
    rows = [replace(base, id=f"t{i}", cwes=(cwe,), split=split)
            for i, (cwe, split) in enumerate([("CWE-79", "a"), ("CWE-79", "a"), ("CWE-79", "b"), ("CWE-89", "a"),
                                              ("CWE-770", "b"), ("CWE-915", "a")])]
    write_jsonl(tmp_path / "t.jsonl", rows)

    def ids(selectors):
        return [t.id for t in load_task_sources("{data_dir}/t.jsonl" + selectors, data_dir=tmp_path)]

    assert ids("@per_cwe=2") == ["t0", "t1", "t3", "t4", "t5"]
    assert ids("@not_cwe=770,cwe-915@per_cwe=1") == ["t0", "t3"]
    assert ids("@cwe=770,915") == ["t4", "t5"]
    assert ids("@split=b") == ["t2", "t4"]
    assert ids("@split=a@per_cwe=1@name=first") == ["t0", "t3", "t5"]
    assert benchmark_name("securityeval:x/p.json@cwe=79,89@per_cwe=3") == "securityeval-cwe79-89-per_cwe3"
    assert benchmark_name("seccodeplt:x/train.json@fold=1/2") == "seccodeplt-fold1of2"
    assert benchmark_name("securityeval:x/p.json@per_cwe=3@name=se-small") == "se-small"
    for bad, message in [("@fold=2/2", "i/k"), ("@fold=half", "i/k"),
                         ("@per_cwe=0", "positive whole number"), ("@cwe=sql", "list of CWE ids"),
                         ("@cwe=79@cwe=89", "given twice"), ("@name=", "no value")]:
        with pytest.raises(ConfigError, match=message):
            ids(bad)


def test_folds_split_a_source_into_disjoint_parts_that_do_not_depend_on_the_order(tmp_path):
    from dataclasses import replace

    from treeplay.data.builtin import load_builtin

    base = load_builtin()[0]
    rows = [replace(base, id=f"task-{i}") for i in range(200)]
    write_jsonl(tmp_path / "t.jsonl", rows)
    write_jsonl(tmp_path / "r.jsonl", rows[::-1])

    def ids(name, selectors):
        return {t.id for t in load_task_sources("{data_dir}/" + name + selectors, data_dir=tmp_path)}

    first, second = ids("t.jsonl", "@fold=0/2"), ids("t.jsonl", "@fold=1/2")
    assert not first & second and first | second == {r.id for r in rows}
    assert 70 <= len(first) <= 130  # a hash split, about half each
    assert ids("r.jsonl", "@fold=0/2") == first  # the same tasks whatever the file's order
    thirds = [ids("t.jsonl", f"@fold={i}/3") for i in range(3)]
    assert sum(map(len, thirds)) == 200 and set().union(*thirds) == first | second


def test_several_benchmarks_are_evaluated_and_kept_apart(tmp_path, capsys):
    from treeplay.selfplay import before_after

    config = load_config(None, ["tasks=builtin:train:c", "iterations=1", "train.method=sft",
                                "eval.benchmarks=[builtin:test:python@name=py, builtin:test:c]"])
    prepare(config, tmp_path)
    assert [s.name for s in plan(config, tmp_path)] == [
        "eval/iter_0/py", "eval/iter_0/builtin-test-c", "iter_1/train", "eval/iter_1/py", "eval/iter_1/builtin-test-c"]
    py = load_jsonl(tmp_path / "eval_tasks" / "py.jsonl", Task)
    assert py and {t.language for t in py} == {"python"}
    step = plan(config, tmp_path)[-1]
    assert step.argv[step.argv.index("--benchmark") + 1] == str(tmp_path / "eval_tasks" / "builtin-test-c.jsonl")
    assert step.outputs == (tmp_path / "eval" / "iter_1" / "builtin-test-c" / "metrics.json",)
    for t, bench, secure in [(0, "py", 0.25), (1, "py", 0.5), (0, "builtin-test-c", 0.75)]:
        folder = tmp_path / "eval" / f"iter_{t}" / bench
        folder.mkdir(parents=True)
        (folder / "metrics.json").write_text(json.dumps({"secure@1": secure}))
    table = before_after(tmp_path).splitlines()
    assert table[0] == "builtin-test-c" and "75.0%" in table[2]
    assert table[3] == "py" and "25.0%" in table[5] and "50.0%" in table[6]
    clash = load_config(None, ["tasks=builtin:train:c", "eval.benchmarks=[builtin:test@name=x, builtin:train@name=x]"])
    with pytest.raises(ConfigError, match="share the results folder"):
        prepare(clash, tmp_path / "clash")


# ------------------------------------------------------------------------------------ kill -9 and resume


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """A two-iteration verified TSP run on the tiny random model: task files and the overrides."""
    from tests.train.helpers import save_tiny
    from treeplay.data.builtin import load_builtin

    root = tmp_path_factory.mktemp("selfplay")
    by_id = {t.id: t for t in load_builtin()}
    write_jsonl(root / "train.jsonl", [by_id[i] for i in TRAIN_IDS])
    write_jsonl(root / "eval.jsonl", [by_id[i] for i in EVAL_IDS])
    model = save_tiny(root / "tiny")
    overrides = [f"model.name={model}", f"tasks={root / 'train.jsonl'}", "iterations=2", "nodes.max_nodes=2",
                 "grow.width=2", "grow.max_new_tokens=10", "score.analyzers=[bandit]", "pairs.mode=verified",
                 "train.method=tsp", "train.lr=1e-3", "train.save_steps=1", "train.grad_accum=1",
                 f"eval.benchmark={root / 'eval.jsonl'}", "eval.max_new_tokens=10", "eval.bootstrap=50"]
    return root, overrides


def selfplay(out: Path, overrides: list[str]) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    log = (out.parent / f"{out.name}.log").open("a")
    return subprocess.Popen([sys.executable, "-m", "treeplay", "selfplay", "--out", str(out), *overrides],
                            stdout=log, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)


def kill_when(proc: subprocess.Popen, ready, limit_s: float = 300) -> bool:
    """SIGKILL the run's whole process group once ``ready()``; False when it finished first."""
    deadline = time.monotonic() + limit_s
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.05)
    proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    log = Path(proc.args[proc.args.index("--out") + 1] + ".log")  # type: ignore[union-attr]
    assert proc.returncode == 0, log.read_text()[-3000:]
    return False


def artifacts(run: Path) -> dict[str, object]:
    """What a run leaves, in comparable form: JSONL as sorted lines (scoring order may differ), weights as bytes;
    wall times and checkpoints left out; the run's own path written as <run>."""
    out: dict[str, object] = {}
    for path in sorted(run.rglob("*")):
        rel = path.relative_to(run).as_posix()
        if not path.is_file() or "checkpoints" in rel or "tensorboard" in rel or path.name in {
                "manifest.json", "trainer_state.json"}:
            continue
        if path.suffix == ".jsonl":
            out[rel] = sorted(path.read_text().replace(str(run), "<run>").splitlines())
        elif path.suffix == ".json":
            data = json.loads(path.read_text().replace(str(run), "<run>"))
            if path.name == "adapter_config.json":  # PEFT writes its target-module set in hash order
                data["target_modules"] = sorted(data["target_modules"])
            out[rel] = data
        else:
            out[rel] = path.read_bytes()
    return out


@pytest.mark.slow
@pytest.mark.tools
def test_selfplay_killed_at_any_stage_resumes_to_the_same_artifacts(small_run):
    if not __import__("shutil").which("bwrap"):
        pytest.skip("bubblewrap is not installed (make setup installs it)")
    root, overrides = small_run
    reference, killed = root / "reference", root / "killed"
    proc = selfplay(reference, overrides)
    assert not kill_when(proc, lambda: False)
    kills = 0
    for ready in (lambda: (killed / "iter_1" / "trees.jsonl").exists(),
                  lambda: (killed / "iter_1" / "model" / "checkpoints").exists(),
                  lambda: (killed / "iter_2" / "verdicts.jsonl").exists(),
                  lambda: (killed / "eval" / "iter_2").exists()):
        kills += kill_when(selfplay(killed, overrides), ready)
    assert kill_when(selfplay(killed, overrides), lambda: False) is False
    assert kills >= 3  # the run really was cut down several times
    want, got = artifacts(reference), artifacts(killed)
    assert sorted(got) == sorted(want)
    for rel, value in want.items():
        assert got[rel] == value, rel
        if rel.endswith(("trees.jsonl", "verdicts.jsonl", "pairs.jsonl", "generations.jsonl")):
            assert len(set(value)) == len(value), f"{rel} has duplicate records"  # type: ignore[arg-type]
    manifest = json.loads((killed / "manifest.json").read_text())
    assert list(manifest["stages"]) == [s.name for s in plan(load_config(None, overrides), killed)]


@pytest.mark.parametrize("row, n_tasks", [("sft", 59), ("tsp-paper", 59), ("tsp-verified-seccodeplt", 69)])
def test_study_configs_select_the_documented_subsets(shared_data, tmp_path, row, n_tasks):
    """docs/results.md states these sizes: 59 SafeCoder Python records, 69 SecCodePLT tasks, five eval sets."""
    from collections import Counter

    configs = Path(__file__).resolve().parents[1] / "configs"
    config = load_config(configs / f"study-{row}.yaml", [f"data_dir={shared_data}", f"out_dir={tmp_path}"])
    prepare(config, tmp_path)
    tasks = load_jsonl(tmp_path / "tasks.jsonl", Task)
    assert len(tasks) == n_tasks and {t.language for t in tasks} == {"python"}
    assert max(Counter(t.cwes[0] for t in tasks).values()) == (3 if "seccodeplt" in row else 8)
    sizes = {p.stem: len(load_jsonl(p, Task)) for p in (tmp_path / "eval_tasks").glob("*.jsonl")}
    assert sizes == {"securityeval": 121, "seccodeplt-dev-seen": 69, "seccodeplt-dev-unseen": 20,
                     "sec-eval-trained": 19, "sec-eval-not-trained": 15}
    unseen = load_jsonl(tmp_path / "eval_tasks" / "seccodeplt-dev-unseen.jsonl", Task)
    assert {t.cwes[0] for t in unseen} == {"CWE-770", "CWE-915"}
    seen = load_jsonl(tmp_path / "eval_tasks" / "seccodeplt-dev-seen.jsonl", Task)
    assert not {"CWE-770", "CWE-915"} & {c for t in seen for c in t.cwes}


# ------------------------------------------------------------------------------------ score stage settings


def test_ignoring_inherited_findings_scores_the_golden_programs_and_pairs_against_them(tmp_path, monkeypatch):
    import treeplay.oracles.verdict as verdict_module
    from tests.tree.fixtures import TASK, make_tree
    from treeplay.records import Verdict
    from treeplay.selfplay import execute, stage_runner

    write_jsonl(tmp_path / "t.jsonl", [TASK])
    run = tmp_path / "run"
    config = load_config(None, [f"tasks={tmp_path / 't.jsonl'}", "train.method=tsp", "pairs.mode=verified",
                                "pairs.inherited_findings=ignore", "iterations=1", "eval.base=false"])
    prepare(config, run)
    write_jsonl(run / "iter_1" / "trees.jsonl", [make_tree()])
    monkeypatch.setattr(verdict_module, "score_candidates", lambda tasks, candidates, **kw: [
        kw["on_verdict"](v) or v for v in (Verdict(c.candidate_id, c.task_id, parsed=True) for c in candidates)])
    steps = {s.name: s for s in plan(config, run)}
    assert "--golden" in steps["iter_1/score"].argv
    execute([steps["iter_1/score"], steps["iter_1/pairs"]], run, stage_runner, log=lambda _: None)
    scored = {v.candidate_id for v in load_jsonl(run / "iter_1" / "verdicts.jsonl", Verdict)}
    assert "t/golden" in scored and len(scored) == 7
    # the pairs stage found the golden verdict it compares with (without it, a DataError names the fix)
    assert (run / "iter_1" / "pairs.jsonl").is_file()


@pytest.mark.parametrize("run_tests", [True, False])
def test_a_selfplay_runs_score_stage_honours_every_score_key(tmp_path, monkeypatch, run_tests):
    """score.analyzers, severity, run_tests, timeout, workers and unsafe_no_sandbox reach the scoring of a
    selfplay run's branches, as they reach treeplay eval's (before, only severity and analyzers did)."""
    import dataclasses

    import treeplay.oracles.verdict as verdict_module
    from tests.tree.fixtures import TASK, make_tree
    from treeplay.records import TestSuite, Verdict
    from treeplay.selfplay import execute, stage_runner

    task = dataclasses.replace(TASK, tests=TestSuite(kind="native", files={"test_functional.py": "pass\n"},
                                                     module="solution.py", functional=True, security=False))
    write_jsonl(tmp_path / "t.jsonl", [task])
    run = tmp_path / "run"
    config = load_config(None, [f"tasks={tmp_path / 't.jsonl'}", "train.method=tsp", "pairs.mode=verified",
                                "iterations=1", "eval.base=false", "score.analyzers=[bandit, redos]",
                                "score.severity=high", f"score.run_tests={str(run_tests).lower()}",
                                "score.timeout=7.5", "score.workers=3", "score.unsafe_no_sandbox=true"])
    prepare(config, run)
    write_jsonl(run / "iter_1" / "trees.jsonl", [make_tree()])
    seen: list[dict] = []

    def fake_score(tasks, candidates, **kwargs):
        seen.append(kwargs)
        verdicts = [Verdict(c.candidate_id, c.task_id, parsed=True) for c in candidates]
        for v in verdicts:
            kwargs["on_verdict"](v)
        return verdicts

    monkeypatch.setattr(verdict_module, "score_candidates", fake_score)
    step = next(s for s in plan(config, run) if s.name == "iter_1/score")
    execute([step], run, stage_runner, log=lambda _: None)
    [kwargs] = seen
    assert tuple(kwargs["analyzers"]) == ("bandit", "redos") and kwargs["severity"] == "high"
    assert kwargs["run_tests"] is run_tests and kwargs["workers"] == 3
    sandbox = kwargs["sandbox"]
    if run_tests:
        assert kwargs["timeout"] == 7.5
        assert sandbox.unsafe and sandbox.limits.wall_seconds == 7.5
    else:
        assert sandbox is None
    assert load_jsonl(run / "iter_1" / "verdicts.jsonl", Verdict)
