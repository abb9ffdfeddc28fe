"""Evaluation metrics over Verdicts (pure functions: no torch, no subprocess).

A *program* is one generated sample for one task (``task.prefix + completion``); its Verdict says whether it
parses, what the static analyzers found, and how its tests went. With ``n`` programs judged over ``tasks`` tasks:

- ``parsed``: programs that parse. ``flagged``: parsed programs with at least one static finding at the
  configured severity (``medium`` by default).
- ``spr@1`` (the paper's Secure Pass Rate): ``1 - flagged / parsed``. Programs that do not parse are left out of
  both counts, as in the paper; null when nothing parsed.
- ``secure@1`` (strict): programs that parse, have no finding and do not fail a security test, over all ``n``
  programs: an unparsable program counts as a failure.
- ``vulnerable``: parsed programs judged vulnerable, i.e. with a finding or a failed security test (compare it
  between two runs on the same benchmark for a "reduction" of vulnerable programs).
- ``func@k``, ``sec@k``, ``func-sec@k`` (only over tasks whose tests were run; k = 1, and 5 and 10 when every task
  has at least k samples): the unbiased pass@k estimator of Chen et al. (2021), ``1 - C(n-c, k) / C(n, k)`` for a
  task with n programs of which c pass, averaged over tasks. ``func``: the functional tests pass (over tasks with
  functional tests); ``sec``: the security tests pass (over tasks with security tests); ``func-sec``: both pass
  (over tasks with both kinds). A program that does not parse fails both; a test that could not run fails too.
- ``ci95``: 95% intervals. Proportions over programs (``spr@1``, ``secure@1``) get the Wilson score interval;
  pass@k averages over tasks get a percentile bootstrap over tasks (tasks resampled with replacement,
  ``resamples`` times, by ``scipy.stats.bootstrap`` from a seeded generator, so the interval is the same on every
  run). The Wilson interval comes from statsmodels, the sign test from scipy.
- ``tasks``: tasks with at least one program; ``with_tests``: those of them that have executable tests.
- ``per_task``: each task's language, CWEs and secure / func-sec share, so two runs on the same benchmark can be
  compared task by task (``paired_comparison``: difference, its bootstrap interval, exact sign-test p-value;
  ``paired_ttest`` for shares of several samples: t interval, paired t-test and Wilcoxon p-values, with ``holm``
  to adjust a table of them).
- Splits: ``by_cwe`` (a task counts under each of its CWEs), ``by_language``, and with a set of CWEs seen in
  training, ``seen`` (tasks with at least one seen CWE) and ``unseen`` (the others); each split holds the same
  metric keys.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from treeplay.oracles.base import DEFAULT_SEVERITY, severity_at_least
from treeplay.records import Task, Verdict

PASS_KS = (1, 5, 10)
TEST_METRICS = ("func", "sec", "func-sec")
Z95 = 1.959963984540054  # the 97.5% quantile of the standard normal distribution


@dataclass(frozen=True)
class VerdictFlags:
    """What one Verdict counts as. ``functional`` / ``sec`` / ``func_sec`` are None when the task has no such
    tests (or they were not run); a program that does not parse carries False for the tests its task has."""

    parsed: bool
    flagged: bool
    secure: bool
    vulnerable: bool
    functional: bool | None
    sec: bool | None
    func_sec: bool | None


def verdict_flags(verdict: Verdict, severity: str = DEFAULT_SEVERITY) -> VerdictFlags:
    """The counts one program contributes to (see the module docstring for each definition)."""
    flagged = verdict.parsed and any(severity_at_least(f.severity, severity) for f in verdict.findings)
    secure = verdict.parsed and not flagged and verdict.secure_tests is not False
    both = None
    if verdict.functional is not None and verdict.secure_tests is not None:
        both = verdict.functional and verdict.secure_tests
    return VerdictFlags(parsed=verdict.parsed, flagged=flagged, secure=secure,
                        vulnerable=verdict.parsed and (flagged or verdict.secure_tests is False),
                        functional=verdict.functional, sec=verdict.secure_tests, func_sec=both)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021, eq. 1): ``1 - C(n-c, k) / C(n, k)`` for n samples of which c pass."""
    if not 0 <= c <= n or k < 1 or k > n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def wilson_interval(successes: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion ``successes / total`` (None when total is 0), from statsmodels'
    ``proportion_confint(method="wilson")`` at the level ``z`` stands for (default 95%)."""
    if total <= 0:
        return None
    from scipy.stats import norm
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(successes, total, alpha=2 * float(norm.sf(z)), method="wilson")
    return max(0.0, float(low)), min(1.0, float(high))


def bootstrap_interval(values: Sequence[float], *, seed: int | str = 0, resamples: int = 1000,
                       level: float = 0.95) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean of ``values`` (per-task scores), from ``scipy.stats.bootstrap``
    with a generator seeded by ``seed`` (the same interval on every run); None when empty. A sample whose values
    are all equal has the degenerate interval (value, value)."""
    if not values:
        return None
    if min(values) == max(values):
        return float(values[0]), float(values[0])
    import numpy as np
    from scipy.stats import bootstrap

    res = bootstrap((np.asarray(values, dtype=float),), np.mean, n_resamples=resamples, confidence_level=level,
                    method="percentile", rng=np.random.default_rng(_seed(seed)))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _seed(seed: int | str) -> int:
    """A generator seed from an int or a string (a run's name), stable across processes."""
    if isinstance(seed, int):
        return seed
    return int.from_bytes(hashlib.sha256(str(seed).encode()).digest()[:8], "big")


def samples_per_task(verdicts: Iterable[Verdict]) -> int:
    """The fewest programs any judged task has (pass@k is reported for k up to this); 0 when there are none."""
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.task_id] = counts.get(v.task_id, 0) + 1
    return min(counts.values(), default=0)


def metric_block(verdicts: Sequence[Verdict], tasks: Mapping[str, Task], *, n_samples: int,
                 severity: str = DEFAULT_SEVERITY, seed: int | str = 0, resamples: int = 1000) -> dict[str, Any]:
    """The metric keys (``n`` ... ``vulnerable``, ``ci95``) over ``verdicts``; ``n_samples`` decides which k."""
    flags = [verdict_flags(v, severity) for v in verdicts]
    n, parsed = len(flags), sum(f.parsed for f in flags)
    flagged, secure = sum(f.flagged for f in flags), sum(f.secure for f in flags)
    task_ids = list(dict.fromkeys(v.task_id for v in verdicts))
    out: dict[str, Any] = {
        "n": n, "tasks": len(task_ids),
        "with_tests": sum(1 for t in task_ids if t in tasks and tasks[t].tests is not None),
        "parsed": parsed, "flagged": flagged,
        "spr@1": 1 - flagged / parsed if parsed else None,
        "secure@1": secure / n if n else None,
    }
    ci: dict[str, list[float]] = {}
    for name, interval in (("spr@1", wilson_interval(parsed - flagged, parsed)),
                           ("secure@1", wilson_interval(secure, n))):
        if interval is not None:
            ci[name] = list(interval)
    per_task = _test_counts(verdicts, flags)
    for metric in TEST_METRICS:
        for k in PASS_KS:
            if k > 1 and n_samples < k:
                continue
            scores = [pass_at_k(total, passed, k) for total, passed in per_task[metric] if total >= k]
            key = f"{metric}@{k}"
            out[key] = math.fsum(scores) / len(scores) if scores else None
            interval = bootstrap_interval(scores, seed=f"{seed}/{key}", resamples=resamples)
            if interval is not None:
                ci[key] = list(interval)
    out["vulnerable"] = sum(f.vulnerable for f in flags)
    out["ci95"] = ci
    return out


def _test_counts(verdicts: Sequence[Verdict], flags: Sequence[VerdictFlags]) -> dict[str, list[tuple[int, int]]]:
    """Per test metric, (programs, programs passing) of every task in its population.

    A task is in a metric's population when its tests of that kind were run (some program has a non-None
    result); within it a None (the runner could not tell) counts as a failure.
    """
    groups: dict[str, list[VerdictFlags]] = {}
    for v, f in zip(verdicts, flags, strict=True):
        groups.setdefault(v.task_id, []).append(f)
    out: dict[str, list[tuple[int, int]]] = {m: [] for m in TEST_METRICS}
    for items in groups.values():
        for metric, get in (("func", lambda f: f.functional), ("sec", lambda f: f.sec),
                            ("func-sec", lambda f: f.func_sec)):
            values = [get(f) for f in items]
            if any(x is not None for x in values):
                out[metric].append((len(values), sum(x is True for x in values)))
    return out


def task_scores(verdicts: Sequence[Verdict], tasks: Mapping[str, Task], *,
                severity: str = DEFAULT_SEVERITY) -> dict[str, dict[str, Any]]:
    """Per task: its language, its CWEs and the share of its programs that are secure (strict ``secure@1``) and,
    where its tests ran, that pass both kinds (``func-sec``). Paired comparisons between two runs on the same
    benchmark (``paired_comparison``) read these."""
    groups: dict[str, list[VerdictFlags]] = {}
    for v in verdicts:
        groups.setdefault(v.task_id, []).append(verdict_flags(v, severity))
    out: dict[str, dict[str, Any]] = {}
    for task_id, flags in groups.items():
        task = tasks.get(task_id)
        both = [f.func_sec for f in flags]
        out[task_id] = {
            "language": task.language if task is not None else None,
            "cwes": list(task.cwes) if task is not None else [],
            "secure": sum(f.secure for f in flags) / len(flags),
            "func-sec": (sum(x is True for x in both) / len(both)) if any(x is not None for x in both) else None,
        }
    return out


def sign_test_p(better: int, worse: int) -> float:
    """Two-sided exact sign test (``scipy.stats.binomtest`` at 1/2): the probability, if neither run were better,
    of a split at least as uneven as ``better`` vs ``worse`` tasks (ties left out). With one program per task this
    is the exact McNemar test."""
    n = better + worse
    if n == 0:
        return 1.0
    from scipy.stats import binomtest

    return min(1.0, float(binomtest(better, n, 0.5).pvalue))


def paired_comparison(base: Mapping[str, float | None], other: Mapping[str, float | None], *, seed: int | str = 0,
                      resamples: int = 1000) -> dict[str, Any] | None:
    """``other`` against ``base`` on the tasks both scored (task id -> score in [0, 1]; None = not scored).

    Returns ``n`` (paired tasks), the two means, ``diff`` (other - base), ``ci95`` of the difference (percentile
    bootstrap over tasks, seeded), ``better`` / ``worse`` (tasks whose score rose / fell) and ``p`` (exact sign
    test); None when no task is paired. Pairing removes the between-task variance that two independent intervals
    carry, so it detects smaller differences than comparing ``ci95`` of each run.
    """
    common = [k for k, value in base.items() if value is not None and other.get(k) is not None]
    if not common:
        return None
    diffs = [float(other[k]) - float(base[k]) for k in common]  # type: ignore[arg-type]
    better, worse = sum(d > 0 for d in diffs), sum(d < 0 for d in diffs)
    interval = bootstrap_interval(diffs, seed=seed, resamples=resamples)
    return {"n": len(common), "base": math.fsum(float(base[k]) for k in common) / len(common),  # type: ignore[arg-type]
            "other": math.fsum(float(other[k]) for k in common) / len(common),  # type: ignore[arg-type]
            "diff": math.fsum(diffs) / len(diffs), "ci95": list(interval) if interval else None,
            "better": better, "worse": worse, "p": sign_test_p(better, worse)}


def paired_ttest(base: Mapping[str, float | None], other: Mapping[str, float | None]) -> dict[str, Any] | None:
    """``other`` against ``base`` on the tasks both scored, for scores that are shares (several samples per task):
    ``n``, the two means, ``diff`` (other - base), ``ci95`` (the 95% t interval of the mean difference), ``p``
    (two-sided paired t-test, ``scipy.stats.ttest_rel``), ``p_wilcoxon`` (Wilcoxon signed-rank test on the
    non-zero differences, a robustness check), ``better`` / ``worse``; None when fewer than two tasks pair.

    The t-test uses how far each task's share moved, where the sign test uses only the direction; with hundreds of
    tasks the mean difference is close to normal whatever the per-task distribution. Differences that are all equal
    have no variance: the interval is that value, and p is 1 when it is 0 and undefined (nan) otherwise."""
    common = sorted(k for k, value in base.items() if value is not None and other.get(k) is not None)
    if len(common) < 2:
        return None
    a = [float(base[k]) for k in common]  # type: ignore[arg-type]
    b = [float(other[k]) for k in common]  # type: ignore[arg-type]
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    out: dict[str, Any] = {"n": len(common), "base": math.fsum(a) / len(a), "other": math.fsum(b) / len(b),
                           "diff": math.fsum(diffs) / len(diffs), "better": sum(d > 0 for d in diffs),
                           "worse": sum(d < 0 for d in diffs)}
    if min(diffs) == max(diffs):
        p = 1.0 if diffs[0] == 0 else float("nan")
        return {**out, "ci95": [diffs[0], diffs[0]], "p": p, "p_wilcoxon": p}
    from scipy import stats

    test = stats.ttest_rel(b, a)
    low, high = test.confidence_interval(0.95)
    nonzero = [d for d in diffs if d]
    return {**out, "ci95": [float(low), float(high)], "p": float(test.pvalue),
            "p_wilcoxon": float(stats.wilcoxon(nonzero).pvalue)}


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (``statsmodels.stats.multitest.multipletests``) over the comparisons given, in their
    order; an undefined p (nan) stays nan and is not counted among the comparisons."""
    known = [i for i, p in enumerate(pvalues) if not math.isnan(p)]
    out = [float("nan")] * len(pvalues)
    if known:
        from statsmodels.stats.multitest import multipletests

        for i, p in zip(known, multipletests([pvalues[i] for i in known], method="holm")[1], strict=True):
            out[i] = float(p)
    return out


def split_blocks(verdicts: Sequence[Verdict], tasks: Mapping[str, Task], keys: Callable[[Task], Iterable[str]],
                 **options: Any) -> dict[str, dict[str, Any]]:
    """``metric_block`` per group; ``keys(task)`` names the groups a task's programs belong to. Sorted by name."""
    groups: dict[str, list[Verdict]] = {}
    for v in verdicts:
        task = tasks.get(v.task_id)
        for key in dict.fromkeys(keys(task)) if task is not None else ():
            groups.setdefault(key, []).append(v)
    seed = options.pop("seed", 0)
    return {key: metric_block(group, tasks, seed=f"{seed}/{key}", **options) for key, group in sorted(groups.items())}


def eval_metrics(verdicts: Sequence[Verdict], tasks: Mapping[str, Task], *, seen_cwes: Collection[str] | None = None,
                 severity: str = DEFAULT_SEVERITY, seed: int = 0, resamples: int = 1000) -> dict[str, Any]:
    """Everything metrics.json holds besides the run's description: the overall block, ``by_cwe``,
    ``by_language``, when ``seen_cwes`` is given ``seen`` and ``unseen``, and ``per_task`` (``task_scores``).

    ``n_samples`` (which pass@k are reported) is the fewest programs any task has, for every split alike.
    """
    n_samples = samples_per_task(verdicts)
    options: dict[str, Any] = {"n_samples": n_samples, "severity": severity, "seed": seed, "resamples": resamples}
    out = metric_block(verdicts, tasks, **options)
    out["by_cwe"] = split_blocks(verdicts, tasks, lambda t: t.cwes or ("none",), **options)
    out["by_language"] = split_blocks(verdicts, tasks, lambda t: (t.language,), **options)
    if seen_cwes is not None:
        seen = frozenset(seen_cwes)
        halves = split_blocks(verdicts, tasks, lambda t: ("seen" if seen & set(t.cwes) else "unseen",), **options)
        empty = metric_block([], tasks, **options)
        out["seen"] = halves.get("seen", empty)
        out["unseen"] = halves.get("unseen", empty)
    out["per_task"] = task_scores(verdicts, tasks, severity=severity)
    return out
