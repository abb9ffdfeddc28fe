"""Configuration: one frozen dataclass per stage, composed in ``Config``.

Precedence: defaults < YAML file (``--config x.yaml``) < dotted command-line overrides (``grow.width=4``).
Unknown keys and values of the wrong type are errors that name the key (and the file), never ignored.
Library functions take explicit arguments, not a Config: the CLI unpacks the section a stage needs.
Defaults are the paper's settings where the paper fixes them (K=4, T=1.0, top_p=0.95, 1024 new tokens,
sigmoid DPO with beta=0.1 and no SFT term; evaluation at temperature 0.2, top_p 0.9, one sample).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml

from treeplay.engine import DEFAULT_MODEL
from treeplay.errors import ConfigError
from treeplay.oracles.base import DEFAULT_ANALYZERS, DEFAULT_SEVERITY
from treeplay.userdirs import user_cache_dir as user_cache_dir  # re-exported: its former home

# Keys a config could set once, each with its one-line error and fix. A run folder written before a key went keeps
# it in its config.yaml: ``saved_config_matches`` ignores it there, so such a run still resumes.
REMOVED_KEYS: dict[str, tuple[str, str]] = {
    "seed": ("removed: nothing read it (each stage that samples has its own seed)",
             "delete it; set grow.seed, train.seed or eval.seed instead"),
}


@dataclass(frozen=True)
class ModelConfig:
    name: str = DEFAULT_MODEL  # "default" = embedded SmolLM2-135M-Instruct; else a HF id or a local folder
    adapter: str | None = None  # a LoRA adapter folder applied on top
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    prompt_format: str = "auto"  # auto (chat template when the model has one) | chat | inst | raw


@dataclass(frozen=True)
class NodesConfig:
    method: str = "diff"  # annotation | diff | analyzer | entropy | llm
    top_k: int = 4  # entropy: nodes per task
    endpoint: str | None = None  # llm: an OpenAI-compatible base URL
    llm_model: str | None = None
    max_nodes: int = 8


@dataclass(frozen=True)
class GrowConfig:
    width: int = 4  # K branches per risk node (paper: 4)
    temperature: float = 1.0
    top_p: float = 0.95
    max_new_tokens: int = 1024
    depth: int = 1  # 1 = the paper's one-level tree
    backend: str = "hf"  # hf | openai
    endpoint: str | None = None
    stop: str = "function"  # function (language-aware end of function) | statement (local branches) | none
    seed: int = 0
    max_batch: int = 64  # rows decoded together (hf backend); the branches of several tasks share a batch
    redraws: int = 0  # a branch whose program does not parse is drawn again, at most this many times


@dataclass(frozen=True)
class ScoreConfig:
    profile: str = "default"  # default (training labels) | paper (CodeQL's verdicts, the paper's SPR@1)
    analyzers: tuple[str, ...] = DEFAULT_ANALYZERS  # bandit semgrep cppcheck flawfinder codeshield-regex govet redos
    severity: str = DEFAULT_SEVERITY  # low | medium | high: findings below are ignored
    run_tests: bool = True
    timeout: float = 20.0  # seconds per test program
    workers: int = 2
    unsafe_no_sandbox: bool = False

    def __post_init__(self) -> None:
        # A profile other than the default brings its analyzers and severity; values set to anything but the
        # defaults win (score.profile=paper score.severity=high).
        from treeplay.oracles.profiles import PROFILES

        chosen = PROFILES.get(self.profile)
        if chosen is None or self.profile == "default":
            return
        if tuple(self.analyzers) == DEFAULT_ANALYZERS:
            object.__setattr__(self, "analyzers", chosen.analyzers)
        if self.severity == DEFAULT_SEVERITY:
            object.__setattr__(self, "severity", chosen.severity)


@dataclass(frozen=True)
class PairsConfig:
    mode: str = "paper"  # paper (every branch rejected) | verified (oracle-labelled branches)
    # verified mode: count | ignore the findings (and failed tests) a branch's program shares with its golden
    # program, which it did not write (the golden code around a local branch, a weakness the golden code keeps)
    inherited_findings: str = "count"
    export_trl: bool = True


@dataclass(frozen=True)
class TrainConfig:
    method: str = "tsp"  # sft | dpo | spin | tsp
    beta: float = 0.1
    loss: str = "sigmoid"  # sigmoid | ipo | hinge
    sft_weight: float = 0.0
    lora: bool = True
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    lr: float = 1e-5
    epochs: int = 1
    batch_size: int = 1
    grad_accum: int = 8
    warmup_ratio: float = 0.1
    schedule: str = "cosine"  # cosine | linear | constant
    max_grad_norm: float = 1.0
    bf16: bool = True  # used on GPU only
    seed: int = 0
    weight_decay: float = 0.0  # AdamW
    max_steps: int | None = None  # optimizer steps to run (the schedule spans them); None = epochs
    save_steps: int = 50  # checkpoint every N optimizer steps (and at the end)
    keep_checkpoints: int = 2  # the most recent checkpoints kept
    max_pairs: int | None = None  # tsp: pack at most this many pairs of a tree per forward pass (memory)
    spin_samples: int = 1  # spin: programs the opponent samples per task (as grow.temperature/top_p/...)
    launcher: str | None = None  # selfplay: run train through this, e.g. "accelerate launch --config_file a.yaml"
    logits_chunk: int | None = 256  # positions whose vocabulary logits exist at once, forward and backward (null: all)
    checkpointing: str = "selective"  # selective | full | none: activations recomputed in the backward pass
    heap_budget_mb: int | None = 256  # free heap memory a step may keep resident before it is trimmed (null: never)
    loss_tokens: str = "all"  # all | region: tsp local branches score only the tokens up to where they rejoin
    max_length: int | None = None  # tokens of context + longer continuation per pair; longer pairs cut (train.fit)


@dataclass(frozen=True)
class EvalConfig:
    benchmark: str = "builtin"  # securityeval | sec-eval | seccodeplt | cweval | builtin | task sources (as tasks)
    benchmarks: tuple[str, ...] = ()  # selfplay: several task sources, each evaluated and reported on its own
    n_samples: int = 1
    temperature: float = 0.2
    top_p: float = 0.9
    max_new_tokens: int = 512
    seed: int = 0
    backend: str = "hf"  # hf | openai (generation; as grow.backend)
    endpoint: str | None = None  # openai: the server's base URL
    stop: str = "function"  # function (end of the function the prefix opens) | none
    bootstrap: int = 1000  # resamples of the percentile bootstrap behind the pass@k intervals
    data: str | None = None  # the benchmark's input for its importer (all benchmarks but builtin)
    limit: int | None = None  # only the first N tasks of the benchmark
    every_iteration: bool = True  # selfplay: evaluate after every iteration, not only the last
    base: bool = True  # selfplay: evaluate the base model too (iteration 0); off when another run has it
    languages: tuple[str, ...] = ()  # selfplay: keep only evaluation tasks in these languages (empty: all)


@dataclass(frozen=True)
class Config:
    name: str = "run"
    out_dir: str = "runs"
    tasks: str | None = None  # task sources: builtin[:split[:lang]], <format>:<path>, a tasks.jsonl; "+" joins
    languages: tuple[str, ...] = ()  # keep only training tasks in these languages (empty: all)
    data_dir: str = "data"  # replaces {data_dir} in task sources and eval.data
    iterations: int = 2
    model: ModelConfig = field(default_factory=ModelConfig)
    nodes: NodesConfig = field(default_factory=NodesConfig)
    grow: GrowConfig = field(default_factory=GrowConfig)
    score: ScoreConfig = field(default_factory=ScoreConfig)
    pairs: PairsConfig = field(default_factory=PairsConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    def validate(self) -> Config:
        """Check the value of every key of every section (``config_checks``); ConfigError names the first bad
        key. ``load_config`` calls it, so every command has checked everything before it writes anything."""
        from treeplay.config_checks import check_config

        check_config(self)
        return self


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> Config:
    """Defaults, then the YAML file, then ``key.sub=value`` overrides; every key, type and value is checked
    (``Config.validate``). An error names the key, and the file when the value came from it."""
    data: dict[str, Any] = {}
    if path is not None:
        data = read_config_file(Path(path))
    from_file, given = _dotted_keys(data), set[str]()
    for item in overrides:
        key, value = parse_override(item)
        _set_dotted(data, key, value)
        given.add(key)
    config = _build(Config, data, prefix="", file=None)
    try:
        return config.validate()
    except ConfigError as err:
        if path is not None and err.file is None and err.key in from_file - given:
            err.file = str(path)
        raise


def read_config_file(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A YAML config's settings, with those of the files its ``include`` key names (a path relative to it, or a
    list of them) underneath: the included files first, in order, then the file's own keys on top (sections merge
    key by key, any other value replaces the included one). Each file's keys are checked with its own name."""
    data = _read_yaml(path)
    include = data.pop("include", None)
    _build(Config, data, prefix="", file=str(path))  # errors in the file name the file
    if include is None:
        return data
    names = [include] if isinstance(include, str) else include
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise ConfigError("must be a file name or a list of file names", key="include", file=str(path),
                          fix="write include: base.yaml (a path relative to this file)")
    merged: dict[str, Any] = {}
    for name in names:
        base = (path.parent / name).resolve()
        if base in chain or base == path.resolve():
            raise ConfigError(f"includes {name}, which includes this file again", key="include", file=str(path),
                              fix="remove the circular include")
        merged = _merge(merged, read_config_file(base, (*chain, path.resolve())))
    return _merge(merged, data)


def _merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``: mappings merged key by key, other values replaced."""
    out = dict(base)
    for key, value in top.items():
        out[key] = _merge(out[key], value) if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) \
            else value
    return out


def _dotted_keys(data: Mapping[str, Any], prefix: str = "") -> set[str]:
    """Every key of a nested mapping, dotted (``{"grow": {"width": 4}}`` -> ``{"grow", "grow.width"}``)."""
    keys = set()
    for key, value in data.items():
        keys.add(f"{prefix}{key}")
        if isinstance(value, Mapping):
            keys |= _dotted_keys(value, f"{prefix}{key}.")
    return keys


def parse_override(item: str) -> tuple[str, Any]:
    """``'grow.width=4'`` -> ``('grow.width', 4)``; the value is read as YAML (numbers, booleans, lists)."""
    if "=" not in item:
        raise ConfigError(f"override {item!r} is not KEY=VALUE", fix="write e.g. grow.width=4")
    key, raw = item.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError(f"override {item!r} has an empty key", fix="write e.g. grow.width=4")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def config_to_dict(config: Any) -> dict[str, Any]:
    """Plain dict (tuples as lists) for writing the resolved config next to a run."""
    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            value = config_to_dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def dump_config(config: Config) -> str:
    return yaml.safe_dump(config_to_dict(config), sort_keys=False)


def saved_config_matches(saved: str, current: str) -> bool:
    """Whether a run's saved config.yaml (``saved``, its text) is the config ``current`` (``dump_config``'s text):
    the same text, or the same once the top-level keys of ``REMOVED_KEYS`` are taken out of the saved one (a run
    folder written before a key was removed) and the keys added since it was written are given their defaults (a
    new key's default is the behaviour from before it existed, so the run resumes as it began)."""
    if saved == current:
        return True
    try:
        data = yaml.safe_load(saved)
    except yaml.YAMLError:
        return False
    if not isinstance(data, dict):
        return False
    kept = {key: value for key, value in data.items() if key not in REMOVED_KEYS}
    defaults = config_to_dict(Config())
    return _with_added_keys(kept, defaults) == yaml.safe_load(current)


def _with_added_keys(saved: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """``saved`` with every key of ``defaults`` it lacks (in sections too) set to its default."""
    out = dict(saved)
    for key, default in defaults.items():
        if key not in out:
            out[key] = default
        elif isinstance(default, dict) and isinstance(out[key], dict):
            out[key] = _with_added_keys(out[key], default)
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    fix = "pass a YAML config such as configs/demo.yaml"
    if not path.is_file():
        raise ConfigError("is a folder, not a config file" if path.is_dir() else "config file not found",
                          file=path, fix="check the path given to --config")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read the file ({err.strerror or err})", file=path, fix="check its permissions") \
            from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ConfigError(f"not UTF-8 text (line {line}): a binary file?", file=path, fix=fix) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(err, "problem", None) or getattr(err, "reason", None) or err
        raise ConfigError(f"not valid YAML{where}: {problem}", file=path, fix=fix) from None
    except RecursionError:
        raise ConfigError("not valid YAML: nested too deeply", file=path, fix=fix) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"the top level must be a mapping of sections, not a {type(data).__name__}", file=path,
                          fix="write key: value lines (name: x, grow: {width: 4}, ...)")
    return data


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        nxt = node.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise ConfigError(f"'{part}' is a value, not a section", key=key,
                              fix="set either the value or keys below it, not both")
        node = nxt
    node[parts[-1]] = value


def _build(cls: Any, data: Mapping[str, Any], *, prefix: str, file: str | None) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"expected a section (mapping), got {type(data).__name__}",
                          key=prefix.rstrip(".") or None, file=file, fix="write the section's keys below it")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if key not in fields and full in REMOVED_KEYS:
            message, fix = REMOVED_KEYS[full]
            raise ConfigError(message, key=full, file=file, fix=fix)
        if key not in fields:
            close = [n for n in fields if n.startswith(str(key)[:3])]
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError("unknown key", key=full, file=file,
                              fix=f"{hint}known keys here: {', '.join(fields)}")
        tp = hints[key]
        if dataclasses.is_dataclass(tp):
            kwargs[key] = _build(tp, value if value is not None else {}, prefix=f"{full}.", file=file)
        else:
            kwargs[key] = _coerce(tp, value, full, file)
    return cls(**kwargs)


def _coerce(tp: Any, value: Any, key: str, file: str | None) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(args[0], value, key, file)
    if origin is tuple:
        (item_tp, _) = typing.get_args(tp)
        items = value if isinstance(value, (list, tuple)) else [v.strip() for v in str(value).split(",") if v]
        return tuple(_coerce(item_tp, v, key, file) for v in items)
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tp is float and isinstance(value, str):  # YAML 1.1 reads "3e-5" as a string
        try:
            return float(value)
        except ValueError:
            pass
    if tp is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, tp) and not (tp is int and isinstance(value, bool)):
        return value
    raise ConfigError(f"expected {tp.__name__}, got {type(value).__name__} {value!r}", key=key, file=file,
                      fix=f"give {key} a value of type {tp.__name__}")
