"""``treeplay train --method sft|dpo|spin|tsp``: update the main player and write its model folder.

The lead wires ``add_train_parser`` into ``cli.py``. Heavy imports (torch, transformers, peft, accelerate) happen
inside the handler, so building the parser (``treeplay --help``) stays light.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from treeplay.cli_args import output_dir
from treeplay.pipeline.train import SPIN_SAMPLES, _tasks, train_params
from treeplay.train import METHODS

__all__ = ["METHODS", "SPIN_SAMPLES", "_tasks", "add_train_parser", "train_params"]

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
    """Handler of ``treeplay train``: the train and model sections, with --method, --model and --adapter on top."""
    from treeplay.config import dump_config, load_config
    from treeplay.pipeline.train import train_model

    config = load_config(args.config, args.overrides)
    settings = dataclasses.replace(config.train, method=args.method or config.train.method)
    model = dataclasses.replace(config.model, name=args.model or config.model.name,
                                adapter=args.adapter if args.adapter is not None else config.model.adapter)
    result = train_model(args.tasks or config.tasks, args.output, settings=settings, model=model, grow=config.grow,
                   pairs=args.pairs, trees=args.trees, samples=args.samples, data_dir=config.data_dir,
                   config_text=dump_config(config), progress=not args.no_progress)
    if args.json:
        print(json.dumps({k: v for k, v in result.state.items() if k != "fingerprint"}))
    elif result.message():
        print(result.message())
    return 0
