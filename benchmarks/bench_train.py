"""Training-step throughput: a packed tree (TSP) vs the same pairs pair by pair vs TRL's DPOTrainer.

Pairs: real trees, grown by the embedded default model on the shortest builtin Python tasks with 4 diff risk
nodes, 4 branches per node (``train_data.py``; cached, so a re-run grows nothing), paper mode (every branch
rejected against the golden path), 16 pairs per tree. One optimizer step per tree, one epoch, each way
(``train_steps.py``):

- ``packed`` (treeplay TSP): the tree as one packed trie sequence, one forward + backward, with the trainer's
  memory settings (vocabulary logits 256 positions at a time, attention in blocks of queries, selective activation
  checkpointing); reference log-probs precomputed once per iteration as treeplay does (not timed; the one-off
  cost is ``ref_seconds``);
- ``packed_plain``: the same packed pass with all logits at once, one attention call and every activation kept
  (treeplay before its memory work): ``vs_plain`` is what the memory settings cost or save in time;
- ``pairwise``: the same, each pair's two sequences run on their own, same precomputed reference;
- ``trl``: ``trl.DPOTrainer`` on the pairs as text (prompt = pair prompt + prefix; its own tokenization, EOS
  appended), its default reference handling (a reference forward every step), batch = the 16 pairs of a tree,
  sequential order, timed around ``trainer.train()`` (data set preparation excluded); activation checkpointing
  off and fp32 on the CPU (TRL defaults to both on / bf16; treeplay uses neither), no truncation;
- ``padded``: TRL's batch layout and reference handling in plain PyTorch, with logits only at completion
  positions. On a CPU TRL's fused LM head projects every position of the batch in large vocabulary tiles, so
  ``trl`` vs ``padded`` shows what that costs here; on a GPU (Triton) TRL projects completion positions only.

Model on the CPU: randomly initialised, SmolLM2-135M's shape scaled down (``--layers``, ``--hidden``; vocabulary
49152, so the real token ids), fp32, one thread. "loss identical": TRL's loss at its first training step vs
treeplay's packed and pairwise loss on TRL's own token ids of the same pairs (max abs difference; target 1e-4).

With CUDA (or ``--gpu-only``), a GPU section: bf16, a random Llama of Llama-3.2-1B's shape (vocabulary 49152), the
same token ids (``train_shapes.json``, written by a full CPU run), packed vs pairwise vs padded vs TRL (when
installed: then on the token ids directly). Reports tokens/s, pairs/s and model-FLOPs utilisation

    MFU = (6 * N * T_train + 2 * N * T_ref) / seconds / peak

N = parameters (the tied embedding counted once, as the LM-head matmul); T_train = tokens run forward and backward
(packed tokens; every sequence's tokens; padded batch tokens); T_ref = tokens of reference forwards inside the
timed steps (padded, TRL); attention-score FLOPs left out; peak = the GPU's dense bf16 peak (H100/H200 SXM 989
TFLOP/s, A100 312). Logits computed only where scored make it a slight overestimate.

Memory (``train_memory``): the peak resident set of a fresh process running one epoch, per layout and per loss
(preference: dpo, spin and tsp; sft), for the CPU model and for a random model of SmolLM2-135M's full shape under
LoRA (``demo``: as ``treeplay demo`` trains); on a GPU ``torch.cuda.max_memory_allocated`` of each timed run.
``mem_ratio`` = peak of ``packed_plain`` / peak of ``packed``.

    .venv/bin/python benchmarks/bench_train.py            # 2 trees, 3 repeats, 11 memory runs: ~20 minutes
    .venv/bin/python benchmarks/bench_train.py --quick    # 8 pairs of 1 tree, 2 repeats, 4 memory runs: ~4 min
    PYTHONPATH=src python benchmarks/bench_train.py --gpu-only   # the GPU section alone (no TRL or weights)
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
import train_data as data  # noqa: E402
import train_memory  # noqa: E402
import train_steps as steps  # noqa: E402

from treeplay.train.packing import pack_pairs, packed_logps, pairs_logps_unpacked  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12}
GPU_SHAPES = {"1b": dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
                         num_key_value_heads=8, rope_theta=500000.0),
              "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                           num_key_value_heads=2)}
Runner = Callable[[], Callable[[], Any]]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 tree cut to its first 2 nodes' 8 pairs, 2 repeats")
    parser.add_argument("--tasks", type=int, default=None, help="trees (builtin tasks), default 2 (quick 1)")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats, median (3; quick 2)")
    parser.add_argument("--layers", type=int, default=4, help="layers of the CPU model (SmolLM2-135M: 30)")
    parser.add_argument("--hidden", type=int, default=192, help="width of the CPU model (SmolLM2-135M: 576)")
    parser.add_argument("--new-tokens", type=int, default=48, help="max new tokens per branch when growing")
    parser.add_argument("--gpu-only", action="store_true", help="only the GPU section, on train_shapes.json")
    parser.add_argument("--gpu-device", default="cuda", help="device of the GPU section (cpu: check that it runs)")
    parser.add_argument("--gpu-size", choices=sorted(GPU_SHAPES), default="1b", help="GPU model (tiny: a check)")
    parser.add_argument("--output", type=Path, default=None, help="results JSON (default results/<name>.json)")
    return parser.parse_args(argv)


def cpu_model(layers: int, hidden: int, seed: int) -> Any:
    """A random model of SmolLM2-135M-Instruct's shape (its config, read from the default model) with ``layers``
    layers, scaled to width ``hidden`` (64-wide heads, 3 query heads per KV head, MLP 8/3 as wide)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from treeplay.engine.loading import default_model_dir

    config = LlamaConfig.from_pretrained(default_model_dir())
    heads = max(1, hidden // 64)
    config.update(dict(num_hidden_layers=layers, hidden_size=hidden, num_attention_heads=heads, head_dim=64,
                       num_key_value_heads=max(1, heads // 3), intermediate_size=hidden * 8 // 3))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return LlamaForCausalLM(config).float().train()


def have_trl() -> str | None:
    """None when TRL (and datasets) import, else why not."""
    try:
        import datasets  # noqa: F401
        import trl  # noqa: F401
    except ImportError as err:
        return f"TRL not importable ({err.name or err}): pip install trl"
    return None


def runners(init: Any, ref0: Any, groups: Sequence[Any], pad: int, device: Any,
            trl: Callable[[Any, Any], Any] | None) -> tuple[dict[str, Runner], list[torch.Tensor], float]:
    """Per method, a preparer (fresh copy of the initial policy, untimed) that returns the timed epoch; also the
    precomputed reference log-probs and what computing them took (after a warm-up of every method)."""
    packs = [pack_pairs(g.pairs).to(device) for g in groups]
    batches = [steps.padded_batch(g.pairs, pad, device) for g in groups]
    few = [dataclasses.replace(groups[0], pairs=groups[0].pairs[:2])]  # warm-up: first-call costs, untimed
    few_packs = [pack_pairs(few[0].pairs).to(device)]
    few_refs = steps.precompute_refs(ref0, few_packs)
    steps.packed_epoch(copy.deepcopy(init), few_packs, few_refs)
    steps.packed_epoch(copy.deepcopy(init), few_packs, few_refs, plain=True)
    steps.pairwise_epoch(copy.deepcopy(init), few, few_refs)
    steps.padded_epoch(copy.deepcopy(init), ref0, [steps.padded_batch(few[0].pairs, pad, device)])
    sync(device)
    started = time.perf_counter()
    refs = steps.precompute_refs(ref0, packs)
    sync(device)
    ref_s = time.perf_counter() - started

    def fresh(epoch: Callable[[Any], Any]) -> Runner:
        def prepare() -> Callable[[], Any]:
            model = copy.deepcopy(init)
            return lambda: epoch(model)
        return prepare

    out = {"packed": fresh(lambda m: steps.packed_epoch(m, packs, refs)),
           "packed_plain": fresh(lambda m: steps.packed_epoch(m, packs, refs, plain=True)),
           "pairwise": fresh(lambda m: steps.pairwise_epoch(m, groups, refs)),
           "padded": fresh(lambda m: steps.padded_epoch(m, ref0, batches))}
    if trl is not None:
        out["trl"] = lambda: trl(copy.deepcopy(init), copy.deepcopy(ref0)).train
    return out, refs, ref_s


def sync(device: Any) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def interleaved(prepare: dict[str, Runner], repeats: int, device: Any, label: str,
                peaks: dict[str, float] | None = None) -> dict[str, list[float]]:
    """Seconds of each method per repeat: ``prepare[m]()`` (untimed) returns the timed call; the order rotates.
    On CUDA ``peaks[m]`` gets the most memory a run of ``m`` allocated (MiB)."""
    names, times = list(prepare), {m: [] for m in prepare}
    cuda = torch.device(device).type == "cuda"
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            run = prepare[name]()
            sync(device)
            if cuda:
                torch.cuda.reset_peak_memory_stats(device)
            started = time.perf_counter()
            run()
            sync(device)
            times[name].append(time.perf_counter() - started)
            if cuda and peaks is not None:
                peaks[name] = max(peaks.get(name, 0.0), torch.cuda.max_memory_allocated(device) / 2**20)
            print(f"{label} repeat {r + 1}/{repeats} {name:<9} {times[name][-1]:8.2f} s", file=sys.stderr)
    return times


def summarise(times: dict[str, list[float]], n_pairs: int, tokens: dict[str, int], ref_s: float) -> dict[str, Any]:
    """Medians, pairs/s, tokens/s and the speed-ups of ``packed``; ``ratio_incl_ref`` charges the packed epoch
    with the reference pass too (one epoch per iteration: the pass belongs to it)."""
    median = {m: statistics.median(t) for m, t in times.items()}
    pps = {m: n_pairs / s for m, s in median.items()}
    return {"seconds": times, "median_seconds": median, "pairs_per_s": pps,
            "tokens_per_s": {m: tokens[m] / median[m] for m in median},
            "ratio": pps["packed"] / pps["trl"] if "trl" in pps else None,
            "ratio_incl_ref": median["trl"] / (median["packed"] + ref_s) if "trl" in pps else None,
            "vs_pairwise": pps["packed"] / pps["pairwise"], "vs_padded": pps["packed"] / pps["padded"],
            "vs_plain": pps["packed"] / pps["packed_plain"]}


def first_step_losses(init: Any, ref0: Any, pairs: Sequence[Any]) -> dict[str, float]:
    """treeplay's packed and pairwise first-step loss on ``pairs`` (one tree) from the initial weights."""
    with torch.no_grad():
        ref = packed_logps(ref0, pack_pairs(pairs))
        return {"packed": float(steps.dpo_mean(packed_logps(init, pack_pairs(pairs)), ref)),
                "pairwise": float(steps.dpo_mean(pairs_logps_unpacked(init, pairs), ref))}


def trl_baseline(make: Callable[..., Any], init: Any, ref0: Any, ours: Sequence[Any], eos: int,
                 batch: int) -> tuple[Runner, dict[str, Any], Callable[[], dict[str, Any]]]:
    """TRL's preparer (its first timed run records TRL's first-step loss), facts about TRL's own tokenization, and
    the "loss identical" check to call after the timed runs. ``make(policy, ref, n_rows=None)`` builds a trainer."""
    make(copy.deepcopy(init), copy.deepcopy(ref0), 1).train()  # warm-up, untimed
    first = make(copy.deepcopy(init), copy.deepcopy(ref0))
    theirs = steps.trl_pairs(first)
    counts = steps.padded_tokens(theirs, batch)
    info = {"tokenization_match": steps.tokenization_match(theirs, ours, eos), "trl_tokens": counts}

    def prepare() -> Callable[[], Any]:
        return (first if not first.first_losses else make(copy.deepcopy(init), copy.deepcopy(ref0))).train

    def loss_check() -> dict[str, Any]:
        losses = {"trl": first.first_losses[0], **first_step_losses(init, ref0, theirs[:batch])}
        return {"first_step_loss": losses, "max_abs_diff": max(abs(a - b) for a in losses.values()
                                                                for b in losses.values()),
                "on": "TRL's token ids of the first tree's pairs, initial weights"}

    return prepare, info, loss_check


def cpu_section(args: argparse.Namespace, tmp: str) -> tuple[dict[str, Any], list[Any]]:
    """The CPU benchmark on real trees (see the module docstring)."""
    from treeplay.engine.loading import load_tokenizer
    from treeplay.tree.pairs import trl_rows

    started = time.perf_counter()
    bench = data.bench_trees(args.tasks, args.new_tokens)
    grow_s = time.perf_counter() - started
    pairs, groups = data.bench_pairs(bench)
    if args.quick:  # the pairs of the first two risk nodes (pairs come node by node)
        groups = [dataclasses.replace(g, pairs=g.pairs[:8], indices=g.indices[:8]) for g in groups]
        pairs = [pairs[i] for g in groups for i in g.indices]
    sizes = {len(g.pairs) for g in groups}
    if len(sizes) != 1:
        raise SystemExit(f"trees have different pair counts {sorted(sizes)}: TRL's fixed batches would mix trees")
    batch = sizes.pop()
    if not args.quick:
        data.write_shapes(groups, bench.settings)
    tokenizer = load_tokenizer("default")
    rows, ours = trl_rows(pairs), [p for g in groups for p in g.pairs]
    init, ref0 = (cpu_model(args.layers, args.hidden, seed=s) for s in (0, 1))
    no_trl = have_trl()
    prepare, _, ref_s = runners(init, ref0, groups, tokenizer.pad_token_id, "cpu", None)
    packed_tokens = sum(pack_pairs(g.pairs).n_tokens for g in groups)
    tokens = {"packed": packed_tokens, "packed_plain": packed_tokens, "pairwise": sum(g.n_tokens for g in groups),
              "padded": steps.padded_tokens(ours, batch)["padded"]}
    result: dict[str, Any] = {
        "model": f"random Llama of SmolLM2-135M's shape, {args.layers} layers, width {args.hidden} "
                 f"({sum(p.numel() for p in init.parameters()) / 1e6:.1f}M parameters, vocabulary 49152, fp32)",
        "trees": bench.settings, "tasks": [t.task_id for t in bench.trees], "trees_grown": bench.grown,
        "grow_seconds": grow_s if bench.grown else 0.0, "pairs": len(pairs), "pairs_per_tree": batch,
        "ref_seconds": ref_s, "threads": torch.get_num_threads(),
        "trl": no_trl or f"trl {__import__('trl').__version__}: LM head over every padded position on CPU"}
    loss_check = None
    if no_trl is None:
        def make(policy: Any, ref: Any, n_rows: int | None = None) -> Any:
            return steps.trl_trainer(policy, ref, tokenizer, n_rows or batch, tempfile.mkdtemp(dir=tmp),
                                     rows=rows[:n_rows] if n_rows else rows)

        prepare["trl"], info, loss_check = trl_baseline(make, init, ref0, ours, tokenizer.eos_token_id, batch)
        result.update(info)
        tokens["trl"] = info["trl_tokens"]["padded"]
    result["tokens_per_epoch"] = tokens
    result.update(summarise(interleaved(prepare, args.repeats, "cpu", "cpu"), len(pairs), tokens, ref_s))
    if loss_check is not None:
        result["loss_identical"] = loss_check()
    return result, groups


def gpu_section(args: argparse.Namespace, groups: Sequence[Any], tmp: str) -> dict[str, Any]:
    """bf16 throughput of a random ~1B Llama on the same token ids: tokens/s, pairs/s, MFU."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from treeplay.engine.tiny import tiny_tokenizer

    device = torch.device(args.gpu_device)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    shape = GPU_SHAPES[args.gpu_size]
    config = LlamaConfig(vocab_size=49152, tie_word_embeddings=True, max_position_embeddings=8192, bos_token_id=1,
                         eos_token_id=2, pad_token_id=2, **shape)
    models = []
    for seed in (0, 1):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            models.append(LlamaForCausalLM(config).to(device=device, dtype=dtype).train())
    init, ref0 = models
    n_params = sum(p.numel() for p in init.parameters())
    ours = [p for g in groups for p in g.pairs]
    batch = len(groups[0].pairs)
    no_trl = have_trl() or (None if len({len(g.pairs) for g in groups}) == 1 else "trees of different sizes")

    def trl(policy: Any, ref: Any) -> Any:
        return steps.trl_trainer(policy, ref, tiny_tokenizer(), batch, tempfile.mkdtemp(dir=tmp), ids=ours,
                                 bf16=dtype == torch.bfloat16)

    prepare, _, ref_s = runners(init, ref0, groups, 0, device, trl if no_trl is None else None)
    if no_trl is None:
        trl(copy.deepcopy(init), copy.deepcopy(ref0)).train()  # warm-up
    packed_tokens = sum(pack_pairs(g.pairs).n_tokens for g in groups)
    tokens = {"packed": packed_tokens, "packed_plain": packed_tokens, "pairwise": sum(g.n_tokens for g in groups),
              "padded": steps.padded_tokens(ours, batch)["padded"]}
    flops = {"packed": 6 * n_params * tokens["packed"], "packed_plain": 6 * n_params * tokens["packed"],
             "pairwise": 6 * n_params * tokens["pairwise"],
             "padded": 8 * n_params * tokens["padded"]}  # padded, TRL: + a reference forward every step
    if no_trl is None:
        tokens["trl"], flops["trl"] = tokens["padded"], flops["padded"]
    result: dict[str, Any] = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else str(device), "dtype": str(dtype),
        "model": f"random Llama {n_params / 1e9:.2f}B ({args.gpu_size}: {json.dumps(shape)}, vocabulary 49152, "
                 "tied embeddings)", "parameters": n_params, "pairs": len(ours), "pairs_per_tree": batch,
        "trl": no_trl or "trl on the token ids", "ref_seconds": ref_s, "tokens_per_epoch": tokens,
        "first_step_loss": first_step_losses(init, ref0, groups[0].pairs),
        "mfu_formula": "(6 N T_train + 2 N T_ref) / seconds / peak bf16; N = parameters, T = tokens run"}
    peaks: dict[str, float] = {}
    result.update(summarise(interleaved(prepare, args.repeats, device, "gpu", peaks), len(ours), tokens, ref_s))
    result["peak_memory_mb"] = peaks  # torch.cuda.max_memory_allocated of each timed run (MiB)
    med = result["median_seconds"]
    name = result["device"]
    peak = next((v for k, v in PEAK_BF16.items() if k in name), None) if device.type == "cuda" else None
    result["peak_flops"] = peak
    result["pair_tokens_per_s"] = {m: tokens["pairwise"] / s for m, s in med.items()}
    result["mfu"] = {m: flops[m] / med[m] / peak for m in med} if peak else None
    return result


def fmt(value: float | None, digits: int = 2) -> str:
    return "nan" if value is None else f"{value:.{digits}f}"


def memory_text(section: dict[str, Any]) -> str:
    """The memory figures of the RESULT line: peak MiB of the packed pass with and without the memory settings,
    on the CPU model and on the demo's shape (preference loss), and their ratios."""
    parts = []
    for model, prefix in (("bench", "mem"), ("demo", "demo_mem")):
        layouts = section["peak_rss_mb"].get(model, {})
        new, old = (layouts.get(layout, {}).get("preference", {}).get("peak_mb") for layout in ("packed",
                                                                                               "packed_plain"))
        ratio = section["plain_vs_packed"].get(model, {}).get("preference")
        parts += [f"{prefix}_packed_mb={fmt(new, 0)}", f"{prefix}_plain_mb={fmt(old, 0)}",
                  f"{prefix}_ratio={fmt(ratio)}"]
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.tasks = args.tasks or (1 if args.quick else 2)
    args.repeats = args.repeats or (2 if args.quick else 3)
    torch.set_num_threads(1)
    name = "bench_train_gpu" if args.gpu_only else "bench_train"
    result: dict[str, Any] = {"name": name, "quick": args.quick, "torch": torch.__version__,
                              "python": platform.python_version(), "repeats": args.repeats, "beta": steps.BETA,
                              "lr": steps.LR}
    with tempfile.TemporaryDirectory() as tmp:
        groups = None
        if not args.gpu_only:
            result["cpu"], groups = cpu_section(args, tmp)
            result["memory"] = train_memory.memory_section(args, with_trl=not args.quick and have_trl() is None)
        if args.gpu_only or torch.cuda.is_available():
            result["gpu"] = gpu_section(args, groups or data.read_shapes(data.SHAPES), tmp)
    output = args.output or RESULTS / f"{name}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    gpu, cpu = result.get("gpu"), result.get("cpu")
    gpu_text = ""
    if gpu:
        prefix = "" if cpu is None else "gpu_"
        gpu_text = " ".join(f"{prefix}{key}={value}" for key, value in (
            ("ratio", fmt(gpu["ratio"])), ("vs_pairwise", fmt(gpu["vs_pairwise"])),
            ("vs_padded", fmt(gpu["vs_padded"])), ("pairs_per_s", fmt(gpu["pairs_per_s"]["packed"], 1)),
            ("tokens_per_s", fmt(gpu["tokens_per_s"]["packed"], 0)),
            ("mfu_packed", fmt((gpu["mfu"] or {}).get("packed"), 3)), ("vs_plain", fmt(gpu["vs_plain"])),
            ("mem_packed_mb", fmt(gpu["peak_memory_mb"].get("packed"), 0)),
            ("mem_plain_mb", fmt(gpu["peak_memory_mb"].get("packed_plain"), 0))))
    if cpu is None:
        print(f"RESULT {name} {gpu_text} pairs={gpu['pairs']}")
        return 0
    loss = cpu.get("loss_identical", {}).get("max_abs_diff")
    print(f"RESULT {name} ratio={fmt(cpu['ratio'])} vs_pairwise={fmt(cpu['vs_pairwise'])} "
          f"loss_diff={fmt(loss, 7)} pairs={cpu['pairs']} vs_padded={fmt(cpu['vs_padded'])} "
          f"ratio_incl_ref={fmt(cpu.get('ratio_incl_ref'))} pairs_per_s={cpu['pairs_per_s']['packed']:.2f} "
          f"vs_plain={fmt(cpu['vs_plain'])} {memory_text(result['memory'])} {gpu_text}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
