"""Training examples as token ids, grouped for packing: one group = pairs that share a prompt.

Every method trains on ``SequencePair`` groups (``packing.pack_pairs`` turns a group into one packed sequence):

- ``tsp``: the pairs of one tree (``treeplay pairs``), on the token ids the tree was grown with: context =
  prompt + golden prefix y_<k_v (+ the parent branch's tokens before a deeper fork), chosen / rejected = the
  pair's own token ids. Nothing is re-tokenized, so there is no drift at the node boundary.
- ``dpo``: sequence-level pairs of one task: chosen = the golden (secure) program, rejected = each functionally
  correct vulnerable variant, both after the prompt and ending the code block (``program_ids``).
- ``spin``: chosen = the golden program, rejected = a program the previous model sampled from the prompt.
- ``sft``: the golden program alone: a pair whose rejected side is empty (scores nothing), so SFT runs through
  the same packed forward pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from treeplay.errors import DataError
from treeplay.records import Candidate, PreferencePair, Task, Tree
from treeplay.train.packing import SequencePair
from treeplay.tree.leaves import place_branches, task_of


@dataclass(frozen=True)
class PairGroup:
    """Pairs that are packed together (one tree, or one task), with their index in the pairs file.

    ``prompt_tokens``: how many leading context tokens are the prompt, the same in every pair (``fit``'s
    ``train.max_length`` never drops them); None: the whole context.
    """

    key: str
    pairs: tuple[SequencePair, ...]
    indices: tuple[int, ...]
    prompt_tokens: int | None = None

    @property
    def n_tokens(self) -> int:
        """Tokens of the group run pair by pair (both sequences of every pair, contexts included)."""
        return sum(2 * len(p.context) + len(p.chosen) + len(p.rejected) for p in self.pairs)


def tree_groups(pairs: Sequence[PreferencePair], trees: Sequence[Tree], tasks: Mapping[str, Task], *,
                max_pairs: int | None = None) -> list[PairGroup]:
    """TSP groups: the pairs of each tree on the tree's token ids (``max_pairs`` splits big trees by order)."""
    by_task = {tree.task_id: tree for tree in trees}
    prompt_tokens = {tree.task_id: len(tree.prompt_token_ids) for tree in trees}
    contexts: dict[str, dict[str, tuple[int, ...]]] = {}
    grouped: dict[str, list[tuple[int, SequencePair]]] = defaultdict(list)
    for index, pair in enumerate(pairs):
        tree = by_task.get(pair.task_id)
        if tree is None:
            raise DataError(f"pair {index + 1} is for task {pair.task_id!r}, which has no tree in the trees file",
                            fix="pass the trees.jsonl these pairs were extracted from (--trees)")
        if pair.task_id not in contexts:
            contexts[pair.task_id] = {leaf.id: leaf.context_ids for leaf in place_branches(tree, task_of(tasks, tree))}
        grouped[pair.task_id].append((index, _tree_pair(pair, index, contexts[pair.task_id])))
    groups = []
    for key, items in grouped.items():
        step = max_pairs or len(items)
        for start in range(0, len(items), step):
            chunk = items[start:start + step]
            groups.append(PairGroup(key=key, pairs=tuple(p for _, p in chunk), indices=tuple(i for i, _ in chunk),
                                    prompt_tokens=prompt_tokens[key]))
    return groups


def _tree_pair(pair: PreferencePair, index: int, contexts: Mapping[str, tuple[int, ...]]) -> SequencePair:
    """The pair on token ids: its fork's context is that of whichever of its branches forks there."""
    if pair.chosen_token_ids is None or pair.rejected_token_ids is None or pair.shared_prefix_tokens is None:
        raise DataError(f"pair {index + 1} (task {pair.task_id!r}) has no token ids",
                        fix="tree training needs pairs from treeplay pairs (they carry the trees' token ids)")
    for leaf_id in (pair.rejected_id, pair.chosen_id):
        context = contexts.get(leaf_id or "")
        if context is not None and len(context) == pair.shared_prefix_tokens:
            return SequencePair(context, tuple(pair.chosen_token_ids), tuple(pair.rejected_token_ids),
                                chosen_region=pair.chosen_region_tokens, rejected_region=pair.rejected_region_tokens)
    raise DataError(f"pair {index + 1} (task {pair.task_id!r}): neither {pair.rejected_id!r} nor {pair.chosen_id!r} "
                    f"is a branch of its tree forking after {pair.shared_prefix_tokens} tokens",
                    fix="pass the trees.jsonl and tasks.jsonl these pairs were extracted from")


def end_of_program(prompt_format: str) -> str:
    """What closes a whole program after the prompt: the code fence the chat prompt opened, else nothing."""
    return "```" if prompt_format == "chat" else ""


def program_ids(task: Task, program: str, tokenizer: Any, prompt_format: str = "auto") -> tuple[tuple[int, ...],
                                                                                                 tuple[int, ...]]:
    """(prompt ids, program ids) for a whole program after ``task``'s prompt: the program (newline-terminated),
    the closing fence in chat format, then EOS; tokenized after the prompt exactly as generation sees it."""
    from treeplay.engine.prompts import build_prompt, resolve_format

    fmt = resolve_format(tokenizer, prompt_format)
    text = program if program.endswith("\n") else program + "\n"
    parts = build_prompt(task, tokenizer, fmt, golden=text + end_of_program(fmt))
    eos = [tokenizer.eos_token_id] if getattr(tokenizer, "eos_token_id", None) is not None else []
    return parts.prompt_ids, (*parts.golden_ids, *eos)


def program_groups(tasks: Sequence[Task], tokenizer: Any, *, rejected: Mapping[str, Sequence[str]] | None = None,
                   prompt_format: str = "auto") -> list[PairGroup]:
    """DPO / SPIN / SFT groups, one per task with a golden program.

    ``rejected`` maps task id -> whole programs to reject (SPIN: the previous model's samples); when None the
    task's own vulnerable variants are rejected (DPO). Tasks with nothing to reject are left out; SFT uses
    ``sft_groups``.
    """
    groups = []
    index = 0
    for task in tasks:
        if task.golden is None:
            continue
        bad = list(task.vulnerable) if rejected is None else list(rejected.get(task.id, ()))
        if not bad:
            continue
        prompt, chosen = program_ids(task, task.golden, tokenizer, prompt_format)
        pairs = tuple(SequencePair(prompt, chosen, program_ids(task, b, tokenizer, prompt_format)[1]) for b in bad)
        groups.append(PairGroup(key=task.id, pairs=pairs, indices=tuple(range(index, index + len(pairs))),
                                prompt_tokens=len(prompt)))
        index += len(pairs)
    return groups


def sft_groups(tasks: Sequence[Task], tokenizer: Any, prompt_format: str = "auto") -> list[PairGroup]:
    """SFT on golden paths: one group per task, its golden program as ``chosen`` and an empty ``rejected``."""
    groups = []
    for index, task in enumerate(t for t in tasks if t.golden is not None):
        prompt, chosen = program_ids(task, task.golden or "", tokenizer, prompt_format)
        groups.append(PairGroup(key=task.id, pairs=(SequencePair(prompt, chosen, ()),), indices=(index,),
                                prompt_tokens=len(prompt)))
    return groups


def sample_programs(samples: Sequence[Candidate], tasks: Sequence[Task]) -> dict[str, list[str]]:
    """SPIN's rejected side: the whole program of every sample (``task.prefix + completion``) by task id, in file
    order; samples of tasks not in ``tasks`` are left out."""
    prefixes = {task.id: task.prefix for task in tasks}
    programs: dict[str, list[str]] = defaultdict(list)
    for sample in samples:
        if sample.task_id in prefixes:
            programs[sample.task_id].append(prefixes[sample.task_id] + sample.completion)
    return dict(programs)
