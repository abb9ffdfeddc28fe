"""``treeplay eval --model``: sampling with a (tiny, random) model folder, then judging; a re-run resumes."""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import run_subcommand
from treeplay.data.builtin import load_builtin
from treeplay.eval.eval_cmd import add_eval_parser
from treeplay.records import Candidate, load_jsonl, write_jsonl

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from treeplay.engine.tiny import tiny_model_and_tokenizer

    model, tokenizer = tiny_model_and_tokenizer(seed=0)
    folder = tmp_path_factory.mktemp("tiny-model")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_model_samples_are_judged_and_a_rerun_generates_nothing(model_dir, tmp_path, capsys):
    tasks = tmp_path / "tasks.jsonl"
    write_jsonl(tasks, [t for t in load_builtin() if t.language == "python"][:2])
    out = tmp_path / "eval"
    argv = ["--benchmark", str(tasks), "--model", str(model_dir), "--out", str(out), "--no-progress",
            "eval.n_samples=2", "eval.max_new_tokens=12", "eval.temperature=1.0", "eval.stop=none",
            "score.analyzers=[]", "score.run_tests=false", "model.device=cpu"]
    assert run_subcommand(add_eval_parser, "eval", argv) == 0
    generated = (out / "generations.jsonl").read_bytes()
    cands = load_jsonl(out / "generations.jsonl", Candidate)
    assert [c.candidate_id.rsplit("/", 1)[1] for c in cands] == ["s0", "s1", "s0", "s1"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["model"], metrics["n"], metrics["tasks"], metrics["n_samples"]) == (str(model_dir), 4, 2, 2)
    assert metrics["func@1"] is None  # tests were switched off
    capsys.readouterr()
    assert run_subcommand(add_eval_parser, "eval", argv) == 0
    assert "already generated" in capsys.readouterr().err
    assert (out / "generations.jsonl").read_bytes() == generated
