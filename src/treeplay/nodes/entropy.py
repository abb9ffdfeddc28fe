"""Risk nodes where a model is least sure of the golden path: peaks of next-token entropy.

Where the opponent's next-token distribution on the golden path y is flat, its own continuations diverge
from y; branching there (paper, step 3) is where self-play can find its mistakes without anyone annotating
the code. For each task the model reads ``prompt + golden`` once (teacher forcing); the entropy
H_t = -sum_v p(v | x, y_<t) log p(v | x, y_<t) of every golden token is credited to the line where the token's
first non-blank character lies (pure whitespace tokens say more about formatting than about code), a line
scores its highest token entropy, and the ``top_k`` best open lines at least ``min_gap`` lines apart become
nodes. Imports torch (inside the functions): only this method needs a model.

The input should be exactly what the opponent reads when it grows the tree: ``treeplay nodes`` passes the
engine's ``build_prompt`` as ``encode``; the default (``raw_encoder``) is the task description, a blank line,
then the golden code.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from treeplay.nodes.common import ADDED, NodeResult, NodeSet, line_starts
from treeplay.records import RiskNode, Task

METHOD = "entropy"
# (prompt token ids, golden token ids, where each golden token starts in Task.golden)
Encoded = tuple[Sequence[int], Sequence[int], Sequence[int]]


def entropy_nodes(tasks: Sequence[Task], model: Any, tokenizer: Any, *, top_k: int = 4, min_gap: int = 1,
                  encode: Callable[[Task], Encoded] | None = None, max_tokens: int = 2048) -> NodeResult:
    """The ``top_k`` lines of highest next-token entropy on each task's golden code.

    ``model`` is a Hugging Face causal LM, ``tokenizer`` its tokenizer (used by the default ``encode``).
    Golden tokens beyond ``max_tokens`` (prompt included) are not read. ``min_gap`` = 1 asks for distinct
    lines; 2 also keeps nodes off adjacent lines. ``counts``: ``truncated`` (tasks cut at ``max_tokens``).
    """
    encode = encode or raw_encoder(tokenizer)
    nodes: list[RiskNode] = []
    counts: Counter[str] = Counter()
    model.eval()
    for task in tasks:
        if task.golden is None:
            continue
        node_set = NodeSet(task, METHOD)
        scores, truncated = line_entropies(task, model, encode(task), max_tokens)
        counts["truncated"] += truncated
        chosen: list[int] = []
        ranked = sorted(((s, line) for line, s in scores.items() if node_set.is_open(line)),
                        key=lambda sl: (-sl[0], sl[1]))
        for score, line in ranked:
            if len(chosen) >= top_k:
                break
            if all(abs(line - other) >= min_gap for other in chosen):
                if node_set.add(line, None, f"next-token entropy peaks here ({score:.2f} nats)") == ADDED:
                    chosen.append(line)
        nodes.extend(node_set.nodes())
    return NodeResult(nodes=tuple(nodes), unmatched=0, counts=dict(sorted(counts.items())))


def line_entropies(task: Task, model: Any, encoded: Encoded, max_tokens: int) -> tuple[dict[int, float], bool]:
    """Highest token entropy per 1-based golden line (lines with a scored token only), and whether cut."""
    import torch

    assert task.golden is not None
    golden = task.golden
    prompt_ids, golden_ids, char_starts = (list(x) for x in encoded)
    room = max(0, max_tokens - len(prompt_ids))
    truncated = len(golden_ids) > room
    golden_ids = golden_ids[:room]
    if not golden_ids:
        return {}, truncated
    device = getattr(model, "device", "cpu")
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([prompt_ids + golden_ids], device=device)).logits[0]  # [T, V]
    entropy = token_entropy(logits)  # [T]: entropy of the distribution that predicts token t+1
    line_at = line_starts(golden)
    scores: dict[int, float] = {}
    for j in range(len(golden_ids)):
        position = len(prompt_ids) + j - 1  # the logits at this position predicted golden token j
        if position < 0:
            continue
        start = char_starts[j]
        end = char_starts[j + 1] if j + 1 < len(char_starts) else len(golden)
        text = golden[start:end]
        if not text.strip():
            continue  # pure whitespace token
        line = bisect.bisect_right(line_at, start + len(text) - len(text.lstrip()))
        scores[line] = max(float(entropy[position]), scores.get(line, float("-inf")))
    return scores, truncated


def token_entropy(logits: Any, chunk: int = 256) -> Any:
    """Entropy in nats of each row's softmax. ``logits``: [T, V] -> [T]; rows in chunks to bound memory."""
    import torch

    out = []
    for i in range(0, logits.shape[0], chunk):
        logp = torch.log_softmax(logits[i:i + chunk].float(), dim=-1)
        out.append(-(logp.exp() * logp).sum(dim=-1))
    return torch.cat(out)


def raw_encoder(tokenizer: Any) -> Callable[[Task], Encoded]:
    """Encode a task as the task description, a blank line, then the golden code (BOS first when there is one)."""

    def encode(task: Task) -> Encoded:
        assert task.golden is not None
        prompt = task.prompt.strip() + "\n\n" if task.prompt.strip() else ""
        prompt_ids = list(tokenizer(prompt, add_special_tokens=True)["input_ids"]) if prompt else []
        if not prompt_ids and getattr(tokenizer, "bos_token_id", None) is not None:
            prompt_ids = [tokenizer.bos_token_id]  # lets the first golden token be scored too
        golden_ids, starts = _tokens_with_starts(tokenizer, task.golden)
        return prompt_ids, golden_ids, starts

    return encode


def _tokens_with_starts(tokenizer: Any, text: str) -> tuple[list[int], list[int]]:
    """Token ids of ``text`` (no special tokens) and where each token starts in it."""
    if getattr(tokenizer, "is_fast", False):
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return list(enc["input_ids"]), [span[0] for span in enc["offset_mapping"]]
    # Slow tokenizers have no offsets: decode growing prefixes (quadratic, but only for short code).
    ids = list(tokenizer(text, add_special_tokens=False)["input_ids"])
    starts, previous = [], 0
    for j in range(len(ids)):
        starts.append(previous)
        previous = max(previous, min(len(tokenizer.decode(ids[:j + 1])), len(text)))
    return ids, starts
