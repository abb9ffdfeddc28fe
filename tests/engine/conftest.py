"""Engine test fixtures: the tiny random Llama and its offline tokenizer, single-threaded torch."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny():
    """(model, tokenizer) of the tiny random Llama; read-only for tests (eval mode, float32, CPU)."""
    from treeplay.engine.tiny import tiny_model_and_tokenizer

    return tiny_model_and_tokenizer(seed=0)


@pytest.fixture(scope="session")
def tiny_model(tiny):
    return tiny[0]


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny):
    return tiny[1]
