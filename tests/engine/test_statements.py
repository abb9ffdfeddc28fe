"""Local branches (grow.stop=statement): where a statement ends, and splicing the golden code back."""

from __future__ import annotations

import ast

import pytest

from tests.engine.helpers import C_TASK, PY_TASK, nodes_at
from treeplay.engine.backends import Sampled, SamplingParams
from treeplay.engine.hf_backend import HFBackend
from treeplay.engine.rollout import GrowParams, grow_trees, plan_tree, splice_statement
from treeplay.engine.statements import statement_end
from treeplay.engine.stops import make_stop_rule
from treeplay.engine.tokens import Detokenizer, line_start
from treeplay.records import Task, Tree, load_jsonl
from treeplay.tree.leaves import tree_leaves
from treeplay.tree.pairs import extract_pairs

PY = ("def f(x):\n"                     # 1
      "    if x > 1:\n"                 # 2
      "        y = g(x,\n"              # 3
      "              2)\n"              # 4
      "        return y\n"              # 5
      "    # done\n"                    # 6
      "    return x + \\\n"             # 7
      "        1\n"                     # 8
      "\n"                              # 9
      "def h():\n"                      # 10
      "    pass\n")                     # 11
C = ("int f(int x) {\n"                            # 1
     "    int a[] = {1, 2};\n"                     # 2
     "    for (int i = 0; i < x; i++) {\n"         # 3
     "        a[0] += i; // add\n"                 # 4
     "    }\n"                                     # 5
     "    if (x) { return 1; } else { return 2; }\n"  # 6
     "#define Y 1\n"                               # 7
     "    return a[0];\n"                          # 8
     "}\n")                                        # 9
JS = ("function f(x) {\n"                 # 1
      "  const y = x\n"                   # 2
      "    .map(v => v + 1)\n"            # 3
      "  if (y)\n"                        # 4
      "    return y;\n"                   # 5
      "  return `a;b` + z\n"              # 6
      "}\n")                              # 7
GO = ("func f(x int) int {\n"             # 1
      "\ty := x +\n"                      # 2
      "\t\t1\n"                           # 3
      "\tif y > 2 {\n"                    # 4
      "\t\treturn y\n"                    # 5
      "\t}\n"                             # 6
      "\treturn 0\n"                      # 7
      "}\n")                              # 8


PY_CLAUSES = ("def f(x):\n"              # 1
              "    try:\n"                # 2
              "        y = g(x)\n"        # 3
              "    except (KeyError,\n"   # 4
              "            ValueError):\n"  # 5
              "        y = 0\n"           # 6
              "    finally:\n"            # 7
              "        done()\n"          # 8
              "    if y:\n"               # 9
              "        y += 1\n"          # 10
              "    elif x:\n"             # 11
              "        y -= 1\n"          # 12
              "    else:\n"               # 13
              "        pass\n"            # 14
              "    elsewhere = y\n"       # 15
              "    return elsewhere\n")   # 16


def _statement(language: str, code: str, line: int) -> str:
    start = line_start(code, line)
    return code[start:statement_end(language, code, start)]


@pytest.mark.parametrize("language, code, line, expected", [
    ("python", PY, 3, "        y = g(x,\n              2)\n"),  # a logical line over two physical ones
    ("python", PY, 2, "    if x > 1:\n        y = g(x,\n              2)\n        return y\n    # done\n"),  # header
    ("python", PY, 1, PY[:PY.index("def h")]),  # a node on the def line: the whole function
    ("python", PY, 7, "    return x + \\\n        1\n"),  # a backslash continuation
    ("python", PY, 11, "    pass\n"),  # the last line of the program
    ("python", PY_CLAUSES, 2, PY_CLAUSES[PY_CLAUSES.index("    try"):PY_CLAUSES.index("    if y")]),  # try + handlers
    ("python", PY_CLAUSES, 9, PY_CLAUSES[PY_CLAUSES.index("    if y"):PY_CLAUSES.index("    elsewhere")]),  # if chain
    ("python", PY_CLAUSES, 11, "    elif x:\n        y -= 1\n    else:\n        pass\n"),  # a node on a clause
    ("python", PY_CLAUSES, 3, "        y = g(x)\n"),  # a simple statement inside a try block
    ("python", PY_CLAUSES, 15, "    elsewhere = y\n"),  # a name that starts like a clause keyword
    ("c", C, 2, "    int a[] = {1, 2}"),  # an initialiser's braces close the statement; ';' is golden's
    ("c", C, 3, "    for (int i = 0; i < x; i++) {\n        a[0] += i; // add\n    }"),  # a compound statement
    ("c", C, 4, "        a[0] += i;"),  # the rest of the line (a comment) stays golden
    ("c", C, 6, "    if (x) { return 1; }"),  # the else is the next statement
    ("c", C, 7, "#define Y 1\n"),  # a preprocessor line
    ("c", C, 8, "    return a[0];"),  # the last statement of a function
    ("c", C, 9, "}"),  # a node on the closing brace
    ("javascript", JS, 2, "  const y = x\n    .map(v => v + 1)\n"),  # the next line goes on with '.'
    ("javascript", JS, 4, "  if (y)\n    return y;"),  # a control header waits for its body
    ("javascript", JS, 6, "  return `a;b` + z\n"),  # an automatic semicolon; ';' in a template is text
    ("go", GO, 2, "\ty := x +\n\t\t1\n"),  # a line ending in an operator goes on
    ("go", GO, 4, "\tif y > 2 {\n\t\treturn y\n\t}"),  # a block
    ("go", GO, 7, "\treturn 0\n"),  # the last line of a function
])
def test_statement_stop_rule_per_language(language: str, code: str, line: int, expected: str) -> None:
    assert _statement(language, code, line) == expected


@pytest.mark.parametrize("code, line", [(PY, 2), (PY_CLAUSES, 2), (PY_CLAUSES, 9)])
def test_a_stream_cut_at_any_chunk_boundary_gives_the_same_statement(code: str, line: int) -> None:
    start = line_start(code, line)
    whole = statement_end("python", code, start) - start
    for size in (1, 2, 3, 7):
        rule = make_stop_rule("python", code[:start], mode="statement")
        cut = None
        for i in range(start, len(code), size):
            cut = rule.feed(code[i:i + size])
            if cut is not None:
                break
        assert cut == whole


def _decode_until_cut(tokenizer, ids, k, make_stop):
    """What the decoder keeps when the model writes the golden tokens from k on (whole tokens, cut by the rule)."""
    detok, rule, kept = Detokenizer(tokenizer, ids[:k]), make_stop(), []
    for token in ids[k:]:
        kept.append(token)
        delta = detok.push(token)
        cut = rule.feed(delta) if delta else None
        if cut is not None:
            n = sum(1 for start in [0] + detok.ends[:-1] if start < cut)
            return Sampled(tuple(kept[:n]), detok.text[:detok.ends[n - 1]] if n else "", "stop", len(kept))
    detok.flush()
    return Sampled(tuple(kept), detok.text, "eos", len(kept))


@pytest.mark.parametrize("language, code", [("python", PY), ("c", C), ("javascript", JS), ("go", GO)])
def test_splicing_reconstructs_the_golden_program_when_the_branch_repeats_the_statement(tiny_tokenizer, language,
                                                                                      code) -> None:
    task = Task(id="t", language=language, cwes=(), prompt="Write f.", golden=code)
    params = GrowParams(sampling=SamplingParams(width=1, max_new_tokens=400), stop="statement")
    lines = [n for n in range(1, code.count("\n") + 1) if code.split("\n")[n - 1].strip()]
    plan = plan_tree(task, nodes_at(task, lines), tiny_tokenizer, params)
    golden_ids = plan.parts.golden_ids
    for p, fork in zip(plan.placed, plan.request.forks, strict=True):
        prompt = len(plan.parts.prompt_ids)
        sampled = _decode_until_cut(tiny_tokenizer, plan.request.ids, prompt + p.k, fork.make_stop)
        ids, text = splice_statement(language, code[:p.chars], sampled, p.gap, tiny_tokenizer,
                                     plan.request.ids[:prompt + p.k])
        assert code[:p.chars] + text + code[p.resume_chars:] == code, (language, p.node.line)
        assert tiny_tokenizer.decode(list(golden_ids[:p.k]) + list(ids) + list(golden_ids[p.resume:])) == code
        assert text == code[p.chars:p.resume_chars]


def test_local_branches_are_whole_programs_and_pairs_mark_their_regions(tiny, tmp_path) -> None:
    model, tok = tiny
    tasks = [PY_TASK, C_TASK]
    nodes = nodes_at(PY_TASK, [6, 7, 12]) + nodes_at(C_TASK, [6, 7])
    params = GrowParams(sampling=SamplingParams(width=2, max_new_tokens=24), seed=3, stop="statement")
    grow_trees(tasks, nodes, HFBackend(model, tok), tok, params, tmp_path / "t.jsonl", progress=False)
    trees = load_jsonl(tmp_path / "t.jsonl", Tree)
    by_id = {t.id: t for t in tasks}
    for tree in trees:
        task = by_id[tree.task_id]
        for branch, leaf in zip(tree.branches, tree_leaves(tree, task), strict=True):
            assert branch.resume_chars is not None and branch.resume_token is not None
            program = task.prefix + leaf.completion
            start = tree.node_prefix_chars[branch.node_index]
            assert program == task.golden[:start] + branch.text + task.golden[branch.resume_chars:]
    result = extract_pairs(trees, by_id, mode="paper")
    assert result.pairs
    for pair in result.pairs:
        assert pair.chosen_region_tokens is not None and pair.rejected_region_tokens is not None
        chosen_rest = pair.chosen_token_ids[pair.chosen_region_tokens:]
        rejected_rest = pair.rejected_token_ids[pair.rejected_region_tokens:]
        assert chosen_rest == rejected_rest  # both sides rejoin the same golden tokens


def test_batched_growth_across_tasks_equals_one_task_at_a_time(tiny, tmp_path) -> None:
    model, tok = tiny
    nodes = nodes_at(PY_TASK, [6, 7, 12]) + nodes_at(C_TASK, [6, 9])
    for stop in ("function", "statement"):
        base = GrowParams(sampling=SamplingParams(width=3, max_new_tokens=20), seed=11, stop=stop, max_batch=64)
        single = GrowParams(sampling=base.sampling, seed=11, stop=stop, max_batch=1)
        grow_trees([PY_TASK, C_TASK], nodes, HFBackend(model, tok), tok, base, tmp_path / f"{stop}-b.jsonl",
                   progress=False)
        grow_trees([PY_TASK, C_TASK], nodes, HFBackend(model, tok, max_batch=3), tok, single,
                   tmp_path / f"{stop}-s.jsonl", progress=False)
        assert (tmp_path / f"{stop}-b.jsonl").read_bytes() == (tmp_path / f"{stop}-s.jsonl").read_bytes()


def test_a_branch_the_decoder_stopped_at_a_line_end_still_gets_the_golden_gap(tiny_tokenizer) -> None:
    # The decoder keeps whole tokens that start before the cut, so a Python branch usually ends with its newline:
    # fed again, the rule never sees the next line. The end of the text is then the statement's end, and the
    # golden whitespace before the resume point (here the golden token "\n\n   " reached past the statement) is
    # added, so the spliced program keeps the golden suffix's indentation.
    before = "def f(path):\n    data = None\n   "
    text = " with open(path) as fh:\n        data = fh.read()\n"
    ids = tuple(tiny_tokenizer.encode(text, add_special_tokens=False))
    context = tuple(tiny_tokenizer.encode(before, add_special_tokens=False))
    out_ids, out = splice_statement("python", before, Sampled(ids, text, "stop", len(ids)), "   ", tiny_tokenizer,
                                    context)
    assert out == text + "   "
    assert tiny_tokenizer.decode(list(out_ids)) == out
    ast.parse(before + out + " return data\n")
    # cut by the length limit or by EOS: an unfinished statement stays as decoded
    for reason in ("length", "eos"):
        assert splice_statement("python", before, Sampled(ids, text, reason, len(ids)), "   ", tiny_tokenizer,
                                context)[1] == text


class _GoldenOnRedraw:
    """The tiny model's draws at first; a fork drawn again (a new seed) continues with the golden code."""

    def __init__(self, inner, first_seeds) -> None:
        self.inner, self.first_seeds = inner, set(first_seeds)

    def branch(self, request):
        import dataclasses

        out = []
        for fork in request.forks:
            if fork.seed in self.first_seeds:
                out += self.inner.branch(dataclasses.replace(request, forks=(fork,)))
            else:
                ids, text = tuple(request.ids[fork.ids_len:]), request.text[fork.text_len:]
                out.append([Sampled(ids, text, "length", len(ids))] * request.sampling.width)
        return out


def _parses_py(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def test_redraws_draw_again_only_the_branches_whose_program_does_not_parse(tiny, tmp_path) -> None:
    from treeplay.engine.backends import derive_seed
    from treeplay.engine.rollout import GrowStats, redraw_broken

    model, tok = tiny
    nodes = nodes_at(PY_TASK, [6, 7, 12])
    plain = GrowParams(sampling=SamplingParams(width=3, max_new_tokens=24), seed=5, stop="statement")
    params = GrowParams(sampling=plain.sampling, seed=5, stop="statement", redraws=1)
    backend = _GoldenOnRedraw(HFBackend(model, tok), [derive_seed(5, PY_TASK.id, i) for i in range(len(nodes))])
    grow_trees([PY_TASK], nodes, backend, tok, plain, tmp_path / "plain.jsonl", progress=False)
    stats = grow_trees([PY_TASK], nodes, backend, tok, params, tmp_path / "redrawn.jsonl", progress=False)
    (before,) = load_jsonl(tmp_path / "plain.jsonl", Tree)
    (after,) = load_jsonl(tmp_path / "redrawn.jsonl", Tree)
    parsed_before = [_parses_py(PY_TASK.prefix + c.completion) for c in tree_leaves(before, PY_TASK)]
    parsed_after = [_parses_py(PY_TASK.prefix + c.completion) for c in tree_leaves(after, PY_TASK)]
    assert not all(parsed_before) and all(parsed_after)  # the tiny model's statements mostly do not parse
    assert stats.redrawn == parsed_before.count(False)
    for old, new, ok in zip(before.branches, after.branches, parsed_before, strict=True):
        assert (old == new) == ok  # a draw that parsed is kept as it was; every other one was replaced
    assert after.sampling["redraws"] == 1 and "redraws" not in before.sampling
    # the same rounds from the library call, and nothing to do when every draw parses
    plan = plan_tree(PY_TASK, nodes, tok, params)
    again = redraw_broken([plan], [backend.branch(plan.request)], backend, tok, params, GrowStats())
    assert [s.text for forks in again[0] for s in forks] != []
    assert redraw_broken([plan], again, backend, tok, params, (counted := GrowStats())) == again
    assert counted.redrawn == 0


def test_redrawn_growth_is_the_same_batched_or_one_task_at_a_time(tiny, tmp_path) -> None:
    model, tok = tiny
    nodes = nodes_at(PY_TASK, [6, 7, 12]) + nodes_at(C_TASK, [6, 9])
    sampling = SamplingParams(width=2, max_new_tokens=16)
    batched = GrowParams(sampling=sampling, seed=3, stop="statement", max_batch=64, redraws=2)
    single = GrowParams(sampling=sampling, seed=3, stop="statement", max_batch=1, redraws=2)
    stats = grow_trees([PY_TASK, C_TASK], nodes, HFBackend(model, tok), tok, batched, tmp_path / "b.jsonl",
                       progress=False)
    grow_trees([PY_TASK, C_TASK], nodes, HFBackend(model, tok, max_batch=2), tok, single, tmp_path / "s.jsonl",
               progress=False)
    assert stats.redrawn > 0
    assert (tmp_path / "b.jsonl").read_bytes() == (tmp_path / "s.jsonl").read_bytes()


def test_local_branches_skip_a_task_whose_golden_program_does_not_parse(tiny, tmp_path) -> None:
    import dataclasses

    model, tok = tiny
    legacy = dataclasses.replace(PY_TASK, id="py2", golden=PY_TASK.golden.replace("    limit = int(limit)",
                                                                                 "    print limit", 1))
    nodes = nodes_at(PY_TASK, [6, 7]) + [dataclasses.replace(n, task_id="py2") for n in nodes_at(legacy, [6, 7])]
    params = GrowParams(sampling=SamplingParams(width=2, max_new_tokens=8), stop="statement")
    stats = grow_trees([PY_TASK, legacy], nodes, HFBackend(model, tok), tok, params, tmp_path / "t.jsonl",
                       progress=False)
    trees = {t.task_id: t for t in load_jsonl(tmp_path / "t.jsonl", Tree)}
    assert stats.golden_unparsable == 1 and trees["py2"].branches == () and len(trees["py_search"].branches) == 4
    function = GrowParams(sampling=params.sampling, stop="function")  # a function branch may still parse
    grow_trees([legacy], nodes, HFBackend(model, tok), tok, function, tmp_path / "f.jsonl", progress=False)
    assert len(load_jsonl(tmp_path / "f.jsonl", Tree)[0].branches) == 4
