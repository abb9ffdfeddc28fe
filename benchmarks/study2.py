"""Study v2 (docs/results.md): keep each arm's small results, and compute the pre-registered comparisons from them.

Three commands:

    .venv/bin/python benchmarks/study2.py collect runs/study2-base      # after an arm's run (or part of it)
    .venv/bin/python benchmarks/study2.py analyze                       # the pilot, then every comparison
    .venv/bin/python benchmarks/study2.py rejudge runs/study2-*         # at the end: every arm judged by one commit
    .venv/bin/python benchmarks/study2.py analyze --results results/study2-rejudged

``collect`` reads a self-play run folder and writes ``results/study2/<run name>.json``: per iteration and
evaluation set, every prompt's per-sample verdicts (strict secure; functional and secure where the set has
tests; SPR flags), the set's metrics, and the wall time of every finished stage. Those files are committed as the
arms finish: the run folders (models, trees, generations) are not, and the analysis needs nothing else. The
verdicts are packed (``pack``): no task ids, only one line of flags per metric in the order of the sorted ids,
and a digest of those ids, so that only prompts of the same set pair up across arms.

``analyze`` pools the Python evaluation prompts of every set and, per the plan:
- the pilot (the base arm): how often the base model's two samples of a prompt disagree, the share ``f`` of the
  first study's discordance (0.29) that this noise explains, and the minimum detectable effect of the design at 2
  samples per prompt (``study_power.mde``); the plan's rule (4 samples if that is above 5 points) is applied;
- the primary comparison (TSP local against SFT, strict secure@1): per prompt, the difference of the two arms'
  shares of secure samples; its mean with a 95% interval, the paired t-test (``scipy.stats.ttest_rel``) and,
  as a robustness check, the Wilcoxon signed-rank test;
- the secondary comparisons (every arm against the base model and against SFT, per metric), with Holm-adjusted
  p-values (``statsmodels.stats.multitest.multipletests``) and their number;
- apart from those, the exploratory comparisons the plan did not name (``EXPLORATORY``: TSP local against DPO on
  the data sets' own pairs), Holm-adjusted among themselves;
- the per-iteration curves (every arm's pooled figures after each iteration) and what each arm's trees held.

The last line is ``RESULT study2 ...`` with the primary effect and p-value when both arms are there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

RESULTS = ROOT / "results" / "study2"
FIRST_STUDY_DELTA = 0.29  # discordant share, TSP (verified) vs base, first study (study_power.py)
TARGET_MDE = 0.05
PRIMARY = ("study2-tsp-local", "study2-sft")
BASE, CONTROL = "study2-base", "study2-sft"
# Comparisons the plan did not name, chosen after seeing results: printed apart, Holm-adjusted among themselves only
EXPLORATORY = (("study2-tsp-local", "study2-dpo-pairs"),)
# Per-sample flags kept per prompt: strict secure, functional and secure (sets with tests), and for SPR@1 whether a
# parsed sample was flagged by the default profile / the paper profile ("-": did not parse, left out of SPR@1).
METRICS = ("secure", "func_sec", "spr", "spr_paper")
UNSEEN_SETS = ("seccodeplt-dev-unseen", "sec-eval-not-trained")  # CWEs no training task has
SCALARS = ("n", "tasks", "parsed", "flagged", "spr@1", "secure@1", "func@1", "sec@1", "func-sec@1", "spr@1[paper]",
           "vulnerable")


# ------------------------------------------------------------------------------------------------- collect


def collect(run: Path, out_root: Path = RESULTS) -> Path:
    """Write ``<out_root>/<run name>.json`` from a self-play run folder; returns its path."""
    from treeplay.oracles.base import severity_at_least
    from treeplay.oracles.verdict import is_secure
    from treeplay.records import Verdict, load_jsonl

    evals: dict[str, dict[str, Any]] = {}
    for folder in sorted((run / "eval").glob("iter_*")):
        for bench in sorted(p for p in folder.iterdir() if (p / "metrics.json").is_file()):
            metrics = json.loads((bench / "metrics.json").read_text(encoding="utf-8"))
            severity = json.loads((bench / "manifest.json").read_text(encoding="utf-8")).get("severity", "medium")
            verdicts = load_jsonl(bench / "verdicts.jsonl", Verdict)
            paper = _paper_flags(run, bench, verdicts)
            prompts: dict[str, dict[str, Any]] = {}
            for verdict in verdicts:
                entry = prompts.setdefault(verdict.task_id, {m: "" for m in METRICS})
                secure = is_secure(verdict, severity)
                entry["secure"] += "1" if secure else "0"
                if verdict.functional is not None:
                    entry["func_sec"] += "1" if secure and verdict.functional else "0"
                flagged = any(severity_at_least(f.severity, severity) for f in verdict.findings)
                entry["spr"] += "-" if not verdict.parsed else "0" if flagged else "1"
                entry["spr_paper"] += paper.get(verdict.candidate_id, "-")
            for entry in prompts.values():
                for metric in METRICS:
                    if not entry[metric]:
                        del entry[metric]
            evals.setdefault(folder.name, {})[bench.name] = {
                "metrics": {k: metrics.get(k) for k in SCALARS} | {"ci95": metrics.get("ci95", {})},
                **pack(prompts),
            }
    manifest = run / "manifest.json"
    stages = json.loads(manifest.read_text(encoding="utf-8")).get("stages", {}) if manifest.is_file() else {}
    path = out_root / f"{run.name}.json"
    # the verdicts are the run's: collecting again (a new format, a later stage) keeps the first collect's commit
    earlier = json.loads(path.read_text(encoding="utf-8")).get("judged_by") if path.is_file() else None
    record = {"run": run.name, "judged_by": earlier or _commit(),
              "wall_s": {name: s.get("wall_s") for name, s in stages.items() if not s.get("copied_from")},
              "copied": {name: s["copied_from"] for name, s in stages.items() if s.get("copied_from")},
              "iterations": _iterations(run), "evals": evals}
    out_root.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def rejudge(run: Path, out_root: Path) -> Path:
    """Judge a run's evaluation programs again with this commit's analyzers and tests, into ``out_root/<run
    name>/eval/iter_N/<set>/`` (the run's own evaluation folders are left as they are); the run's config and
    evaluation tasks are copied beside them, so that ``collect`` reads the copy like a run. Resumable: a set judged
    before is kept. Returns the copy's folder."""
    import shutil

    from treeplay.config import load_config
    from treeplay.pipeline.evaluate import evaluate
    from treeplay.runs import RunLayout
    from treeplay.selfplay import benchmark_name, benchmarks, eval_benchmark

    layout = RunLayout(run)
    config = load_config(str(layout.config), [])
    copy = out_root / run.name
    copy.mkdir(parents=True, exist_ok=True)
    shutil.copy2(layout.config, copy / layout.config.name)
    if (run / "eval_tasks").is_dir():
        shutil.copytree(run / "eval_tasks", copy / "eval_tasks", dirs_exist_ok=True)
    for spec in benchmarks(config.eval):
        name = benchmark_name(spec)
        for folder in sorted((run / "eval").glob(f"iter_*/{name}")):
            generations = folder / "generations.jsonl"
            out = copy / "eval" / folder.parent.name / name
            if not generations.is_file() or (out / "metrics.json").is_file():
                continue
            evaluate(eval_benchmark(config, run, spec), out, settings=config.eval, score=config.score,
                     generations=generations, seen_from=layout.tasks, progress=sys.stderr.isatty())
    return copy


def pack(prompts: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """Per-prompt flags as one line per metric: each prompt's flags in the order of the sorted task ids ("." where
    a prompt has none for that metric), with the ids' digest in place of the ids."""
    ids = sorted(prompts)
    digest = hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()[:16]
    return {"ids_sha256": digest, "prompts": len(ids),
            "flags": {m: " ".join(prompts[i].get(m) or "." for i in ids) for m in METRICS}}


def unpack(data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """``pack``'s prompts again, keyed ``<digest>:<position>`` (the same prompt in every arm of the same set)."""
    out: dict[str, dict[str, str]] = {f"{data['ids_sha256']}:{k}": {} for k in range(data["prompts"])}
    for metric, line in data["flags"].items():
        for key, flags in zip(out, line.split(" ") if line else [], strict=True):
            if flags != ".":
                out[key][metric] = flags
    return out


def _paper_flags(run: Path, bench: Path, verdicts: Sequence[Any]) -> dict[str, str]:
    """Per parsed candidate: "1" when the paper profile (CodeQL-compatible) does not flag it, "0" when it does;
    the scan eval already ran for spr@1[paper], so it comes from the finding cache."""
    from treeplay.pipeline.evaluate import paper_flags
    from treeplay.records import Candidate, Task, load_jsonl
    from treeplay.runs import RunLayout

    tasks_file = RunLayout(run).eval_tasks(bench.name)
    if not tasks_file.is_file() or not (bench / "generations.jsonl").is_file():
        return {}
    tasks = {t.id: t for t in load_jsonl(tasks_file, Task)}
    code = {c.candidate_id: c for c in load_jsonl(bench / "generations.jsonl", Candidate)}
    judged = [(code[v.candidate_id], v) for v in verdicts if v.candidate_id in code]
    flags = paper_flags([c for c, _ in judged], [v for _, v in judged], tasks)
    return {key: "0" if flagged else "1" for key, flagged in flags.items()}


def _iterations(run: Path) -> dict[str, Any]:
    """Per training iteration: what training read (trainer_state.json) and, for tree methods, what the trees held
    (``treeplay.tree.summary``: branches, those whose program parses, tokens generated, branch labels and pairs
    per reason, recomputed from trees and verdicts)."""
    from treeplay.runs import RunLayout, iteration_dirs
    from treeplay.tree.summary import tree_summaries

    layout = RunLayout(run)
    summaries = tree_summaries(run)
    out: dict[str, Any] = {}
    for t, folder in iteration_dirs(run).items():
        entry: dict[str, Any] = {}
        state = layout.model(t) / "trainer_state.json"
        if state.is_file():
            data = json.loads(state.read_text(encoding="utf-8"))
            entry["train"] = {k: data.get(k) for k in ("method", "pairs", "groups", "tokens_per_epoch", "wall_s",
                                                         "fit", "peak_memory_mb", "finished")}
        entry.update(summaries.get(t, {}))
        out[folder.name] = entry
    return out


def _commit() -> str | None:
    """The treeplay commit collecting an arm's results first, right after its run: the one that judged them."""
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


# ------------------------------------------------------------------------------------------------- analyze


def load(results: Path) -> dict[str, dict[str, Any]]:
    """The collected arms, their packed verdicts unpacked (``prompts``: flags per prompt)."""
    arms = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(results.glob("*.json"))}
    for arm in arms.values():
        for evals in arm["evals"].values():
            for data in evals.values():
                data["prompts"] = unpack(data)
    return arms


def final_eval(arm: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The arm's last evaluated iteration (iter_0 for the base arm)."""
    name = max(arm["evals"], key=lambda it: int(it.split("_")[1]))
    return name, arm["evals"][name]


def pooled(evals: Mapping[str, Any], metric: str = "secure", sets: str = "all") -> dict[str, list[int]]:
    """Per prompt (``<set>/<task id>``): its per-sample flags of ``metric`` ("-" samples left out, and prompts
    with none left), over every set (``sets`` "all"), the unseen-CWE sets ("unseen") or the others ("seen")."""
    out = {}
    for bench, data in evals.items():
        if sets != "all" and (bench in UNSEEN_SETS) != (sets == "unseen"):
            continue
        for task_id, entry in data["prompts"].items():
            flags = [int(c) for c in entry.get(metric, "") if c != "-"]
            if flags:
                out[f"{bench}/{task_id}"] = flags
    return out


def pilot(base: Mapping[str, Any]) -> dict[str, Any]:
    """The base model's self-disagreement (samples 1 and 2 of each prompt) and what it means for the design."""
    from study_power import mde

    samples = pooled(final_eval(base)[1])
    two = [s for s in samples.values() if len(s) >= 2]
    discordant = sum(s[0] != s[1] for s in two) / len(two)
    noise = min(1.0, discordant / FIRST_STUDY_DELTA)
    at2 = mde(len(samples), FIRST_STUDY_DELTA, 2, noise)
    at4 = mde(len(samples), FIRST_STUDY_DELTA, 4, noise)
    return {"prompts": len(samples), "self_discordance": discordant, "noise_share_f": noise, "mde_2": at2,
            "mde_4": at4, "samples_per_prompt": 2 if at2 <= TARGET_MDE else 4,
            "secure@1": sum(map(sum, samples.values())) / sum(map(len, samples.values()))}


def paired(first: Mapping[str, Sequence[int]], second: Mapping[str, Sequence[int]]) -> dict[str, Any] | None:
    """first - second over the prompts both have: mean difference of per-prompt shares, 95% t interval, paired
    t-test and Wilcoxon signed-rank p-values (``treeplay.eval.metrics.paired_ttest``, as ``treeplay report``)."""
    from treeplay.eval.metrics import paired_ttest

    result = paired_ttest({k: sum(v) / len(v) for k, v in second.items()},
                          {k: sum(v) / len(v) for k, v in first.items()})
    if result is None:
        return None
    return {"prompts": result["n"], "first": result["other"], "second": result["base"], "effect": result["diff"],
            "ci95": tuple(result["ci95"]), "p": result["p"], "p_wilcoxon": result["p_wilcoxon"]}


def comparisons(arms: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(the primary comparison, the secondary ones with Holm-adjusted p-values)."""
    finals = {name: final_eval(arm)[1] for name, arm in arms.items()}
    primary = None
    if all(name in finals for name in PRIMARY):
        primary = paired(pooled(finals[PRIMARY[0]]), pooled(finals[PRIMARY[1]]))
    pairs = [(name, against) for name in finals for against in (BASE, CONTROL)
             if name not in (BASE, against) and (name, against) != PRIMARY]
    scopes = [(m, "all") for m in METRICS] + [("secure", "seen"), ("secure", "unseen")]
    return primary, _compare(finals, pairs, scopes)


def exploratory(arms: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``EXPLORATORY`` comparisons whose two arms are there, per metric, Holm-adjusted among themselves."""
    finals = {name: final_eval(arm)[1] for name, arm in arms.items()}
    return _compare(finals, EXPLORATORY, [(m, "all") for m in METRICS])


def _compare(finals: Mapping[str, Any], pairs: Sequence[tuple[str, str]],
             scopes: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """One row per pair of arms that are both there and per (metric, CWE sets) with prompts on both sides, its p
    Holm-adjusted over these rows."""
    from treeplay.eval.metrics import holm

    rows = []
    for name, against in pairs:
        if name not in finals or against not in finals:
            continue
        for metric, sets in scopes:
            result = paired(pooled(finals[name], metric, sets), pooled(finals[against], metric, sets))
            if result is not None:
                label = metric if sets == "all" else f"{metric} ({sets} CWEs)"
                rows.append({"arm": name, "against": against, "metric": label, **result})
    for row, p in zip(rows, holm([r["p"] for r in rows]), strict=True):
        row["p_holm"] = p
    return rows


def curves(arms: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per arm and evaluated iteration, the pooled figures: strict secure@1, func-sec@1 (sets with tests), SPR@1
    of both profiles (parsed samples), and the share of samples that parse; each a share of samples."""
    rows = []
    for name, arm in arms.items():
        for iteration in sorted(arm["evals"], key=lambda it: int(it.split("_")[1])):
            evals = arm["evals"][iteration]
            row: dict[str, Any] = {"arm": name, "iteration": int(iteration.split("_")[1])}
            for metric in METRICS:
                samples = [f for flags in pooled(evals, metric).values() for f in flags]
                row[metric] = sum(samples) / len(samples) if samples else None
            spr = [c for data in evals.values() for entry in data["prompts"].values() for c in entry.get("spr", "")]
            row["parsed"] = sum(c != "-" for c in spr) / len(spr) if spr else None
            rows.append(row)
    return rows


def _pts(value: float) -> str:
    return f"{100 * value:+.1f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def report(results: Path = RESULTS) -> str:
    arms = load(results)
    lines = []
    if BASE in arms:
        p = pilot(arms[BASE])
        lines += ["Pilot (the base model, two samples per prompt):",
                  f"  prompts {p['prompts']}, secure@1 {100 * p['secure@1']:.1f}%, self-discordance "
                  f"{100 * p['self_discordance']:.1f}% -> f = {p['noise_share_f']:.2f}",
                  f"  MDE at 2 samples {100 * p['mde_2']:.1f} points, at 4 samples {100 * p['mde_4']:.1f} points "
                  f"-> {p['samples_per_prompt']} samples per prompt", ""]
    primary, rows = comparisons(arms)
    if primary is not None:
        low, high = primary["ci95"]
        after = ", ".join(f"{name} after {final_eval(arms[name])[0].replace('_', ' ')}" for name in PRIMARY)
        lines += [f"Primary ({after}): {PRIMARY[0]} - {PRIMARY[1]}, strict secure@1 over {primary['prompts']} prompts: "
                  f"{100 * primary['first']:.1f}% vs {100 * primary['second']:.1f}%, effect {_pts(primary['effect'])} "
                  f"points (95% CI {_pts(low)} to {_pts(high)}), paired t-test p = {primary['p']:.3g}, Wilcoxon "
                  f"p = {primary['p_wilcoxon']:.3g}", ""]
    for title, table in ((f"Secondary ({len(rows)} comparisons; p Holm-adjusted over all of them)", rows),
                         ("Exploratory (not in the plan, chosen after its results; p Holm-adjusted over these "
                          "rows only)", exploratory(arms))):
        if not table:
            continue
        lines += [f"{title}:", "",
                  "| arm | against | metric | prompts | arm | against | effect (points) | 95% CI | p | p (Holm) |",
                  "|---|---|---|---:|---:|---:|---:|---|---:|---:|"]
        for r in table:
            low, high = r["ci95"]
            lines.append(f"| {r['arm']} | {r['against']} | {r['metric']} | {r['prompts']} | {100 * r['first']:.1f}% | "
                         f"{100 * r['second']:.1f}% | {_pts(r['effect'])} | {_pts(low)} to {_pts(high)} | "
                         f"{r['p']:.3g} | {r['p_holm']:.3g} |")
        lines.append("")
    lines += ["Per-iteration curves (pooled over every set; a share of samples):", "",
              "| arm | iteration | secure@1 | func-sec@1 | SPR@1 | SPR@1 [paper] | parsed |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['arm']} | {r['iteration']} | {_pct(r['secure'])} | {_pct(r['func_sec'])} | {_pct(r['spr'])} | "
              f"{_pct(r['spr_paper'])} | {_pct(r['parsed'])} |" for r in curves(arms)]
    lines.append("")
    for name, arm in arms.items():
        lines.append(f"{name}: wall time per stage (s): " + ", ".join(
            f"{stage} {seconds:.0f}" for stage, seconds in arm["wall_s"].items() if seconds is not None))
        if arm.get("copied"):  # stages whose outputs another run made (same inputs and settings): no time here
            lines.append(f"{name}: stages copied from another run: " + ", ".join(
                f"{stage} (from {source})" for stage, source in arm["copied"].items()))
        for iteration, entry in arm.get("iterations", {}).items():
            parts = []
            if "trees" in entry:
                held = entry["trees"]
                parsed = f" ({held['parsed']} parse)" if "parsed" in held else ""
                parts.append(f"{held['branches']} branches{parsed}, {held['tokens_generated']} tokens in them")
            if "pairs" in entry:
                c = entry["pairs"]["counts"]
                parts.append("branches " + " / ".join(f"{k} {c.get(k, 0)}" for k in (
                    "secure", "vulnerable", "broken", "identical", "unscored", "golden_unparsable")))
                parts.append("pairs " + ", ".join(f"{k} {v}" for k, v in entry["pairs"]["by_reason"].items()))
            if "train" in entry:
                tokens = (entry["train"].get("tokens_per_epoch") or {}).get("packed")
                parts.append(f"trained on {entry['train'].get('pairs')} examples, {tokens} packed tokens per epoch")
            if parts:
                lines.append(f"  {iteration}: " + "; ".join(parts))
    effect = "n/a" if primary is None else f"{100 * primary['effect']:.2f}"
    pvalue = "n/a" if primary is None else f"{primary['p']:.4g}"
    lines.append(f"RESULT study2 arms={len(arms)} primary_effect_points={effect} primary_p={pvalue}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    get = sub.add_parser("collect", help="keep a run's per-prompt verdicts, metrics and stage times")
    get.add_argument("run", type=Path, nargs="+", help="self-play run folders (runs/study2-*)")
    get.add_argument("--out", type=Path, default=RESULTS)
    again = sub.add_parser("rejudge", help="judge runs' evaluation programs again with this commit, into copies "
                                           "that collect reads (results/study2-rejudged/ by default)")
    again.add_argument("run", type=Path, nargs="+", help="self-play run folders (runs/study2-*)")
    again.add_argument("--copies", type=Path, default=ROOT / "runs" / "study2-rejudged",
                       help="where the re-judged evaluation folders go")
    again.add_argument("--out", type=Path, default=ROOT / "results" / "study2-rejudged")
    show = sub.add_parser("analyze", help="the pilot and the comparisons, from the collected results")
    show.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.command in ("collect", "rejudge"):
        for run in args.run:
            if not (run / "eval").is_dir():
                parser.error(f"{run}: not a self-play run folder with evaluations (no eval/ in it)")
            folder = rejudge(run, args.copies) if args.command == "rejudge" else run
            print(f"wrote {collect(folder, args.out)}")
        return 0
    print(report(args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
