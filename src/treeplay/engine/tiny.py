"""A tiny randomly initialised Llama-shaped model and an offline byte-level BPE tokenizer, for fast tests.

``tiny_model_and_tokenizer(seed=0)`` builds both in well under a second with no file and no network. The
tokenizer is a real byte-level BPE (the same family as SmolLM2's and Llama 3's) trained on a small fixed code
corpus, so merges such as ``"\\n    "`` and ``" return"`` exist and the token/line boundary cases of real models
show up in tests; it round-trips any text. It has ChatML special tokens and, unless ``chat=False``, a ChatML chat
template. The model's weights depend only on ``seed`` (a private RNG: the global torch RNG is left alone); they
are drawn with a larger spread than usual (0.1 instead of 0.02) so that greedy decoding has clear winners (tests
compare tokens) while logits stay small enough for float32 comparisons at 1e-5.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

SPECIAL = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

CORPUS = '''import os
import re
import sqlite3
import subprocess


def search_users(conn, name, limit=20):
    """Return users whose name contains name."""
    limit = int(limit)
    cur = conn.execute("SELECT id, name FROM users WHERE name LIKE ? LIMIT ?", ("%" + name + "%", limit))
    return [tuple(row) for row in cur.fetchall()]


def read_file(base, name):
    path = os.path.realpath(os.path.join(base, name))
    if not path.startswith(os.path.realpath(base) + os.sep):
        raise ValueError("path escapes the base folder")
    with open(path, "rb") as fh:
        return fh.read()


class Store:
    def __init__(self, root):
        self.root = root

    def run(self, args):
        return subprocess.run(["tar", "-czf", "-", "--", *args], check=True, capture_output=True).stdout

#include <stdlib.h>
#include <string.h>

int copy_name(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n + 1 > size)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

function render(req, res) {
    const name = String(req.query.name || "");
    res.send(`<p>${escapeHtml(name)}</p>`);
}
'''


@lru_cache(maxsize=4)
def _tokenizer_json(vocab_size: int) -> str:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIAL), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([CORPUS] * 4, trainer=trainer)
    return tok.to_str()


def tiny_tokenizer(vocab_size: int = 512, chat: bool = True) -> Any:
    """A byte-level BPE tokenizer (ChatML specials; EOS = ``<|im_end|>``) as a transformers tokenizer."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer.from_str(_tokenizer_json(vocab_size))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                        pad_token="<|endoftext|>", unk_token="<|endoftext|>")
    tokenizer.chat_template = CHAT_TEMPLATE if chat else None
    return tokenizer


def tiny_config(vocab_size: int, **overrides: Any) -> Any:
    """A Llama config of a few hundred thousand parameters (2 layers, grouped-query attention, RoPE)."""
    from transformers import LlamaConfig

    settings = dict(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                    initializer_range=0.1, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2,
                    pad_token_id=0)
    settings.update(overrides)
    return LlamaConfig(**settings)


def tiny_model_and_tokenizer(seed: int = 0, chat: bool = True, **config: Any) -> tuple[Any, Any]:
    """(model, tokenizer): a random tiny ``LlamaForCausalLM`` in float32 eval mode on CPU, and its tokenizer."""
    import torch
    from transformers import LlamaForCausalLM

    tokenizer = tiny_tokenizer(chat=chat)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(tiny_config(len(tokenizer), **config))
    model.eval()
    return model, tokenizer
