"""The backend protocol's small parts: stable seeds, fork checks, grouping, the fake backend."""

from __future__ import annotations

import pytest

from treeplay.engine.backends import (
    BranchRequest,
    FakeBackend,
    Fork,
    SamplingParams,
    check_forks,
    derive_seed,
    group_forks,
)
from treeplay.engine.stops import NoStop, make_stop_rule


def test_seeds_are_stable_across_processes_and_versions():
    """Trees are reproducible only if this never changes (no salted hash(), no RNG state)."""
    assert derive_seed(0, "py_search", 0) == 7225715565449499108
    assert derive_seed(0, "py_search", 1) == 1297916700690368044
    assert derive_seed(1, "py_search", 0) != derive_seed(0, "py_search", 0) < 2**63


def test_sampling_params_are_checked():
    with pytest.raises(ValueError):
        SamplingParams(width=0)
    with pytest.raises(ValueError):
        SamplingParams(top_p=0.0)
    with pytest.raises(ValueError):
        SamplingParams(temperature=-1.0)


def test_forks_must_lie_inside_the_context():
    ok = BranchRequest(ids=(1, 2, 3), text="abc", forks=(Fork(3, 3, 0, NoStop),), sampling=SamplingParams())
    check_forks(ok)
    for fork in (Fork(0, 0, 0, NoStop), Fork(4, 0, 0, NoStop), Fork(1, 9, 0, NoStop)):
        with pytest.raises(ValueError, match="outside the context"):
            check_forks(BranchRequest(ids=(1, 2, 3), text="abc", forks=(fork,), sampling=SamplingParams()))


def test_forks_are_grouped_to_fit_the_batch():
    assert [list(g) for g in group_forks(5, 4, 8)] == [[0, 1], [2, 3], [4]]
    assert [list(g) for g in group_forks(3, 8, 4)] == [[0], [1], [2]]  # a node never splits its K branches


def test_fake_backend_applies_stop_rules_and_the_length_limit():
    before = "def f(x):\n"
    fork = Fork(1, len(before), 42, lambda: make_stop_rule("python", before, "    y = x"))
    backend = FakeBackend(lambda f, k, seed: f"    y = {k}\n    return y\nprint(f(1))\n")
    out = backend.branch(BranchRequest(ids=(1,), text=before, forks=(fork,), sampling=SamplingParams(width=2)))
    assert [(s.text, s.finish_reason) for s in out[0]] == [("    y = 0\n    return y\n", "stop"),
                                                           ("    y = 1\n    return y\n", "stop")]
    short = backend.branch(BranchRequest(ids=(1,), text=before, forks=(fork,),
                                         sampling=SamplingParams(width=1, max_new_tokens=5)))
    assert short[0][0].text == "    y" and short[0][0].finish_reason == "length"
    assert len(backend.requests) == 2
