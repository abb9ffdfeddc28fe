"""Token <-> text bookkeeping: incremental detokenisation and risk node -> token position (k_v).

A risk node is a line of the golden code (``RiskNode.char_offset`` = where the line starts in ``Task.golden``). The
opponent continues from the golden prefix y_<k_v, so the node must become a token index k_v into the golden token
ids. Tokens never get split: k_v is the **first golden token that starts at or after the node's line start**. A
token that straddles the line start (byte-level BPE merges the previous line's newline with the indentation,
e.g. ``"\\n   "`` + ``" y"``) belongs to the prefix, so y_<k_v may end a few whitespace characters into the node's
line and the branch begins inside that line. The branch's text always continues exactly
``golden[:prefix_chars]``, where ``prefix_chars`` is the character offset at which token k_v starts.

Character offsets of tokens come from decoding, not from the tokenizer's offset mapping (which trims whitespace
for some byte-level tokenizers and is absent for slow ones): ``Detokenizer`` decodes a few tokens of left context
with every window, so SentencePiece's leading-space handling and multi-byte characters split over tokens come out
right, and a token whose bytes do not yet form a character yields its text with the next token.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

REPLACEMENT = "\ufffd"


class Detokenizer:
    """Turn a growing list of token ids into text, one token at a time, in O(window) per token.

    ``context_ids`` are the tokens before the first pushed one (only the last few are used, so that the first
    pushed token decodes as it would mid-sequence). ``ends[i]`` is the length of ``text`` after token i.
    """

    def __init__(self, tokenizer: Any, context_ids: Sequence[int] = (), window: int = 6) -> None:
        self._decode = _fast_decode(tokenizer)
        self.ids: list[int] = list(context_ids[-window:])
        self._prefix = 0  # decode window start
        self._read = len(self.ids)  # tokens before this are already in ``text``
        self._prefix_text = self._decode(self.ids[self._prefix:self._read])
        self.text = ""
        self.ends: list[int] = []

    def push(self, token_id: int) -> str:
        """Add one token; returns the new text it completes (possibly empty until a character is complete)."""
        self.ids.append(int(token_id))
        full = self._decode(self.ids[self._prefix:])
        delta = ""
        if len(full) > len(self._prefix_text) and not full.endswith(REPLACEMENT):
            delta = full[len(self._prefix_text):]
            self._prefix, self._read = self._read, len(self.ids)
            self._prefix_text = self._decode(self.ids[self._prefix:self._read])
            self.text += delta
        self.ends.append(len(self.text))
        return delta

    def flush(self) -> str:
        """Text of tokens still pending (an incomplete character at the very end), replacement characters kept."""
        full = self._decode(self.ids[self._prefix:])
        delta = full[len(self._prefix_text):] if len(full) > len(self._prefix_text) else ""
        if delta:
            self.text += delta
            if self.ends:
                self.ends[-1] = len(self.text)
            self._prefix, self._read = len(self.ids), len(self.ids)
            self._prefix_text = ""
        return delta


def _fast_decode(tokenizer: Any):
    """A decode function that keeps special tokens and spaces exactly (no clean-up of tokenization spaces)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        return lambda ids: backend.decode(list(ids), skip_special_tokens=False)
    return lambda ids: tokenizer.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)


def token_char_starts(tokenizer: Any, ids: Sequence[int], context_ids: Sequence[int] = ()) -> tuple[list[int], str]:
    """Character offset at which each token of ``ids`` starts in their decoded text, and that text."""
    detok = Detokenizer(tokenizer, context_ids)
    for token in ids:
        detok.push(token)
    detok.flush()
    starts = [0] + detok.ends[:-1] if detok.ends else []
    return starts, detok.text


def first_token_at(starts: Sequence[int], char_offset: int) -> int:
    """Index of the first token that starts at or after ``char_offset`` (``len(starts)`` when there is none)."""
    return bisect_left(starts, char_offset)


def line_start(text: str, line: int) -> int:
    """Character offset at which 1-based ``line`` starts in ``text`` (``len(text)`` past the end)."""
    offset = 0
    for _ in range(line - 1):
        offset = text.find("\n", offset)
        if offset < 0:
            return len(text)
        offset += 1
    return offset


def line_at(text: str, offset: int) -> str:
    """The whole line of ``text`` that contains character ``offset`` (without its newline)."""
    start = text.rfind("\n", 0, offset) + 1 if offset > 0 else 0
    end = text.find("\n", offset)
    return text[start:end if end >= 0 else len(text)]
