"""Training memory: what a step keeps for its backward pass, and what the process keeps without using.

A training step's resident memory is the weights (0.5 GB for the 135M default in float32), the activations its
forward pass saves for the backward pass, and memory the C allocator holds that no tensor uses. Measured on
SmolLM2-135M under LoRA, one CPU thread (docs/memory.md): a 1,438-token tree saved 1.9 GB of activations, 0.24 GB
of them the LM head's logits; glibc's heap then held another 1.6 GB free but resident (the holes that freed
temporaries leave between saved tensors), and on the demo's largest tree (2,152 tokens) the peak grew from 6.7 to
8.3 GiB over three steps. Besides the chunked log-probs (``logps``) and the blocked tree attention
(``attention``), two measures here, neither of which changes a computed value:

- Selective activation checkpointing (``checkpointing="selective"``, the default): each decoder layer keeps its
  input and the outputs of what is expensive to compute again (attention; the full-width matmuls: the model's
  projections, and LoRA's down-projections, whose outputs are tiny); the element-wise work (norms, rotary
  embeddings, activation function, residual sums, LoRA's scaling) and LoRA's rank-r up-projections are recomputed
  in the backward pass. About 6.4 instead of 10.9 thousand float32 values per token and layer, for element-wise
  recomputation only. Through transformers' activation checkpointing and ``torch.utils.checkpoint``'s selective
  policies: the recomputed values are bit-identical. ``full`` recomputes whole layers (least memory, one more
  forward pass of compute); ``none`` keeps everything.
- A bounded heap (``bounded_heap``, glibc only): before every decoder layer's forward pass and when its output's
  gradient arrives, when the process's private resident memory exceeds the high-water mark of live allocations
  (plus what it held at the start) by more than ``budget``, ``malloc_trim`` gives glibc's free heap pages back.
  Returned pages cost a page fault when they are used again (about 1 s of system time per GB on the machine
  measured), so the bound is a budget, not zero; ``release_memory`` once before the steps.

All together on the demo's largest tree: peak 2.8-2.9 GiB instead of 6.7-8.3, steps no slower (the chunked head
and the blocked attention pay for the recomputation and the page faults).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import resource
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

CHECKPOINTING = ("selective", "full", "none")
HEAP_BUDGET = 256 * 2**20  # free heap bytes tolerated before a trim
_ATTENTION_OPS = ("scaled_dot_product", "flash_attention", "efficient_attention", "cudnn_attention")


@contextmanager
def activation_checkpointing(model: Any, mode: str) -> Iterator[bool]:
    """Within the block, ``model`` (a transformers causal LM, before or after PEFT wraps it) recomputes part of its
    decoder layers' activations in the backward pass (``mode``: module docstring). Yields False when nothing is
    recomputed (``none``, or a model without transformers' checkpointing support)."""
    if mode not in CHECKPOINTING:
        raise ValueError(f"unknown checkpointing {mode!r} (one of {', '.join(CHECKPOINTING)})")
    if mode == "none" or not getattr(model, "supports_gradient_checkpointing", False):
        yield False
        return
    kwargs: dict[str, Any] = {"use_reentrant": False}
    if mode == "selective":
        from torch.utils.checkpoint import create_selective_checkpoint_contexts

        kwargs["context_fn"] = functools.partial(create_selective_checkpoint_contexts, _keep_expensive)
    if hasattr(model, "activation_checkpointing_enable"):
        model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:  # transformers before the rename
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    try:
        yield True
    finally:
        (getattr(model, "activation_checkpointing_disable", None) or model.gradient_checkpointing_disable)()
        if getattr(model, "_require_grads_hook", None) is not None:  # enabled with it, not always removed
            model.disable_input_require_grads()


def _keep_expensive(ctx: Any, op: Any, *args: Any, **kwargs: Any) -> Any:
    """The selective policy: keep attention's outputs and those of matmuls whose inner dimension is not tiny next
    to their output (the model's projections; LoRA's down-projections, whose outputs are tiny); recompute the rest
    (element-wise operations, copies, views, and LoRA's up-projections: [N, r] x [r, d] with 4 r <= d is cheap to
    redo and its output is as wide as the layer)."""
    from torch.utils.checkpoint import CheckpointPolicy

    name = str(op)
    if any(key in name for key in _ATTENTION_OPS):
        return CheckpointPolicy.MUST_SAVE
    if name.startswith(("aten.mm.", "aten.bmm.", "aten.addmm.", "aten.baddbmm.")):
        a, b = (args[1], args[2]) if name.startswith(("aten.addmm.", "aten.baddbmm.")) else (args[0], args[1])
        if a.shape[-1] * 4 > b.shape[-1]:
            return CheckpointPolicy.MUST_SAVE
    return CheckpointPolicy.PREFER_RECOMPUTE


def decoder_layers(model: Any) -> list[torch.nn.Module]:
    """The model's decoder layers (transformers' ``GradientCheckpointingLayer`` s; none for other models)."""
    try:
        from transformers.modeling_layers import GradientCheckpointingLayer
    except ImportError:
        return []
    return [module for module in model.modules() if isinstance(module, GradientCheckpointingLayer)]


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


@functools.lru_cache(maxsize=1)
def _glibc() -> Any:
    """glibc with ``malloc_trim`` and ``mallinfo2`` (2.33+), when this process runs on it; else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not (hasattr(libc, "malloc_trim") and hasattr(libc, "mallinfo2")):
        return None
    libc.mallinfo2.restype = _MallInfo2
    return libc


def release_memory() -> None:
    """Give glibc's free heap pages back to the system (``malloc_trim``; nothing without glibc)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def _heap_state(libc: Any) -> tuple[int, int]:
    """(bytes in live glibc allocations, bytes resident in this process's private memory)."""
    with open("/proc/self/statm", "rb") as fh:
        fields = fh.read().split()
    info = libc.mallinfo2()
    return info.uordblks + info.hblkhd, (int(fields[1]) - int(fields[2])) * resource.getpagesize()


@contextmanager
def bounded_heap(model: Any, budget: int | None = HEAP_BUDGET) -> Iterator[None]:
    """Within the block, every decoder layer of ``model`` looks at the heap before it runs forward and when its
    output's gradient arrives, and trims it when the memory resident but unused has grown by more than ``budget``
    bytes beyond the live memory's high-water mark (module docstring). Nothing without glibc or with ``budget``
    None."""
    libc = _glibc()
    if libc is None or budget is None:
        yield
        return
    live, resident = _heap_state(libc)
    base, peak = resident - live, live  # base: what other allocators and the libraries hold

    def check(*_: Any) -> None:
        nonlocal peak
        live, resident = _heap_state(libc)
        peak = max(peak, live)
        if resident - base > peak + budget:
            libc.malloc_trim(0)

    def after_forward(module: Any, args: Any, output: Any) -> None:
        first = output[0] if isinstance(output, tuple) else output
        if isinstance(first, torch.Tensor) and first.requires_grad:
            first.register_hook(check)

    handles = []
    for layer in decoder_layers(model):
        handles += [layer.register_forward_pre_hook(check), layer.register_forward_hook(after_forward)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def peak_memory_mb(device: Any) -> float:
    """Peak memory of this process so far in MiB: CUDA's ``max_memory_allocated`` on a GPU, else the peak resident
    set (``ru_maxrss``: KiB on Linux, bytes on macOS)."""
    if torch.device(device).type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
