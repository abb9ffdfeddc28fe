"""The KV-sharing branch backend: prefill the golden path once, fork its cache at every risk node, decode in batch.

The paper samples K continuations of y_<k_v at every risk node v (Sec. 3, tree construction). Done naively that is
one ``generate`` call per node (or per branch), each re-encoding the prefix. Here:

1. **Prefill once.** The context (prompt + golden path, up to the last fork) runs through the model once; the KV
   cache of every layer is kept, and the logits at positions k_v - 1 give the first-token distribution of every
   node's branches.
2. **Fork.** For each node the cache is cropped to its prefix length k_v and repeated K times along the batch
   (``fork_cache``). Forks of several nodes share one batch: shorter prefixes are left-padded and masked out, and
   every row gets its true RoPE position (k_v + t), so a row computes exactly what a fresh run from its own prefix
   would (``tests/engine/test_fork.py::test_fork_matches_recompute``).
3. **Decode together.** All branches of a group of nodes (at most ``max_batch`` rows) decode as one batch; a row
   that finishes (EOS, stop rule, length) leaves the batch, and padding no row needs any more is cropped away.
4. **Many contexts.** ``branch_many`` does the same for forks of different contexts (whole-program samples of
   many tasks at evaluation): each context is prefilled alone, and their forks share the decoding batches.

Sampling is temperature + nucleus (top-p) by inverse-CDF with one uniform number per row per step, drawn from that
branch's own ``torch.Generator`` (seeded from the fork seed and the branch index), so a branch never depends on
which other rows share its batch.
"""

from __future__ import annotations

import functools
import inspect
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers.cache_utils import Cache, DynamicLayer

from treeplay.engine.backends import BranchRequest, Sampled, check_forks, derive_seed, group_forks
from treeplay.engine.tokens import Detokenizer
from treeplay.errors import ModelError
from treeplay.threads import GOVERNOR

KV = list[tuple[torch.Tensor, torch.Tensor]]


class HFBackend:
    """Branches from a transformers causal LM with KV-cache forking (see the module docstring)."""

    name = "hf"

    def __init__(self, model: Any, tokenizer: Any, *, max_batch: int = 64) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_batch = max_batch  # rows decoded together: forks are grouped so that K x forks <= max_batch
        self.device = next(model.parameters()).device
        self.eos_ids = eos_token_ids(model, tokenizer)

    def branch(self, request: BranchRequest) -> list[list[Sampled]]:
        (out,) = self.branch_many([request])
        return out

    def branch_many(self, requests: Sequence[BranchRequest]) -> list[list[list[Sampled]]]:
        """``branch`` for several contexts at once (whole-program samples of many tasks): each context is
        prefilled on its own, then the forks of all of them decode as shared batches. All requests must use the
        same sampling settings. Returns, per request, per fork, its K samples."""
        if any(r.sampling != requests[0].sampling for r in requests):
            raise ValueError("branch_many: every request must use the same sampling settings")
        entries: list[_Entry] = []
        for index, request in enumerate(requests):
            check_forks(request)
            if not request.forks:
                continue
            end = max(f.ids_len for f in request.forks)
            ids = torch.tensor([request.ids[:end]], dtype=torch.long, device=self.device)
            kv, first = prefill(self.model, ids, [f.ids_len - 1 for f in request.forks])
            entries += [_Entry(index, f, request, kv, first[f]) for f in range(len(request.forks))]
        out: list[list[list[Sampled]]] = [[[] for _ in r.forks] for r in requests]
        if not entries:
            return out
        width = requests[0].sampling.width
        for group in group_forks(len(entries), width, self.max_batch):
            chosen = [entries[g] for g in group]
            rows = self._decode_group(chosen)
            for j, entry in enumerate(chosen):
                out[entry.request][entry.fork] = [row.result() for row in rows[j * width:(j + 1) * width]]
        return out

    def _decode_group(self, entries: Sequence[_Entry]) -> list[_Row]:
        """Decode the K branches of every fork in ``entries`` as one batch; returns the rows, fork-major."""
        sp = entries[0].spec.sampling
        width = sp.width
        lengths = [e.spec.forks[e.fork].ids_len for e in entries]
        rows = [_Row(e.fork, k, e.spec, self.tokenizer) for e in entries for k in range(width)]
        active = list(range(len(rows)))
        with torch.inference_mode():
            cache, mask = fork_cache([e.kv for e in entries], lengths, width, room=min(sp.max_new_tokens, 256) + 1)
            positions = torch.tensor([n for n in lengths for _ in range(width)], device=self.device)
            logits = torch.stack([e.first for e in entries]).repeat_interleave(width, dim=0)
            while True:
                GOVERNOR.tick()  # give cores back when other work starts, take them again when it ends
                tokens = sample_next(logits, sp.temperature, sp.top_p, [rows[a].generator for a in active]).tolist()
                keep = [j for j, a in enumerate(active)
                        if rows[a].add(tokens[j], self.eos_ids, sp)]
                if not keep:
                    return rows
                if len(keep) < len(active):
                    index = torch.tensor(keep, device=self.device)
                    cache, mask = select_rows(cache, mask, index)
                    positions = positions[index]
                active = [active[j] for j in keep]
                next_ids = torch.tensor([[tokens[j]] for j in keep], dtype=torch.long, device=self.device)
                mask = torch.cat([mask, mask.new_ones((len(keep), 1))], dim=1)
                logits = decode_step(self.model, cache, mask, next_ids, positions)
                positions = positions + 1


@dataclass(frozen=True)
class _Entry:
    """One fork to decode: its request (``spec``) and fork index, and the prefilled context it continues."""

    request: int
    fork: int
    spec: BranchRequest
    kv: KV
    first: torch.Tensor  # [V] next-token logits at the fork


class _Row:
    """One branch being decoded: its tokens, incremental text, stop rule and RNG."""

    def __init__(self, fork: int, k: int, request: BranchRequest, tokenizer: Any) -> None:
        spec = request.forks[fork]
        self.fork, self.k = fork, k
        self.generator = torch.Generator().manual_seed(derive_seed(spec.seed, k))
        self.detok = Detokenizer(tokenizer, request.ids[:spec.ids_len])
        self.stop = spec.make_stop()
        self.tokens: list[int] = []
        self.generated = 0
        self.finish_reason = ""
        self.keep_chars: int | None = None

    def add(self, token: int, eos_ids: frozenset[int], sp: Any) -> bool:
        """Take one sampled token; False once the branch is finished."""
        self.generated += 1
        if token in eos_ids and not sp.ignore_eos:
            self.finish_reason = "eos"
            return False
        self.tokens.append(token)
        delta = self.detok.push(token)
        cut = self.stop.feed(delta) if delta else None
        if cut is not None:
            self.finish_reason, self.keep_chars = "stop", cut
            return False
        if len(self.tokens) >= sp.max_new_tokens:
            self.finish_reason = "length"
            self.detok.flush()
            return False
        return True

    def result(self) -> Sampled:
        tokens, text = self.tokens, self.detok.text
        if self.keep_chars is not None:  # keep the tokens that start before the cut; never split a token
            n = bisect_left([0] + self.detok.ends[:-1], self.keep_chars)
            tokens = tokens[:n]
            text = text[:self.detok.ends[n - 1]] if n else ""
        return Sampled(token_ids=tuple(tokens), text=text, finish_reason=self.finish_reason, generated=self.generated)


def eos_token_ids(model: Any, tokenizer: Any) -> frozenset[int]:
    """EOS ids from the tokenizer and the model's generation config (which may list several)."""
    ids: set[int] = set()
    for value in (getattr(tokenizer, "eos_token_id", None),
                  getattr(getattr(model, "generation_config", None), "eos_token_id", None)):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(int(v) for v in value)
    return frozenset(ids)


def _returned_cache(out: Any) -> Any:
    """The KV cache a forward pass returned (``cache`` in recent transformers, ``past_key_values`` before)."""
    cache = getattr(out, "cache", None)
    return cache if cache is not None else getattr(out, "past_key_values", None)


def _cache_keyword(model: Any) -> str:
    """The forward keyword that takes a KV cache: ``cache`` where the model's class has it (transformers renamed
    ``past_key_values``, which now warns on every call), else ``past_key_values``."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return _forward_cache_keyword(type(base))


@functools.cache
def _forward_cache_keyword(cls: type) -> str:
    try:
        params = inspect.signature(cls.forward).parameters
    except (TypeError, ValueError):
        return "past_key_values"
    return "cache" if "cache" in params else "past_key_values"


def prefill(model: Any, ids: torch.Tensor, logit_positions: Sequence[int]) -> tuple[KV, torch.Tensor]:
    """Run the context once.

    ``ids``: [1, L] token ids. Returns the per-layer cache as (keys, values), each [1, H_kv, L, D], and the
    float32 logits at ``logit_positions`` ([n, V]): row i is the next-token distribution after position i.
    """
    keep = torch.tensor(list(logit_positions), dtype=torch.long, device=ids.device)
    with torch.inference_mode():
        out = model(input_ids=ids, use_cache=True, logits_to_keep=keep)
    layers = getattr(_returned_cache(out), "layers", None)
    if layers is None or any(type(layer).__name__ != "DynamicLayer" for layer in layers):
        raise ModelError(f"{type(model).__name__}: KV-cache forking needs a full-attention cache (this model uses "
                         "sliding-window or recurrent layers)", fix="use grow.backend=openai with a vLLM/SGLang server")
    kv = [(layer.keys, layer.values) for layer in layers]
    return kv, out.logits[0].float()


def fork_cache(kv: KV | Sequence[KV], lengths: Sequence[int], width: int, room: int = 128) -> tuple[Any, torch.Tensor]:
    """Fork prefilled caches: for each prefix length n_i, the first n_i positions, repeated ``width`` times.

    ``kv``: per layer (keys, values), each [1, H_kv, L, D]: one prefilled context that every fork continues, or
    one such cache per fork (forks of different contexts). Rows are ordered fork-major (fork i owns rows
    i*width ... i*width+width-1). Shorter prefixes are left-padded to N = max(lengths). Returns a cache of
    [B = len(lengths)*width, H_kv, N, D] per layer (with ``room`` free positions preallocated) and the attention
    mask [B, N] (0 on padding).
    """
    sources = [kv] * len(lengths) if isinstance(kv[0][0], torch.Tensor) else list(kv)  # type: ignore[index]
    n_max, batch = max(lengths), len(lengths) * width
    first_keys = sources[0][0][0]
    device = first_keys.device
    mask = torch.zeros((batch, n_max), dtype=torch.long, device=device)
    for i, n in enumerate(lengths):
        mask[i * width:(i + 1) * width, n_max - n:] = 1
    layers = []
    for layer_index, (keys, _values) in enumerate(sources[0]):
        layer = BufferedLayer((batch, keys.shape[1], n_max, keys.shape[3]), keys.dtype, device, room)
        for i, n in enumerate(lengths):
            src_keys, src_values = sources[i][layer_index]
            layer.buffers[0][i * width:(i + 1) * width, :, n_max - n:n_max] = src_keys[0, :, :n]
            layer.buffers[1][i * width:(i + 1) * width, :, n_max - n:n_max] = src_values[0, :, :n]
        layers.append(layer)
    return Cache(layers=layers), mask


class BufferedLayer(DynamicLayer):
    """A full-attention cache layer with preallocated room: a decoding step writes its keys and values in place.

    (``DynamicLayer`` concatenates, copying the whole cache of every layer at every step; with K branches of a
    long golden path that copy costs more than the model.) ``keys``/``values`` are views of the used part;
    the buffers double when full. Zero-filled padding positions are masked out by the caller.
    """

    def __init__(self, shape: tuple[int, int, int, int], dtype: Any, device: Any, room: int) -> None:
        super().__init__()
        self.dtype, self.device, self.is_initialized = dtype, device, True
        batch, heads, used, dim = shape
        self.buffers = tuple(torch.zeros((batch, heads, used + room, dim), dtype=dtype, device=device)
                             for _ in range(2))
        self.used = used
        self._view()

    def _view(self) -> None:
        self.keys = self.buffers[0][:, :, :self.used]
        self.values = self.buffers[1][:, :, :self.used]

    def _reallocate(self, keys: torch.Tensor, values: torch.Tensor, room: int) -> None:
        batch, heads, used, dim = keys.shape
        self.buffers = tuple(t.new_empty((batch, heads, used + room, dim)) for t in (keys, values))
        self.buffers[0][:, :, :used] = keys
        self.buffers[1][:, :, :used] = values
        self.used = used
        self._view()

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any):
        new = key_states.shape[-2]
        if self.used + new > self.buffers[0].shape[2]:
            self._reallocate(self.keys, self.values, max(new, self.used))
        self.buffers[0][:, :, self.used:self.used + new] = key_states
        self.buffers[1][:, :, self.used:self.used + new] = value_states
        self.used += new
        self._view()
        return self.keys, self.values

    def select(self, index: torch.Tensor, trim: int) -> None:
        """Keep batch rows ``index`` and drop the first ``trim`` positions (padding no kept row needs)."""
        room = self.buffers[0].shape[2] - self.used
        self._reallocate(self.keys[index, :, trim:], self.values[index, :, trim:], room)


def select_rows(cache: Any, mask: torch.Tensor, index: torch.Tensor) -> tuple[Any, torch.Tensor]:
    """Keep the batch rows in ``index`` ([B'] long) and crop left padding that no kept row needs any more.

    ``mask``: [B, N] attention mask. Returns the cache and mask for B' rows.
    """
    mask = mask[index]
    used = mask.any(dim=0).nonzero()
    trim = int(used[0]) if len(used) else 0
    for layer in cache.layers:
        layer.select(index, trim)
    return cache, mask[:, trim:]


def decode_step(model: Any, cache: Any, mask: torch.Tensor, ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """One decoding step for every row: ``ids`` [B, 1] at RoPE ``positions`` [B], ``mask`` [B, N+1] over cache +
    the new token. Appends to ``cache`` and returns float32 next-token logits [B, V]."""
    with torch.inference_mode():
        out = model(input_ids=ids, attention_mask=mask, position_ids=positions[:, None], use_cache=True,
                    **{_cache_keyword(model): cache})
    return out.logits[:, -1].float()


def sample_next(logits: torch.Tensor, temperature: float, top_p: float, generators: Sequence[torch.Generator],
                candidates: Sequence[int] = (64, 1024)) -> torch.Tensor:
    """Next token per row: argmax when ``temperature == 0``, else temperature + nucleus sampling.

    ``logits``: [B, V] float32; ``generators``: one CPU generator per row. Nucleus (top-p): keep the most likely
    tokens until their mass reaches ``top_p`` (the token that crosses it included), renormalise, sample by
    inverse CDF with one uniform draw per row. A full sort of the vocabulary costs more than a decoding step of a
    small model on CPU, so each row first looks at its ``candidates[0]`` most likely tokens, then
    ``candidates[1]``, and sorts everything only when those hold less than ``top_p`` of the mass: the nucleus,
    and so the sample, is exactly the same. Returns [B] long.
    """
    if temperature == 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits / temperature, dim=-1)
    uniform = torch.cat([torch.rand(1, generator=g) for g in generators]).to(probs.device, probs.dtype)
    vocab = probs.shape[-1]
    if top_p >= 1:  # no nucleus: inverse CDF over the vocabulary in id order, no sort needed
        cum = probs.cumsum(dim=-1)
        pick = torch.searchsorted(cum, uniform[:, None] * cum[:, -1:], right=True)
        return pick.clamp(max=vocab - 1)[:, 0]
    out = torch.empty(probs.shape[0], dtype=torch.long, device=probs.device)
    pending = torch.arange(probs.shape[0], device=probs.device)
    for k in [c for c in candidates if c < vocab] + [vocab]:
        sub = probs[pending]
        top, index = sub.topk(k, dim=-1) if k < vocab else sub.sort(dim=-1, descending=True)
        done = top.sum(dim=-1) >= top_p if k < vocab else torch.ones_like(pending, dtype=torch.bool)
        if bool(done.any()):
            out[pending[done]] = _nucleus(top[done], index[done], uniform[pending[done]], top_p)
        pending = pending[~done]
        if len(pending) == 0:
            break
    return out


def _nucleus(sorted_probs: torch.Tensor, index: torch.Tensor, uniform: torch.Tensor, top_p: float) -> torch.Tensor:
    """Inverse-CDF sample from the top-p head of descending ``sorted_probs`` [B, k] (``index``: token ids)."""
    cum = sorted_probs.cumsum(dim=-1)
    kept = ((cum - sorted_probs) < top_p).sum(dim=-1, keepdim=True).clamp(min=1)  # size of the nucleus
    mass = cum.gather(-1, kept - 1)
    pick = torch.searchsorted(cum, uniform[:, None] * mass, right=True)
    pick = torch.minimum(pick, kept - 1)
    return index.gather(-1, pick)[:, 0]
