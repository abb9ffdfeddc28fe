"""Tree growth: the golden path is the trunk, every risk node gets K branches from the opponent (paper Sec. 3).

For a task with golden path y and risk nodes v_1..v_n, ``grow_tree``

1. builds the model input (``prompts.build_prompt``: prompt ids + golden ids, concatenation = what the model sees);
2. maps every node to k_v, the first golden token that starts at or after the node's line start
   (``tokens.first_token_at``; a token straddling the line start stays in the prefix);
3. asks the backend for K continuations of prompt + y_<k_v at every node, in one request (the hf backend
   prefills the golden path once and forks its KV cache per node); each branch stops at the end of the enclosing
   function (``stops``), at EOS, or after ``max_new_tokens``; with ``redraws`` (``grow.redraws``) a branch whose
   program (golden prefix + branch + the golden code a local branch rejoins) does not parse is drawn again from the
   same fork with a new seed, at most that many times; the last draw is kept, parsed or not;
4. optionally grows deeper (``depth > 1``, our extension): an ``oracle`` (e.g. ``treeplay.oracles.static.
   scan_programs``) scans the newest branches as whole programs; a branch with a finding in its own lines forks
   again at the first flagged line, K new branches continuing the parent's tokens up to that line.

``grow_trees`` runs it over a task file and appends one ``Tree`` per task to ``trees.jsonl`` as each task
finishes; a re-run repairs a partial last line and skips finished tasks (``records.resume_jsonl``). Seeds derive
from (seed, task id, node index, ...) only, so the same seed gives byte-identical trees, resumed or not.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from treeplay.config import GrowConfig, ModelConfig
from treeplay.engine.backends import BranchBackend, BranchRequest, Fork, Sampled, SamplingParams, derive_seed
from treeplay.engine.prompts import PromptParts, build_prompt
from treeplay.engine.statements import make_statement_rule, statement_end
from treeplay.engine.stops import make_stop_rule
from treeplay.engine.tokens import first_token_at, line_at, line_start, token_char_starts
from treeplay.errors import DataError
from treeplay.oracles.base import Program
from treeplay.oracles.syntax import module_parses
from treeplay.progress import OnProgress, StageProgress
from treeplay.records import Branch, Finding, RiskNode, Task, Tree, append_jsonl, resume_jsonl

# scan_programs-compatible: findings per program key (Finding.line is 1-based in the program's code).
BranchOracle = Callable[[Sequence[Program]], Mapping[str, Sequence[Finding]]]


@dataclass(frozen=True)
class GrowParams:
    """Everything that decides a tree besides the model and the data (the ``grow`` config section)."""

    sampling: SamplingParams = field(default_factory=SamplingParams)
    depth: int = GrowConfig.depth
    stop: str = GrowConfig.stop
    seed: int = GrowConfig.seed
    prompt_format: str = ModelConfig.prompt_format
    max_batch: int = GrowConfig.max_batch  # rows (forks x width) decoded together: several tasks share a batch
    redraws: int = GrowConfig.redraws  # draws again a branch whose program does not parse, at most this often

    def describe(self, backend: str) -> dict[str, Any]:
        s = self.sampling
        described = {"width": s.width, "temperature": s.temperature, "top_p": s.top_p,
                     "max_new_tokens": s.max_new_tokens, "depth": self.depth, "stop": self.stop, "backend": backend}
        return described | ({"redraws": self.redraws} if self.redraws else {})


@dataclass
class GrowStats:
    """Counters of one ``grow_trees`` run (``tokens`` = every token the backend generated)."""

    trees: int = 0
    skipped: int = 0
    branches: int = 0
    tokens: int = 0
    seconds: float = 0.0
    redrawn: int = 0  # branches drawn again because their program did not parse (grow.redraws)
    golden_unparsable: int = 0  # local branches: tasks whose golden program does not parse, grown without branches

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


def grow_tree(task: Task, nodes: Sequence[RiskNode], backend: BranchBackend, tokenizer: Any, params: GrowParams,
              *, iteration: int = 0, model_name: str = "", oracle: BranchOracle | None = None,
              stats: GrowStats | None = None) -> Tree:
    """One Tree for ``task``: K branches at each of ``nodes`` (sorted by position), deeper ones via ``oracle``.

    ``tokenizer`` must be the backend model's. ``stats`` (optional) accumulates branch and token counts.
    """
    if task.golden is None:
        raise DataError(f"task {task.id} has no golden path to grow a tree from",
                        fix="give the task a golden (secure) program, or leave it out of the tasks file")
    plan = plan_tree(task, nodes, tokenizer, params)
    (decoded,) = redraw_broken([plan], [backend.branch(plan.request)], backend, tokenizer, params, stats)
    branches: list[Branch] = []
    for i, sampled in enumerate(decoded):
        branches += _branches(plan, i, sampled, tokenizer, stats)
    return finish_tree(plan, branches, backend, tokenizer, params, iteration=iteration, model_name=model_name,
                       oracle=oracle, stats=stats)


@dataclass(frozen=True)
class TreePlan:
    """A task's tree before decoding: its prompt, its placed nodes and the request that grows their branches."""

    task: Task
    parts: PromptParts
    placed: tuple[_Placed, ...]
    request: BranchRequest


def plan_tree(task: Task, nodes: Sequence[RiskNode], tokenizer: Any, params: GrowParams) -> TreePlan:
    """Place the nodes of ``task`` (k_v, and in statement mode where the golden code resumes) and build the
    request for their branches; nothing is decoded yet (``grow_trees`` batches the requests of several tasks)."""
    if task.golden is None:
        raise DataError(f"task {task.id} has no golden path to grow a tree from",
                        fix="give the task a golden (secure) program, or leave it out of the tasks file")
    parts = build_prompt(task, tokenizer, params.prompt_format)
    if params.stop == "statement" and parts.golden_text != task.golden:
        raise DataError(f"task {task.id}: the tokenizer does not reproduce the golden code, so local branches "
                        "(grow.stop=statement) cannot splice it back", fix="use grow.stop=function with this model")
    nodes = sorted(nodes, key=lambda n: (n.char_offset, n.line))
    placed = tuple(_place(node, task, parts, params.stop) for node in nodes)
    forks = []
    for i, p in enumerate(placed):
        stop = partial(make_stop_rule, task.language, parts.golden_text[:p.chars],
                       line_at(parts.golden_text, p.offset), params.stop)
        forks.append(Fork(ids_len=len(parts.prompt_ids) + p.k, text_len=len(parts.prompt_text) + p.chars,
                          seed=derive_seed(params.seed, task.id, i), make_stop=stop))
    request = BranchRequest(ids=parts.prompt_ids + parts.golden_ids, text=parts.prompt_text + parts.golden_text,
                            forks=tuple(forks), sampling=params.sampling)
    return TreePlan(task, parts, placed, request)


def finish_tree(plan: TreePlan, branches: list[Branch], backend: BranchBackend, tokenizer: Any, params: GrowParams,
                *, iteration: int = 0, model_name: str = "", oracle: BranchOracle | None = None,
                stats: GrowStats | None = None) -> Tree:
    """The Tree of a plan whose branches were decoded (and grown deeper with ``oracle`` when ``depth > 1``)."""
    task, parts, placed = plan.task, plan.parts, plan.placed
    if oracle is not None and params.depth > 1:
        _grow_deeper(task, parts, placed, branches, backend, tokenizer, params, oracle, stats)
    return Tree(task_id=task.id, iteration=iteration, prompt_token_ids=parts.prompt_ids,
                golden_token_ids=parts.golden_ids, nodes=tuple(p.node for p in placed), branches=tuple(branches),
                model=model_name, seed=params.seed, prompt_text=parts.prompt_text, prompt_format=parts.format,
                node_prefix_chars=tuple(p.chars for p in placed),
                sampling=params.describe(getattr(backend, "name", "")))


@dataclass(frozen=True)
class _Placed:
    node: RiskNode  # with token_position = k
    k: int  # k_v: golden tokens before the fork
    chars: int  # golden characters those k tokens decode to
    offset: int  # where the node's line starts in the golden text
    resume: int | None = None  # statement mode: the golden token the code resumes at after the node's statement
    resume_chars: int | None = None  # ... and the character it starts at
    gap: str = ""  # golden text between the statement's end and that token (a branch's statement ends with it)


def _place(node: RiskNode, task: Task, parts: PromptParts, stop: str = "function") -> _Placed:
    """Map a risk node to k_v: the first golden token that starts at or after the start of the node's line.

    In statement mode also where the golden code resumes: the first golden token that starts at or after the end
    of the node's statement (``statements.statement_end``), so both sides of a pair share the tokens after it."""
    text = parts.golden_text
    if text == task.golden:
        if not 0 <= node.char_offset <= len(text):
            raise DataError(f"risk node of task {task.id} at char_offset {node.char_offset} is outside the golden "
                            f"path ({len(text)} characters)", fix="re-run `treeplay nodes` on this tasks file")
        offset = node.char_offset
    else:  # a tokenizer that does not round-trip the text (normalisation): lines still match
        offset = line_start(text, node.line)
    k = first_token_at(parts.golden_starts, offset)
    if stop == "statement":
        k = _statement_fork(parts.golden_starts, text, offset, k)
    chars = parts.golden_starts[k] if k < len(parts.golden_starts) else len(text)
    placed = _Placed(dataclasses.replace(node, token_position=k), k, chars, offset)
    if stop != "statement":
        return placed
    end = max(statement_end(task.language, text, offset), chars)
    resume = first_token_at(parts.golden_starts, end)
    resume_chars = parts.golden_starts[resume] if resume < len(parts.golden_starts) else len(text)
    return dataclasses.replace(placed, resume=resume, resume_chars=resume_chars, gap=text[end:resume_chars])


def _statement_fork(starts: Sequence[int], text: str, offset: int, k: int) -> int:
    """A local branch forks after the node line's indentation: it rewrites the statement at its place.

    The fork is the last token that starts within the indentation (``"   "`` + ``" return"``: before ``" return"``,
    so the branch writes the keyword with its last space), else the first token at or after the line start (a
    token that straddles the line start already holds the indentation).
    """
    line = text[offset:text.find("\n", offset) if "\n" in text[offset:] else len(text)]
    code = offset + len(line) - len(line.lstrip(" \t"))
    if code == offset or code >= len(text):
        return k
    fork = k
    while fork + 1 < len(starts) and starts[fork + 1] <= code:
        fork += 1
    return fork if k < len(starts) and starts[k] <= code else k


def _branches(plan: TreePlan, node_index: int, sampled: Sequence[Sampled], tokenizer: Any,
              stats: GrowStats | None) -> list[Branch]:
    """The Branch records of one node's samples (in statement mode, spliced: ``splice_statement``)."""
    if stats is not None:
        stats.branches += len(sampled)
        stats.tokens += sum(s.generated for s in sampled)
    p = plan.placed[node_index]
    out = []
    for k, s in enumerate(sampled):
        ids, text = s.token_ids, s.text
        if p.resume is not None:
            context = plan.parts.prompt_ids + plan.parts.golden_ids[:p.k]
            ids, text = splice_statement(plan.task.language, plan.parts.golden_text[:p.chars], s, p.gap, tokenizer,
                                         context)
        out.append(Branch(node_index=node_index, token_ids=tuple(ids), text=text, finish_reason=s.finish_reason,
                          index=k, line=p.node.line, resume_chars=p.resume_chars, resume_token=p.resume))
    return out


def splice_statement(language: str, before: str, sampled: Sampled, gap: str, tokenizer: Any,
                     context_ids: Sequence[int]) -> tuple[tuple[int, ...], str]:
    """(token ids, text) of a local branch as it is spliced: its statement up to its own end plus ``gap``.

    The decoder keeps whole tokens, so the last one may reach past the statement (``"\\n   "`` takes the next
    line's indentation): the tokens that end inside the statement are kept and the rest of the statement, followed
    by the golden whitespace before the resume point, is encoded anew. A branch cut by EOS or the length limit is
    an unfinished statement, kept as decoded (its program is then broken, as it should be).
    """
    cut = make_statement_rule(language, before).feed(sampled.text)
    if cut is None and sampled.finish_reason == "stop":
        cut = _stopped_at_end(language, before, sampled.text)
    if cut is None:
        return tuple(sampled.token_ids), sampled.text
    starts, _ = token_char_starts(tokenizer, sampled.token_ids, context_ids)
    ends = [*starts[1:], len(sampled.text)]
    keep = next((i for i, end in enumerate(ends) if end > cut), len(ends))
    kept_chars = ends[keep - 1] if keep else 0
    tail = sampled.text[kept_chars:cut] + gap
    tail_ids = tokenizer.encode(tail, add_special_tokens=False) if tail else []
    return tuple(sampled.token_ids[:keep]) + tuple(tail_ids), sampled.text[:cut] + gap


def _stopped_at_end(language: str, before: str, text: str) -> int | None:
    """Where a branch the decoder already stopped ends, when its whole text is one finished statement.

    A Python statement ends where the next line starts; the decoder saw that line and dropped it, so the rule,
    fed the kept text again, never sees the end. A line at column 0 after it stands for the dropped one: the rule
    then cuts at the end of the text (or earlier), and the golden whitespace before the resume point is added as
    for any other branch. None when even that does not end the statement.
    """
    cut = make_statement_rule(language, before).feed(text + ("" if text.endswith("\n") else "\n") + "x")
    return cut if cut is not None and cut <= len(text) else None


def _grow_deeper(task: Task, parts: PromptParts, placed: Sequence[_Placed], branches: list[Branch],
                 backend: BranchBackend, tokenizer: Any, params: GrowParams, oracle: BranchOracle,
                 stats: GrowStats | None) -> None:
    """Depth > 1 (appends to ``branches``): a branch the oracle flags forks again at its first flagged line."""
    frontier = list(range(len(branches)))
    for depth in range(2, params.depth + 1):
        contexts = {b: _context(b, branches, placed, parts) for b in frontier}
        programs = [Program(key=f"{task.id}/b{b}", language=task.language, code=code + branches[b].text)
                    for b, (_, code) in contexts.items()]
        findings = oracle(programs) if programs else {}
        next_frontier = []
        for b, (ids, code) in contexts.items():
            first_line = code.count("\n") + 1  # the branch starts on this line of its program
            lines = sorted(f.line for f in findings.get(f"{task.id}/b{b}", ()) if f.line >= first_line)
            if not lines:
                continue
            parent = branches[b]
            request, j, chars = _sub_request(parts, ids, code, parent, lines[0], tokenizer, task, params, b, depth)
            sampled = backend.branch(request)[0]
            if stats is not None:
                stats.branches += len(sampled)
                stats.tokens += sum(s.generated for s in sampled)
            new = [Branch(token_ids=s.token_ids, text=s.text, finish_reason=s.finish_reason, index=k,
                          node_index=parent.node_index, depth=depth, parent=b, offset=j, offset_chars=chars,
                          line=lines[0]) for k, s in enumerate(sampled)]
            next_frontier += range(len(branches), len(branches) + len(new))
            branches += new
        frontier = next_frontier
        if not frontier:
            return


def _context(b: int, branches: Sequence[Branch], placed: Sequence[_Placed],
             parts: PromptParts) -> tuple[tuple[int, ...], str]:
    """Token ids (prompt included) and code text (prompt excluded) that branch ``b`` continues."""
    branch = branches[b]
    if branch.parent is None:
        p = placed[branch.node_index]
        return parts.prompt_ids + parts.golden_ids[:p.k], parts.golden_text[:p.chars]
    ids, code = _context(branch.parent, branches, placed, parts)
    parent = branches[branch.parent]
    return ids + parent.token_ids[:branch.offset], code + parent.text[:branch.offset_chars]


def _sub_request(parts: PromptParts, ids: tuple[int, ...], code: str, parent: Branch, line: int, tokenizer: Any,
                 task: Task, params: GrowParams, b: int, depth: int) -> tuple[BranchRequest, int, int]:
    """A request forking branch ``b`` at the first of its tokens that starts at or after ``line``'s start."""
    full = code + parent.text
    starts, _ = token_char_starts(tokenizer, parent.token_ids, ids)
    within = max(0, line_start(full, line) - len(code))
    j = first_token_at(starts, within)
    chars = starts[j] if j < len(starts) else len(parent.text)
    stop = partial(make_stop_rule, task.language, full[:len(code) + chars], line_at(full, len(code) + within),
                   params.stop)
    fork = Fork(ids_len=len(ids) + j, text_len=len(parts.prompt_text) + len(code) + chars,
                seed=derive_seed(params.seed, task.id, parent.node_index, "branch", b, depth), make_stop=stop)
    request = BranchRequest(ids=ids + parent.token_ids, text=parts.prompt_text + full, forks=(fork,),
                            sampling=params.sampling)
    return request, j, chars


def grow_trees(tasks: Iterable[Task], nodes: Iterable[RiskNode], backend: BranchBackend, tokenizer: Any,
               params: GrowParams, out_path: str | Path, *, iteration: int = 0, model_name: str = "",
               oracle: BranchOracle | None = None, progress: bool = True,
               on_progress: OnProgress | None = None) -> GrowStats:
    """Grow one tree per task that has a golden path and append it to ``out_path`` as soon as it is done.

    The branches of several tasks decode as one batch (up to ``params.max_batch`` rows, whole tasks; a backend
    with ``branch_many``): every branch draws from its own seeded generator, so the trees are the same as one task
    at a time. Resumable: trees already in ``out_path`` are kept and their tasks skipped (a partial last line left
    by a crash is cut off first). A task without nodes gets a tree without branches, so a re-run knows it is done;
    so does, with local branches, a task whose golden program does not parse (the spliced programs could not).
    ``progress``: a bar on stderr; ``on_progress``: called with ("grow", trees done, trees to grow).
    """
    done = {tree.task_id for tree in resume_jsonl(out_path, Tree)}
    by_task: dict[str, list[RiskNode]] = {}
    for node in nodes:
        by_task.setdefault(node.task_id, []).append(node)
    todo = [t for t in tasks if t.golden is not None and t.id not in done]
    stats = GrowStats(skipped=len(done))
    if params.stop == "statement":  # every local branch would carry the golden code's syntax error: none to judge
        broken = {t.id for t in todo if not module_parses(t.language, t.golden or "")}
        by_task = {task_id: [] if task_id in broken else found for task_id, found in by_task.items()}
        stats.golden_unparsable = len(broken)
    started = time.perf_counter()
    with StageProgress("grow", len(todo), bar=progress, on_progress=on_progress) as bar:
        for chunk in _chunks(todo, by_task, params):
            plans = [plan_tree(task, by_task.get(task.id, []), tokenizer, params) for task in chunk]
            decoded = _decode([plan.request for plan in plans], backend)
            decoded = redraw_broken(plans, decoded, backend, tokenizer, params, stats)
            for plan, samples in zip(plans, decoded, strict=True):
                branches = [b for i, sampled in enumerate(samples) for b in _branches(plan, i, sampled, tokenizer,
                                                                                       stats)]
                tree = finish_tree(plan, branches, backend, tokenizer, params, iteration=iteration,
                                   model_name=model_name, oracle=oracle, stats=stats)
                append_jsonl(out_path, tree)
                stats.trees += 1
                stats.seconds = time.perf_counter() - started
                bar.advance(1, branches=stats.branches, tok_s=f"{stats.tokens_per_s:.1f}")
    return stats


def _decode(requests: Sequence[BranchRequest], backend: BranchBackend) -> list[list[list[Sampled]]]:
    """Per request, per fork, its samples: one ``branch_many`` call where the backend has it."""
    many = getattr(backend, "branch_many", None)
    if many is not None and len(requests) > 1:
        return list(many(list(requests)))
    return [backend.branch(request) for request in requests]


def redraw_broken(plans: Sequence[TreePlan], decoded: Sequence[Sequence[Sequence[Sampled]]], backend: BranchBackend,
                  tokenizer: Any, params: GrowParams, stats: GrowStats | None) -> list[list[list[Sampled]]]:
    """``decoded`` with every sample whose program does not parse drawn again (``params.redraws`` rounds at most).

    Round r draws the broken samples of a fork from that fork with the seed (seed, task, node, "redraw", r), so the
    result does not depend on how tasks were batched. The tokens of a replaced draw count in ``stats.tokens``."""
    out = [[list(samples) for samples in per_plan] for per_plan in decoded]
    # the draws not known to parse yet, per (plan, node): only these are checked, and only new draws again
    unchecked = {(p, node): list(range(len(samples))) for p, per_plan in enumerate(out)
                 for node, samples in enumerate(per_plan)}
    for round_ in range(1, params.redraws + 1):
        todo: dict[int, list[tuple[BranchRequest, int, int, list[int]]]] = {}  # width -> requests and their slots
        for (p, node), slots in unchecked.items():
            plan = plans[p]
            broken = [k for k in slots if not _parses(plan, node, out[p][node][k], tokenizer)]
            if not broken:
                continue
            fork = dataclasses.replace(plan.request.forks[node],
                                       seed=derive_seed(params.seed, plan.task.id, node, "redraw", round_))
            request = dataclasses.replace(plan.request, forks=(fork,),
                                          sampling=dataclasses.replace(params.sampling, width=len(broken)))
            todo.setdefault(len(broken), []).append((request, p, node, broken))
        unchecked = {(p, node): broken for group in todo.values() for _, p, node, broken in group}
        for group in todo.values():
            for (_, p, node, broken), redrawn in zip(group, _decode([g[0] for g in group], backend), strict=True):
                for k, sample in zip(broken, redrawn[0], strict=True):
                    if stats is not None:
                        stats.tokens += out[p][node][k].generated
                        stats.redrawn += 1
                    out[p][node][k] = sample
        if not todo:
            break
    return out


def _parses(plan: TreePlan, node: int, sampled: Sampled, tokenizer: Any) -> bool:
    """Whether the program of a sample (golden prefix + branch + the golden code it rejoins) parses, checked in
    this process; a language without a parser here counts as parsing."""
    (branch,) = _branches(plan, node, [sampled], tokenizer, None)
    golden = plan.parts.golden_text
    code = golden[:plan.placed[node].chars] + branch.text
    if branch.resume_chars is not None:
        code += golden[branch.resume_chars:]
    return module_parses(plan.task.language, code)


def _chunks(tasks: Sequence[Task], by_task: Mapping[str, Sequence[RiskNode]],
            params: GrowParams) -> Iterable[list[Task]]:
    """Consecutive groups of whole tasks whose branches fit ``params.max_batch`` rows (a task alone may not)."""
    chunk: list[Task] = []
    rows = 0
    for task in tasks:
        need = len(by_task.get(task.id, ())) * params.sampling.width
        if chunk and rows + need > params.max_batch:
            yield chunk
            chunk, rows = [], 0
        chunk.append(task)
        rows += need
    if chunk:
        yield chunk
