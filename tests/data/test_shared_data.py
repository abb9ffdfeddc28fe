"""The importers on the real public data sets beside the project (skipped when they are absent)."""

from __future__ import annotations

import pytest

from treeplay.data.importers import import_tasks, task_stats

pytestmark = pytest.mark.shared_data


def test_safecoder_train_has_421_tasks_with_golden_and_vulnerable_code(shared_data):
    tasks = import_tasks("safecoder", shared_data / "safecoder" / "sec-new-desc.train.jsonl")
    assert task_stats(tasks)["tasks"] == 421 and len({t.id for t in tasks}) == 421
    assert all(t.golden and t.vulnerable and t.cwes for t in tasks)
    assert task_stats(tasks)["by_language"]["python"] == 132


def test_tsp_annotations_are_all_kept(shared_data):
    tasks = import_tasks("tsp-annotated", shared_data / "tsp" / "sec-new-desc_annotated.json")
    assert len(tasks) == 421
    assert sum(len(t.annotations) for t in tasks) == 1455  # every [[n]] block of the release
    assert all(a.code_line for t in tasks for a in t.annotations)


def test_seccodeplt_dev_has_314_tasks_210_with_tests(shared_data):
    stats = task_stats(import_tasks("seccodeplt", shared_data / "seccodeplt" / "dev.json"))
    assert stats["tasks"] == 314 and stats["with_tests"] == 210
    assert "CWE-770" in stats["by_cwe"] and "CWE-915" in stats["by_cwe"]


def test_seccodeplt_unseen_cwes_are_absent_from_train(shared_data):
    stats = task_stats(import_tasks("seccodeplt", shared_data / "seccodeplt" / "train.json"))
    assert "CWE-770" not in stats["by_cwe"] and "CWE-915" not in stats["by_cwe"]


def test_securityeval_has_121_prompts(shared_data):
    stats = task_stats(import_tasks("securityeval", shared_data / "securityeval" / "prompts.json"))
    assert stats["tasks"] == 121 and stats["by_language"] == {"python": 121} and len(stats["by_cwe"]) == 69


def test_every_sec_eval_scenario_is_imported_with_its_split(shared_data):
    root = shared_data / "safecoder" / "sec_eval"
    tasks = import_tasks("sec-eval", root)
    for split in ("trained", "trained-new", "not-trained"):
        on_disk = len(list((root / split).glob("cwe-*/*/info.json")))
        assert on_disk > 0 and sum(t.split == split for t in tasks) == on_disk


def test_cweval_sample_tasks_import_with_both_test_kinds(shared_data):
    tasks = import_tasks("cweval", shared_data / "cweval-sample" / "benchmark")
    assert {t.language for t in tasks} == {"python", "c", "javascript"}
    assert all(t.tests.functional and t.tests.security and t.golden.startswith(t.prefix) for t in tasks)
