"""Token log-probabilities from a causal LM without full-vocabulary logits for every scored position at once.

The losses need log p(t_m | position p_m) = z[p_m, t_m] - logsumexp(z[p_m]) for M scored tokens, z = h W^T (+ b)
the LM head's logits (h [K, H] final hidden states at the K distinct positions that predict a scored token, W [V, H]).
Computed the plain way, z is a [K, V] float32 tensor (K ~ 1,200 positions x 49,152 tokens = 240 MB for the demo's
trees), kept for the backward pass and joined there by its softmax and its gradient, each as large.

``ChunkedTokenLogps`` computes the same values in chunks of ``chunk`` positions (rows of h); with g [M] the gradient
of the loss with respect to the M log-probs and G_k the sum of g_m over the tokens scored at position k, the gradient
with respect to the logits is dL/dz_k = sum_{m at k} g_m onehot(t_m) - G_k softmax(z_k). Then

- forward: per chunk, z_c = h_c W^T in float32, its logsumexp (kept: [K]) and the logits of the scored tokens;
  z_c is freed before the next chunk. No [K, V] tensor is kept for the backward pass.
- backward, when only h needs a gradient (LoRA: the head is frozen): dL/dh_k = sum_{m at k} g_m W[t_m] - G_k E_k
  with E_k = softmax(z_k) W, the expected output embedding. The forward pass forms E ([K, H], as small as h) from
  each chunk's softmax, so the backward needs no logits at all: the same two head matmuls as the unchunked path
  (z = h W^T forward, then [C, V] x [V, H]), no recomputation.
- backward, when the head is trained too (a full fine-tune): z_c is recomputed from h_c (one extra head matmul per
  chunk), turned into dL/dz_c in place, and multiplied back: dL/dh_c = dz_c W, dL/dW += dz_c^T h_c.

So at most ``chunk`` x V logits exist at any time, forward and backward. Matmuls run in the dtype autocast would use
(bf16 under accelerate's bf16 on a GPU), the softmax in float32, as the unchunked path does.

``model_token_logps`` runs the model with the head's ``forward`` swapped for this computation during the call (the
model's structure, parameter names and state dict stay as they are), so DDP and other wrappers that need their own
``forward`` called still see it called. Models whose head is not a plain ``nn.Linear`` or whose logits are scaled
after it (Gemma's soft-capping, Cohere's logit_scale), and DeepSpeed ZeRO-3's partitioned weights, take the unchunked
path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

DEFAULT_CHUNK = 256  # positions: 256 x 49,152 float32 logits = 50 MB (Llama 3's 128k vocabulary: 131 MB)
_SCALED_LOGITS = ("final_logit_softcapping", "logit_scale", "logits_scaling")  # Gemma, Cohere, Granite


def model_token_logps(model: Any, *, keep: torch.Tensor, row: torch.Tensor, targets: torch.Tensor,
                      chunk: int | None = DEFAULT_CHUNK, **inputs: Any) -> torch.Tensor:
    """log p(targets[m] | position keep[row[m]]) for every m: [M] float32, from ONE call of ``model``.

    ``keep`` [K] sorted positions of the sequence (``logits_to_keep``), ``row`` [M] index into ``keep`` of each
    scored token's predicting position, ``targets`` [M] token ids; ``inputs``: the model's other arguments
    (``input_ids`` [1, N], ...). ``chunk``: positions whose logits exist at once; None computes all at once.
    """
    head = _chunkable_head(model) if chunk else None
    if head is None:
        out = model(**inputs, logits_to_keep=keep, use_cache=False)
        return full_token_logps(out.logits[0], row, targets)
    with _scoring_head(head, row, targets, int(chunk or 0)):
        out = model(**inputs, logits_to_keep=keep, use_cache=False)
    return out.logits[0]


def full_token_logps(logits: torch.Tensor, row: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The unchunked computation: log softmax(logits[row[m]])[targets[m]], float32: logits [K, V], row/targets [M]."""
    logits = logits.float()
    picked = logits[row, targets]  # [M]
    return picked - torch.logsumexp(logits, dim=-1)[row]


def chunked_token_logps(hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, row: torch.Tensor,
                        targets: torch.Tensor, chunk: int = DEFAULT_CHUNK) -> torch.Tensor:
    """log softmax(hidden W^T + bias)[row[m], targets[m]] in chunks of ``chunk`` rows: [M] float32.

    ``hidden`` [K, H], ``weight`` [V, H], ``bias`` [V] or None, ``row`` [M] in 0..K-1, ``targets`` [M] in 0..V-1.
    Differentiable with respect to ``hidden``, ``weight`` and ``bias`` (module docstring).
    """
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, got {chunk}")
    trained_head = weight.requires_grad or (bias is not None and bias.requires_grad)
    mode = "none" if not torch.is_grad_enabled() else "recompute" if trained_head else "expect"
    return ChunkedTokenLogps.apply(hidden, weight, bias, row, targets, chunk, mode)


class ChunkedTokenLogps(torch.autograd.Function):
    """The autograd function behind ``chunked_token_logps`` (module docstring). ``mode``: ``expect`` (only
    ``hidden`` needs a gradient: E = softmax(z) W is formed in the forward pass, the backward needs no logits),
    ``recompute`` (the head is trained too: the logits are recomputed chunk by chunk in the backward pass) or
    ``none`` (no gradient wanted: nothing is kept)."""

    @staticmethod
    def forward(ctx: Any, hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, row: torch.Tensor,
                targets: torch.Tensor, chunk: int, mode: str) -> torch.Tensor:
        dtype = _compute_dtype(hidden)
        lse = torch.empty(hidden.shape[0], dtype=torch.float32, device=hidden.device)  # [K]
        picked = torch.empty(row.shape[0], dtype=torch.float32, device=hidden.device)  # [M]
        expect = torch.empty(hidden.shape, dtype=torch.float32, device=hidden.device) if mode == "expect" else None
        w = weight.to(dtype)
        for start, stop, sel in _chunks(row, hidden.shape[0], chunk):
            logits = _logits(hidden[start:stop], w, bias, dtype)  # [C, V]
            lse[start:stop] = torch.logsumexp(logits, dim=-1)
            picked[sel] = logits[row[sel] - start, targets[sel]]
            if expect is not None:  # E_c = softmax(z_c) W: [C, H]
                probs = logits.sub_(lse[start:stop, None]).exp_()
                expect[start:stop] = _matmul(probs, w, dtype)
            del logits
        if mode == "expect":
            ctx.save_for_backward(weight, row, targets, expect)
        elif mode == "recompute":
            ctx.save_for_backward(hidden, weight, bias, row, targets, lse)
        ctx.chunk, ctx.dtype, ctx.mode, ctx.hidden_dtype = chunk, dtype, mode, hidden.dtype
        return picked - lse[row]

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        grad = grad.float()
        if ctx.mode == "expect":  # dL/dh_k = sum_{m: row m = k} g_m W[t_m] - G_k E_k
            weight, row, targets, expect = ctx.saved_tensors
            per_row = torch.zeros(expect.shape[0], dtype=torch.float32, device=grad.device).index_add_(0, row, grad)
            picked_rows = weight[targets].to(ctx.dtype).float() * grad[:, None]  # [M, H]
            grad_h = torch.zeros_like(expect).index_add_(0, row, picked_rows).sub_(expect * per_row[:, None])
            return grad_h.to(ctx.hidden_dtype), None, None, None, None, None, None
        return (*_recomputed_grads(ctx, grad), None, None, None, None)


def _recomputed_grads(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
    """(dL/dhidden, dL/dweight, dL/dbias) with the logits recomputed chunk by chunk: dz_c = -G_c softmax(z_c) plus
    g_m at (row m, target m)."""
    hidden, weight, bias, row, targets, lse = ctx.saved_tensors
    need_h, need_w, need_b = ctx.needs_input_grad[:3]
    per_row = torch.zeros_like(lse).index_add_(0, row, grad)  # G [K]
    grad_h = torch.empty_like(hidden) if need_h else None
    grad_w = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device) if need_w else None
    grad_b = torch.zeros(bias.shape, dtype=torch.float32, device=bias.device) if need_b else None
    w = weight.to(ctx.dtype)
    for start, stop, sel in _chunks(row, hidden.shape[0], ctx.chunk):
        dz = _logits(hidden[start:stop], w, bias, ctx.dtype)  # [C, V], recomputed
        dz.sub_(lse[start:stop, None]).exp_().mul_(-per_row[start:stop, None])  # -G softmax(z)
        dz.index_put_((row[sel] - start, targets[sel]), grad[sel], accumulate=True)
        if grad_h is not None:
            grad_h[start:stop] = _matmul(dz, w, ctx.dtype).to(hidden.dtype)
        if grad_w is not None:
            grad_w += _matmul(dz.T, hidden[start:stop], ctx.dtype)
        if grad_b is not None:
            grad_b += dz.sum(0)
        del dz
    return (grad_h, None if grad_w is None else grad_w.to(weight.dtype),
            None if grad_b is None else grad_b.to(bias.dtype))


def _matmul(a: torch.Tensor, b: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """float32 result of a @ b computed in ``dtype`` (autocast's choice in the forward pass), autocast off."""
    with torch.autocast(a.device.type, enabled=False):
        return (a.to(dtype) @ b.to(dtype)).float()


def _chunks(row: torch.Tensor, n_rows: int, chunk: int) -> Iterator[tuple[int, int, torch.Tensor]]:
    """(first row, end row, indices m of the scored tokens predicted from those rows) per chunk."""
    for start in range(0, n_rows, chunk):
        stop = min(start + chunk, n_rows)
        yield start, stop, torch.nonzero((row >= start) & (row < stop)).flatten()


def _logits(hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor:
    """float32 logits [C, V] of hidden [C, H], the matmul in ``dtype`` outside autocast (so that the backward's
    recomputation, which runs without autocast, gives the same values)."""
    with torch.autocast(hidden.device.type, enabled=False):
        logits = torch.nn.functional.linear(hidden.to(dtype), weight.to(dtype),
                                            None if bias is None else bias.to(dtype))
    return logits.float()


def _compute_dtype(hidden: torch.Tensor) -> torch.dtype:
    """The dtype autocast would run the head's matmul in, else the hidden states' own."""
    device = hidden.device.type
    if torch.is_autocast_enabled(device):
        return torch.get_autocast_dtype(device)
    return hidden.dtype


def _unwrap(model: Any) -> Any:
    """The model inside DDP-style wrappers (``.module``)."""
    while hasattr(model, "module") and isinstance(model.module, torch.nn.Module):
        model = model.module
    return model


def _chunkable_head(model: Any) -> torch.nn.Linear | None:
    """The LM head when its output is the logits as they are (a plain ``nn.Linear``, no scaling after it, weights
    not partitioned by DeepSpeed ZeRO-3); else None (the caller computes full logits)."""
    inner = _unwrap(model)
    getter = getattr(inner, "get_output_embeddings", None)
    head = getter() if callable(getter) else None
    if type(head) is not torch.nn.Linear or hasattr(head.weight, "ds_id"):
        return None
    config = getattr(inner, "config", None)
    if any(getattr(config, name, None) not in (None, 1, 1.0) for name in _SCALED_LOGITS):
        return None
    return head


@contextmanager
def _scoring_head(head: torch.nn.Linear, row: torch.Tensor, targets: torch.Tensor, chunk: int) -> Iterator[None]:
    """Within the block, ``head(hidden [1, K, H])`` returns the scored tokens' log-probs [1, M] instead of logits."""
    previous = head.__dict__.get("forward")

    def forward(hidden: torch.Tensor) -> torch.Tensor:
        return chunked_token_logps(hidden[0], head.weight, head.bias, row, targets, chunk)[None]

    head.forward = forward
    try:
        yield
    finally:
        if previous is None:
            del head.forward
        else:
            head.forward = previous
