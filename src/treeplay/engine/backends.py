"""The branch backend protocol: given a context and fork points in it, sample K continuations at each fork.

Tree growth (``rollout``) speaks to every backend through ``BranchBackend.branch``: one ``BranchRequest`` per golden
path (or per parent branch when a tree grows deeper) holds the context once, as token ids and as text, and the fork
points in it. Backends:

- ``hf_backend.HFBackend``: prefills the context once, forks its KV cache at every fork point, decodes all branches
  as one batch (the fast path, and the reference).
- ``openai_backend.OpenAIBackend``: an OpenAI-compatible ``/v1/completions`` server (vLLM, SGLang); one request per
  fork with ``n=K``; the server's prefix cache shares the context.
- ``FakeBackend`` (here): deterministic canned branches, no model, for tests of everything above the engine.

Randomness is explicit: every fork carries its own seed, derived from (run seed, task id, node index, ...) with
``derive_seed``, so a branch does not depend on which other forks share its batch or on resuming a run.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from treeplay.config import GrowConfig
from treeplay.engine.stops import StopRule

FINISH_REASONS = ("stop", "length", "eos")


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from any parts (stable across processes and Python versions; ``hash()`` is salted)."""
    digest = hashlib.sha256("\x1f".join(repr(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") & ((1 << 63) - 1)


@dataclass(frozen=True)
class SamplingParams:
    """How branches are sampled (paper: K=4, temperature 1.0, top_p 0.95, 1024 new tokens).

    ``temperature == 0`` means greedy decoding. ``ignore_eos`` keeps decoding through EOS (benchmarks use it so
    that every method generates the same number of tokens).
    """

    width: int = GrowConfig.width
    temperature: float = GrowConfig.temperature
    top_p: float = GrowConfig.top_p
    max_new_tokens: int = GrowConfig.max_new_tokens
    ignore_eos: bool = False

    def __post_init__(self) -> None:
        if self.width < 1 or self.max_new_tokens < 1:
            raise ValueError("width and max_new_tokens must be at least 1")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ValueError("temperature must be >= 0 and top_p in (0, 1]")


@dataclass(frozen=True)
class Fork:
    """One fork point: branch after the first ``ids_len`` context tokens (= the first ``text_len`` characters).

    ``make_stop`` builds a fresh stop rule for one branch (each branch has its own state).
    """

    ids_len: int
    text_len: int
    seed: int
    make_stop: Callable[[], StopRule]


@dataclass(frozen=True)
class BranchRequest:
    """A context (prompt + golden path, or + a parent branch) given once, and the forks to grow in it."""

    ids: tuple[int, ...]
    text: str
    forks: tuple[Fork, ...]
    sampling: SamplingParams


@dataclass(frozen=True)
class Sampled:
    """One branch as a backend returns it.

    ``token_ids`` and ``text`` are the kept continuation (cut at the stop point; EOS excluded); ``generated`` counts
    every token the backend decoded for it, kept or not (throughput is measured on that).
    """

    token_ids: tuple[int, ...]
    text: str
    finish_reason: str
    generated: int


class BranchBackend(Protocol):
    """Samples ``sampling.width`` branches at every fork of a request."""

    name: str

    def branch(self, request: BranchRequest) -> list[list[Sampled]]:
        """Per fork (in request order), its K branches."""
        ...


class FakeBackend:
    """Deterministic branches without a model: each is ``script(fork_index, k, seed)`` (text), cut by the stop rule.

    Token ids are the ids of ``tokenizer`` when one is given (needed for trees deeper than one level), else the
    UTF-8 bytes of the text. The default script writes lines that differ per branch and per seed, then a line that
    ends a Python function, so stop rules get exercised too. ``requests`` records every request, for assertions.
    """

    name = "fake"

    def __init__(self, script: Callable[[int, int, int], str] | None = None, tokenizer: Any = None) -> None:
        self.script = script or _default_script
        self.tokenizer = tokenizer
        self.requests: list[BranchRequest] = []

    def branch(self, request: BranchRequest) -> list[list[Sampled]]:
        self.requests.append(request)
        out = []
        for f, fork in enumerate(request.forks):
            row = []
            for k in range(request.sampling.width):
                sampled = _finish(self.script(f, k, fork.seed), fork.make_stop(), request.sampling.max_new_tokens)
                if self.tokenizer is not None:
                    ids = self.tokenizer(sampled.text, add_special_tokens=False)["input_ids"]
                    sampled = dataclasses.replace(sampled, token_ids=tuple(ids), generated=len(ids))
                row.append(sampled)
            out.append(row)
        return out


def _default_script(fork_index: int, k: int, seed: int) -> str:
    return f"    value = fake_{fork_index}_{k}_{seed % 1000}()\n    return value\n\ndef unrelated():\n    pass\n"


def _finish(text: str, stop: StopRule, max_new_tokens: int) -> Sampled:
    """Apply a stop rule and a byte budget to a whole text (how text-only backends finish a branch)."""
    cut = stop.feed(text)
    reason = "eos"
    if cut is not None:
        text, reason = text[:cut], "stop"
    data = text.encode("utf-8")
    if len(data) > max_new_tokens:
        data, reason = data[:max_new_tokens], "length"
        text = data.decode("utf-8", errors="ignore")
        data = text.encode("utf-8")
    return Sampled(token_ids=tuple(data), text=text, finish_reason=reason, generated=len(data))


def check_forks(request: BranchRequest) -> None:
    """Fork points must lie inside the context (and leave at least one token to condition on)."""
    for fork in request.forks:
        if not 1 <= fork.ids_len <= len(request.ids) or not 0 <= fork.text_len <= len(request.text):
            raise ValueError(f"fork at token {fork.ids_len} / char {fork.text_len} is outside the context "
                             f"({len(request.ids)} tokens, {len(request.text)} chars)")


def group_forks(n_forks: int, width: int, max_batch: int) -> list[Sequence[int]]:
    """Fork indices in consecutive groups whose branches fit in ``max_batch`` rows (at least one fork a group)."""
    per_group = max(1, max_batch // width)
    return [range(i, min(i + per_group, n_forks)) for i in range(0, n_forks, per_group)]
