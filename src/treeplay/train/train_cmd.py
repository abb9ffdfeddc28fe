"""``treeplay train --method sft|dpo|spin|tsp``: update the main player and write its model folder.

The lead wires ``add_train_parser`` into ``cli.py``. Heavy imports (torch, transformers, peft, accelerate) happen
inside the handler, so building the parser (``treeplay --help``) stays light.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

from treeplay.cli_args import output_dir
from treeplay.errors import ConfigError, DataError, UsageError

METHODS = ("sft", "dpo", "spin", "tsp")  # trainer.METHODS, named here without importing torch
SPIN_SAMPLES = "spin_samples.jsonl"

EPILOG = """\
methods (every one trains on packed groups of pairs; the model as loaded is the reference):
  sft   supervised fine-tuning on the tasks' golden (secure) programs
  dpo   DPO: each task's golden program chosen over each of its vulnerable variants
  spin  self-play (SPIN): the golden program chosen over programs the model itself samples from the prompt
        (--samples generations.jsonl, or sampled here like tree branches: grow.temperature, grow.top_p, ...)
  tsp   tree-like self-play: the pairs of grown trees, golden path over each branch from its risk node on

examples:
  treeplay train --method sft  --tasks runs/x/tasks.jsonl -o runs/x/sft/model
  treeplay train --method dpo  --tasks runs/x/tasks.jsonl -o runs/x/dpo/model train.lr=5e-5
  treeplay train --method spin --tasks runs/x/tasks.jsonl -o runs/x/iter_1/model train.spin_samples=2
  treeplay train --method tsp  --tasks runs/x/tasks.jsonl --trees runs/x/iter_1/trees.jsonl \\
      --pairs runs/x/iter_1/pairs.jsonl -o runs/x/iter_1/model
next iteration, on top of the previous model (it is also the new reference):
  treeplay train --method tsp --model runs/x/iter_1/model ... -o runs/x/iter_2/model
several GPUs (DDP, FSDP or DeepSpeed from an accelerate config):
  accelerate launch --config_file my_accelerate.yaml -m treeplay.cli train --method tsp ...

--tasks builtin:train trains on the builtin training split (builtin:train:python: its Python tasks).
The output folder is a model folder (LoRA adapter or full weights, tokenizer) that `--model` of eval and of the
next iteration accept; it also holds trainer_state.json, metrics.jsonl, pairs.ref.jsonl (reference log-probs)
and checkpoints/. Re-running the same command resumes from the latest checkpoint; a finished run is a no-op.
"""


def add_train_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``treeplay train`` to ``subparsers`` and return its parser."""
    summary = "train the main player: sft | dpo | spin | tsp (LoRA or full, resumable, accelerate-ready)"
    parser = subparsers.add_parser("train", help=summary, description="T" + summary[1:] + ".", epilog=EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", choices=METHODS, help="sft | dpo | spin | tsp (default: train.method)")
    parser.add_argument("-o", "--output", type=output_dir("-o"), required=True,
                        help="model folder to write (resumable)")
    parser.add_argument("--tasks", help="tasks.jsonl, or builtin[:<split>[:<language>]] (default: the config's "
                                        "tasks)")
    parser.add_argument("--pairs", type=Path, help="tsp: pairs.jsonl from treeplay pairs")
    parser.add_argument("--trees", type=Path, help="tsp: the trees.jsonl the pairs were extracted from")
    parser.add_argument("--samples", type=Path, help='spin: the opponent\'s programs, {"task_id", "completion"} '
                                                     "lines (default: sample them now)")
    parser.add_argument("--model", help="the model to train (= the reference): 'default', a Hugging Face id, a "
                                        "folder, or a previous iteration's output (overrides model.name)")
    parser.add_argument("--adapter", help="a LoRA adapter folder on top of --model (overrides model.adapter)")
    parser.add_argument("--json", action="store_true", help="print trainer_state.json as one JSON object")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument("--config", metavar="FILE", help="YAML config (see configs/)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted config overrides, e.g. train.lr=5e-5")
    parser.set_defaults(func=run_train)
    return parser


def run_train(args: argparse.Namespace) -> int:
    """Handler of ``treeplay train``."""
    from treeplay.config import dump_config, load_config
    from treeplay.train.trainer import train

    config = load_config(args.config, args.overrides)
    method = args.method or config.train.method
    params = train_params(config.train, method)
    _check_inputs(args, method)
    if config.train.loss_tokens != "all" and method != "tsp":
        raise UsageError(f"train.loss_tokens={config.train.loss_tokens} applies to tsp tree pairs, "
                         f"not --method {method}", fix="drop train.loss_tokens (or set it to all), or use --method tsp")
    tasks = _tasks(args.tasks or config.tasks, config.data_dir)
    loaded = _load(config, args, params.lora)
    groups, fitted = _fit(_groups(method, tasks, loaded, args, config), config.train)
    result = train(loaded, groups, args.output, params, progress=not args.no_progress,
                   notes={"loss_tokens": config.train.loss_tokens, "fit": fitted.as_dict()})
    if not result.skipped and _is_main():
        (args.output / "train_config.yaml").write_text(dump_config(config), encoding="utf-8")
    state = result.state
    if args.json:
        print(json.dumps({k: v for k, v in state.items() if k != "fingerprint"}))
    elif not result.skipped:
        tokens = state["tokens_per_epoch"]
        print(f"trained {method} for {state['global_step']} steps on {state['pairs']} pairs in {state['groups']} "
              f"groups ({tokens['packed']} packed tokens per epoch instead of {tokens['unpacked']}) in "
              f"{state['wall_s']:.1f} s, peak memory {state.get('peak_memory_mb', float('nan')):.0f} MiB -> "
              f"{args.output}")
    return 0


def train_params(train_config: Any, method: str) -> Any:
    """``TrainParams`` from the train config section (its keys carry the same names)."""
    from treeplay.train.trainer import TrainParams

    names = {f.name for f in dataclasses.fields(TrainParams)}
    values = {name: getattr(train_config, name) for name in names if name != "method"}
    return TrainParams(method=method, **values)


def _check_inputs(args: argparse.Namespace, method: str) -> None:
    if method == "tsp" and (args.pairs is None or args.trees is None):
        raise UsageError("tsp trains on tree pairs: it needs --pairs pairs.jsonl and --trees trees.jsonl",
                         fix="pass the pairs (treeplay pairs) and the trees they were extracted from (treeplay grow)")
    if method != "tsp" and (args.pairs is not None or args.trees is not None):
        raise UsageError(f"--pairs and --trees are read by --method tsp only, not {method}",
                         fix="drop them, or use --method tsp")
    if args.samples is not None and method != "spin":
        raise UsageError(f"--samples is read by --method spin only, not {method}", fix="drop it, or use --method spin")


def _tasks(source: str | None, data_dir: str) -> list[Any]:
    from treeplay.data.importers import load_task_sources

    if source is None:
        raise UsageError("no tasks given",
                         fix="pass --tasks tasks.jsonl (or --tasks builtin:train), or set tasks: in the config")
    return load_task_sources(source, data_dir=data_dir, what="--tasks")


def _load(config: Any, args: argparse.Namespace, lora: bool) -> Any:
    """The model to train, merged with its adapters (theta_{t-1}). A full fine-tune on GPU keeps float32 master
    weights (bf16 autocast computes; AdamW steps of ~1e-5 vanish in bf16 weights), whatever model.dtype says for
    generation; under LoRA the frozen base keeps model.dtype and the adapter is float32."""
    from treeplay.engine.loading import load_model, resolve_device

    name = args.model or config.model.name
    adapter = args.adapter if args.adapter is not None else config.model.adapter
    device = config.model.device
    world, local = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto" and world > 1:
        import torch

        device = f"cuda:{local}" if torch.cuda.is_available() else "cpu"
    dtype = config.model.dtype
    if not lora and dtype != "float32" and resolve_device(device).type == "cuda":
        if dtype != "auto":
            print(f"full fine-tuning: float32 master weights (model.dtype={dtype} is for generation)", file=sys.stderr)
        dtype = "float32"
    return load_model(name, adapter=adapter, dtype=dtype, device=device, merge_adapter=True)


def _groups(method: str, tasks: list[Any], loaded: Any, args: argparse.Namespace, config: Any) -> list[Any]:
    from treeplay.train.data import program_groups, sample_programs, sft_groups, tree_groups

    tokenizer, fmt = loaded.tokenizer, config.model.prompt_format
    if method == "tsp":
        from treeplay.records import PreferencePair, Tree, load_jsonl

        pairs = load_jsonl(args.pairs, PreferencePair)
        trees = load_jsonl(args.trees, Tree)
        return tree_groups(pairs, trees, {t.id: t for t in tasks}, max_pairs=config.train.max_pairs)
    if method == "dpo":
        return program_groups(tasks, tokenizer, prompt_format=fmt)
    if method == "sft":
        return sft_groups(tasks, tokenizer, prompt_format=fmt)
    samples = _spin_samples(tasks, loaded, args, config)
    return program_groups(tasks, tokenizer, rejected=sample_programs(samples, tasks), prompt_format=fmt)


def _fit(groups: list[Any], train_config: Any) -> tuple[list[Any], Any]:
    """``train.loss_tokens`` and ``train.max_length`` applied to the groups (``train.fit``); says what was cut."""
    from treeplay.train.fit import fit_max_length, region_only

    if train_config.loss_tokens == "region":
        groups = region_only(groups)
    groups, report = fit_max_length(groups, train_config.max_length)
    if report.skipped and not groups:
        raise DataError(f"every pair is longer than train.max_length={train_config.max_length} tokens in its prompt "
                        "and node region alone", fix="raise train.max_length")
    if report.line() and _is_main():
        print(report.line(), file=sys.stderr)
    return groups, report


def _spin_samples(tasks: list[Any], loaded: Any, args: argparse.Namespace, config: Any) -> list[Any]:
    """SPIN's opponent data: ``--samples``, or whole programs sampled now from every task's prompt by the model as
    loaded (the previous iteration), like tree branches (grow.*), into OUT/spin_samples.jsonl (a resume reuses it).
    Under ``accelerate launch`` rank 0 samples first; the others then find every sample in the file."""
    from treeplay.records import Candidate, load_jsonl

    if args.samples is not None:
        return load_jsonl(args.samples, Candidate)
    if config.train.spin_samples < 1:
        raise ConfigError("must be at least 1", key="train.spin_samples")
    from accelerate import PartialState

    from treeplay.engine.backends import SamplingParams
    from treeplay.engine.generate import generate_all
    from treeplay.engine.hf_backend import HFBackend

    grow = config.grow
    sampling = SamplingParams(width=config.train.spin_samples, temperature=grow.temperature, top_p=grow.top_p,
                              max_new_tokens=grow.max_new_tokens)
    with PartialState(cpu=loaded.device.type == "cpu").main_process_first():
        samples, _stats = generate_all([t for t in tasks if t.golden is not None],
                                       HFBackend(loaded.model, loaded.tokenizer), loaded.tokenizer, sampling,
                                       args.output / SPIN_SAMPLES, seed=grow.seed, stop=grow.stop,
                                       prompt_format=config.model.prompt_format, progress=not args.no_progress)
    return samples


def _is_main() -> bool:
    return int(os.environ.get("RANK", "0")) == 0
