"""Tree growth: layout of Tree records, determinism, resume, stop rules, deeper trees."""

from __future__ import annotations

import dataclasses

import pytest

from tests.engine.helpers import C_TASK, PY_TASK, nodes_at
from treeplay.engine.backends import FakeBackend, SamplingParams
from treeplay.engine.hf_backend import HFBackend
from treeplay.engine.rollout import GrowParams, GrowStats, grow_tree, grow_trees
from treeplay.engine.tokens import line_start
from treeplay.errors import DataError
from treeplay.records import Finding, Tree, append_jsonl, dumps, load_jsonl

TASKS = [PY_TASK, C_TASK]
NODES = nodes_at(PY_TASK, [7, 6, 12]) + nodes_at(C_TASK, [6, 9])  # deliberately out of order
PARAMS = GrowParams(sampling=SamplingParams(width=3, max_new_tokens=24), seed=7)


def _grow(tiny, path, tasks=TASKS, params=PARAMS, max_batch=64):
    model, tok = tiny
    return grow_trees(tasks, NODES, HFBackend(model, tok, max_batch=max_batch), tok, params, path,
                      model_name="tiny", progress=False)


def test_tree_records_where_every_branch_forks(tiny, tmp_path):
    model, tok = tiny
    _grow(tiny, tmp_path / "trees.jsonl")
    trees = load_jsonl(tmp_path / "trees.jsonl", Tree)
    assert [t.task_id for t in trees] == ["py_search", "c_copy"]
    py = trees[0]
    assert [n.line for n in py.nodes] == [6, 7, 12]  # sorted by position
    assert len(py.branches) == 3 * 3 and {b.node_index for b in py.branches} == {0, 1, 2}
    assert py.sampling["width"] == 3 and py.prompt_format == "chat" and py.model == "tiny"
    for b in py.branches:
        node = py.nodes[b.node_index]
        chars = py.node_prefix_chars[b.node_index]
        assert node.token_position is not None and chars >= node.char_offset
        ids = list(py.prompt_token_ids + py.golden_token_ids[:node.token_position] + b.token_ids)
        assert tok.decode(ids) == py.prompt_text + PY_TASK.golden[:chars] + b.text
        assert b.finish_reason in ("stop", "length", "eos") and b.depth == 1 and b.parent is None
        assert b.line == node.line


def test_same_seed_same_trees(tiny, tmp_path):
    _grow(tiny, tmp_path / "a.jsonl")
    _grow(tiny, tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    _grow(tiny, tmp_path / "c.jsonl", params=dataclasses.replace(PARAMS, seed=8))
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()


def test_branches_do_not_depend_on_batch_grouping(tiny, tmp_path):
    _grow(tiny, tmp_path / "wide.jsonl", max_batch=64)
    _grow(tiny, tmp_path / "narrow.jsonl", max_batch=3)  # one node per decoding batch
    assert (tmp_path / "wide.jsonl").read_bytes() == (tmp_path / "narrow.jsonl").read_bytes()


def test_resume_finishes_without_duplicates(tiny, tmp_path):
    reference = tmp_path / "reference.jsonl"
    _grow(tiny, reference)
    out = tmp_path / "trees.jsonl"
    _grow(tiny, out, tasks=TASKS[:1])  # the first task finished, then the run was killed ...
    with out.open("a", encoding="utf-8") as fh:
        fh.write('{"schema_version": 1, "task_id": "c_co')  # ... in the middle of writing the second
    stats = _grow(tiny, out)
    assert stats.skipped == 1 and stats.trees == 1
    assert out.read_bytes() == reference.read_bytes()
    again = _grow(tiny, out)
    assert again.trees == 0 and again.skipped == 2 and out.read_bytes() == reference.read_bytes()


def test_branches_stop_at_the_end_of_the_function(tiny_tokenizer):
    tree = grow_tree(PY_TASK, nodes_at(PY_TASK, [6]), FakeBackend(), tiny_tokenizer,
                     dataclasses.replace(PARAMS, sampling=SamplingParams(width=2, max_new_tokens=1024)))
    assert [b.finish_reason for b in tree.branches] == ["stop", "stop"]
    assert all(b.text.endswith("return value\n\n") and "unrelated" not in b.text for b in tree.branches)
    assert tree.branches[0].text != tree.branches[1].text


def test_tasks_without_nodes_get_empty_trees_and_tasks_without_golden_are_skipped(tiny_tokenizer, tmp_path):
    no_golden = dataclasses.replace(C_TASK, id="no_golden", golden=None)
    stats = grow_trees([PY_TASK, no_golden], [], FakeBackend(), tiny_tokenizer, PARAMS, tmp_path / "t.jsonl",
                       progress=False)
    trees = load_jsonl(tmp_path / "t.jsonl", Tree)
    assert stats.trees == 1 and [t.task_id for t in trees] == ["py_search"] and trees[0].branches == ()
    with pytest.raises(DataError, match="no golden path"):
        grow_tree(no_golden, [], FakeBackend(), tiny_tokenizer, PARAMS)


def test_node_outside_the_golden_path_is_a_data_error(tiny_tokenizer):
    bad = dataclasses.replace(nodes_at(PY_TASK, [6])[0], char_offset=10_000)
    with pytest.raises(DataError, match="outside the golden path"):
        grow_tree(PY_TASK, [bad], FakeBackend(), tiny_tokenizer, PARAMS)


def _flag_second_line(calls):
    """An oracle that flags the line after each branch's first line (when the program has one)."""

    def oracle(programs):
        calls.append([p.key for p in programs])
        out = {}
        for p in programs:
            out[p.key] = (Finding(tool="fake", rule="r", cwe="CWE-94", line=p.code.count("\n"), severity="high",
                                  message="flagged"),)
        return out

    return oracle


def test_depth_two_branches_fork_again_at_the_first_flagged_line(tiny):
    model, tok = tiny
    calls: list[list[str]] = []
    params = dataclasses.replace(PARAMS, depth=2, stop="none",
                                 sampling=SamplingParams(width=2, max_new_tokens=30, ignore_eos=True))
    stats = GrowStats()
    tree = grow_tree(PY_TASK, nodes_at(PY_TASK, [7, 10]), HFBackend(model, tok), tok, params,
                     oracle=_flag_second_line(calls), stats=stats)
    first = [b for b in tree.branches if b.depth == 1]
    second = [b for b in tree.branches if b.depth == 2]
    assert len(first) == 4 and len(calls) == 1 and len(calls[0]) == 4  # one oracle call for the whole level
    assert second and stats.branches == len(tree.branches)
    for b in second:
        parent = tree.branches[b.parent]
        assert parent.depth == 1 and b.node_index == parent.node_index
        node = tree.nodes[b.node_index]
        chars = tree.node_prefix_chars[b.node_index]
        ids = list(tree.prompt_token_ids + tree.golden_token_ids[:node.token_position]
                   + parent.token_ids[:b.offset] + b.token_ids)
        code_before = PY_TASK.golden[:chars] + parent.text[:b.offset_chars]
        assert tok.decode(ids) == tree.prompt_text + code_before + b.text
        full = PY_TASK.golden[:chars] + parent.text
        start = line_start(full, b.line)  # the flagged line: the fork is at its start (or in its indentation)
        assert b.offset == 0 or (len(code_before) >= start and full[start:len(code_before)].strip() == "")
        assert not full[len(code_before):].startswith("\n")


def test_every_tree_line_is_one_record(tiny_tokenizer, tmp_path):
    tree = grow_tree(PY_TASK, nodes_at(PY_TASK, [6]), FakeBackend(), tiny_tokenizer, PARAMS)
    append_jsonl(tmp_path / "x.jsonl", tree)
    assert load_jsonl(tmp_path / "x.jsonl", Tree) == [tree]
    assert "\n" not in dumps(tree)
