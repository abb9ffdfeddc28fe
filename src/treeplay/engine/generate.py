"""Whole-program sampling for evaluation: n samples per task from its prompt, seeded, resumable.

A prompt-only generation is a tree with no golden path: one fork at the end of the model input (the prompt, then
the task's code prefix), with ``n`` branches. So it goes through the same ``BranchBackend`` protocol as tree
growth, and every backend works unchanged: ``HFBackend`` (prefill once, decode the n samples as one batch),
``OpenAIBackend`` (one request with ``n``), ``FakeBackend`` (tests). The fork's seed is
``derive_seed(seed, task id, "sample")`` and each backend derives one generator per sample from it, so a sample
depends only on (seed, task, k): the same seed gives the same programs, whatever else is in the run.

Trailing whitespace of the prefix is healed: SecurityEval's prefixes end in a newline plus the next line's
indentation, and byte-level BPE merges a newline with the indentation after it (``"\\n   "`` + ``" return"``), so a
context that ends in ``"\\n    "`` asks for a continuation that tokenization never produces (small models answer
with a blank line and stop). The fork is therefore placed before the prefix's trailing whitespace, the model writes
its own, and the completion is the sample minus the part that repeats that whitespace (``heal``).

Each sample stops like a branch (``stops.make_stop_rule``): at the end of the function the prefix opens (Python
indentation, balanced braces), at a closing code fence, at EOS or after ``max_new_tokens``. The result is a
``Candidate`` per sample with id ``<task_id>/s<k>`` whose completion continues ``task.prefix``.

``generate_all`` decodes the tasks in fixed batches (``task_batches``; ``HFBackend.branch_many`` decodes the samples
of a batch's tasks together) and appends each batch's samples to a JSONL file as soon as it is done; a re-run
repairs a torn last line (``records.resume_jsonl``) and decodes again only the batches that still miss samples.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from treeplay.engine.backends import BranchBackend, BranchRequest, Fork, SamplingParams, derive_seed
from treeplay.engine.prompts import build_prompt
from treeplay.engine.stops import make_stop_rule
from treeplay.engine.tokens import line_at
from treeplay.progress import OnProgress, StageProgress
from treeplay.records import Candidate, Task, append_jsonl, resume_jsonl


def sample_id(task_id: str, k: int) -> str:
    """The id of a task's k-th sample (``<task_id>/s<k>``)."""
    return f"{task_id}/s{k}"


@dataclass
class GenerateStats:
    """Counters of one ``generate_all`` run (``tokens`` = every token the backend decoded)."""

    tasks: int = 0
    skipped: int = 0
    samples: int = 0
    tokens: int = 0


def split_trailing_space(prefix: str) -> tuple[str, str]:
    """(the prefix without its trailing whitespace, that whitespace): where a sample forks, and what it replaces."""
    head = prefix.rstrip(" \t\r\n\f")
    return head, prefix[len(head):]


def heal(text: str, tail: str) -> str:
    """The completion after ``head + tail`` of a sample ``text`` written after ``head``: ``text`` without the part
    of it that repeats ``tail`` (all of ``tail`` in the usual case, where the sample starts a new line)."""
    return text[len(os.path.commonprefix([text, tail])):]


def sample_request(task: Task, tokenizer: Any, sampling: SamplingParams, *, seed: int = 0, stop: str = "function",
                   prompt_format: str = "auto") -> BranchRequest:
    """The backend request for ``sampling.width`` samples of ``task``: one fork at the end of the prompt and the
    prefix, before the prefix's trailing whitespace (see the module docstring)."""
    head, _ = split_trailing_space(task.prefix)
    parts = build_prompt(task, tokenizer, prompt_format, golden=head)
    code = parts.golden_text  # the prefix as the model sees it
    make_stop = partial(make_stop_rule, task.language, code, line_at(code, len(code)), stop)
    ids = parts.prompt_ids + parts.golden_ids
    text = parts.prompt_text + code
    fork = Fork(ids_len=len(ids), text_len=len(text), seed=derive_seed(seed, task.id, "sample"), make_stop=make_stop)
    return BranchRequest(ids=ids, text=text, forks=(fork,), sampling=sampling)


def generate_samples(task: Task, backend: BranchBackend, tokenizer: Any, sampling: SamplingParams, *,
                     seed: int = 0, stop: str = "function", prompt_format: str = "auto",
                     stats: GenerateStats | None = None) -> list[Candidate]:
    """``sampling.width`` candidates for ``task`` (ids ``<task_id>/s0`` ...), each continuing ``task.prefix``."""
    (out,) = generate_batch([task], backend, tokenizer, sampling, seed=seed, stop=stop, prompt_format=prompt_format,
                            stats=stats)
    return out


def generate_batch(tasks: Sequence[Task], backend: BranchBackend, tokenizer: Any, sampling: SamplingParams, *,
                   seed: int = 0, stop: str = "function", prompt_format: str = "auto",
                   stats: GenerateStats | None = None) -> list[list[Candidate]]:
    """The candidates of several tasks, decoded as shared batches when the backend can (``branch_many``)."""
    requests = [sample_request(t, tokenizer, sampling, seed=seed, stop=stop, prompt_format=prompt_format)
                for t in tasks]
    many = getattr(backend, "branch_many", None)
    results = many(requests) if many is not None else [backend.branch(r) for r in requests]
    out = []
    for task, (sampled,) in zip(tasks, results, strict=True):
        if stats is not None:
            stats.samples += len(sampled)
            stats.tokens += sum(s.generated for s in sampled)
        _, tail = split_trailing_space(task.prefix)
        out.append([Candidate(task_id=task.id, completion=heal(s.text, tail), candidate_id=sample_id(task.id, k))
                    for k, s in enumerate(sampled)])
    return out


def task_batches(tasks: Sequence[Task], n_samples: int, max_rows: int = 16) -> list[list[Task]]:
    """Fixed batches of the task list (``max_rows`` sampled rows each): a task's batch depends only on its place in
    the full list, so a resumed run decodes every task alongside the same tasks as an uninterrupted one."""
    size = max(1, max_rows // max(1, n_samples))
    return [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]


def generate_all(tasks: Sequence[Task], backend: BranchBackend, tokenizer: Any, sampling: SamplingParams,
                 out_path: str | Path, *, seed: int = 0, stop: str = "function", prompt_format: str = "auto",
                 progress: bool = True, on_progress: OnProgress | None = None
                 ) -> tuple[list[Candidate], GenerateStats]:
    """``sampling.width`` samples of every task, appended to ``out_path`` batch by batch; resumable.

    Tasks are decoded in fixed batches (``task_batches``). Samples already in ``out_path`` are kept: a batch whose
    samples are all there is skipped, one with some missing is sampled again (same seeds, same batch, so the same
    samples) and only the missing ones are appended. Returns the candidates of ``tasks`` (task order, then k) and
    the run's counters. ``progress``: a bar on stderr; ``on_progress``: called with ("generate", tasks done, tasks
    to sample).
    """
    n = sampling.width
    existing = {c.candidate_id: c for c in resume_jsonl(out_path, Candidate)}

    def missing(task: Task) -> bool:
        return any(sample_id(task.id, k) not in existing for k in range(n))

    batches = [b for b in task_batches(tasks, n) if any(missing(t) for t in b)]
    todo = sum(len(b) for b in batches)
    stats = GenerateStats(skipped=len(tasks) - todo)
    with StageProgress("generate", todo, bar=progress, on_progress=on_progress) as bar:
        for batch in batches:
            for cands in generate_batch(batch, backend, tokenizer, sampling, seed=seed, stop=stop,
                                        prompt_format=prompt_format, stats=stats):
                for cand in cands:
                    if cand.candidate_id not in existing:
                        append_jsonl(out_path, cand)
                        existing[cand.candidate_id] = cand
            stats.tasks += len(batch)
            bar.advance(len(batch), tokens=stats.tokens)
    return [existing[sample_id(t.id, k)] for t in tasks for k in range(n)], stats
