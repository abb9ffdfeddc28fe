"""Training test fixtures: single-threaded torch, the tiny random Llama."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)
