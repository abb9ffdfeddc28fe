"""Tree packing: every sequence of a tree goes through the model once, as ONE packed sequence.

A tree's pairs are (context, chosen, rejected) token sequences whose contexts share the prompt and the golden
prefix y_<k_v up to their risk node. Pair by pair, DPO would run ``context + chosen`` and ``context + rejected``
separately, computing each prefix again for every pair. Here all sequences of a group are inserted into a token
trie: a token that several sequences share (same token after the same prefix) is one trie node. The trie is laid
out in depth-first order as one sequence of N tokens and run with

- a tree attention mask: token i attends to token j iff j is i itself or one of its ancestors in the trie, so every
  branch sees the golden prefix up to its node and itself, nothing else;
- position ids = depth in the trie, so positions continue from the node exactly as in the unpacked sequence.

Then the hidden state at every trie node equals the one the unpacked causal pass computes for that token in any
sequence through it (attention over the same keys at the same positions), and so does each next-token
distribution: log p(t_j | ancestors of j) is read from the logits at j's parent. A sequence's log-probability is
the sum over its completion tokens (the DPO sequence log-likelihood, Rafailov et al. 2023, Eq. 7, summed over
tokens). The shared context cancels in the DPO margin (TSP paper, step 6), so it is run but not scored.

Shapes: N packed tokens, S = 2P scored sequences (sequence 2p = chosen of pair p, 2p + 1 = rejected), M scored
tokens in all (a trie node shared by k sequences is scored k times, once per sequence).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from treeplay.train.logps import DEFAULT_CHUNK, model_token_logps


@dataclass(frozen=True)
class SequencePair:
    """One preference pair as token ids: ``context`` (prompt + shared prefix) then the two continuations.

    ``chosen_region`` / ``rejected_region``: for a local branch, the tokens of each continuation up to where it
    rejoins the golden code (``train.loss_tokens=region`` scores only those); None: the whole continuation.
    """

    context: tuple[int, ...]
    chosen: tuple[int, ...]
    rejected: tuple[int, ...]
    chosen_region: int | None = None
    rejected_region: int | None = None


@dataclass(frozen=True)
class PackedTree:
    """A group of pairs packed as one trie sequence.

    ``input_ids`` [N], ``position_ids`` [N] (depth in the trie), ``parent`` [N] (packed index of the parent
    token, -1 for a root), ``subtree`` [N] (number of trie nodes under and including each token; in depth-first
    order the descendants of j are exactly j + 1 .. j + subtree[j] - 1), ``score_pos`` [M] (packed index of
    each scored token), ``score_seq`` [M] (its sequence, 0..S-1), ``n_pairs`` P, ``n_input_tokens`` (the tokens
    of all 2P sequences unpacked, for the packing ratio).
    """

    input_ids: torch.Tensor
    position_ids: torch.Tensor
    parent: torch.Tensor
    subtree: torch.Tensor
    score_pos: torch.Tensor
    score_seq: torch.Tensor
    n_pairs: int
    n_input_tokens: int

    @property
    def n_tokens(self) -> int:
        return int(self.input_ids.numel())

    def attention_mask(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Additive tree mask [1, 1, N, N]: 0 where query i may attend key j (j an ancestor of i, or i), the
        dtype's minimum elsewhere. In depth-first order, j is an ancestor-or-self of i iff
        j <= i < j + subtree[j]."""
        n = self.n_tokens
        index = torch.arange(n, device=self.input_ids.device)
        allowed = (index[None, :] <= index[:, None]) & (index[:, None] < (index + self.subtree)[None, :])
        mask = torch.zeros((n, n), dtype=dtype, device=self.input_ids.device)
        mask.masked_fill_(~allowed, torch.finfo(dtype).min)
        return mask[None, None]

    def to(self, device: Any) -> PackedTree:
        fields = {name: getattr(self, name).to(device) for name in
                  ("input_ids", "position_ids", "parent", "subtree", "score_pos", "score_seq")}
        return PackedTree(**fields, n_pairs=self.n_pairs, n_input_tokens=self.n_input_tokens)


def pack_pairs(pairs: Sequence[SequencePair]) -> PackedTree:
    """Pack the pairs of one group (usually one tree) into a trie sequence; see the module docstring.

    Every pair needs a non-empty context (the first token has no logits to be scored from).
    """
    if not pairs:
        raise ValueError("pack_pairs needs at least one pair")
    children: list[dict[int, int]] = [{}]  # trie node 0 is a virtual root above the first tokens
    tokens: list[int] = [-1]
    scored: list[tuple[int, int]] = []  # (trie node, sequence)
    n_input = 0
    for p, pair in enumerate(pairs):
        if not pair.context:
            raise ValueError(f"pair {p} has an empty context: a pair needs at least the prompt")
        for s, completion in ((2 * p, pair.chosen), (2 * p + 1, pair.rejected)):
            node = 0
            for i, token in enumerate((*pair.context, *completion)):
                nxt = children[node].get(token)
                if nxt is None:
                    nxt = len(tokens)
                    children[node][token] = nxt
                    children.append({})
                    tokens.append(token)
                node = nxt
                if i >= len(pair.context):
                    scored.append((node, s))
            n_input += len(pair.context) + len(completion)
    order, parent_of, depth_of, size_of = _depth_first(children)
    packed_index = {node: i for i, node in enumerate(order)}
    return PackedTree(
        input_ids=torch.tensor([tokens[n] for n in order], dtype=torch.long),
        position_ids=torch.tensor([depth_of[n] for n in order], dtype=torch.long),
        parent=torch.tensor([packed_index.get(parent_of[n], -1) for n in order], dtype=torch.long),
        subtree=torch.tensor([size_of[n] for n in order], dtype=torch.long),
        score_pos=torch.tensor([packed_index[n] for n, _ in scored], dtype=torch.long),
        score_seq=torch.tensor([s for _, s in scored], dtype=torch.long),
        n_pairs=len(pairs), n_input_tokens=n_input)


def _depth_first(children: list[dict[int, int]]) -> tuple[list[int], dict[int, int], dict[int, int], dict[int, int]]:
    """Pre-order of the trie below the virtual root 0 (children in insertion order), with each node's parent,
    depth (0 for the first token) and subtree size."""
    order: list[int] = []
    parent_of: dict[int, int] = {}
    depth_of: dict[int, int] = {}
    stack = [(child, 0, 0) for child in reversed(children[0].values())]
    while stack:
        node, parent, depth = stack.pop()
        order.append(node)
        parent_of[node], depth_of[node] = parent, depth
        stack.extend((child, node, depth + 1) for child in reversed(children[node].values()))
    size_of = dict.fromkeys(order, 1)
    for node in reversed(order):  # children come after their parent in pre-order
        if parent_of[node]:
            size_of[parent_of[node]] += size_of[node]
    return order, parent_of, depth_of, size_of


def packed_logps(model: Any, packed: PackedTree, chunk: int | None = DEFAULT_CHUNK) -> torch.Tensor:
    """Summed completion log-probs of every sequence of ``packed``, from ONE forward pass: [S] float32.

    Logits are computed only at the parents of scored tokens (``logits_to_keep``), so the prompt and the golden
    prefix cost attention and MLP but no vocabulary projection; and only ``chunk`` positions at a time, forward and
    backward (``logps.model_token_logps``; None: all at once).
    """
    parents = packed.parent[packed.score_pos]  # [M] packed index whose logits predict each scored token
    keep, row = torch.unique(parents, sorted=True, return_inverse=True)  # [K], [M]
    dtype = next(model.parameters()).dtype
    token_logps = model_token_logps(model, keep=keep, row=row, targets=packed.input_ids[packed.score_pos],
                                    chunk=chunk, input_ids=packed.input_ids[None],
                                    position_ids=packed.position_ids[None],
                                    attention_mask=packed.attention_mask(dtype))  # [M]
    seq = torch.zeros(2 * packed.n_pairs, dtype=token_logps.dtype, device=token_logps.device)
    return seq.index_add(0, packed.score_seq, token_logps)


def sequence_logps(model: Any, context: Sequence[int], completion: Sequence[int],
                   chunk: int | None = DEFAULT_CHUNK) -> torch.Tensor:
    """Summed log-prob of ``completion`` after ``context``, one plain causal pass: a 0-d float32 tensor.

    The unpacked reference for ``packed_logps`` (and the pair-by-pair baseline): one sequence per call.
    """
    ids = torch.tensor([*context, *completion], dtype=torch.long, device=model.device)[None]
    start = len(context)
    keep = torch.arange(start - 1, ids.shape[1] - 1, device=ids.device)
    row = torch.arange(len(completion), device=ids.device)
    return model_token_logps(model, keep=keep, row=row, targets=ids[0, start:], chunk=chunk, input_ids=ids).sum()


def pairs_logps_unpacked(model: Any, pairs: Sequence[SequencePair], chunk: int | None = DEFAULT_CHUNK) -> torch.Tensor:
    """[S] = [2P] summed completion log-probs, every sequence run on its own (no sharing): the baseline."""
    out = []
    for pair in pairs:
        out.append(sequence_logps(model, pair.context, pair.chosen, chunk))
        out.append(sequence_logps(model, pair.context, pair.rejected, chunk))
    return torch.stack(out)
