"""``build_backend``: the generation backend a ``grow`` or ``eval`` config section names, with its tokenizer.

Apart from ``backends`` (the protocol and the fake), which the backends themselves import.
"""

from __future__ import annotations

from typing import Any


def build_backend(backend: str, model_name: str, *, adapter: str | None = None, dtype: str = "auto",
                  device: str = "auto", endpoint: str | None = None, max_batch: int = 64) -> tuple[Any, Any]:
    """(backend, tokenizer) for ``grow.backend``: the hf engine on a loaded model, or an OpenAI-compatible server
    (which needs only the model's tokenizer locally)."""
    if backend == "openai":
        from treeplay.engine.loading import load_tokenizer
        from treeplay.engine.openai_backend import OpenAIBackend

        tokenizer = load_tokenizer(model_name)
        return OpenAIBackend(endpoint or "", model_name, tokenizer), tokenizer
    from treeplay.engine.hf_backend import HFBackend
    from treeplay.engine.loading import load_model

    loaded = load_model(model_name, adapter=adapter, dtype=dtype, device=device, merge_adapter=True)
    return HFBackend(loaded.model, loaded.tokenizer, max_batch=max_batch), loaded.tokenizer
