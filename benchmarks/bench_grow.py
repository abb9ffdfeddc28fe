"""Tree rollout throughput: KV-forked tree growth vs one ``generate`` call per node and per branch.

The paper grows K branches at each risk node from the golden prefix y_<k_v. Three ways to do it, same tasks, same
nodes, same sampling (temperature 1.0, top_p 0.95, no top-k), measured in one run, one thread, interleaved
repeats, median:

- ``tree`` (treeplay): ``grow_tree`` with the hf backend: the golden path is prefilled once, its KV cache forked
  at every node, all nodes' branches decoded as one batch;
- ``per_node`` (baseline a): one ``model.generate`` per node, the prefix re-encoded, ``num_return_sequences=K``;
- ``per_branch`` (baseline b): one ``model.generate`` per branch.

Every branch generates exactly ``--new-tokens`` tokens (EOS ignored, no stop rule), so throughput counts the same
generated tokens for all three.

Across tasks (``--cross-tasks N`` builtin tasks, default 8): ``grow_trees`` decoding the branches of several tasks
in one batch (``grow.max_batch`` = 64 rows) against the same call one task at a time (``max_batch`` = 1: a task's
own forks still decode together), same trees; reported as ``ratio_tasks``. Measured for two shapes of tree: 4 nodes
x 4 branches (16 rows per task, as above) and 2 nodes x 2 branches (4 rows per task: study v2's verified arms,
``nodes.max_nodes=2``, ``grow.width=2``), reported as ``ratio_tasks_2x2``. ``--only-across`` measures these alone.

Tasks: builtin Python tasks (default) or, with ``--quick``, one synthetic task with a short golden path. Writes
benchmarks/results/bench_grow.json; the last line printed is
``RESULT bench_grow ratio=<tree vs per_node> ratio_b=<tree vs per_branch> ratio_tasks=<batched across tasks vs
one task at a time> tokens_per_s=<tree> ...``.

    .venv/bin/python benchmarks/bench_grow.py            # default model, CPU, about 6 minutes on one core
    .venv/bin/python benchmarks/bench_grow.py --quick    # under a minute
    .venv/bin/python benchmarks/bench_grow.py --only-across   # growth across tasks only, both tree shapes
    .venv/bin/python benchmarks/bench_grow.py --only-across --threads 2   # the same with both cores of a 2-core machine
    .venv/bin/python benchmarks/bench_grow.py --ceiling --threads 2   # the model's own decode rate at those widths
    python benchmarks/bench_grow.py --device cuda --random-1b   # a random ~1B Llama on a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

RESULTS = Path(__file__).resolve().parent / "results" / "bench_grow.json"
NODES, WIDTH = 4, 4


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short synthetic task, fewer tokens (< 1 minute)")
    parser.add_argument("--tasks", type=int, default=1, help="builtin Python tasks to grow (default 1)")
    parser.add_argument("--cross-tasks", type=int, default=None,
                        help="builtin Python tasks for the across-tasks figure (default 8; quick 4)")
    parser.add_argument("--only-across", action="store_true",
                        help="measure growth across tasks only (both tree shapes), not tree vs generate")
    parser.add_argument("--new-tokens", type=int, default=None, help="tokens per branch (default 32; quick 8)")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats, median reported (3; quick 2)")
    parser.add_argument("--ceiling", action="store_true",
                        help="the model's own decode throughput at the batch widths both across-task modes use "
                             "(no sampling, no stop rules): the most any batching can gain here")
    parser.add_argument("--device", default="cpu", help="cpu | cuda")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1, the comparable figure; both methods get the same number)")
    parser.add_argument("--random-1b", action="store_true", help="a randomly initialised ~1B Llama (bf16 on GPU)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def load(args: argparse.Namespace):
    """(model, tokenizer, description)."""
    import torch

    from treeplay.engine.loading import load_model

    loaded = load_model("default", device=args.device, dtype="float32" if args.device == "cpu" else "auto")
    if not args.random_1b:
        return loaded.model, loaded.tokenizer, "SmolLM2-135M-Instruct (embedded default)"
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=len(loaded.tokenizer), hidden_size=2048, intermediate_size=5632,
                         num_hidden_layers=22, num_attention_heads=32, num_key_value_heads=4,
                         max_position_embeddings=8192, bos_token_id=1, eos_token_id=2, pad_token_id=2)
    torch.manual_seed(0)
    dtype = torch.float32 if args.device == "cpu" else loaded.dtype
    model = LlamaForCausalLM(config).to(device=args.device, dtype=dtype).eval()
    return model, loaded.tokenizer, f"random Llama {sum(p.numel() for p in model.parameters()) / 1e9:.2f}B ({dtype})"


def cases(args: argparse.Namespace, count: int | None = None, nodes: int = NODES):
    """[(task, nodes)]: ``nodes`` risk nodes spread evenly over the lines after each task's prefix."""
    from treeplay.data.builtin import load_builtin
    from treeplay.engine.tokens import line_start
    from treeplay.records import RiskNode, Task

    if args.quick and count is None:
        body = "".join(f"    total += values[{i}] * {i + 1}\n" for i in range(5))
        golden = "def weighted(values):\n    total = 0\n" + body + "    return total\n"
        tasks = [Task(id="synthetic", language="python", cwes=(), prompt="Write weighted(values).", golden=golden)]
    else:
        python = [t for t in load_builtin() if t.language == "python" and t.golden]
        tasks = sorted(python, key=lambda t: (abs(len(t.golden) - 1100), t.id))[:count or args.tasks]  # ~300 tokens
    out = []
    for task in tasks:
        first = task.prefix.count("\n") + 1 if task.prefix else 2
        last = task.golden.count("\n")
        lines = [first + (last - first) * i // nodes for i in range(nodes)]
        out.append((task, [RiskNode(task_id=task.id, line=n, char_offset=line_start(task.golden, n), method="bench")
                           for n in lines]))
    return out


def run_tree(model, tok, work, new_tokens):
    from treeplay.engine.backends import SamplingParams
    from treeplay.engine.hf_backend import HFBackend
    from treeplay.engine.rollout import GrowParams, GrowStats, grow_tree

    params = GrowParams(sampling=SamplingParams(width=WIDTH, temperature=1.0, top_p=0.95, max_new_tokens=new_tokens,
                                                ignore_eos=True), stop="none")
    stats = GrowStats()
    backend = HFBackend(model, tok)
    for task, nodes, _ in work:
        grow_tree(task, nodes, backend, tok, params, stats=stats)
    return stats.tokens


def run_tasks(model, tok, work, new_tokens, batched: bool, width: int = WIDTH):
    """``grow_trees`` over every task: their branches in shared batches, or one task at a time."""
    import tempfile

    from treeplay.engine.backends import SamplingParams
    from treeplay.engine.hf_backend import HFBackend
    from treeplay.engine.rollout import GrowParams, grow_trees

    sampling = SamplingParams(width=width, temperature=1.0, top_p=0.95, max_new_tokens=new_tokens, ignore_eos=True)
    params = GrowParams(sampling=sampling, stop="none", max_batch=64 if batched else 1)
    tasks = [task for task, _, _ in work]
    nodes = [node for _, task_nodes, _ in work for node in task_nodes]
    with tempfile.TemporaryDirectory() as tmp:
        stats = grow_trees(tasks, nodes, HFBackend(model, tok, max_batch=64), tok, params, Path(tmp) / "trees.jsonl",
                           progress=False)
    return stats.tokens


def run_generate(model, tok, work, new_tokens, per_branch: bool):
    import torch

    total = 0
    for _, _, prefixes in work:
        for node, ids in enumerate(prefixes):
            calls = [(k, 1) for k in range(WIDTH)] if per_branch else [(0, WIDTH)]
            for k, n in calls:
                torch.manual_seed(1000 * node + k)
                input_ids = torch.tensor([ids], device=model.device)
                with torch.inference_mode():
                    out = model.generate(input_ids, attention_mask=torch.ones_like(input_ids), do_sample=True,
                                         temperature=1.0, top_p=0.95, top_k=0, max_new_tokens=new_tokens,
                                         min_new_tokens=new_tokens, num_return_sequences=n, pad_token_id=0)
                total += (out.shape[1] - input_ids.shape[1]) * n
    return total


def prepare(tok, cases_):
    """Per case: (task, nodes, the token prefix prompt + y_<k_v of each node), as ``grow_tree`` places them."""
    from treeplay.engine.prompts import build_prompt
    from treeplay.engine.tokens import first_token_at

    work = []
    for task, nodes in cases_:
        parts = build_prompt(task, tok)
        prefixes = [list(parts.prompt_ids + parts.golden_ids[:first_token_at(parts.golden_starts, n.char_offset)])
                    for n in nodes]
        work.append((task, nodes, prefixes))
    return work


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    new_tokens = args.new_tokens or (8 if args.quick else 32)
    args.repeats = args.repeats or (2 if args.quick else 3)
    import torch

    if args.threads < 1:
        raise SystemExit("--threads must be at least 1")
    os.environ["TREEPLAY_THREADS"] = str(args.threads)  # the thread governor keeps the benchmark's thread count
    torch.set_num_threads(args.threads)
    model, tok, description = load(args)
    if args.only_across:
        return across_only(model, tok, args, new_tokens, description)
    if args.ceiling:
        return ceiling(model, tok, args, new_tokens, description)
    work = prepare(tok, cases(args))
    methods = {"tree": lambda n: run_tree(model, tok, work, n),
               "per_node": lambda n: run_generate(model, tok, work, n, per_branch=False),
               "per_branch": lambda n: run_generate(model, tok, work, n, per_branch=True)}
    # warm-up (first-call costs: allocator, kernels, generate's set-up), not timed
    run_tree(model, tok, work[:1], 1)
    run_generate(model, tok, [(t, n, p[:1]) for t, n, p in work[:1]], 1, per_branch=False)
    times: dict[str, list[float]] = {m: [] for m in methods}
    tokens: dict[str, int] = {}
    names = list(methods)
    for r in range(args.repeats):
        for name in names[r % 3:] + names[:r % 3]:  # rotate the order: no method always runs first
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            started = time.perf_counter()
            tokens[name] = methods[name](new_tokens)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            times[name].append(time.perf_counter() - started)
            print(f"repeat {r + 1}/{args.repeats} {name:<10} {times[name][-1]:7.2f} s "
                  f"{tokens[name] / times[name][-1]:8.1f} tokens/s", file=sys.stderr)
    if len(set(tokens.values())) != 1:
        raise SystemExit(f"methods generated different token counts: {tokens}")
    tps = {m: tokens[m] / statistics.median(times[m]) for m in methods}
    across = cross_tasks(model, tok, args, new_tokens)
    small = cross_tasks(model, tok, args, new_tokens, nodes=2, width=2)
    result = {
        "name": "bench_grow", "model": description, "device": args.device, "threads": torch.get_num_threads(),
        "torch": torch.__version__, "python": platform.python_version(), "quick": args.quick,
        "tasks": [{"id": task.id, "prefix_tokens": [len(x) for x in p]} for task, _, p in work],
        "nodes_per_task": NODES, "branches_per_node": WIDTH, "new_tokens_per_branch": new_tokens,
        "generated_tokens": tokens["tree"], "repeats": args.repeats, "seconds": times,
        "median_seconds": {m: statistics.median(times[m]) for m in methods}, "tokens_per_s": tps,
        "ratio": tps["tree"] / tps["per_node"], "ratio_b": tps["tree"] / tps["per_branch"],
        "across_tasks": across, "ratio_tasks": across["ratio"],
        "across_tasks_2x2": small, "ratio_tasks_2x2": small["ratio"],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"RESULT bench_grow ratio={result['ratio']:.2f} ratio_b={result['ratio_b']:.2f} "
          f"ratio_tasks={across['ratio']:.2f} ratio_tasks_2x2={small['ratio']:.2f} tokens_per_s={tps['tree']:.1f} "
          f"tokens_per_s_per_node={tps['per_node']:.1f} tokens_per_s_per_branch={tps['per_branch']:.1f} "
          f"tokens_per_s_across_tasks={across['tokens_per_s']['batched']:.1f}")
    return 0


def across_only(model, tok, args: argparse.Namespace, new_tokens: int, description: str) -> int:
    """``--only-across``: both tree shapes across tasks; writes ``<output stem>_across.json``."""
    import torch

    across = cross_tasks(model, tok, args, new_tokens)
    small = cross_tasks(model, tok, args, new_tokens, nodes=2, width=2)
    result = {"name": "bench_grow_across", "model": description, "device": args.device,
              "threads": torch.get_num_threads(), "torch": torch.__version__, "quick": args.quick,
              "new_tokens_per_branch": new_tokens, "repeats": args.repeats, "across_tasks": across,
              "ratio_tasks": across["ratio"], "across_tasks_2x2": small, "ratio_tasks_2x2": small["ratio"]}
    out = args.output.with_name(args.output.stem + "_across.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"RESULT bench_grow_across ratio={small['ratio']:.2f} ratio_tasks={across['ratio']:.2f} "
          f"ratio_tasks_2x2={small['ratio']:.2f} "
          f"tokens_per_s_batched={across['tokens_per_s']['batched']:.1f} "
          f"tokens_per_s_batched_2x2={small['tokens_per_s']['batched']:.1f}")
    return 0


def decode_rate(model, prefix: list[int], rows: int, steps: int) -> float:
    """Tokens/s of ``steps`` one-token decode steps of ``rows`` rows over a KV cache of ``prefix`` (bare forward
    calls: no sampling, no stop rules, no bookkeeping). The prefill is not timed."""
    import torch

    ids = torch.tensor([prefix], device=model.device)
    with torch.inference_mode():
        out = model(input_ids=ids, use_cache=True)  # one row, its cache copied to every row, as a fork does
        cache = out.past_key_values
        cache.batch_repeat_interleave(rows)
        nxt = out.logits[:, -1:].argmax(-1).repeat(rows, 1)
        if model.device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(steps):
            out = model(input_ids=nxt, past_key_values=cache, use_cache=True)
            cache, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
        if model.device.type == "cuda":
            torch.cuda.synchronize()
    return rows * steps / (time.perf_counter() - started)


def ceiling(model, tok, args: argparse.Namespace, new_tokens: int, description: str) -> int:
    """``--ceiling``: decode throughput of the bare model at one task's rows and at the rows batched across tasks,
    for both tree shapes (4x4: 16 rows vs 64, ``max_batch``; 2x2: 4 rows vs the 4 rows of each of the
    ``--cross-tasks`` tasks). Their ratio bounds what batching across tasks can gain on this machine."""
    import torch

    work = prepare(tok, cases(args, args.cross_tasks or (4 if args.quick else 8)))
    prefix = sorted((p for _, _, prefixes in work for p in prefixes), key=len)[len(work) * NODES // 2]
    shapes = {"4x4": (NODES * WIDTH, min(64, NODES * WIDTH * len(work))), "2x2": (4, min(64, 4 * len(work)))}
    decode_rate(model, prefix[:32], 2, 2)  # warm-up
    rates: dict[str, dict[str, list[float]]] = {s: {"one_task": [], "batched": []} for s in shapes}
    for r in range(args.repeats):
        for shape, (one, many) in shapes.items():
            for name, rows in ([("one_task", one), ("batched", many)] if r % 2 == 0 else
                               [("batched", many), ("one_task", one)]):
                rates[shape][name].append(decode_rate(model, prefix, rows, new_tokens))
                print(f"repeat {r + 1}/{args.repeats} {shape} {name:<9} {rows:3d} rows "
                      f"{rates[shape][name][-1]:8.1f} tokens/s", file=sys.stderr)
    result = {"name": "bench_grow_ceiling", "model": description, "device": args.device,
              "threads": torch.get_num_threads(), "torch": torch.__version__, "prefix_tokens": len(prefix),
              "steps": new_tokens, "repeats": args.repeats, "rows": shapes, "tokens_per_s": rates,
              "ratio": {s: statistics.median(v["batched"]) / statistics.median(v["one_task"])
                        for s, v in rates.items()}}
    out = args.output.with_name(args.output.stem + "_ceiling.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    med = {s: {n: statistics.median(v) for n, v in r.items()} for s, r in rates.items()}
    print(f"RESULT bench_grow_ceiling ratio={result['ratio']['4x4']:.2f} ratio_2x2={result['ratio']['2x2']:.2f} "
          f"tokens_per_s_16={med['4x4']['one_task']:.1f} tokens_per_s_64={med['4x4']['batched']:.1f} "
          f"tokens_per_s_4={med['2x2']['one_task']:.1f} tokens_per_s_{shapes['2x2'][1]}={med['2x2']['batched']:.1f}")
    return 0


def cross_tasks(model, tok, args: argparse.Namespace, new_tokens: int, nodes: int = NODES,
                width: int = WIDTH) -> dict:
    """Tokens/s of growth batched across tasks vs one task at a time, same work, interleaved repeats, median."""
    work = prepare(tok, cases(args, args.cross_tasks or (4 if args.quick else 8), nodes))
    run_tasks(model, tok, work[:1], 1, batched=True, width=width)  # warm-up
    times: dict[str, list[float]] = {"batched": [], "one_task": []}
    tokens: dict[str, int] = {}
    for r in range(args.repeats):
        for name in (["batched", "one_task"] if r % 2 == 0 else ["one_task", "batched"]):
            started = time.perf_counter()
            tokens[name] = run_tasks(model, tok, work, new_tokens, batched=name == "batched", width=width)
            times[name].append(time.perf_counter() - started)
            print(f"repeat {r + 1}/{args.repeats} {name:<10} {times[name][-1]:7.2f} s "
                  f"{tokens[name] / times[name][-1]:8.1f} tokens/s (across {len(work)} tasks, {nodes} nodes x "
                  f"{width} branches)", file=sys.stderr)
    tps = {m: tokens[m] / statistics.median(times[m]) for m in times}
    return {"tasks": len(work), "nodes_per_task": nodes, "branches_per_node": width,
            "generated_tokens": tokens["batched"], "seconds": times, "tokens_per_s": tps,
            "ratio": tps["batched"] / tps["one_task"]}


if __name__ == "__main__":
    sys.exit(main())
