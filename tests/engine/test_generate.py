"""Whole-program sampling for evaluation: a fork at the end of prompt + prefix, seeded, stopped, resumable."""

from __future__ import annotations

import pytest

from tests.engine.helpers import C_TASK, PY_PREFIX, PY_TASK
from treeplay.data.builtin import load_builtin
from treeplay.engine.backends import FakeBackend, SamplingParams
from treeplay.engine.generate import generate_all, generate_samples, heal, sample_request
from treeplay.engine.hf_backend import HFBackend
from treeplay.records import Candidate, Task, load_jsonl

SAMPLING = SamplingParams(width=3, temperature=0.2, top_p=0.9, max_new_tokens=1024)


def test_the_fork_is_at_the_end_of_prompt_and_prefix(tiny_tokenizer):
    request = sample_request(PY_TASK, tiny_tokenizer, SAMPLING, seed=3)
    (fork,) = request.forks
    assert fork.ids_len == len(request.ids) and fork.text_len == len(request.text)
    # chat format: the prefix opens the code block; the fork is before its trailing newline
    assert request.text.endswith("```python\n" + PY_PREFIX.rstrip()) and PY_PREFIX.endswith("\n")
    assert tiny_tokenizer.decode(list(request.ids)) == request.text


SECEVAL_TASK = Task(id="se", language="python", cwes=("CWE-20",), prompt="Complete the code.",
                    prefix="import yaml\n\n\ndef load(name):\n    '''Load name.'''\n    ")


@pytest.mark.parametrize("written, completion", [
    ("\n    return yaml.safe_load(name)\n", "return yaml.safe_load(name)\n"),  # the usual case
    ("\n        return 1\n", "    return 1\n"),  # deeper: keeps its own extra indentation
    ("\n\ndef other():\n    pass\n", "\n"),  # a new top-level function ends the sample
    ("", ""),
])
def test_trailing_whitespace_of_the_prefix_is_replaced_by_the_samples_own(tiny_tokenizer, written, completion):
    request = sample_request(SECEVAL_TASK, tiny_tokenizer, SamplingParams(width=1))
    assert request.text.endswith("'''Load name.'''")  # not on a whitespace token the model never ends on
    (cand,) = generate_samples(SECEVAL_TASK, FakeBackend(lambda f, k, seed: written), tiny_tokenizer,
                               SamplingParams(width=1))
    assert cand.completion == completion


def test_heal_drops_only_the_whitespace_the_prefix_already_has():
    assert heal("\n    return 1\n", "\n    ") == "return 1\n"
    assert heal("\n\n    x = 1\n", "\n    ") == "\n    x = 1\n"  # a blank line first: kept
    assert heal(" 5\n", " ") == "5\n"


def test_samples_continue_the_prefix_and_stop_at_the_end_of_its_function(tiny_tokenizer):
    cands = generate_samples(PY_TASK, FakeBackend(), tiny_tokenizer, SAMPLING, seed=0)
    assert [c.candidate_id for c in cands] == ["py_search/s0", "py_search/s1", "py_search/s2"]
    assert all(c.task_id == "py_search" for c in cands)
    assert all(c.completion.endswith("return value\n\n") and "unrelated" not in c.completion for c in cands)
    assert len({c.completion for c in cands}) == 3


def test_stop_none_keeps_everything_the_backend_wrote(tiny_tokenizer):
    (cand,) = generate_samples(PY_TASK, FakeBackend(), tiny_tokenizer, SamplingParams(width=1), stop="none")
    assert "def unrelated" in cand.completion


def test_seed_decides_the_samples(tiny_tokenizer):
    def texts(seed: int, task=PY_TASK) -> list[str]:
        return [c.completion for c in generate_samples(task, FakeBackend(), tiny_tokenizer, SAMPLING, seed=seed)]

    assert texts(0) == texts(0) != texts(1)
    assert texts(0) != texts(0, C_TASK)  # the task's id is part of the seed


def test_generate_all_appends_only_what_is_missing(tiny_tokenizer, tmp_path):
    backend = FakeBackend()
    reference, _ = generate_all([PY_TASK, C_TASK], backend, tiny_tokenizer, SAMPLING, tmp_path / "ref.jsonl",
                                progress=False)
    out = tmp_path / "g.jsonl"
    lines = (tmp_path / "ref.jsonl").read_text().splitlines(keepends=True)
    out.write_text("".join(lines[:4]) + lines[4][:20])  # py done, one c sample, then a torn line
    backend.requests.clear()
    cands, stats = generate_all([PY_TASK, C_TASK], backend, tiny_tokenizer, SAMPLING, out, progress=False)
    # both tasks share one decoding batch, so the batch is sampled again (same seeds: same samples) and only the
    # missing samples are appended
    assert (stats.tasks, stats.skipped) == (2, 0) and len(backend.requests) == 2
    assert cands == reference and out.read_bytes() == (tmp_path / "ref.jsonl").read_bytes()
    _, again = generate_all([PY_TASK, C_TASK], backend, tiny_tokenizer, SAMPLING, out, progress=False)
    assert (again.tasks, again.skipped) == (0, 2)


@pytest.fixture(scope="module")
def two_builtin_tasks():
    return [t for t in load_builtin() if t.language == "python"][:2]


def test_tiny_model_samples_are_deterministic_by_seed_and_resume(tiny, two_builtin_tasks, tmp_path):
    model, tok = tiny
    sampling = SamplingParams(width=2, temperature=1.0, top_p=0.9, max_new_tokens=12)

    def run(name: str, seed: int = 0) -> tuple[list[Candidate], object]:
        return generate_all(two_builtin_tasks, HFBackend(model, tok), tok, sampling, tmp_path / name, seed=seed,
                            stop="none", progress=False)

    first, stats = run("a.jsonl")
    assert [c.candidate_id for c in first] == [f"{t.id}/s{k}" for t in two_builtin_tasks for k in range(2)]
    assert stats.samples == 4 and all(c.completion for c in first)
    assert first[0].completion != first[1].completion  # each sample has its own generator
    second, _ = run("b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes() and second == first
    other, _ = run("c.jsonl", seed=1)
    assert other != first
    lines = (tmp_path / "a.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "d.jsonl").write_text("".join(lines[:3]))  # killed after the second task's first sample
    resumed, stats = run("d.jsonl")
    assert (stats.tasks, stats.skipped, stats.samples) == (2, 0, 4)  # the shared batch is decoded again
    assert resumed == first and (tmp_path / "d.jsonl").read_bytes() == (tmp_path / "a.jsonl").read_bytes()
    assert load_jsonl(tmp_path / "d.jsonl", Candidate) == first
