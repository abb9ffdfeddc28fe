"""benchmarks/study2.py: the study's paired comparison and pilot, against values computed by hand."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def study2():
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("study2", BENCHMARKS / "study2.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.path.remove(str(BENCHMARKS))


def test_paired_comparison_is_a_t_test_on_per_prompt_shares(study2):
    first = {"a": [1, 1], "b": [0, 1], "c": [1, 0], "only-first": [1, 1]}
    second = {"a": [0, 1], "b": [0, 0], "c": [1, 0]}
    result = study2.paired(first, second)
    # differences 0.5, 0.5, 0: mean 1/3, sd sqrt(1/12), t = 2 with 2 degrees of freedom
    assert result["prompts"] == 3 and result["effect"] == pytest.approx(1 / 3)
    t_cdf = 0.5 + 2 / (2 * math.sqrt(6))  # Student's t with 2 df at t = 2, in closed form
    assert result["p"] == pytest.approx(2 * (1 - t_cdf))
    half = 4.302652729911275 * math.sqrt(1 / 12) / math.sqrt(3)  # t(0.975, 2) * standard error
    assert result["ci95"] == pytest.approx((1 / 3 - half, 1 / 3 + half))
    assert (result["first"], result["second"]) == (pytest.approx(2 / 3), pytest.approx(1 / 3))


def test_pilot_measures_self_discordance_and_picks_the_samples_per_prompt(study2, tmp_path):
    prompts = {f"t{i}": {"secure": flags, "cwes": []} for i, flags in enumerate(["10", "11", "00", "01"] * 50)}
    base = {"run": "study2-base", "wall_s": {}, "evals": {"iter_0": {"set": {"metrics": {}, "prompts": prompts}}}}
    result = study2.pilot(base)
    assert result["prompts"] == 200 and result["self_discordance"] == 0.5 and result["noise_share_f"] == 1.0
    assert result["mde_4"] < result["mde_2"] and result["samples_per_prompt"] == 4  # 200 prompts: too few
    packed = {**base, "evals": {"iter_0": {"set": {"metrics": {}, **study2.pack(prompts)}}}}
    (tmp_path / "study2-base.json").write_text(json.dumps(packed))
    assert "self-discordance 50.0% -> f = 1.00" in study2.report(tmp_path)


def test_pooled_flags_leave_out_unparsed_samples_and_split_seen_from_unseen_sets(study2):
    evals = {"securityeval": {"prompts": {"a": {"secure": "10", "spr": "-1"}, "b": {"secure": "00", "spr": "--"}}},
             "sec-eval-not-trained": {"prompts": {"c": {"secure": "11", "spr": "10"}}}}
    assert study2.pooled(evals, "spr") == {"securityeval/a": [1], "sec-eval-not-trained/c": [1, 0]}
    assert study2.pooled(evals, "secure", "unseen") == {"sec-eval-not-trained/c": [1, 1]}
    assert set(study2.pooled(evals, "secure", "seen")) == {"securityeval/a", "securityeval/b"}


def test_curves_pool_every_set_per_iteration_and_count_unparsed_samples(study2, tmp_path):
    def arm(evals):
        return {"run": "x", "wall_s": {}, "evals": {it: {name: {"metrics": {}, **study2.pack(prompts)}
                                                           for name, prompts in sets.items()}
                                                      for it, sets in evals.items()}}

    sft = arm({"iter_1": {"securityeval": {"a": {"secure": "10", "spr": "1-"}, "b": {"secure": "00", "spr": "--"}},
                          "seccodeplt-dev-seen": {"c": {"secure": "11", "func_sec": "01", "spr": "11",
                                                        "spr_paper": "11"}}}})
    tsp = arm({"iter_1": {"securityeval": {"a": {"secure": "00", "spr": "00"}}},
               "iter_2": {"securityeval": {"a": {"secure": "11", "spr": "11"}, "b": {"secure": "11", "spr": "11"}},
                          "seccodeplt-dev-seen": {"c": {"secure": "11", "spr": "11"}}}})
    for name, data in {"study2-sft": sft, "study2-tsp-local": tsp}.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    rows = study2.curves(study2.load(tmp_path))
    assert [(r["arm"], r["iteration"]) for r in rows] == [("study2-sft", 1), ("study2-tsp-local", 1),
                                                          ("study2-tsp-local", 2)]
    # sft: 3 of 6 samples secure, 1 of 2 functional and secure, 3 of 3 parsed samples unflagged, 3 of 6 parsed
    assert (rows[0]["secure"], rows[0]["func_sec"], rows[0]["spr"], rows[0]["parsed"]) == (0.5, 0.5, 1.0, 0.5)
    assert rows[0]["spr_paper"] == 1.0 and rows[1]["spr_paper"] is None
    assert (rows[1]["secure"], rows[2]["secure"]) == (0.0, 1.0)
    report = study2.report(tmp_path)
    assert "| study2-tsp-local | 2 | 100.0% | n/a | 100.0% | n/a | 100.0% |" in report
    # the primary comparison says which iteration of each arm it reads (the last evaluated one)
    assert "Primary (study2-tsp-local after iter 2, study2-sft after iter 1)" in report


def test_exploratory_comparisons_are_printed_apart_and_adjusted_among_themselves(study2, tmp_path):
    def arm(prompts):
        evals = {"securityeval": {"metrics": {}, **study2.pack(prompts)}}
        return {"run": "x", "wall_s": {}, "evals": {"iter_1": evals}}

    tsp = {f"t{i}": {"secure": flags} for i, flags in enumerate(["11", "10", "11", "01"])}
    dpo = {f"t{i}": {"secure": flags} for i, flags in enumerate(["00", "00", "10", "01"])}
    for name, data in {"study2-tsp-local": arm(tsp), "study2-dpo-pairs": arm(dpo)}.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    arms = study2.load(tmp_path)
    assert study2.comparisons(arms) == (None, [])  # neither pair is in the plan: no secondary row
    (row,) = study2.exploratory(arms)  # only "secure" has flags in both arms
    # per-prompt differences 1, 0.5, 0.5, 0: mean 0.5, sd sqrt(1/6), t = 0.5 / (sqrt(1/6) / 2) = sqrt(6), 3 df
    assert (row["arm"], row["against"], row["metric"], row["prompts"]) == ("study2-tsp-local", "study2-dpo-pairs",
                                                                           "secure", 4)
    assert row["effect"] == pytest.approx(0.5)
    t = math.sqrt(6)
    t_cdf = 0.5 + (t / math.sqrt(3) / (1 + t * t / 3) + math.atan(t / math.sqrt(3))) / math.pi  # closed form, 3 df
    assert row["p"] == pytest.approx(2 * (1 - t_cdf)) and row["p_holm"] == pytest.approx(row["p"])  # one row
    text = study2.report(tmp_path)
    assert "Exploratory (not in the plan" in text and "Secondary" not in text
    assert "| study2-tsp-local | study2-dpo-pairs | secure | 4 | 75.0% | 25.0% | +50.0 |" in text


def test_collect_counts_what_the_trees_held_per_iteration(study2, tmp_path):
    from tests.tree.fixtures import TASK, VERDICTS, make_tree
    from treeplay.records import write_jsonl

    run = tmp_path / "study2-tsp-local"
    (run / "iter_1").mkdir(parents=True)
    (run / "config.yaml").write_text("pairs:\n  mode: verified\n")
    write_jsonl(run / "tasks.jsonl", [TASK])
    write_jsonl(run / "iter_1" / "trees.jsonl", [make_tree()])
    write_jsonl(run / "iter_1" / "verdicts.jsonl", list(VERDICTS.values()))
    (run / "manifest.json").write_text(json.dumps({"stages": {"nodes": {"wall_s": 0.1}}}))
    assert "trees" not in study2._iterations(run)["iter_1"]  # the grow stage has not finished: not counted yet
    (run / "manifest.json").write_text(json.dumps({"stages": {"iter_1/grow": {"wall_s": 1.0}}}))
    held = study2._iterations(run)["iter_1"]
    # 6 branches, of which n0/b3 ("safe = escape(name") does not parse; labels as tests/tree/test_pairs.py's
    assert held["trees"]["branches"] == 6 and held["trees"]["parsed"] == 5
    counts = held["pairs"]["counts"]
    assert (counts["secure"], counts["vulnerable"], counts["broken"], counts["identical"]) == (1, 2, 1, 1)
    assert held["pairs"]["by_reason"]["golden>vulnerable"] == 2


def test_collect_keeps_stages_copied_from_another_run_out_of_the_wall_time(study2, tmp_path):
    run = tmp_path / "study2-tsp-local-nll"
    run.mkdir()
    stages = {"iter_1/grow": {"wall_s": 1251.0, "copied_from": "runs/study2-tsp-local/iter_1/grow"},
              "iter_1/train": {"wall_s": 1900.0}}
    (run / "manifest.json").write_text(json.dumps({"stages": stages}))
    record = json.loads(study2.collect(run, tmp_path / "results").read_text())
    assert record["wall_s"] == {"iter_1/train": 1900.0}
    assert record["copied"] == {"iter_1/grow": "runs/study2-tsp-local/iter_1/grow"}
    record["evals"] = {"iter_1": {}}
    (tmp_path / "results" / "study2-tsp-local-nll.json").write_text(json.dumps(record))
    report = study2.report(tmp_path / "results")
    assert "iter_1/train 1900" in report and "iter_1/grow 1251" not in report
    assert "stages copied from another run: iter_1/grow (from runs/study2-tsp-local/iter_1/grow)" in report


def test_rejudge_judges_a_runs_programs_again_into_a_copy_that_collect_reads(study2, tmp_path):
    from tests.tree.fixtures import GOLDEN, TASK
    from treeplay.config import load_config
    from treeplay.records import write_jsonl
    from treeplay.selfplay import prepare

    write_jsonl(tmp_path / "t.jsonl", [TASK])
    run = tmp_path / "runs" / "study2-x"
    config = load_config(None, [f"tasks={tmp_path / 't.jsonl'}", "name=study2-x", "iterations=0", "eval.base=true",
                                f"eval.benchmarks=[native:{tmp_path / 't.jsonl'}@name=tiny]", "eval.n_samples=2",
                                "score.analyzers=[]", "score.run_tests=false"])
    prepare(config, run)
    first = run / "eval" / "iter_0" / "tiny"
    first.mkdir(parents=True)
    completion = GOLDEN[len(TASK.prefix):]
    (first / "generations.jsonl").write_text("".join(json.dumps({"task_id": "t", "completion": c}) + "\n"
                                                     for c in (completion, "    return (\n")))
    copy = study2.rejudge(run, tmp_path / "copies")
    assert copy == tmp_path / "copies" / "study2-x" and not (first / "verdicts.jsonl").exists()  # run untouched
    path = study2.collect(copy, tmp_path / "results")
    data = json.loads(path.read_text())
    [(name, judged)] = data["evals"]["iter_0"].items()
    assert name == "tiny" and judged["prompts"] == 1
    assert judged["flags"]["secure"] == "10" and judged["flags"]["spr"] == "1-"  # the golden program, a broken one
    assert study2.rejudge(run, tmp_path / "copies") == copy  # judged before: kept
