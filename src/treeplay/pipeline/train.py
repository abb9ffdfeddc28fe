"""``train``: the main player's update (sft, dpo, spin or tsp) -> its model folder (``treeplay train``)."""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from treeplay.config import GrowConfig, ModelConfig, TrainConfig
from treeplay.errors import ConfigError, DataError, UsageError
from treeplay.progress import OnProgress

SPIN_SAMPLES = "spin_samples.jsonl"


@dataclass(frozen=True)
class TrainResult:
    """What ``train`` did: the model folder and the trainer's state (``trainer_state.json``); ``skipped`` when
    the folder already held the finished model."""

    output: Path
    method: str
    state: dict[str, Any]
    skipped: bool

    def message(self) -> str | None:
        if self.skipped:
            return None
        s, tokens = self.state, self.state["tokens_per_epoch"]
        return (f"trained {self.method} for {s['global_step']} steps on {s['pairs']} pairs in {s['groups']} groups "
                f"({tokens['packed']} packed tokens per epoch instead of {tokens['unpacked']}) in {s['wall_s']:.1f} "
                f"s, peak memory {s.get('peak_memory_mb', float('nan')):.0f} MiB -> {self.output}")


def train_model(tasks: str | None, output: Path, *, settings: TrainConfig | None = None,
                model: ModelConfig | None = None, grow: GrowConfig | None = None, pairs: Path | None = None,
                trees: Path | None = None, samples: Path | None = None, data_dir: str = "data",
                config_text: str | None = None, progress: bool = False,
                on_progress: OnProgress | None = None) -> TrainResult:
    """Train ``model`` (merged with its adapter: theta_{t-1}, also the frozen reference) with
    ``settings.method`` on ``tasks`` (task sources, as the ``tasks`` key) and write the main player to ``output``
    (a re-run resumes from its last checkpoint).

    tsp reads ``pairs`` and the ``trees`` they came from; spin reads the opponent's ``samples`` or samples them
    now with the grow section's settings. ``config_text`` (the resolved config) is kept beside the model as
    train_config.yaml. ``progress``: bars on stderr; ``on_progress``: called with ("generate", tasks sampled, tasks)
    while spin samples, then ("train", optimizer steps done, steps of the run) (``treeplay.progress``)."""
    from treeplay.train.trainer import train as run_trainer

    settings = TrainConfig() if settings is None else settings
    model = ModelConfig() if model is None else model
    grow = GrowConfig() if grow is None else grow
    method = settings.method
    params = train_params(settings, method)
    _check_inputs(method, pairs, trees, samples)
    if settings.loss_tokens != "all" and method != "tsp":
        raise UsageError(f"train.loss_tokens={settings.loss_tokens} applies to tsp tree pairs, "
                         f"not --method {method}", fix="drop train.loss_tokens (or set it to all), or use --method tsp")
    task_list = _tasks(tasks, data_dir)
    loaded = _load(model, params.lora)
    if method == "spin":
        rejected = _spin_samples(task_list, loaded, samples, output, settings, grow, model.prompt_format, progress,
                                 on_progress)
    else:
        rejected = None
    groups, fitted = _fit(_groups(method, task_list, loaded, pairs, trees, rejected, settings, model.prompt_format),
                          settings)
    result = run_trainer(loaded, groups, output, params, progress=progress, on_progress=on_progress,
                         notes={"loss_tokens": settings.loss_tokens, "fit": fitted.as_dict()})
    if not result.skipped and _is_main() and config_text is not None:
        (output / "train_config.yaml").write_text(config_text, encoding="utf-8")
    return TrainResult(output, method, result.state, result.skipped)


def train_params(train_config: TrainConfig, method: str) -> Any:
    """``TrainParams`` (the train section, checked) from the train config section, with ``method``."""
    from treeplay.train.trainer import TrainParams

    values = {f.name: getattr(train_config, f.name) for f in dataclasses.fields(TrainConfig)}
    return TrainParams(**{**values, "method": method})


def _check_inputs(method: str, pairs: Path | None, trees: Path | None, samples: Path | None) -> None:
    if method == "tsp" and (pairs is None or trees is None):
        raise UsageError("tsp trains on tree pairs: it needs --pairs pairs.jsonl and --trees trees.jsonl",
                         fix="pass the pairs (treeplay pairs) and the trees they were extracted from (treeplay grow)")
    if method != "tsp" and (pairs is not None or trees is not None):
        raise UsageError(f"--pairs and --trees are read by --method tsp only, not {method}",
                         fix="drop them, or use --method tsp")
    if samples is not None and method != "spin":
        raise UsageError(f"--samples is read by --method spin only, not {method}", fix="drop it, or use --method spin")


def _tasks(source: str | None, data_dir: str) -> list[Any]:
    from treeplay.data.importers import load_task_sources

    if source is None:
        raise UsageError("no tasks given",
                         fix="pass --tasks tasks.jsonl (or --tasks builtin:train), or set tasks: in the config")
    return load_task_sources(source, data_dir=data_dir, what="--tasks")


def _load(model: ModelConfig, lora: bool) -> Any:
    """The model to train, merged with its adapters (theta_{t-1}). A full fine-tune on GPU keeps float32 master
    weights (bf16 autocast computes; AdamW steps of ~1e-5 vanish in bf16 weights), whatever model.dtype says for
    generation; under LoRA the frozen base keeps model.dtype and the adapter is float32."""
    from treeplay.engine.loading import load_model, resolve_device

    device = model.device
    world, local = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto" and world > 1:
        import torch

        device = f"cuda:{local}" if torch.cuda.is_available() else "cpu"
    dtype = model.dtype
    if not lora and dtype != "float32" and resolve_device(device).type == "cuda":
        if dtype != "auto":
            print(f"full fine-tuning: float32 master weights (model.dtype={dtype} is for generation)", file=sys.stderr)
        dtype = "float32"
    return load_model(model.name, adapter=model.adapter, dtype=dtype, device=device, merge_adapter=True)


def _groups(method: str, tasks: list[Any], loaded: Any, pairs: Path | None, trees: Path | None,
            rejected: list[Any] | None, settings: TrainConfig, prompt_format: str) -> list[Any]:
    from treeplay.train.data import program_groups, sample_programs, sft_groups, tree_groups

    tokenizer = loaded.tokenizer
    if method == "tsp":
        from treeplay.records import PreferencePair, Tree, load_jsonl

        return tree_groups(load_jsonl(pairs, PreferencePair), load_jsonl(trees, Tree), {t.id: t for t in tasks},
                           max_pairs=settings.max_pairs)
    if method == "dpo":
        return program_groups(tasks, tokenizer, prompt_format=prompt_format)
    if method == "sft":
        return sft_groups(tasks, tokenizer, prompt_format=prompt_format)
    return program_groups(tasks, tokenizer, rejected=sample_programs(rejected or [], tasks),
                          prompt_format=prompt_format)


def _fit(groups: list[Any], settings: TrainConfig) -> tuple[list[Any], Any]:
    """``train.loss_tokens`` and ``train.max_length`` applied to the groups (``train.fit``); says what was cut."""
    from treeplay.train.fit import fit_max_length, region_only

    if settings.loss_tokens == "region":
        groups = region_only(groups)
    groups, report = fit_max_length(groups, settings.max_length)
    if report.skipped and not groups:
        raise DataError(f"every pair is longer than train.max_length={settings.max_length} tokens in its prompt "
                        "and node region alone", fix="raise train.max_length")
    if report.line() and _is_main():
        print(report.line(), file=sys.stderr)
    return groups, report


def _spin_samples(tasks: list[Any], loaded: Any, samples: Path | None, output: Path, settings: TrainConfig,
                  grow: GrowConfig, prompt_format: str, progress: bool,
                  on_progress: OnProgress | None) -> list[Any]:
    """SPIN's opponent data: ``samples``, or whole programs sampled now from every task's prompt by the model as
    loaded (the previous iteration), like tree branches (grow.*), into OUT/spin_samples.jsonl (a resume reuses it).
    Under ``accelerate launch`` rank 0 samples first; the others then find every sample in the file."""
    from treeplay.records import Candidate, load_jsonl

    if samples is not None:
        return load_jsonl(samples, Candidate)
    if settings.spin_samples < 1:
        raise ConfigError("must be at least 1", key="train.spin_samples")
    from accelerate import PartialState

    from treeplay.engine.backends import SamplingParams
    from treeplay.engine.generate import generate_all
    from treeplay.engine.hf_backend import HFBackend

    sampling = SamplingParams(width=settings.spin_samples, temperature=grow.temperature, top_p=grow.top_p,
                              max_new_tokens=grow.max_new_tokens)
    with PartialState(cpu=loaded.device.type == "cpu").main_process_first():
        drawn, _stats = generate_all([t for t in tasks if t.golden is not None],
                                     HFBackend(loaded.model, loaded.tokenizer), loaded.tokenizer, sampling,
                                     output / SPIN_SAMPLES, seed=grow.seed, stop=grow.stop,
                                     prompt_format=prompt_format, progress=progress, on_progress=on_progress)
    return drawn


def _is_main() -> bool:
    return int(os.environ.get("RANK", "0")) == 0
