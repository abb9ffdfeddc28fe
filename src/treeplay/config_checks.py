"""The value rules of every config key, checked before any command writes anything (``Config.validate``).

``config.py`` checks keys and types; this module checks values: counts and widths at least 1, learning rates and
time limits finite and positive, probabilities in range, names of methods, modes and analyzers known. A bad value
found only when its stage starts would leave a half-made run folder behind (a self-play run writes config.yaml
first, and then refuses the corrected command as "a different config"); found here, nothing is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

from treeplay.errors import ConfigError

# Named here without importing torch (train/losses.py LOSSES, train/trainer.py SCHEDULES; tests compare them).
LOSSES = ("sigmoid", "ipo", "hinge")
SCHEDULES = ("cosine", "linear", "constant")
CHECKPOINTING = ("selective", "full", "none")  # train/memory.py CHECKPOINTING
LOSS_TOKENS = ("all", "region")  # train/fit.py LOSS_TOKENS
STOPS = ("function", "none")
GROW_STOPS = ("function", "statement", "none")  # statement: local branches (engine/statements.py)
BACKENDS = ("hf", "openai")
_DEVICE = re.compile(r"auto|cpu|mps|xpu|cuda(:\d+)?")

Check = tuple[str, bool, str]  # (key, value is fine, what it must be)


def check_config(config: Any) -> None:
    """Raise ConfigError naming the first key whose value no stage could use (see the module docstring)."""
    for key, ok, expected in _checks(config):
        if not ok:
            value = _value(config, key)
            raise ConfigError(f"must be {expected}, got {value!r}", key=key, fix=f"set {key} to {expected}")
    for name in ("grow", "eval"):
        section = getattr(config, name)
        if section.backend == "openai" and not section.endpoint:
            raise ConfigError("the openai backend needs a server URL", key=f"{name}.endpoint",
                              fix=f"e.g. {name}.endpoint=http://localhost:8000/v1")


def _checks(c: Any) -> Iterator[Check]:
    from treeplay.eval.benchmarks import BENCHMARKS
    from treeplay.records import LANGUAGES

    yield ("name", _plain_name(c.name), "a folder name (not empty, no '..', not absolute)")
    yield ("out_dir", bool(c.out_dir.strip()), "a folder")
    yield ("tasks", c.tasks is None or bool(c.tasks.strip()), "null or task sources (builtin:train, a tasks.jsonl)")
    yield ("languages", _all_in(c.languages, LANGUAGES), f"a list of: {', '.join(LANGUAGES)}")
    yield ("iterations", c.iterations >= 0, "0 (evaluate the base model only) or more")
    yield ("iterations", c.iterations >= 1 or c.eval.base, "at least 1, or 0 with eval.base: true (a run that "
           "only evaluates the base model)")
    yield from _model_checks(c.model)
    yield from _nodes_checks(c.nodes)
    yield from _sampling_checks("grow", c.grow, ("width", c.grow.width))
    yield ("grow.depth", c.grow.depth >= 1, "at least 1")
    yield ("grow.max_batch", c.grow.max_batch >= 1, "at least 1")
    yield ("grow.redraws", c.grow.redraws >= 0, "0 (keep every draw) or more")
    yield ("grow.redraws", c.grow.redraws == 0 or c.grow.depth == 1, "0 with grow.depth > 1")
    yield ("grow.depth", c.grow.depth == 1 or c.grow.stop != "statement", "1 with grow.stop=statement")
    yield from _score_checks(c.score)
    yield from _pairs_checks(c.pairs)
    yield from _train_checks(c.train)
    ev = c.eval
    yield from _sampling_checks("eval", ev, ("n_samples", ev.n_samples))
    yield ("eval.benchmark", bool(ev.benchmark.strip()), f"a benchmark ({', '.join(BENCHMARKS)}) or task sources")
    yield ("eval.benchmarks", all(b.strip() for b in ev.benchmarks), "a list of benchmarks (none empty)")
    yield ("eval.bootstrap", ev.bootstrap >= 1, "at least 1")
    yield ("eval.limit", ev.limit is None or ev.limit >= 1, "null or at least 1")
    yield ("eval.languages", _all_in(ev.languages, LANGUAGES), f"a list of: {', '.join(LANGUAGES)}")


def _model_checks(m: Any) -> Iterator[Check]:
    from treeplay.engine.loading import DTYPES
    from treeplay.engine.prompts import FORMATS

    yield ("model.name", bool(m.name.strip()), "'default', a Hugging Face id or a model folder")
    yield ("model.dtype", m.dtype in DTYPES, " | ".join(DTYPES))
    yield ("model.device", bool(_DEVICE.fullmatch(m.device)), "auto | cpu | cuda | cuda:N")
    yield ("model.prompt_format", m.prompt_format in FORMATS, " | ".join(FORMATS))


def _nodes_checks(n: Any) -> Iterator[Check]:
    from treeplay.nodes import METHODS

    yield ("nodes.method", n.method in METHODS, " | ".join(METHODS))
    yield ("nodes.top_k", n.top_k >= 1, "at least 1")
    yield ("nodes.max_nodes", n.max_nodes >= 1, "at least 1")


def _sampling_checks(name: str, s: Any, n: tuple[str, int]) -> Iterator[Check]:
    yield (f"{name}.{n[0]}", n[1] >= 1, "at least 1")
    yield (f"{name}.temperature", _finite(s.temperature) and s.temperature >= 0, "0 (greedy) or more, finite")
    yield (f"{name}.top_p", _finite(s.top_p) and 0 < s.top_p <= 1, "in (0, 1]")
    yield (f"{name}.max_new_tokens", s.max_new_tokens >= 1, "at least 1")
    yield (f"{name}.seed", s.seed >= 0, "0 or more")
    yield (f"{name}.backend", s.backend in BACKENDS, " | ".join(BACKENDS))
    stops = GROW_STOPS if name == "grow" else STOPS
    yield (f"{name}.stop", s.stop in stops, " | ".join(stops))


def _score_checks(s: Any) -> Iterator[Check]:
    from treeplay.oracles.base import SEVERITIES
    from treeplay.oracles.profiles import PROFILES
    from treeplay.oracles.static import ANALYZERS

    yield ("score.profile", s.profile in PROFILES, " | ".join(PROFILES))
    yield ("score.analyzers", _all_in(s.analyzers, ANALYZERS), f"a list of: {', '.join(ANALYZERS)} (or [])")
    yield ("score.severity", s.severity in SEVERITIES, " | ".join(SEVERITIES))
    yield ("score.timeout", _finite(s.timeout) and s.timeout > 0, "a finite number of seconds above 0")
    yield ("score.workers", s.workers >= 1, "at least 1")


def _pairs_checks(p: Any) -> Iterator[Check]:
    from treeplay.tree.pairs import INHERITED, MODES

    yield ("pairs.mode", p.mode in MODES, " | ".join(MODES))
    yield ("pairs.inherited_findings", p.inherited_findings in INHERITED, " | ".join(INHERITED))
    yield ("pairs.inherited_findings", p.inherited_findings == "count" or p.mode == "verified",
           "count unless pairs.mode is verified (paper mode judges no branch)")


def _train_checks(t: Any) -> Iterator[Check]:
    from treeplay.train import METHODS

    yield ("train.method", t.method in METHODS, " | ".join(METHODS))
    yield ("train.loss", t.loss in LOSSES, " | ".join(LOSSES))
    yield ("train.schedule", t.schedule in SCHEDULES, " | ".join(SCHEDULES))
    for key in ("beta", "lr"):
        yield (f"train.{key}", _finite(getattr(t, key)) and getattr(t, key) > 0, "a finite number above 0")
    for key in ("sft_weight", "weight_decay"):
        yield (f"train.{key}", _finite(getattr(t, key)) and getattr(t, key) >= 0, "a finite number, 0 or more")
    yield ("train.max_grad_norm", not math.isnan(t.max_grad_norm) and t.max_grad_norm >= 0,
           "0 (no clipping) or more")
    yield ("train.warmup_ratio", _finite(t.warmup_ratio) and 0 <= t.warmup_ratio < 1, "in [0, 1)")
    yield ("train.lora_dropout", _finite(t.lora_dropout) and 0 <= t.lora_dropout < 1, "in [0, 1)")
    for key in ("lora_r", "lora_alpha", "epochs", "batch_size", "grad_accum", "save_steps", "keep_checkpoints",
                "spin_samples"):
        yield (f"train.{key}", getattr(t, key) >= 1, "at least 1")
    yield ("train.checkpointing", t.checkpointing in CHECKPOINTING, " | ".join(CHECKPOINTING))
    for key in ("max_steps", "max_pairs", "logits_chunk", "heap_budget_mb"):
        yield (f"train.{key}", getattr(t, key) is None or getattr(t, key) >= 1, "null or at least 1")
    yield ("train.loss_tokens", t.loss_tokens in LOSS_TOKENS, " | ".join(LOSS_TOKENS))
    yield ("train.loss_tokens", t.loss_tokens == "all" or t.method == "tsp",
           "all unless train.method is tsp (only tree pairs of local branches have a region)")
    yield ("train.max_length", t.max_length is None or t.max_length >= 2, "null or at least 2")
    yield ("train.seed", t.seed >= 0, "0 or more")
    yield ("train.launcher", t.launcher is None or bool(t.launcher.strip()), "null or a command line")


def _finite(value: float) -> bool:
    return math.isfinite(value)


def _all_in(values: Sequence[str], known: Sequence[str]) -> bool:
    return all(v in known for v in values)


def _plain_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return bool(name.strip()) and not name.startswith("/") and ".." not in parts


def _value(config: Any, key: str) -> Any:
    value = config
    for part in key.split("."):
        value = getattr(value, part)
    return list(value) if isinstance(value, tuple) else value


def check_sampling(name: str, *, section: Any, n: tuple[str, int], prompt_format: str,
                   extra: Sequence[tuple[str, bool, str]] = ()) -> None:
    """Check the sampling keys of a config section (``grow`` or ``eval``): bad values are ConfigErrors naming
    the key. ``n`` is the (key, value) of the samples per fork; ``extra`` more (key, ok, expected) checks."""
    from treeplay.engine.prompts import FORMATS

    stops = ("function", "statement", "none") if name == "grow" else ("function", "none")
    checks = [(f"{name}.{n[0]}", n[1] >= 1, "at least 1"),
              (f"{name}.max_new_tokens", section.max_new_tokens >= 1, "at least 1"),
              (f"{name}.temperature", section.temperature >= 0, "0 (greedy) or more"),
              (f"{name}.top_p", 0 < section.top_p <= 1, "in (0, 1]"),
              (f"{name}.backend", section.backend in ("hf", "openai"), "hf or openai"),
              (f"{name}.stop", section.stop in stops, " or ".join(stops)),
              ("model.prompt_format", prompt_format in FORMATS, " | ".join(FORMATS)), *extra]
    for key, ok, expected in checks:
        if not ok:
            raise ConfigError(f"must be {expected}", key=key, fix=f"set {key} to {expected}")
    if section.backend == "openai" and not section.endpoint:
        raise ConfigError("the openai backend needs a server URL", key=f"{name}.endpoint",
                          fix=f"e.g. {name}.endpoint=http://localhost:8000/v1")
