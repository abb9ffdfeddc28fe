"""Training test helpers: the tiny model as a folder, three short tasks, tree pairs, parameter snapshots."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from treeplay.records import Task

Q = '"'
TASKS = (
    Task(id="sql", language="python", cwes=("CWE-89",), prompt="Find users by name.", prefix="def find(db, name):\n",
         golden=f"def find(db, name):\n    return db.execute({Q}SELECT id FROM users WHERE name = ?{Q}, (name,))\n",
         vulnerable=(f"def find(db, name):\n    return db.execute({Q}SELECT id FROM users WHERE name = '{Q} + name)\n",
                     "def find(db, name):\n    return db.execute('SELECT * FROM users WHERE name = %s' % name)\n")),
    Task(id="cmd", language="python", cwes=("CWE-78",), prompt="Archive a folder.", prefix="def pack(path):\n",
         golden="def pack(path):\n    return subprocess.run(['tar', '-czf', 'out.tgz', '--', path], check=True)\n",
         vulnerable=("def pack(path):\n    return subprocess.run('tar -czf out.tgz ' + path, shell=True)\n",)),
    Task(id="path", language="python", cwes=("CWE-22",), prompt="Read a file under base.",
         prefix="def read(base, n):\n",
         golden="def read(base, n):\n    p = os.path.realpath(os.path.join(base, n))\n"
                "    if not p.startswith(base + os.sep):\n        raise ValueError(n)\n    return open(p).read()\n",
         vulnerable=("def read(base, n):\n    return open(os.path.join(base, n)).read()\n",)),
)


def save_tiny(folder: Path) -> Path:
    """The tiny random Llama (seed 0) and its tokenizer saved as a model folder ``load_model`` reads."""
    from treeplay.engine.tiny import tiny_model_and_tokenizer

    model, tokenizer = tiny_model_and_tokenizer(seed=0)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def tree_groups_of_fixtures() -> tuple[list[Any], Any, Any]:
    """(groups, pairs, tree): the paper-mode pairs of the hand-built tree of tests/tree/fixtures.py."""
    from tests.tree.fixtures import TASK, make_tree
    from treeplay.train.data import tree_groups
    from treeplay.tree.pairs import extract_pairs

    tree = make_tree()
    pairs = extract_pairs([tree], {"t": TASK}, mode="paper").pairs
    return tree_groups(pairs, [tree], {"t": TASK}), pairs, tree


def groups_for(method: str, tokenizer: Any) -> list[Any]:
    """Training groups of ``method`` on TASKS (spin: hand-written samples; tsp: the fixture tree's pairs)."""
    from treeplay.records import Candidate
    from treeplay.train.data import program_groups, sample_programs, sft_groups

    tasks = list(TASKS)
    if method == "sft":
        return sft_groups(tasks, tokenizer)
    if method == "dpo":
        return program_groups(tasks, tokenizer)
    if method == "spin":
        samples = [Candidate(task_id=t.id, completion="    return None\n") for t in tasks]
        samples.append(Candidate(task_id="sql", completion="    pass\n"))
        return program_groups(tasks, tokenizer, rejected=sample_programs(samples, tasks))
    return tree_groups_of_fixtures()[0]


def snapshot(model: Any) -> dict[str, Any]:
    """Every parameter, detached and copied, by name (PEFT's wrapper prefixes and LoRA layer names dropped)."""
    return {plain_name(n): p.detach().clone() for n, p in model.named_parameters()}


def plain_name(name: str) -> str:
    return name.replace("base_model.model.", "").replace(".base_layer", "")


def checksum(model: Any) -> str:
    """sha256 over every parameter's bytes, in name order."""
    digest = hashlib.sha256()
    for name, p in sorted(model.named_parameters()):
        digest.update(name.encode())
        digest.update(p.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()
