"""train.loss_tokens (a local branch's region only) and train.max_length (pairs cut around their node): the loss
against a value computed by hand from plain causal passes, and what truncation keeps."""

from __future__ import annotations

import math

import pytest
import torch

from treeplay.engine.tiny import tiny_model_and_tokenizer
from treeplay.train.data import PairGroup
from treeplay.train.fit import CUT_STEP, fit_max_length, fit_pair, region_only
from treeplay.train.objective import group_loss
from treeplay.train.packing import SequencePair, pack_pairs
from treeplay.train.reference import compute_reference_logps

BETA = 0.1


def token_logps_by_hand(model: torch.nn.Module, context: tuple[int, ...], completion: tuple[int, ...]) -> list[float]:
    """log p(completion[i] | context, completion[:i]) for every i, from one plain causal pass and a full
    log-softmax (no packing, no chunking, no logits_to_keep)."""
    ids = torch.tensor([[*context, *completion]])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0].float()
    logps = torch.log_softmax(logits, dim=-1)
    return [float(logps[len(context) + i - 1, token]) for i, token in enumerate(completion)]


def local_pairs() -> list[SequencePair]:
    """Two local-branch pairs after a shared golden prefix: each side rewrites a statement (its region) and then
    continues with the same golden suffix (10, 11, 12, 13)."""
    prefix = (1, 5, 6, 7, 8)
    suffix = (10, 11, 12, 13)
    return [SequencePair(prefix, (20, 21, *suffix), (30, 31, 32, *suffix), chosen_region=2, rejected_region=3),
            SequencePair(prefix + (9,), (40, *suffix), (50, 51, *suffix), chosen_region=1, rejected_region=2)]


def dpo_loss_by_hand(policy: torch.nn.Module, reference: torch.nn.Module, pairs: list[SequencePair],
                     region: bool) -> float:
    """Mean over pairs of -log sigmoid(beta ((pi_c - ref_c) - (pi_r - ref_r))), each log-prob the sum of the
    scored tokens' log-probs: all of them, or only the first chosen_region / rejected_region."""
    losses = []
    for pair in pairs:
        n_c = pair.chosen_region if region else len(pair.chosen)
        n_r = pair.rejected_region if region else len(pair.rejected)
        pc, rc = (sum(token_logps_by_hand(m, pair.context, pair.chosen)[:n_c]) for m in (policy, reference))
        pr, rr = (sum(token_logps_by_hand(m, pair.context, pair.rejected)[:n_r]) for m in (policy, reference))
        z = BETA * ((pc - rc) - (pr - rr))
        losses.append(-math.log(1 / (1 + math.exp(-z))))
    return sum(losses) / len(losses)


@pytest.mark.parametrize("loss_tokens", ["all", "region"])
def test_loss_tokens_match_the_hand_computed_dpo_loss(loss_tokens):
    policy, _ = tiny_model_and_tokenizer(seed=0)
    reference, _ = tiny_model_and_tokenizer(seed=1)
    pairs = local_pairs()
    groups = [PairGroup(key="t", pairs=tuple(pairs), indices=(0, 1), prompt_tokens=1)]
    if loss_tokens == "region":
        groups = region_only(groups)
    refs = compute_reference_logps(reference, groups, "cpu")
    ref = torch.tensor([v for i in groups[0].indices for v in refs[i]])
    with torch.no_grad():
        out = group_loss(policy, pack_pairs(groups[0].pairs), groups[0], "tsp", ref, beta=BETA)
    expected = dpo_loss_by_hand(policy, reference, pairs, region=loss_tokens == "region")
    assert abs(float(out.loss) / 2 - expected) <= 1e-5
    other = dpo_loss_by_hand(policy, reference, pairs, region=loss_tokens != "region")
    assert abs(expected - other) > 1e-4  # the two settings are different losses on these pairs


def test_region_only_keeps_pairs_without_a_region_whole():
    pair = SequencePair((1, 2), (3, 4, 5), (6, 7))
    assert region_only([PairGroup(key="t", pairs=(pair,), indices=(0,))])[0].pairs == (pair,)


def test_a_pair_that_fits_is_left_as_it_is():
    pair = SequencePair(tuple(range(1, 11)), (20, 21), (30,))
    assert fit_pair(pair, prompt=4, max_length=12) == (0, pair)


def test_truncation_keeps_the_prompt_and_the_node_region_and_cuts_the_prefix_from_its_start():
    prompt = tuple(range(1000, 1010))  # 10 tokens
    prefix = tuple(range(1, 301))  # 300 golden tokens before the node
    chosen = (500, 501, 502, *range(600, 800))  # statement (3 tokens) + golden suffix of 200
    rejected = (700, 701, 702, 703, *range(600, 800))
    pair = SequencePair(prompt + prefix, chosen, rejected, chosen_region=3, rejected_region=4)
    cut, fitted = fit_pair(pair, prompt=10, max_length=256)
    assert len(fitted.context) + max(len(fitted.chosen), len(fitted.rejected)) <= 256
    assert fitted.context[:10] == prompt  # the prompt is never cut
    assert fitted.context[10:] == prefix[cut:]  # the golden prefix loses tokens from its start ...
    assert fitted.context[-1] == prefix[-1]  # ... and keeps the tokens right before the node
    assert cut % CUT_STEP == 0 and cut > 0
    assert fitted.chosen[:3] == chosen[:3] and fitted.rejected[:4] == rejected[:4]  # the node region is whole
    assert (fitted.chosen_region, fitted.rejected_region) == (3, 4)
    assert fitted.chosen == chosen[:len(fitted.chosen)] and fitted.rejected == rejected[:len(fitted.rejected)]


def test_a_long_function_continuation_is_cut_at_its_end():
    pair = SequencePair(tuple(range(1, 41)), tuple(range(100, 1100)), tuple(range(2000, 2050)))  # 40 + 1000
    cut, fitted = fit_pair(pair, prompt=20, max_length=200)
    assert cut == 0 and fitted.context == pair.context  # a short prefix stays whole
    assert len(fitted.context) + len(fitted.chosen) == 200 and fitted.rejected == pair.rejected


def test_a_pair_whose_region_does_not_fit_is_skipped_and_counted():
    fits = SequencePair((1, 2, 3, 4), (5, 6), (7, 8))
    too_long = SequencePair((1, 2, 3, 4), tuple(range(10, 30)), tuple(range(40, 60)), chosen_region=20,
                            rejected_region=20)
    groups, report = fit_max_length([PairGroup(key="t", pairs=(fits, too_long), indices=(0, 1), prompt_tokens=2)],
                                    max_length=12)
    assert [g.pairs for g in groups] == [(fits,)]
    assert (report.kept, report.truncated, report.skipped) == (1, 0, (1,))
    assert "1 skipped (pairs 2 of the pairs file" in report.line()


def test_pairs_cut_at_different_places_are_packed_apart_and_pairs_at_nearby_nodes_share():
    prompt, golden = (900, 901), tuple(range(1, 601))
    pairs = tuple(SequencePair(prompt + golden[:k], golden[k:k + 20], (800 + k, 801, 802)) for k in (10, 400, 410))
    groups, report = fit_max_length([PairGroup(key="t", pairs=pairs, indices=(0, 1, 2), prompt_tokens=2)],
                                    max_length=200)
    assert report.truncated == 2 and report.kept == 1
    assert [g.indices for g in groups] == [(0,), (1, 2)]
    assert groups[1].key.startswith("t@cut")
    nearby = groups[1].pairs
    shared = len(nearby[0].context)
    assert nearby[1].context[:shared] == nearby[0].context  # the same cut: one context extends the other
    packed = pack_pairs(nearby)
    assert packed.n_tokens < packed.n_input_tokens  # and they share it in the packed pass
    for pair in (p for g in groups for p in g.pairs):
        assert len(pair.context) + max(len(pair.chosen), len(pair.rejected)) <= 200


def test_max_length_none_changes_nothing():
    group = PairGroup(key="t", pairs=(SequencePair((1,), (2,) * 5000, (3,)),), indices=(0,))
    groups, report = fit_max_length([group], None)
    assert groups == [group] and report.line() == ""


def test_region_loss_needs_tree_pairs(tmp_path, capsys):
    from treeplay.cli import main

    code = main(["train", "--method", "dpo", "--tasks", "builtin:train", "--model", "./no-such-model",
                 "-o", str(tmp_path / "out"), "train.loss_tokens=region"])
    err = capsys.readouterr().err
    assert code == 2 and "train.loss_tokens=region applies to tsp" in err
    assert not (tmp_path / "out").exists()
