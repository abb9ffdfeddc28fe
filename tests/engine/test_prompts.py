"""Prompt formats and the token bookkeeping of the golden path (boundary, node positions, detokenisation)."""

from __future__ import annotations

import dataclasses

import pytest

from tests.engine.helpers import C_TASK, PY_TASK
from treeplay.engine.prompts import build_prompt, prompt_text, user_message
from treeplay.engine.tiny import tiny_tokenizer
from treeplay.engine.tokens import Detokenizer, first_token_at, line_at, line_start, token_char_starts


def test_chat_prompt_shows_the_prefix_and_the_assistant_turn_starts_the_code(tiny_tokenizer):
    parts = build_prompt(PY_TASK, tiny_tokenizer)
    assert parts.format == "chat"
    assert user_message(PY_TASK) == f"{PY_TASK.prompt}\n\n```python\n{PY_TASK.prefix}```"
    assert parts.prompt_text == ("<|im_start|>user\n" + user_message(PY_TASK) + "<|im_end|>\n"
                                 "<|im_start|>assistant\n```python\n")
    assert parts.golden_text == PY_TASK.golden


def test_inst_format_is_the_papers_codellama_completion_format():
    tok = tiny_tokenizer(chat=False)
    fmt, text = prompt_text(C_TASK, tok)
    assert fmt == "inst" and text == f"[INST] {C_TASK.prompt} [/INST]\n"
    fmt, text = prompt_text(C_TASK, tok, "raw")
    assert fmt == "raw" and text == f"// {C_TASK.prompt}\n"
    with pytest.raises(ValueError):
        prompt_text(C_TASK, tok, "chat")  # no template to use


@pytest.mark.parametrize("task", [PY_TASK, C_TASK, dataclasses.replace(PY_TASK, prefix="")])
def test_prompt_plus_golden_ids_are_exactly_the_tokenized_text(tiny_tokenizer, task):
    parts = build_prompt(task, tiny_tokenizer)
    whole = tiny_tokenizer(parts.prompt_text + task.golden, add_special_tokens=False)["input_ids"]
    assert list(parts.prompt_ids + parts.golden_ids) == whole
    assert tiny_tokenizer.decode(list(parts.golden_ids)) == task.golden
    assert "<|im_start|>" in tiny_tokenizer.convert_ids_to_tokens(list(parts.prompt_ids))  # parsed as special


def test_boundary_merge_falls_back_to_tokenizing_the_golden_alone(tiny_tokenizer):
    """A golden path that starts with whitespace would merge with the prompt's last newline: kept apart."""
    task = dataclasses.replace(PY_TASK, prefix="", golden="    x = 1\n")
    parts = build_prompt(task, tiny_tokenizer, "raw")
    joint = tiny_tokenizer(parts.prompt_text + task.golden, add_special_tokens=False)["input_ids"]
    assert joint[:len(parts.prompt_ids)] != list(parts.prompt_ids)  # the merge really happens here
    assert tiny_tokenizer.decode(list(parts.prompt_ids)) == parts.prompt_text
    assert tiny_tokenizer.decode(list(parts.golden_ids)) == task.golden
    assert parts.golden_text == task.golden


def test_node_maps_to_first_token_at_or_after_its_line_and_straddling_tokens_stay_in_the_prefix(tiny_tokenizer):
    parts = build_prompt(PY_TASK, tiny_tokenizer)
    golden = PY_TASK.golden
    for line in range(6, 13):
        offset = line_start(golden, line)
        k = first_token_at(parts.golden_starts, offset)
        chars = parts.golden_starts[k]
        assert chars >= offset and (k == 0 or parts.golden_starts[k - 1] < offset)
        assert golden[offset:chars].strip() == ""  # only the line's indentation can fall into the prefix
        assert tiny_tokenizer.decode(list(parts.golden_ids[:k])) == golden[:chars]
    tokens = tiny_tokenizer.convert_ids_to_tokens(list(parts.golden_ids))
    assert any(t.startswith("Ċ") and len(t) > 1 for t in tokens)  # the straddling case really occurs


def test_detokenizer_handles_characters_split_over_tokens(tiny_tokenizer):
    text = "naïve = '日本語' # ✓\n"
    ids = tiny_tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) > len(text.encode("utf-8")) / 2  # multi-byte characters span several tokens
    detok = Detokenizer(tiny_tokenizer, [5, 6])
    pieces = [detok.push(t) for t in ids]
    assert "".join(pieces) == text == detok.text
    assert "\ufffd" not in "".join(pieces)
    starts, decoded = token_char_starts(tiny_tokenizer, ids)
    assert decoded == text and starts == sorted(starts) and starts[0] == 0


def test_line_helpers():
    text = "a\nbb\n\nccc"
    assert [line_start(text, n) for n in (1, 2, 3, 4, 5)] == [0, 2, 5, 6, 9]
    assert line_at(text, 3) == "bb" and line_at(text, 6) == "ccc" and line_at(text, 0) == "a"
