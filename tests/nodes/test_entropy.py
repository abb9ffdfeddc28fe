"""Entropy nodes: the lines where the model's next-token entropy on the golden path peaks."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")

from treeplay.nodes.entropy import entropy_nodes, raw_encoder, token_entropy  # noqa: E402

from .fixtures import GOLDEN, program_task, python_task  # noqa: E402

torch.set_num_threads(1)
VOCAB = 32


class CharTokenizer:
    """One token per character (a small vocabulary of code points modulo VOCAB), offset mapping included."""

    is_fast = True
    bos_token_id = 0

    def __call__(self, text, add_special_tokens=True, return_offsets_mapping=False):
        ids = [1 + (ord(c) % (VOCAB - 1)) for c in text]
        if add_special_tokens:
            ids = [0] + ids
        out = {"input_ids": ids}
        if return_offsets_mapping:
            out["offset_mapping"] = [(i, i + 1) for i in range(len(text))]
        return out


class UncertainOnLines:
    """A fake causal LM: flat (maximum-entropy) predictions for the tokens of chosen golden lines, sharp elsewhere.

    The golden code sits at the end of the input, so the position predicting golden character i is known.
    """

    def __init__(self, golden: str, uncertain_lines: set[int], prompt_len: int) -> None:
        self.flat_positions = set()
        line = 1
        for i, char in enumerate(golden):
            if line in uncertain_lines and char.strip():
                self.flat_positions.add(prompt_len + i - 1)
            line += char == "\n"
        self.device = "cpu"

    def eval(self):
        return self

    def __call__(self, input_ids):
        length = input_ids.shape[1]
        logits = torch.full((1, length, VOCAB), -30.0)
        logits[0, :, 5] = 30.0  # sharp: one token certain
        for pos in self.flat_positions:
            if pos < length:
                logits[0, pos] = 0.0  # flat: every token equally likely
        return SimpleNamespace(logits=logits)


def prompt_len(task) -> int:
    return len(raw_encoder(CharTokenizer())(task)[0])


def test_token_entropy_of_flat_and_sharp_rows():
    logits = torch.zeros(2, 8)
    logits[1, 0] = 100.0
    values = token_entropy(logits, chunk=1)
    assert values[0].item() == pytest.approx(math.log(8)) and values[1].item() == pytest.approx(0.0, abs=1e-6)


def test_entropy_nodes_are_the_most_uncertain_lines():
    task = python_task()
    model = UncertainOnLines(GOLDEN, {3, 5}, prompt_len(task))
    result = entropy_nodes([task], model, CharTokenizer(), top_k=2)
    assert [n.line for n in result.nodes] == [3, 5]
    assert {n.method for n in result.nodes} == {"entropy"} and "nats" in result.nodes[0].reason


def test_entropy_min_gap_keeps_nodes_apart():
    task = python_task()
    model = UncertainOnLines(GOLDEN, {3, 4}, prompt_len(task))
    lines = [n.line for n in entropy_nodes([task], model, CharTokenizer(), top_k=2, min_gap=2).nodes]
    assert len(lines) == 2 and 3 in lines and 4 not in lines and abs(lines[0] - lines[1]) >= 2


def test_entropy_nodes_lie_after_prefix():
    task = program_task()
    model = UncertainOnLines(task.golden, {1, 2, 4, 6}, prompt_len(task))  # 1, 2 and 4 are prefix lines
    result = entropy_nodes([task], model, CharTokenizer(), top_k=4)
    assert all(n.char_offset >= len(task.prefix) for n in result.nodes)
    assert [n.line for n in entropy_nodes([task], model, CharTokenizer(), top_k=1).nodes] == [6]


def test_entropy_stops_reading_at_max_tokens():
    task = python_task()
    model = UncertainOnLines(GOLDEN, {5}, prompt_len(task))
    result = entropy_nodes([task], model, CharTokenizer(), top_k=1, max_tokens=prompt_len(task) + 40)
    assert result.counts["truncated"] == 1 and all(n.line <= 2 for n in result.nodes)


def test_entropy_with_a_tiny_random_llama():
    from treeplay.engine.prompts import build_prompt
    from treeplay.engine.tiny import tiny_model_and_tokenizer

    model, tokenizer = tiny_model_and_tokenizer(seed=0)
    task = python_task()

    def encode(t):
        parts = build_prompt(t, tokenizer)
        return parts.prompt_ids, parts.golden_ids, parts.golden_starts

    for options in ({}, {"encode": encode}):
        result = entropy_nodes([task, program_task()], model, tokenizer, top_k=3, **options)
        per_task = {tid: [n.line for n in result.nodes if n.task_id == tid] for tid in ("t-render", "t-read")}
        assert all(len(lines) == 3 and lines == sorted(set(lines)) for lines in per_task.values())
        assert all(n.line >= 5 for n in result.nodes if n.task_id == "t-read")
    again = entropy_nodes([task], model, tokenizer, top_k=3, encode=encode)
    assert again.nodes == tuple(n for n in result.nodes if n.task_id == "t-render")
