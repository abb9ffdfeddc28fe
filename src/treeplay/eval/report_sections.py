"""The document of a treeplay report: its sections as blocks, and their Markdown and HTML renderings.

Each section takes the runs (or the comparison rows: base, then each run at its final iteration) and, when
``plot_dir`` is given, draws its PNGs there. A section without data says so in one sentence instead of vanishing,
so a reader can tell "no per-CWE results" from "the report forgot them".
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Union

from treeplay.eval import plots as plotting
from treeplay.eval.explorer import Explorer
from treeplay.eval.explorer import render_html as explorer_html
from treeplay.eval.explorer import render_markdown as explorer_markdown
from treeplay.eval.report_blocks import Figure, Heading, Para, Table
from treeplay.eval.report_model import (
    METRICS,
    SPLITS,
    TITLES,
    Row,
    Run,
    benchmarks_of,
    comparison_rows,
    count_cell,
    find_rows,
    metric_cell,
    pct,
    primary_metric,
    reduction,
    run_labels,
)

Block = Union[Heading, Para, Table, Figure, Explorer]  # what a section yields and both renderers read


def slug(text: str) -> str:
    """A file-name-safe form of a run or benchmark name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "x"


def render_markdown(blocks: Sequence[Block], out_dir: Path) -> str:
    """The report as Markdown; figures link to their PNG relative to ``out_dir``."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Para):
            lines += [block.text, ""]
        elif isinstance(block, Table):
            cells = [[c.replace("|", "\\|") for c in row] for row in (block.header, *block.rows)]
            lines.append("| " + " | ".join(cells[0]) + " |")
            lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(cells[0]))) + "|")
            lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
            lines.append("")
        elif isinstance(block, Explorer):
            lines += explorer_markdown(block)
        else:
            lines += [f"![{block.caption}]({block.path.relative_to(out_dir).as_posix()})", ""]
    return "\n".join(lines)


CSS = """body{font-family:system-ui,-apple-system,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}
h1,h2,h3{color:#123}table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.92em}
th,td{border:1px solid #ccc;padding:4px 9px;text-align:right}th{background:#f2f4f7}
td:first-child,th:first-child{text-align:left}figure{margin:1em 0 2em}img{max-width:100%;border:1px solid #eee}
figcaption{color:#555;font-size:.9em}p{line-height:1.45}"""


def render_html(blocks: Sequence[Block], title: str) -> str:
    """The report as one HTML page with inline CSS and every PNG embedded as a data URI (no external files)."""
    esc = html.escape
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{esc(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            body.append(f"<p>{esc(block.text)}</p>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{esc(c)}</th>" for c in block.header)
            rows = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in block.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(block, Explorer):
            body.append(explorer_html(block))
        else:
            data = base64.b64encode(block.path.read_bytes()).decode("ascii")
            body.append(f'<figure><img alt="{esc(block.caption)}" src="data:image/png;base64,{data}">'
                        f"<figcaption>{esc(block.caption)}</figcaption></figure>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def build_blocks(runs: Sequence[Run], plot_dir: Path | None, against: Sequence[str] = ()) -> list[Block]:
    """The whole report: runs, methods table, per CWE, seen/unseen, per language, paired comparisons (each row
    against the base and against the rows ``against`` names), iterations, trees, training, wall time."""
    rows = comparison_rows(runs)
    controls = find_rows(rows, against)
    benches = benchmarks_of(runs)
    blocks: list[Block] = [Heading("treeplay report", 1)]
    blocks += _runs_section(runs)
    blocks += _methods_section(rows, benches)
    blocks += _benchmark_tables(rows, benches)
    blocks += _groups_section(rows, benches, "by_cwe", "CWE", plot_dir)
    blocks += _splits_section(rows, benches, plot_dir)
    blocks += _groups_section(rows, benches, "by_language", "language", plot_dir)
    blocks += _paired_section(rows, benches)
    blocks += _pooled_section(rows, controls)
    blocks += _iterations_section(runs, benches, plot_dir)
    blocks += _trees_section(runs)
    blocks += _training_section(runs, plot_dir)
    blocks += _wall_section(runs)
    return blocks


def _runs_section(runs: Sequence[Run]) -> list[Block]:
    labels = run_labels(runs)
    table = tuple((r.name, labels[r.name], "self-play" if r.selfplay else "eval", r.model or "n/a",
                   ", ".join(str(t) for t in sorted(r.evals)) if r.selfplay else "-",
                   ", ".join(benchmarks_of([r])), str(r.path)) for r in runs)
    return [Heading("Runs"), Table(("run", "label", "kind", "model", "iterations evaluated", "benchmarks", "path"),
                                   table)]


def _methods_section(rows: Sequence[Row], benches: Sequence[str]) -> list[Block]:
    # SPR@1 [paper] (the CodeQL-compatible profile) only where some run measured it: older runs have no such key
    shown = [m for m in METRICS if m != "spr@1[paper]"
             or any((row.results.get(b) or {}).get(m) is not None for row in rows for b in benches)]
    header = ["method", "iteration"]
    for bench in benches:
        header += [*(f"{bench} {TITLES[m]}" for m in shown), f"{bench} n"]
    table = []
    for row in rows:
        cells = [row.label, str(row.iteration) if row.run.selfplay else "-"]
        for bench in benches:
            metrics = row.results.get(bench)
            cells += [*(metric_cell(metrics, m) for m in shown), count_cell((metrics or {}).get("n"))]
        table.append(tuple(cells))
    base = next((r for r in rows if r.base), None)
    note = (f"Base = iteration 0 of {base.run.name} (the model before training); " if base else "") + \
        ("the other rows are each run at its final evaluated iteration. Values are percentages with the 95% "
         "confidence interval in brackets; n = programs evaluated; n/a = not measured (func-sec@1 needs tests). "
         "SPR@1 [paper], where shown: SPR@1 under the CodeQL-compatible scan profile, comparable to the paper's.")
    return [Heading("Methods"), Para(note), Table(tuple(header), tuple(table))]


TEST_METRICS = ("func@1", "sec@1", "func-sec@1")


def _benchmark_tables(rows: Sequence[Row], benches: Sequence[str]) -> list[Block]:
    """One table per benchmark, methods as rows: SPR@1, secure@1 and, where tests ran, func@1, sec@1 and
    func-sec@1, each with its 95% interval (the methods table above in a shape that stays narrow)."""
    blocks: list[Block] = [Heading("Per benchmark")]
    for bench in benches:
        results = [row.results.get(bench) for row in rows]
        tested = any((m or {}).get("with_tests") for m in results)
        metrics = ("spr@1", "secure@1", *(TEST_METRICS if tested else ()))
        table = tuple((row.label, *(metric_cell(m, key) for key in metrics), count_cell((m or {}).get("parsed")),
                       count_cell((m or {}).get("flagged")), count_cell((m or {}).get("n")))
                      for row, m in zip(rows, results, strict=True))
        blocks += [Heading(f"{bench}: every metric", 3),
                   Table(("method", *(TITLES[k] for k in metrics), "parsed", "flagged", "n"), table)]
    return blocks


def _colors(rows: Sequence[Row]) -> dict[str, str]:
    """One colour per method label (matplotlib's cycle: C0 = base), the same in every plot of the report."""
    return {row.label: f"C{i % 10}" for i, row in enumerate(rows)}


def _natural(text: str) -> tuple[Any, ...]:
    """Sort key that puts CWE-22 before CWE-178 and then names alphabetically."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def _groups_section(rows: Sequence[Row], benches: Sequence[str], key: str, noun: str,
                    plot_dir: Path | None) -> list[Block]:
    """Per-CWE or per-language results: a table per benchmark (rows = groups, columns = methods) and bars.

    Per CWE shows the headline metric alone (there are many CWEs); per language shows SPR@1 and secure@1, each
    with its 95% interval (a few languages, each with its own sample size)."""
    blocks: list[Block] = [Heading(f"Per {noun}")]
    for bench in benches:
        groups = [(row.results.get(bench) or {}).get(key) or {} for row in rows]
        names = sorted({name for g in groups for name in g}, key=_natural)
        if not names:
            continue
        primary = primary_metric([g[name] for g in groups for name in g])
        shown = [m for m in ("spr@1", "secure@1") if key == "by_language"
                 and any(g[name].get(m) is not None for g in groups for name in g)] or [primary]
        for metric in shown:
            table = []
            for name in names:
                n = next((g[name]["n"] for g in groups if name in g and g[name].get("n") is not None), None)
                table.append((name, count_cell(n), *(metric_cell(g.get(name), metric, with_ci=len(shown) > 1)
                                                     for g in groups)))
            blocks += [Heading(f"{bench}: {TITLES[metric]} per {noun}", 3),
                       Table((noun, "n", *(row.label for row in rows)), tuple(table))]
        if plot_dir is not None:
            series = {row.label: [(g.get(name) or {}).get(primary) for name in names]
                      for row, g in zip(rows, groups, strict=True)}
            path = plotting.grouped_bars(plot_dir / f"{key.removeprefix('by_')}_{slug(bench)}.png",
                                         title=f"{bench}: {TITLES[primary]} per {noun}", categories=names,
                                         series=series, ylabel=TITLES[primary], colors=_colors(rows))
            blocks.append(Figure(path, f"{bench}: {TITLES[primary]} per {noun}, methods side by side"))
    if len(blocks) == 1:
        blocks.append(Para(f"No per-{noun} results in these runs."))
    return blocks


def _splits_section(rows: Sequence[Row], benches: Sequence[str], plot_dir: Path | None) -> list[Block]:
    """Seen vs unseen CWEs and the reduction in vulnerable programs vs the base model, per split."""
    blocks: list[Block] = [
        Heading("Seen vs unseen CWEs, and vulnerable programs vs base"),
        Para("reduction = 1 - vulnerable(method) / vulnerable(base), per split: 60% means 60% fewer vulnerable "
             "programs than the base model; negative means more. Seen = CWEs in the training data.")]
    base = rows[0] if rows and rows[0].base else None
    if base is None:
        return [*blocks, Para("No base model (iteration 0 of a self-play run) among the runs: no reductions.")]
    for bench in benches:
        parts = ["all", *(s for s in SPLITS if any((r.results.get(bench) or {}).get(s) for r in rows))]

        def split(row: Row, part: str, bench: str = bench) -> Mapping[str, Any]:
            metrics = row.results.get(bench) or {}
            return metrics if part == "all" else metrics.get(part) or {}

        metric = primary_metric([split(r, p) for r in rows for p in parts])
        header = ["method"]
        for part in parts:
            header += [f"{part} {TITLES[metric]}", f"{part} vulnerable", f"{part} reduction"]
        table, series = [], {}
        for row in rows:
            cells, cuts = [row.label], []
            for part in parts:
                cut = None if row.base else reduction(split(row, part).get("vulnerable"),
                                                      split(base, part).get("vulnerable"))
                cuts.append(cut)
                cells += [metric_cell(split(row, part), metric, with_ci=False),
                          count_cell(split(row, part).get("vulnerable")), "(base)" if row.base else pct(cut)]
            table.append(tuple(cells))
            if not row.base:
                series[row.label] = cuts
        blocks += [Heading(bench, 3), Table(tuple(header), tuple(table))]
        if plot_dir is not None and any(v is not None for cuts in series.values() for v in cuts):
            path = plotting.grouped_bars(plot_dir / f"reduction_{slug(bench)}.png", categories=parts, series=series,
                                         title=f"{bench}: fewer vulnerable programs than the base model",
                                         ylabel="reduction vs base", colors=_colors(rows))
            blocks.append(Figure(path, f"{bench}: reduction in vulnerable programs vs base, per split"))
    return blocks


def _paired_section(rows: Sequence[Row], benches: Sequence[str]) -> list[Block]:
    """Each method against the base model on the same tasks: difference, its interval and the sign test."""
    from treeplay.eval.metrics import paired_comparison

    blocks: list[Block] = [
        Heading("Against the base model, task by task"),
        Para("Each method against the base model on the tasks both evaluated: the difference in the share of secure "
             "programs (secure@1, strict; func-sec@1 where tests ran) in percentage points, its 95% bootstrap "
             "interval over tasks, tasks that got better / worse, and the exact two-sided sign-test p-value. "
             "A difference with p >= 0.05 is not significant: it is within what chance gives on this many tasks.")]
    base = rows[0] if rows and rows[0].base else None
    if base is None:
        return [*blocks, Para("No base model (iteration 0 of a self-play run) among the runs: nothing to pair.")]
    found = False
    for bench in benches:
        base_tasks = (base.results.get(bench) or {}).get("per_task") or {}
        languages = sorted({str(r.get("language")) for r in base_tasks.values() if r.get("language")})
        groups = ["all", *languages] if len(languages) > 1 else ["all"]
        for metric in ("secure", "func-sec"):
            if not any(r.get(metric) is not None for r in base_tasks.values()):
                continue
            table = []
            for row in rows[1:]:
                other = (row.results.get(bench) or {}).get("per_task") or {}
                cells = [row.label]
                for group in groups:
                    keep = [k for k, r in base_tasks.items() if group == "all" or r.get("language") == group]
                    cells.append(_paired_cell(paired_comparison(
                        {k: base_tasks[k].get(metric) for k in keep},
                        {k: (other.get(k) or {}).get(metric) for k in keep}, seed=f"{bench}/{group}/{metric}")))
                table.append(tuple(cells))
            if table:
                found = True
                title = "secure@1" if metric == "secure" else "func-sec@1"
                blocks += [Heading(f"{bench}: {title} vs base", 3),
                           Table(("method", *(f"{g}" for g in groups)), tuple(table))]
    if not found:
        blocks.append(Para("No per-task results (metrics.json without per_task: re-run treeplay eval)."))
    return blocks


def _pooled_scores(row: Row, metric: str) -> dict[str, float | None]:
    """``<benchmark>/<task>`` -> the row's per-task share of ``metric`` over every benchmark it evaluated."""
    return {f"{bench}/{task}": entry.get(metric) for bench, results in row.results.items()
            for task, entry in ((results or {}).get("per_task") or {}).items()}


def _pooled_section(rows: Sequence[Row], controls: Sequence[Row]) -> list[Block]:
    """Each row against the base and against each control, over the prompts of every benchmark at once: the mean
    difference of per-prompt shares, its t interval, paired t-test and Wilcoxon p, Holm-adjusted over the table."""
    from treeplay.eval.metrics import holm, paired_ttest

    heading = Heading("Pooled over benchmarks, prompt by prompt")
    base = rows[0] if rows and rows[0].base else None
    pairs = [(row, other) for other in ([base] if base else []) + list(controls)
             for row in rows if not row.base and row is not other]
    results = []
    for row, other in pairs:
        for metric in ("secure", "func-sec"):
            found = paired_ttest(_pooled_scores(other, metric), _pooled_scores(row, metric))
            if found is not None:
                results.append((row, other, metric, found))
    if not results:
        return [heading, Para("Nothing to pair: no base model or --against run, or no per-task results "
                              "(metrics.json without per_task: re-run treeplay eval).")]
    adjusted = holm([r[3]["p"] for r in results])
    known = sum(p == p for p in adjusted)

    def p_cell(p: float) -> str:
        return "n/a" if p != p else f"{p:.3g}"

    table = tuple((row.label, other.label, "secure@1" if metric == "secure" else "func-sec@1", str(r["n"]),
                   pct(r["base"]), pct(r["other"]), f"{100 * r['diff']:+.1f}",
                   f"{100 * r['ci95'][0]:+.1f} to {100 * r['ci95'][1]:+.1f}", p_cell(r["p"]),
                   p_cell(r["p_wilcoxon"]), p_cell(p_holm))
                  for (row, other, metric, r), p_holm in zip(results, adjusted, strict=True))
    return [heading,
            Para("Each method against the base model (and against each run named by --against) over the prompts of "
                 "every benchmark both evaluated, pooled: a prompt's score is the share of its samples that are "
                 "secure (strict secure@1; func-sec@1 over the prompts with tests), so several samples per prompt "
                 "count as a measured rate, not as independent prompts. Effect: the mean per-prompt difference in "
                 "percentage points with its 95% t interval; p: the two-sided paired t-test "
                 "(scipy.stats.ttest_rel); Wilcoxon: the signed-rank test on the same differences, a robustness "
                 f"check; Holm: p adjusted over the {known} comparisons of this table (statsmodels)."),
            Table(("method", "against", "metric", "prompts", "against's score", "method's score",
                   "effect (points)", "95% CI", "p", "p (Wilcoxon)", "p (Holm)"), table)]


def _trees_section(runs: Sequence[Run]) -> list[Block]:
    """What each tree method's trees held per iteration (``treeplay.tree.summary``)."""
    from treeplay.tree.summary import tree_summaries

    labels = run_labels(runs)
    table = []
    for run in runs:
        if not run.selfplay or run.method != "tsp":
            continue
        for t, entry in sorted(tree_summaries(run.path).items()):
            grown = entry["trees"]
            counts = (entry.get("pairs") or {}).get("counts") or {}
            reasons = (entry.get("pairs") or {}).get("by_reason") or {}
            table.append((labels[run.name], str(t), str(grown["trees"]), str(grown["branches"]),
                          str(grown["parsed"]), str(grown["tokens_generated"]),
                          *(str(counts[k]) if k in counts and (run.pairs_mode == "verified" or k == "pairs")
                            else "-" for k in ("secure", "vulnerable", "broken", "identical", "pairs")),
                          ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()) if v) or "-"))
    if not table:
        return []
    return [Heading("What the trees held"),
            Para("Per TSP run and iteration: the trees grown, their branches, the branch programs that parse, the "
                 "tokens generated, and what the run's pairs settings make of them: in verified mode each branch's "
                 "label (secure, vulnerable, broken, identical to the golden code), and the pairs per reason "
                 "(chosen > rejected). Recomputed from iter_<t>/trees.jsonl and verdicts.jsonl; '-' where the "
                 "iteration has no verdicts yet, or paper mode gives no labels."),
            Table(("method", "iteration", "trees", "branches", "parsed", "tokens generated", "secure", "vulnerable",
                   "broken", "identical", "pairs", "pairs per reason"), tuple(table))]


def _paired_cell(paired: Mapping[str, Any] | None) -> str:
    if paired is None:
        return "n/a"
    lo, hi = paired["ci95"] or (None, None)
    interval = f" [{100 * lo:+.1f}, {100 * hi:+.1f}]" if lo is not None else ""
    mark = "" if paired["p"] < 0.05 else " (n.s.)"
    return (f"{100 * paired['diff']:+.1f}{interval}; +{paired['better']}/-{paired['worse']} of {paired['n']}, "
            f"p={paired['p']:.2g}{mark}")


def _iterations_section(runs: Sequence[Run], benches: Sequence[str], plot_dir: Path | None) -> list[Block]:
    """Each self-play run's metrics at every evaluated iteration (0 = base), one line per run."""
    blocks: list[Block] = [Heading("Metrics over iterations")]
    labels = run_labels(runs)
    selfplay = [r for r in runs if r.selfplay]
    for bench in benches:
        points = {r.name: [(t, r.evals[t][bench]) for t in sorted(r.evals) if bench in r.evals[t]] for r in selfplay}
        points = {name: p for name, p in points.items() if p}
        if not points:
            continue
        iterations = sorted({t for p in points.values() for t, _ in p})
        metric = primary_metric([m for p in points.values() for _, m in p])
        table = tuple((labels[name], *(metric_cell(dict(p).get(t), metric, with_ci=False) for t in iterations))
                      for name, p in points.items())
        blocks += [Heading(f"{bench}: {TITLES[metric]} by iteration", 3),
                   Table(("method", *(f"iter {t}" for t in iterations)), table)]
        if plot_dir is not None:
            panels = {TITLES[m]: {labels[name]: [(t, x[m]) for t, x in p if isinstance(x.get(m), (int, float))]
                                  for name, p in points.items()} for m in METRICS}
            panels = {k: v for k, v in panels.items() if any(v.values())} or {TITLES[metric]: {}}
            path = plotting.line_panels(plot_dir / f"iterations_{slug(bench)}.png", title=f"{bench} by iteration",
                                        panels=panels, xlabel="iteration", percent=tuple(panels),
                                        colors=_colors(comparison_rows(runs)))
            blocks.append(Figure(path, f"{bench}: metrics at each iteration (0 = base model), one line per run"))
    if len(blocks) == 1:
        blocks.append(Para("No self-play runs with evaluated iterations."))
    return blocks


CURVE_TITLES = {"loss": "loss", "margin": "reward margin", "accuracy": "accuracy"}


def _last(log: Sequence[Mapping[str, Any]], key: str) -> Any:
    return next((row[key] for row in reversed(log) if isinstance(row.get(key), (int, float))), None)


def _curve(log: Sequence[Mapping[str, Any]], key: str) -> list[tuple[float, float]]:
    """(step, value) for every logged step that has ``key`` (SFT logs have no margin or accuracy)."""
    return [(row.get("step", i + 1), row[key]) for i, row in enumerate(log) if isinstance(row.get(key), (int, float))]


def _number(value: Any, spec: str, suffix: str = "") -> str:
    return f"{value:{spec}}{suffix}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "n/a"


def _training_section(runs: Sequence[Run], plot_dir: Path | None) -> list[Block]:
    """Per run: a table per iteration (steps, final loss / margin / accuracy, pairs, time) and the curves."""
    blocks: list[Block] = [Heading("Training curves")]
    labels = run_labels(runs)
    for run in (r for r in runs if r.training or r.states):
        table = []
        for t in sorted(set(run.training) | set(run.states)):
            log, state = run.training.get(t, ()), run.states.get(t, {})
            table.append((str(t), count_cell(state.get("global_step", len(log) or None)),
                          _number(state.get("epoch", _last(log, "epoch")), "g"), _number(_last(log, "loss"), ".4f"),
                          _number(_last(log, "margin"), ".3f"), pct(_last(log, "accuracy")),
                          count_cell(state.get("pairs")), _number(state.get("wall_s"), ".1f", " s")))
        blocks += [Heading(f"{labels[run.name]}: run {run.name}", 3),
                   Table(("iteration", "steps", "epochs", "final loss", "final margin", "final accuracy", "pairs",
                          "wall time"), tuple(table))]
        if plot_dir is not None and run.training:
            panels = {title: {f"iteration {t}": _curve(log, curve) for t, log in sorted(run.training.items())}
                      for curve, title in CURVE_TITLES.items()}
            panels = {k: v for k, v in panels.items() if k == "loss" or any(v.values())}  # SFT logs: loss only
            path = plotting.line_panels(plot_dir / f"training_{slug(run.name)}.png", panels=panels, xlabel="step",
                                        title=f"{labels[run.name]}: training", percent=("accuracy",))
            blocks.append(Figure(path, f"{labels[run.name]}: loss, reward margin and accuracy per optimizer step, "
                                       "one line per iteration"))
    if len(blocks) == 1:
        blocks.append(Para("No training logs (iter_<t>/model/metrics.jsonl) in these runs."))
    return blocks


STAGE_KINDS = ("eval (base)", "nodes", "grow", "score", "pairs", "train", "eval")


def stage_kind(name: str) -> str:
    """``eval/iter_0[/bench]`` -> eval (base); ``eval/iter_2/...`` -> eval; ``iter_1/grow`` -> grow; ..."""
    head, _, rest = name.partition("/")
    if head == "eval":
        return "eval (base)" if rest.split("/")[0] == "iter_0" else "eval"
    return rest.split("/")[0] if head.startswith("iter_") else head


def _wall_section(runs: Sequence[Run]) -> list[Block]:
    """Per run, the wall time of each kind of stage (summed over iterations and benchmarks), from manifest.json."""
    timed = [r for r in runs if r.stages]
    if not timed:
        return []
    labels = run_labels(runs)
    found = {stage_kind(name) for run in timed for name in run.stages}
    kinds = [k for k in STAGE_KINDS if k in found] + sorted(found - set(STAGE_KINDS))
    table = []
    for run in timed:
        sums: dict[str, float] = {}
        for name, seconds in run.stages.items():
            kind = stage_kind(name)
            sums[kind] = sums.get(kind, 0.0) + seconds
        table.append((labels[run.name], *(_minutes(sums.get(kind)) for kind in kinds), _minutes(sum(sums.values()))))
    return [Heading("Wall time per stage"),
            Para("Minutes per kind of stage, summed over iterations and benchmarks (from manifest.json; a stage "
                 "resumed after a kill counts its last attempt only)."),
            Table(("method", *kinds, "total"), tuple(table))]


def _minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f}"
