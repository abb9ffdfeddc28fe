"""The report's interactive views: a tree explorer and before/after programs, inside the one report.html.

A report's tables say how much secure@1 moved; these views show why, on the code itself. The tree explorer
lists, per run and iteration, the tasks whose trees were grown (filter by CWE, language, branch verdict, id);
a task shows its golden program with the risk nodes marked (method, CWE, reason) and, at each node, its
branches as diffs against the golden code, each with its verdict (clean; vulnerable with the findings and the
failed security tests; broken with the parse error or the failed functional tests; identical) and the pairs it
went into. The before/after view shows, per benchmark, the prompts whose program changed verdict between the
base model and the last iteration (or between the runs of a comparison report), side by side.

The page stays one self-contained file that opens from disk with no network: the data is one inline JSON block
(``explorer_data``; every ``<`` escaped, so no program text can end the script), the script and the style are
inline (``explorer_assets/``), and everything is rendered lazily: the task list draws only its visible rows,
a task's branches are drawn when the task is opened, a diff when its branch is opened. A 10,000-branch run
weighs a few MB (``benchmarks/explorer_weight.py`` measures it). In Markdown the section is a summary that
points to report.html, where the views live.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from treeplay.eval.explorer_data import LABELS, Texts, program_changes, tree_views
from treeplay.eval.report_blocks import Heading, Para, Table
from treeplay.eval.report_model import Run, comparison_rows, run_labels

SECTION = "Trees and programs"
ANCHOR = "tree-explorer"


@dataclass(frozen=True)
class Explorer:
    """The interactive views as a report block: ``payload`` is what the page's script reads (see
    ``build_payload``). Markdown renders it as a pointer to ``html_name``; HTML as the views themselves."""

    payload: Mapping[str, Any]
    html_name: str = "report.html"


def build_payload(runs: Sequence[Run]) -> dict[str, Any]:
    """``{"texts": [...], "views": [...], "changes": [...]}`` for ``runs`` (``explorer_data`` documents both)."""
    texts: Texts = {}
    labels = run_labels(runs)
    views = [view for run in runs for view in tree_views(run, labels[run.name], texts)]
    changes = program_changes(comparison_rows(runs), texts)
    return {"version": 1, "labels": list(LABELS), "texts": list(texts), "views": views, "changes": changes}


def explorer_blocks(runs: Sequence[Run], html_name: str = "report.html") -> list[Any]:
    """The report's section for these views: a heading, what they hold, the before/after counts per benchmark,
    then the Explorer block (left out when the runs have neither trees nor evaluated programs)."""
    payload = build_payload(runs)
    blocks: list[Any] = [Heading(SECTION)]
    views, changes = payload["views"], payload["changes"]
    if not views and not changes:
        return [*blocks, Para("No trees (iter_<t>/trees.jsonl) and no evaluated programs to compare "
                              "(eval/iter_<t>/<benchmark>/generations.jsonl) in these runs.")]
    blocks.append(Para(summary(payload)))
    if changes:
        rows = tuple((c["bench"], c["from"], c["to"], str(c["compared"]), str(len(c["items"])),
                      *(str(sum(i["dir"] == d for i in c["items"])) for d in ("better", "worse", "changed")))
                     for c in changes)
        blocks.append(Table(("benchmark", "before", "after", "prompts", "verdict changed", "now clean",
                             "no longer clean", "other change"), rows))
    blocks.append(Explorer(payload, html_name))
    return blocks


def summary(payload: Mapping[str, Any]) -> str:
    """One sentence: what the tree explorer and the before/after view hold."""
    parts = []
    for view in payload["views"]:
        branches = [b for task in view["tasks"] for b in task["b"]]
        counts = ", ".join(f"{n} {label}" for label in LABELS if (n := sum(b["v"] == label for b in branches)))
        nodes = sum(len(task["nodes"]) for task in view["tasks"])
        parts.append(f"{view['title']}: {len(view['tasks'])} trees, {nodes} risk nodes, {len(branches)} branches"
                     + (f" ({counts})" if counts else ""))
    trees = ("Tree explorer: " + "; ".join(parts) + ".") if parts else "No trees in these runs."
    changed = sum(len(c["items"]) for c in payload["changes"])
    programs = (f" Before/after: {changed} prompt(s) whose program changed verdict, shown side by side."
                if payload["changes"] else "")
    return trees + programs


def render_markdown(block: Explorer) -> list[str]:
    """Markdown lines: the views are interactive, so the Markdown points to the HTML report."""
    return [f"Open [{block.html_name}]({block.html_name}#{ANCHOR}) in a browser to explore the trees (golden "
            "programs, risk nodes, every branch as a diff with its verdict and pairs) and to read the before/after "
            "programs side by side. It is one self-contained file: it works offline, opened from disk.", ""]


def payload_json(payload: Mapping[str, Any]) -> str:
    """The payload as JSON safe inside ``<script>``: every ``<`` is ``\\u003c`` (no ``</script>``, no ``<!--``)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def asset(name: str) -> str:
    """The text of a file in ``explorer_assets/`` (the page's script and style)."""
    return (resources.files("treeplay.eval") / "explorer_assets" / name).read_text(encoding="utf-8")


def render_html(block: Explorer) -> str:
    """The views' markup, style, data and script, all inline."""
    filters = "".join(f'<label>{name} <select id="tp-{key}"><option value="">all</option></select></label>'
                      for key, name in (("cwe", "CWE"), ("lang", "language"), ("verdict", "branch verdict")))
    return f"""<style>{asset("explorer.css")}</style>
<div id="{ANCHOR}" class="tp">
<h3>Tree explorer</h3>
<div class="tp-bar"><label>run <select id="tp-view"></select></label>{filters}
<input id="tp-search" type="search" placeholder="task id ( / )" aria-label="search task ids">
<span id="tp-count" class="tp-muted"></span></div>
<div class="tp-main"><div id="tp-list" class="tp-list" tabindex="0" role="listbox" aria-label="tasks"></div>
<div id="tp-detail" class="tp-detail"><p class="tp-muted">Pick a task on the left (click, or arrows and Enter).</p>
</div></div>
<p class="tp-keys">Keys: <kbd>&uarr;</kbd>/<kbd>&darr;</kbd> or <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>Enter</kbd>
opens (a task, a branch), <kbd>n</kbd>/<kbd>p</kbd> next/previous risk node, <kbd>Esc</kbd> back to the tasks,
<kbd>/</kbd> search.</p>
<h3 id="tp-changes-title">Before/after programs</h3>
<div class="tp-bar"><label>comparison <select id="tp-cmp"></select></label>
<span id="tp-cmp-count" class="tp-muted"></span></div>
<div id="tp-changes" class="tp-changes"></div>
</div>
<script type="application/json" id="tp-data">{payload_json(block.payload)}</script>
<script>{asset("explorer.js")}</script>"""
