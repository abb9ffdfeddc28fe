"""treeplay's DPO equals TRL's: same pairs, same model, same loss and gradients.

TRL's ``DPOTrainer`` is built from a text data set (prompt / chosen / rejected); its own tokenized data set
(``prompt_ids``, ``chosen_ids``, ``rejected_ids``, EOS appended to both completions) becomes treeplay's
``SequencePair``s, so both sides score exactly the same tokens. TRL's loss is computed by the trainer itself
(``compute_loss`` on a batch from its collator), with a second random model as the reference so that the
reference terms of the margin are not zero.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch

from treeplay.engine.tiny import tiny_model_and_tokenizer
from treeplay.train.losses import preference_loss
from treeplay.train.packing import SequencePair, pack_pairs, packed_logps, pairs_logps_unpacked

BETA = 0.1

# Several prompts; the first two pairs share a prompt, as the pairs of one risk node do.
ROWS = [
    {"prompt": "def read_file(base, name):\n    path = ",
     "chosen": "os.path.realpath(os.path.join(base, name))\n",
     "rejected": "os.path.join(base, name)\n"},
    {"prompt": "def read_file(base, name):\n    path = ",
     "chosen": "os.path.realpath(os.path.join(base, name))\n",
     "rejected": "base + '/' + name\n    with open(path) as fh:\n"},
    {"prompt": "def search_users(conn, name, limit=20):\n    limit = int(limit)\n    cur = conn.execute(",
     "chosen": "\"SELECT id, name FROM users WHERE name LIKE ? LIMIT ?\", (name, limit))\n",
     "rejected": "\"SELECT id, name FROM users WHERE name LIKE '%\" + name + \"%'\")\n"},
    {"prompt": "int copy_name(char *dst, size_t size, const char *src)\n{\n",
     "chosen": "    size_t n = strlen(src);\n    if (n + 1 > size)\n        return -1;\n",
     "rejected": "    strcpy(dst, src);\n    return 0;\n"},
    {"prompt": "def search_users(conn, name, limit=20):\n    limit = int(limit)\n    cur = conn.execute(",
     "chosen": "\"SELECT id FROM users WHERE name = ?\", (name,))\n",
     "rejected": "f\"SELECT id FROM users WHERE name = '{name}'\")\n"},
]


def trl_trainer(policy: Any, ref: Any, tokenizer: Any, output_dir: Path) -> Any:
    """A TRL DPOTrainer on ROWS as text: fp32, no truncation, no dropout, no reporting, all pairs in one batch."""
    trl = pytest.importorskip("trl", reason="TRL is not installed (pip install trl): nothing to compare with")
    datasets = pytest.importorskip("datasets", reason="TRL needs the datasets package")
    args = trl.DPOConfig(output_dir=str(output_dir), beta=BETA, max_length=None, loss_type=["sigmoid"],
                         per_device_train_batch_size=len(ROWS), report_to=[], bf16=False, fp16=False,
                         disable_dropout=True, use_cpu=True, dataloader_num_workers=0,
                         train_sampling_strategy="sequential", save_strategy="no", logging_strategy="no",
                         **no_checkpointing(trl.DPOConfig))
    dataset = datasets.Dataset.from_list(ROWS)
    return trl.DPOTrainer(model=policy, ref_model=ref, args=args, train_dataset=dataset, processing_class=tokenizer)


def no_checkpointing(config_class: type) -> dict[str, bool]:
    """Activation checkpointing off (TRL turns it on by default), under the name this transformers version uses."""
    names = {f.name for f in dataclasses.fields(config_class)}
    return {"activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing": False}


def tokenized_pairs(trainer: Any) -> list[SequencePair]:
    """TRL's own tokenization of every row, as treeplay pairs (context = TRL's prompt_ids)."""
    return [SequencePair(tuple(r["prompt_ids"]), tuple(r["chosen_ids"]), tuple(r["rejected_ids"]))
            for r in trainer.train_dataset]


def packed_per_prompt(model: Any, pairs: Sequence[SequencePair]) -> torch.Tensor:
    """[2P] log-probs (chosen, rejected per pair, in input order) from one packed pass per distinct prompt."""
    groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for index, pair in enumerate(pairs):
        groups[pair.context].append(index)
    out: list[torch.Tensor | None] = [None] * (2 * len(pairs))
    for indices in groups.values():
        logps = packed_logps(model, pack_pairs([pairs[i] for i in indices]), chunk=4)  # logits 4 positions at once
        for j, i in enumerate(indices):
            out[2 * i], out[2 * i + 1] = logps[2 * j], logps[2 * j + 1]
    return torch.stack(out)  # type: ignore[arg-type]


def dpo_loss(policy_logps: torch.Tensor, ref_logps: torch.Tensor) -> torch.Tensor:
    """Mean sigmoid DPO loss of [2P] interleaved (chosen, rejected) log-probs."""
    return preference_loss(policy_logps[0::2], policy_logps[1::2], ref_logps[0::2], ref_logps[1::2],
                           beta=BETA, loss="sigmoid").losses.mean()


@pytest.mark.filterwarnings("ignore::FutureWarning")  # TRL reads deprecated transformers names
def test_matches_trl_dpo(tmp_path):
    """Packed (vocabulary logits in chunks) and unpacked treeplay DPO give TRL DPOTrainer's loss (1e-4) and its
    gradients."""
    policy, tokenizer = tiny_model_and_tokenizer(seed=0)
    ref, _ = tiny_model_and_tokenizer(seed=1)
    trainer = trl_trainer(policy, ref, tokenizer, tmp_path / "trl")
    pairs = tokenized_pairs(trainer)
    eos = tokenizer.eos_token_id
    assert all(p.chosen[-1] == eos and p.rejected[-1] == eos for p in pairs)  # TRL appended EOS: we score it too
    assert len({p.context for p in pairs}) < len(pairs)  # some pairs share a prompt: packed together

    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(len(pairs))])
    policy.zero_grad()
    trl_loss = trainer.compute_loss(policy, batch)
    trl_loss.backward()
    trl_loss = trl_loss.detach()
    trl_grads = {name: p.grad.detach().clone() for name, p in policy.named_parameters()}
    policy.zero_grad()

    with torch.no_grad():
        ref_logps = packed_per_prompt(ref, pairs)
        torch.testing.assert_close(ref_logps, pairs_logps_unpacked(ref, pairs), rtol=1e-6, atol=1e-5)
    packed = dpo_loss(packed_per_prompt(policy, pairs), ref_logps)
    with torch.no_grad():
        unpacked = dpo_loss(pairs_logps_unpacked(policy, pairs), ref_logps)
    assert abs(float(trl_loss) - float(packed.detach())) < 1e-4
    assert abs(float(trl_loss) - float(unpacked)) < 1e-4
    assert abs(float(trl_loss) - math.log(2)) > 1e-3  # the reference terms are not trivial (h != 0)

    names = [name for name, _ in policy.named_parameters()]
    grads = torch.autograd.grad(packed, [p for _, p in policy.named_parameters()])
    for name, grad in zip(names, grads, strict=True):
        torch.testing.assert_close(grad, trl_grads[name], rtol=1e-4, atol=1e-6, msg=lambda m, n=name: f"{n}: {m}")
    assert sum(float(g.abs().sum()) for g in grads) > 0
