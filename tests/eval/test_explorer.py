"""The report's tree explorer and before/after programs: the data is exact (every branch with its candidate id,
verdict, pairs and a diff that rebuilds its program), the page stands alone and cannot be broken by program
text, and in a real headless Chromium it shows the known tree of a small demo-like run."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil

import pytest

from tests.cli_helpers import run_subcommand
from tests.eval.browser import Browser, chromium_path
from tests.eval.explorer_fixture import BENCH, TEST, TRAIN, make_run
from tests.eval.test_report import make_run as make_metrics_run
from treeplay.errors import DataError
from treeplay.eval.explorer import build_payload, payload_json
from treeplay.eval.explorer_data import branch_diff, lines_of, task_view
from treeplay.eval.report import collect_runs, write_report
from treeplay.eval.report_cmd import add_report_parser
from treeplay.records import Branch, Task, Tree, Verdict, load_jsonl
from treeplay.tree.leaves import place_branches
from treeplay.tree.pairs import classify

DATA = re.compile(r'<script type="application/json" id="tp-data">(.*?)</script>', re.S)
NO_CHROMIUM = "chromium is not installed: `make setup` installs Debian's chromium (apt-get install chromium)"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo-like run (4 builtin tasks, 12 diff nodes, 48 branches, evaluations at iterations 0 and 1), its
    report, and the payload the page reads."""
    root = tmp_path_factory.mktemp("explorer")
    run = make_run(root)
    report = write_report(collect_runs([run]), root / "out", plots=False)
    html = report.html.read_text(encoding="utf-8")
    return run, report, html, json.loads(DATA.search(html).group(1))


def apply_diff(golden: list[str], branch: dict) -> list[str]:
    """The program a branch's hunks describe: golden lines before ``s``, hunks applied up to ``e``."""
    out, g = list(golden[:branch["s"]]), branch["s"]
    for g1, g2, text in branch["h"]:
        out += golden[g:g1] + ([] if text is None else text.split("\n"))
        g = g2
    return out + golden[g:branch["e"]]


def test_every_branch_is_shown_with_its_candidate_id_verdict_and_pairs(demo):
    run, _, _, data = demo
    trees = load_jsonl(run / "iter_1" / "trees.jsonl", Tree)
    verdicts = {v.candidate_id: v for v in load_jsonl(run / "iter_1" / "verdicts.jsonl", Verdict)}
    (view,) = data["views"]
    assert view["title"] == "TSP (verified): iteration 1" and view["scored"]
    assert [t["id"] for t in view["tasks"]] == [tree.task_id for tree in trees] == list(TRAIN)
    for task, tree in zip(view["tasks"], trees, strict=True):
        assert [n[:3] for n in task["nodes"]] == [[n.line, "diff", n.cwe] for n in tree.nodes]
        assert [f"{task['id']}/{b['id']}" for b in task["b"]] == [f"{task['id']}/n{k}/b{b}" for k in range(
            len(tree.nodes)) for b in range(4)]
        for b in task["b"]:
            verdict = verdicts[f"{task['id']}/{b['id']}"]
            expected = {"secure": "clean"}.get(classify(verdict), classify(verdict))
            assert b["v"] == ("identical" if b["id"].endswith("/b1") else expected)
    grep = view["tasks"][1]["b"][0]
    assert (grep["v"], grep["f"][0][:2], grep["st"]) == ("vulnerable", ["bandit", "B602"], False)
    pairs = [json.loads(line) for line in (run / "iter_1" / "pairs.jsonl").read_text().splitlines()]
    shown = {(t["id"], *p) for t in view["tasks"] for p in t["pairs"]}
    assert shown == {(p["task_id"], p["node_index"], p["chosen_id"].removeprefix(p["task_id"] + "/"),
                      p["rejected_id"].removeprefix(p["task_id"] + "/"), p["reason"]) for p in pairs}
    assert ("py_cmd_grep_logs", 0, "golden", "n0/b0", "golden>vulnerable") in shown


def test_branch_diff_rebuilds_each_branch_program_exactly(demo):
    run, _, _, data = demo
    tasks = {t.id: t for t in load_jsonl(run / "tasks.jsonl", Task)}
    for view_task, tree in zip(data["views"][0]["tasks"], load_jsonl(run / "iter_1" / "trees.jsonl", Tree),
                               strict=True):
        task = tasks[tree.task_id]
        golden = lines_of(task.golden)
        for leaf, branch in zip(place_branches(tree, task), view_task["b"], strict=True):
            assert apply_diff(golden, branch) == lines_of(leaf.code + leaf.branch.text)
            assert (branch["h"] == []) == (branch["v"] == "identical")


def test_a_branch_of_a_branch_is_placed_under_its_node_and_its_diff_rebuilds_it(demo):
    run = demo[0]
    task = next(t for t in load_jsonl(run / "tasks.jsonl", Task) if t.id == TRAIN[0])
    tree = load_jsonl(run / "iter_1" / "trees.jsonl", Tree)[0]
    parent = tree.branches[0]  # vulnerable: it forks again at its first line
    cut = parent.text.index("\n") + 1
    deep = Branch(node_index=0, token_ids=(1, 2), text="    return []\n", finish_reason="stop", depth=2, parent=0,
                  offset=1, offset_chars=cut, line=tree.nodes[0].line + 1)
    tree = dataclasses.replace(tree, branches=(*tree.branches, deep))
    view = task_view(tree, task, None, [], {})
    shown = view["b"][-1]
    assert (shown["id"], shown["n"], shown["d"], shown["l"], shown["v"]) == ("n0/b0/b0", 0, 2, deep.line, "unscored")
    leaf = place_branches(tree, task)[-1]
    assert apply_diff(lines_of(task.golden), shown) == lines_of(leaf.code + deep.text)


def test_a_paper_mode_run_shows_branches_unscored_with_their_pairs(demo, tmp_path):
    run = tmp_path / "paper"
    shutil.copytree(demo[0], run)
    (run / "iter_1" / "verdicts.jsonl").unlink()
    (view,) = build_payload(collect_runs([run]))["views"]
    assert not view["scored"] and {b["v"] for t in view["tasks"] for b in t["b"]} == {"unscored", "identical"}
    assert all("f" not in b for t in view["tasks"] for b in t["b"]) and view["tasks"][0]["pairs"]


def test_a_spliced_statement_is_diffed_against_the_whole_program():
    golden = ["def f(x):", "    y = clean(x)", "    return y", "", "def g():", "    return 1"]
    spliced = golden[:1] + ["    y = x"] + golden[2:]  # grow.stop=statement: the golden code after it spliced back
    assert branch_diff(golden, spliced, 1, 3) == (6, [[1, 2, "    y = x"]])
    assert branch_diff(golden, golden[:1] + ["    return x"], 1, 3) == (3, [[1, 3, "    return x"]])


def test_before_after_lists_the_prompts_whose_verdict_changed_with_both_programs(demo):
    _, report, _, data = demo
    (change,) = data["changes"]
    assert (change["title"], change["compared"]) == (f"{BENCH}: Base \u2192 TSP (verified)", 4)
    assert [(i["id"], i["dir"], i["b"]["v"], i["a"]["v"]) for i in change["items"]] == [
        (TEST[2], "better", "broken", "clean"), (TEST[0], "better", "vulnerable", "clean"),
        (TEST[1], "worse", "clean", "vulnerable")]
    tasks = {t.id: t for t in load_jsonl(report.html.parent.parent / "demo" / "eval_tasks.jsonl", Task)}
    worse = change["items"][2]
    assert data["texts"][worse["b"]["p"]] + worse["b"]["c"] == tasks[TEST[1]].golden
    assert data["texts"][worse["a"]["p"]] + worse["a"]["c"] == tasks[TEST[1]].vulnerable[0]
    assert worse["a"]["f"][0][1] == "B602" and "parsed" not in worse["a"]
    markdown = report.markdown.read_text()
    assert f"| {BENCH} | Base | TSP (verified) | 4 | 3 | 2 | 1 | 0 |" in markdown


def test_two_eval_folders_are_compared_program_by_program(demo, tmp_path):
    run = demo[0]
    for name, t in (("before", 0), ("after", 1)):
        shutil.copytree(run / "eval" / f"iter_{t}" / BENCH, tmp_path / name / BENCH)
    data = build_payload(collect_runs([tmp_path / "before", tmp_path / "after"]))
    (change,) = data["changes"]
    assert change["title"] == f"{BENCH}: before \u2192 after" and len(change["items"]) == 3
    assert change["items"][0]["b"]["p"] is None  # no task file in a plain eval folder: the completion alone
    assert data["views"] == []


def test_program_text_cannot_end_the_data_script():
    hostile = {"c": "x = '</script><script>alert(1)</script><!--'"}
    text = payload_json(hostile)
    assert "<" not in text and json.loads(text) == hostile


def test_html_with_explorer_is_self_contained(demo):
    _, _, html, _ = demo
    page = DATA.sub("", html)  # program text may hold URLs; the page's own markup, style and script hold none
    assert not re.search(r"https?://|<link|@import|\bsrc\s*=", page, re.I)
    assert len(re.findall(r"<script", html)) == 2 and 'id="tree-explorer"' in html


def test_markdown_links_to_the_html_views_and_no_explorer_leaves_them_out(demo, tmp_path, capsys):
    run = demo[0]
    assert "Open [report.html](report.html#tree-explorer) in a browser" in demo[1].markdown.read_text()
    assert run_subcommand(add_report_parser, "report", [str(run), "--no-plots", "--no-explorer",
                                                        "-o", str(tmp_path)]) == 0
    assert "tp-data" not in (tmp_path / "report.html").read_text()
    assert "Trees and programs" not in (tmp_path / "report.md").read_text()
    capsys.readouterr()


def test_runs_without_trees_or_programs_say_so_and_ship_no_script(tmp_path):
    run = make_metrics_run(tmp_path, "tsp-paper", "tsp")
    report = write_report(collect_runs([run]), tmp_path / "out", plots=False)
    assert "No trees (iter_<t>/trees.jsonl) and no evaluated programs" in report.markdown.read_text()
    assert "<script" not in report.html.read_text()


def test_a_bad_pairs_line_or_a_missing_task_file_is_a_data_error_naming_the_file(demo, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(demo[0], run)
    pairs = run / "iter_1" / "pairs.jsonl"
    pairs.write_text(pairs.read_text() + json.dumps({"task_id": "x", "node_index": 0, "reason": 5}) + "\n")
    with pytest.raises(DataError, match="PreferencePair.reason: expected str, got 5") as err:
        build_payload(collect_runs([run]))
    assert err.value.file == str(pairs) and err.value.line == len(pairs.read_text().splitlines())
    pairs.unlink()
    (run / "tasks.jsonl").unlink()
    with pytest.raises(DataError, match="no tasks.jsonl") as err:
        build_payload(collect_runs([run]))
    assert "--no-explorer" in err.value.fix


# ---------------------------------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browser():
    binary = chromium_path()
    if binary is None:
        pytest.skip(NO_CHROMIUM)
    with Browser(binary, width=1280, height=900) as b:
        yield b


def text(browser: Browser, selector: str) -> str:
    return browser.js(f"document.querySelector({json.dumps(selector)}).textContent")


def test_explorer_shows_the_known_tree_in_headless_chromium(demo, browser):
    run, report, _, _ = demo
    browser.open(report.html)
    browser.wait_for("document.getElementById('tree-explorer').dataset.ready")
    assert browser.js("document.querySelectorAll('#tp-list .tp-row').length") == len(TRAIN)
    assert text(browser, "#tp-detail h4") == TRAIN[0]  # the first task opens by itself
    browser.click('.tp-row[data-task="py_cmd_grep_logs"]')
    tree = next(t for t in load_jsonl(run / "iter_1" / "trees.jsonl", Tree) if t.task_id == "py_cmd_grep_logs")
    assert text(browser, "#tp-detail h4") == "py_cmd_grep_logs"
    assert "def search_logs(log_dir: str, needle: str)" in text(browser, "#tp-detail .tp-golden")
    assert browser.js("document.querySelectorAll('#tp-detail .tp-ln.tp-node').length") == len(tree.nodes) == 3
    assert browser.js("document.querySelectorAll('#tp-detail .tp-nodebox').length") == 3
    assert browser.js("document.querySelectorAll('#tp-detail .tp-body').length") == 0  # diffs drawn on demand
    browser.click('.tp-br[data-branch="n0/b0"]')
    assert text(browser, '.tp-br[data-branch="n0/b0"] .tp-badge') == "vulnerable"
    body = text(browser, ".tp-brwrap .tp-body")
    assert "B602" in body and "security tests fail" in body and "golden>vulnerable" in body
    assert browser.js("document.querySelectorAll('.tp-body .tp-ln.tp-add').length") >= 1
    browser.key("ArrowDown")  # the focused branch row: the keyboard moves on to the next branch
    assert browser.js("document.activeElement.dataset.branch") == "n0/b1"
    browser.key("Escape")
    browser.key("ArrowDown")  # back in the task list: the next task opens
    assert text(browser, "#tp-detail h4") == TRAIN[2]
    browser.click(f'.tp-chgrow[data-task="{TEST[1]}"]')
    sides = browser.js("[...document.querySelectorAll('.tp-side .tp-nodehead')].map(e => e.textContent)")
    assert sides == ["Base clean", "TSP (verified) vulnerable"]
    assert browser.exceptions == []
    assert all(url.startswith("file:") for url in browser.requests)  # nothing fetched from any network


def test_task_list_of_a_large_run_draws_only_the_rows_in_view(tmp_path, browser):
    run = make_run(tmp_path, "large", copies=2, seed=7, token_chars=64)
    report = write_report(collect_runs([run]), tmp_path / "out", plots=False, explorer=True)
    browser.open(report.html)
    browser.wait_for("document.getElementById('tree-explorer').dataset.ready")
    ids = [tree.task_id for tree in load_jsonl(run / "iter_1" / "trees.jsonl", Tree)]
    tasks = len(ids)
    assert tasks > 60 and text(browser, "#tp-count") == f"{tasks} of {tasks} tasks"
    assert browser.js("document.querySelectorAll('#tp-list .tp-row').length") < 45
    browser.js("{ const l = document.getElementById('tp-list'); l.scrollTop = l.scrollHeight; }")
    browser.wait_for(f"!!document.querySelector('#tp-list .tp-row[data-i=\"{tasks - 1}\"]')")
    browser.js("{ const s = document.getElementById('tp-search'); s.value = 'py_sqli'; "
               "s.dispatchEvent(new Event('input')); }")
    assert text(browser, "#tp-count") == f"{sum('py_sqli' in i for i in ids)} of {tasks} tasks"
    assert browser.exceptions == []
