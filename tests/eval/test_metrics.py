"""Every metric of metrics.json on hand-made Verdicts with known counts (no analyzer, no sandbox)."""

from __future__ import annotations

import math

import pytest

from treeplay.eval.metrics import (
    bootstrap_interval,
    eval_metrics,
    holm,
    metric_block,
    paired_comparison,
    paired_ttest,
    pass_at_k,
    sign_test_p,
    verdict_flags,
    wilson_interval,
)
from treeplay.records import Finding, Task, Verdict

from .fixtures import square_task

HIGH = Finding(tool="fake", rule="r", cwe="CWE-78", line=1, severity="high", message="m")
LOW = Finding(tool="fake", rule="r", cwe="CWE-78", line=1, severity="low", message="m")


def v(task_id: str, k: int, *, parsed: bool = True, findings: tuple = (), functional: bool | None = None,
      sec: bool | None = None) -> Verdict:
    return Verdict(candidate_id=f"{task_id}/s{k}", task_id=task_id, parsed=parsed, findings=findings,
                   functional=functional, secure_tests=sec)


def plain(task_id: str, cwe: str, language: str = "python") -> Task:
    return Task(id=task_id, language=language, cwes=(cwe,), prompt="p")


# Five programs without tests: one does not parse, two of the four that parse are flagged.
STATIC = [v("a", 0, findings=(HIGH,)), v("b", 0), v("c", 0, findings=(HIGH,)), v("d", 0), v("e", 0, parsed=False)]
STATIC_TASKS = {"a": plain("a", "CWE-78"), "b": plain("b", "CWE-78"), "c": plain("c", "CWE-502"),
                "d": plain("d", "CWE-89", "javascript"), "e": plain("e", "CWE-22")}


def test_spr_leaves_unparsable_programs_out_and_secure_counts_them_as_failures():
    m = eval_metrics(STATIC, STATIC_TASKS)
    assert (m["n"], m["tasks"], m["with_tests"], m["parsed"], m["flagged"], m["vulnerable"]) == (5, 5, 0, 4, 2, 2)
    assert m["spr@1"] == pytest.approx(1 - 2 / 4)
    assert m["secure@1"] == pytest.approx(2 / 5)
    assert m["func@1"] is None and m["sec@1"] is None and m["func-sec@1"] is None
    assert "func@5" not in m  # one sample per task
    assert m["ci95"]["spr@1"] == pytest.approx(list(wilson_interval(2, 4)))
    assert m["ci95"]["secure@1"] == pytest.approx(list(wilson_interval(2, 5)))
    assert set(m["ci95"]) == {"spr@1", "secure@1"}


def test_spr_is_null_when_nothing_parses():
    m = metric_block([v("e", 0, parsed=False)], STATIC_TASKS, n_samples=1)
    assert m["spr@1"] is None and m["secure@1"] == 0.0 and "spr@1" not in m["ci95"]


def test_findings_below_the_severity_do_not_flag():
    assert not verdict_flags(v("a", 0, findings=(LOW,))).flagged
    assert verdict_flags(v("a", 0, findings=(LOW,)), "low").flagged


def test_wilson_interval_matches_the_textbook_value():
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson_interval(0, 0) is None
    assert wilson_interval(0, 10)[0] == 0.0


def _wilson_by_hand(s: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p, denom = s / n, 1 + z * z / n
    center, half = (p + z * z / (2 * n)) / denom, z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, center - half), min(1.0, center + half)


def _sign_by_hand(better: int, worse: int) -> float:
    n = better + worse
    return 1.0 if n == 0 else min(1.0, 2 * math.fsum(math.comb(n, i) for i in range(min(better, worse) + 1)) / 2 ** n)


@pytest.mark.parametrize("s, n", [(0, 1), (1, 1), (3, 10), (40, 121), (300, 314), (5, 5), (0, 7), (96, 212)])
def test_the_library_wilson_interval_is_the_formula_it_replaced(s, n):
    assert wilson_interval(s, n) == pytest.approx(_wilson_by_hand(s, n), abs=1e-12)


@pytest.mark.parametrize("better, worse", [(0, 0), (1, 0), (11, 8), (12, 9), (1, 3), (0, 2), (30, 10), (100, 70)])
def test_the_library_sign_test_is_the_exact_binomial_sum_it_replaced(better, worse):
    assert sign_test_p(better, worse) == pytest.approx(_sign_by_hand(better, worse), abs=1e-12)


def test_the_library_bootstrap_agrees_with_the_normal_interval_on_a_large_sample():
    import random

    rng = random.Random(1)
    values = [rng.random() for _ in range(314)]
    low, high = bootstrap_interval(values, seed=3, resamples=2000)
    mean = sum(values) / len(values)
    se = math.sqrt(sum((x - mean) ** 2 for x in values) / (len(values) - 1) / len(values))
    # the percentile interval of the mean is mean +- 1.96 se up to Monte-Carlo noise (the resampling changed
    # from random.Random to numpy's generator; the interval it estimates did not)
    assert low == pytest.approx(mean - 1.96 * se, abs=0.006) and high == pytest.approx(mean + 1.96 * se, abs=0.006)
    assert bootstrap_interval([0.5] * 9) == (0.5, 0.5)


def test_paired_ttest_matches_the_t_and_wilcoxon_computed_by_hand():
    # differences 0.1, 0.2, 0.4, -0.3: mean 0.1, sample sd sqrt(0.26 / 3), t = 0.1 / (sd / 2) on 3 degrees of freedom
    base = {"a": 0.0, "b": 0.3, "c": 0.1, "d": 0.8, "e": None}
    other = {"a": 0.1, "b": 0.5, "c": 0.5, "d": 0.5, "e": 1.0, "f": 1.0}
    result = paired_ttest(base, other)
    se = math.sqrt(0.26 / 3) / 2
    t = 0.1 / se
    theta = math.atan(t / math.sqrt(3))  # Student's t cdf on 3 degrees of freedom, in closed form
    cdf = 0.5 + (theta + math.sin(theta) * math.cos(theta)) / math.pi
    assert result["n"] == 4 and result["better"] == 3 and result["worse"] == 1
    assert result["base"] == pytest.approx(0.3) and result["other"] == pytest.approx(0.4)
    assert result["diff"] == pytest.approx(0.1)
    assert result["p"] == pytest.approx(2 * (1 - cdf), abs=1e-9)
    t975 = 3.182446305284263  # the 97.5% quantile of Student's t on 3 degrees of freedom
    assert result["ci95"] == pytest.approx([0.1 - t975 * se, 0.1 + t975 * se], abs=1e-9)
    # signed ranks 1, 2, 4 (+) and 3 (-): W- = 3; 5 of the 16 sign patterns give W <= 3, so p = 2 * 5 / 16
    assert result["p_wilcoxon"] == pytest.approx(0.625)


def test_paired_ttest_degenerate_cases():
    assert paired_ttest({"a": 0.5}, {"a": 1.0}) is None  # one pair has no variance to test
    same = paired_ttest({"a": 0.5, "b": 1.0}, {"a": 0.5, "b": 1.0})
    assert same["ci95"] == [0.0, 0.0] and same["p"] == 1.0 and same["p_wilcoxon"] == 1.0
    shifted = paired_ttest({"a": 0.0, "b": 0.5}, {"a": 0.5, "b": 1.0})
    assert shifted["diff"] == 0.5 and shifted["ci95"] == [0.5, 0.5] and math.isnan(shifted["p"])


def test_holm_adjusts_by_hand_and_leaves_undefined_p_out():
    # sorted 0.01, 0.03, 0.04 over 3 comparisons: 0.03, 0.06, max(0.06, 0.04) = 0.06; nan is not a comparison
    adjusted = holm([0.01, 0.04, 0.03, float("nan")])
    assert adjusted[:3] == pytest.approx([0.03, 0.06, 0.06]) and math.isnan(adjusted[3])
    assert holm([]) == []


@pytest.mark.parametrize("n, c, k", [(5, 2, 1), (5, 2, 5), (10, 3, 5), (10, 0, 10), (20, 7, 10)])
def test_pass_at_k_equals_the_closed_form(n, c, k):
    expected = 1 - math.comb(n - c, k) / math.comb(n, k) if n - c >= k else 1.0
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_k_hand_values():
    assert pass_at_k(5, 2, 1) == pytest.approx(0.4)  # c / n
    assert pass_at_k(5, 2, 5) == 1.0  # 5 draws from 5 always include a passing one
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - 21 / 252)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 5)


# One task with tests and five samples (functional, security): see tests/eval/fixtures.SQUARE_PROGRAMS.
TESTED = [v("sq", 0, functional=True, sec=True), v("sq", 1, functional=True, sec=True),
          v("sq", 2, functional=True, sec=False), v("sq", 3, functional=False, sec=True),
          v("sq", 4, parsed=False, functional=False, sec=False)]


def test_func_sec_and_func_sec_at_k_follow_the_unbiased_estimator():
    m = eval_metrics(TESTED, {"sq": square_task()})
    assert (m["n"], m["tasks"], m["with_tests"], m["parsed"], m["flagged"]) == (5, 1, 1, 4, 0)
    assert m["func@1"] == pytest.approx(3 / 5) and m["sec@1"] == pytest.approx(3 / 5)
    assert m["func-sec@1"] == pytest.approx(2 / 5)
    assert m["func@5"] == m["sec@5"] == m["func-sec@5"] == 1.0
    assert "func@10" not in m
    assert m["secure@1"] == pytest.approx(3 / 5)  # parsed, no finding, security tests not failed
    assert m["vulnerable"] == 1  # the parsed program that fails its security test
    assert m["ci95"]["func-sec@1"] == [pytest.approx(0.4), pytest.approx(0.4)]  # one task: nothing to resample


def test_pass_at_k_averages_over_tasks_and_skips_tasks_without_tests():
    other = [v("sq2", k, functional=k == 0, sec=True) for k in range(5)]
    untested = [v("u", k) for k in range(5)]
    tasks = {"sq": square_task(), "sq2": square_task("sq2"), "u": plain("u", "CWE-78")}
    m = eval_metrics(TESTED + other + untested, tasks)
    assert m["tasks"] == 3 and m["with_tests"] == 2
    assert m["func@1"] == pytest.approx((3 / 5 + 1 / 5) / 2)
    assert m["func@5"] == pytest.approx(1.0)
    assert m["func-sec@1"] == pytest.approx((2 / 5 + 1 / 5) / 2)


def test_a_task_with_fewer_samples_limits_k():
    tasks = {"sq": square_task(), "sq2": square_task("sq2")}
    m = eval_metrics(TESTED + [v("sq2", 0, functional=True, sec=True)], tasks)
    assert "func@5" not in m and m["func@1"] == pytest.approx((3 / 5 + 1) / 2)


def test_bootstrap_is_seeded_and_brackets_the_mean():
    scores = [0.0, 1.0, 1.0, 0.0, 1.0, 0.5, 0.2, 0.9]
    first = bootstrap_interval(scores, seed="x", resamples=500)
    assert first == bootstrap_interval(scores, seed="x", resamples=500)
    assert first != bootstrap_interval(scores, seed="y", resamples=500)
    assert first[0] <= sum(scores) / len(scores) <= first[1]
    assert bootstrap_interval([], seed=0) is None


def test_splits_by_cwe_and_language_hold_the_same_metric_keys():
    m = eval_metrics(STATIC, STATIC_TASKS)
    assert set(m["by_cwe"]) == {"CWE-22", "CWE-502", "CWE-78", "CWE-89"}
    cwe78 = m["by_cwe"]["CWE-78"]
    assert (cwe78["n"], cwe78["parsed"], cwe78["flagged"], cwe78["spr@1"], cwe78["secure@1"]) == (2, 2, 1, 0.5, 0.5)
    assert m["by_cwe"]["CWE-502"]["spr@1"] == 0.0 and m["by_cwe"]["CWE-22"]["spr@1"] is None
    assert m["by_language"]["javascript"]["n"] == 1 and m["by_language"]["python"]["n"] == 4
    assert m["by_language"]["python"]["spr@1"] == pytest.approx(1 - 2 / 3)
    top = {k for k in m if k not in ("by_cwe", "by_language", "per_task")}
    assert set(cwe78) == top
    assert "seen" not in m


def test_seen_and_unseen_split_on_the_training_cwes():
    m = eval_metrics(STATIC, STATIC_TASKS, seen_cwes={"CWE-78", "CWE-89"})
    seen, unseen = m["seen"], m["unseen"]
    assert (seen["n"], seen["parsed"], seen["flagged"]) == (3, 3, 1)
    assert seen["spr@1"] == pytest.approx(2 / 3) and seen["secure@1"] == pytest.approx(2 / 3)
    assert (unseen["n"], unseen["parsed"], unseen["flagged"]) == (2, 1, 1)
    assert unseen["spr@1"] == 0.0 and unseen["secure@1"] == 0.0
    empty = eval_metrics(STATIC, STATIC_TASKS, seen_cwes=set())["seen"]
    assert empty["n"] == 0 and empty["spr@1"] is None


def test_metrics_and_the_eval_parser_import_neither_torch_nor_subprocess():
    import subprocess
    import sys

    code = ("import sys, treeplay.eval.metrics, treeplay.eval.generations, treeplay.eval.benchmarks, "
            "treeplay.eval.eval_cmd; print(sorted({'torch', 'subprocess', 'transformers'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_per_task_scores_pair_two_runs_task_by_task():
    m = eval_metrics(STATIC, STATIC_TASKS)
    per_task = m["per_task"]
    assert set(per_task) == {v.task_id for v in STATIC}
    assert all(0.0 <= row["secure"] <= 1.0 and row["language"] in ("python", "javascript") for row in per_task.values())
    base = {"a": 0.0, "b": 0.0, "c": 1.0, "d": 1.0, "e": None}
    other = {"a": 1.0, "b": 1.0, "c": 1.0, "d": 0.0, "e": 1.0, "f": 1.0}
    paired = paired_comparison(base, other, seed=0, resamples=200)
    assert paired["n"] == 4 and (paired["better"], paired["worse"]) == (2, 1)
    assert paired["base"] == 0.5 and paired["other"] == 0.75 and paired["diff"] == pytest.approx(0.25)
    assert paired["ci95"][0] <= 0.25 <= paired["ci95"][1]
    assert paired["p"] == 1.0  # 2 vs 1 is what chance gives
    assert paired_comparison({"a": None}, {"a": 1.0}) is None


def test_sign_test_is_the_exact_binomial_tail():
    assert sign_test_p(0, 0) == 1.0
    assert sign_test_p(6, 0) == pytest.approx(2 / 64)  # 1/32
    assert sign_test_p(0, 6) == sign_test_p(6, 0)
    assert sign_test_p(8, 2) == pytest.approx(2 * (1 + 10 + 45) / 1024)
    assert sign_test_p(5, 5) == 1.0
