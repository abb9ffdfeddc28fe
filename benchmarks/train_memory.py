"""Peak memory of one training epoch per layout and per loss, each in a fresh process (``bench_train``'s columns).

A process's peak resident set only grows, so every measurement runs in a child process of its own
(``python benchmarks/train_memory.py --child ...``): it builds the model and the groups as ``bench_train`` does,
precomputes what the layout precomputes, then runs one epoch (one optimizer step per tree) and prints its peak
resident set and its resident set just before the first step, as one JSON line. The peak is ``VmHWM`` of
``/proc/self/status``, not ``ru_maxrss``: Linux carries ``ru_maxrss`` over fork and exec, so a child of a large
parent would report the parent's peak.

- layouts: ``packed`` (treeplay's trainer: vocabulary logits in chunks, attention in blocks of queries, selective
  activation checkpointing, the heap bounded as the trainer bounds it), ``packed_plain`` (one packed pass with
  all logits and every activation kept: treeplay before its memory work), ``pairwise``, ``padded`` and ``trl``
  (``train_steps``);
- losses: ``preference`` (sigmoid DPO: the loss of dpo, spin and tsp, which differ only in their pairs) and
  ``sft`` (the chosen side's negative log-likelihood; packed layouts only);
- models: the ``bench_train`` CPU model (full fine-tune, as the timed runs), and ``demo``: a random model of
  SmolLM2-135M's full shape under LoRA, as ``treeplay demo`` trains it (packed layouts).

On a GPU ``bench_train`` reads ``torch.cuda.max_memory_allocated`` around each timed run instead.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

HERE = Path(__file__).resolve().parent
DEMO_SHAPE = (30, 576)  # SmolLM2-135M: layers, width


def measure(layout: str, loss: str, args: argparse.Namespace, model: str = "bench") -> dict[str, Any]:
    """One child process's figures for ``layout`` / ``loss`` on ``model`` (``bench`` or ``demo``)."""
    layers, hidden = DEMO_SHAPE if model == "demo" else (args.layers, args.hidden)
    argv = [sys.executable, str(HERE / "train_memory.py"), "--child", layout, "--loss", loss, "--tasks",
            str(args.tasks), "--layers", str(layers), "--hidden", str(hidden), "--new-tokens", str(args.new_tokens)]
    argv += ["--quick"] if args.quick else []
    argv += ["--lora"] if model == "demo" else []
    done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=HERE.parent)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory_section(args: argparse.Namespace, with_trl: bool) -> dict[str, Any]:
    """Peak resident set per (model, layout, loss), MiB; and the ratios of the plain packed pass to treeplay's.
    ``--quick``: the packed layouts under the preference loss only."""
    quick = [(model, layout, "preference") for model in ("bench", "demo") for layout in ("packed", "packed_plain")]
    others = ("pairwise", "padded", *(("trl",) if with_trl else ()))
    runs = quick if args.quick else [
        *quick, *(("bench", layout, "preference") for layout in others),
        *((model, layout, "sft") for model in ("bench", "demo") for layout in ("packed", "packed_plain"))]
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for model, layout, loss in runs:
        print(f"memory {model:<5} {layout:<12} {loss}", file=sys.stderr)
        table.setdefault(model, {}).setdefault(layout, {})[loss] = measure(layout, loss, args, model)
    ratio = {model: {loss: _ratio(table[model], loss) for loss in ("preference", "sft")} for model in table}
    return {"peak_rss_mb": table, "plain_vs_packed": ratio,
            "note": "peak resident set of a fresh process running one epoch (setup included: before_steps_mb)"}


def _ratio(layouts: dict[str, dict[str, Any]], loss: str) -> float | None:
    new, old = layouts.get("packed", {}).get(loss, {}), layouts.get("packed_plain", {}).get(loss, {})
    if "peak_mb" not in new or "peak_mb" not in old:
        return None
    return old["peak_mb"] / new["peak_mb"]


def _rss_mb() -> float:
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def _peak_mb() -> float:
    """This process image's peak resident set (``VmHWM``; ``ru_maxrss`` where /proc is missing), MiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10


def child(args: argparse.Namespace) -> dict[str, Any]:
    """Build everything ``args.child`` needs, run its epoch, return the figures (module docstring)."""
    import contextlib
    import dataclasses

    import torch

    torch.set_num_threads(1)
    import train_data as data
    import train_steps as steps
    from bench_train import cpu_model

    from treeplay.train import memory
    from treeplay.train.packing import pack_pairs

    pairs, groups = data.bench_pairs(data.bench_trees(args.tasks, args.new_tokens))
    if args.quick:
        groups = [dataclasses.replace(g, pairs=g.pairs[:8], indices=g.indices[:8]) for g in groups]
    model = cpu_model(args.layers, args.hidden, seed=0)
    packs = [pack_pairs(g.pairs) for g in groups]
    layout, sft = args.child, args.loss == "sft"
    ref0, refs = None, None
    if args.lora and not sft:  # as treeplay's trainer: the model as loaded is the reference, before LoRA
        refs = steps.precompute_refs(model, packs)
    elif not sft:
        ref0 = cpu_model(args.layers, args.hidden, seed=1)
        refs = None if layout in ("padded", "trl") else steps.precompute_refs(ref0, packs)
    if layout in ("packed", "packed_plain", "pairwise"):
        ref0 = None  # precomputed: no reference model is kept
    if args.lora:
        model = _lora(model)
    memory.release_memory()  # what setup freed, in every layout: the steps start from the same ground
    before = _rss_mb()
    heap = memory.bounded_heap(model) if layout == "packed" else contextlib.nullcontext()
    with heap:
        if layout in ("packed", "packed_plain"):
            steps.packed_epoch(model, packs, refs, plain=layout == "packed_plain", sft=sft)
        elif layout == "pairwise":
            steps.pairwise_epoch(model, groups, refs)
        elif layout == "padded":
            steps.padded_epoch(model, ref0, [steps.padded_batch(g.pairs, 2) for g in groups])
        else:
            _trl_epoch(model, ref0, groups)
    peak = _peak_mb()
    return {"layout": layout, "loss": args.loss, "peak_mb": round(peak, 1), "before_steps_mb": round(before, 1),
            "tokens": sum(p.n_tokens for p in packs), "lora": args.lora, "layers": args.layers, "hidden": args.hidden}


def _lora(model: Any) -> Any:
    """LoRA r=16 on every linear layer, as treeplay's trainer adds it."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM")
    return get_peft_model(model, config).train()


def _trl_epoch(model: Any, ref: Any, groups: list[Any]) -> None:
    """TRL's DPOTrainer on the groups' token ids, batches of one tree (``train_steps.trl_trainer``)."""
    import train_steps as steps

    from treeplay.engine.tiny import tiny_tokenizer

    ours = [p for g in groups for p in g.pairs]
    with tempfile.TemporaryDirectory() as tmp:
        steps.trl_trainer(model, ref, tiny_tokenizer(), len(groups[0].pairs), tmp, ids=ours).train()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", required=True, choices=("packed", "packed_plain", "pairwise", "padded", "trl"))
    parser.add_argument("--loss", choices=("preference", "sft"), default="preference")
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=192)
    parser.add_argument("--new-tokens", type=int, default=48)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--lora", action="store_true")
    print(json.dumps(child(parser.parse_args(argv))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
