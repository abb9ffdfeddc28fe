"""``treeplay report``: the tables show the runs' own numbers, the HTML stands alone, every plot is a real PNG."""

from __future__ import annotations

import ast
import base64
import json
import re
import struct
import subprocess
import sys

import pytest
import yaml

from tests.cli_helpers import run_subcommand
from treeplay.errors import ConfigError, DataError, UsageError
from treeplay.eval.report import collect_runs, comparison_rows, reduction, write_report
from treeplay.eval.report_cmd import add_report_parser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# securityeval has no tests (func-sec@1 is null); sec-eval has tests, seen/unseen splits and two languages.
BASE = {
    "securityeval": dict(spr=0.570, ci=[0.481, 0.655], secure=0.55, funcsec=None, vulnerable=52, n=121),
    "sec-eval": dict(spr=0.600, ci=[0.502, 0.691], secure=0.58, funcsec=0.40, vulnerable=40, n=100,
                     seen=(0.55, 24), unseen=(0.68, 16)),
}
FINAL = {
    "tsp-paper": {
        "securityeval": dict(spr=0.758, ci=[0.674, 0.826], secure=0.74, funcsec=None, vulnerable=29, n=121),
        "sec-eval": dict(spr=0.800, ci=[0.711, 0.867], secure=0.78, funcsec=0.52, vulnerable=20, n=100,
                         seen=(0.79, 12), unseen=(0.82, 10)),
    },
    "spin": {
        "securityeval": dict(spr=0.745, ci=[0.661, 0.814], secure=0.73, funcsec=None, vulnerable=31, n=121),
        "sec-eval": dict(spr=0.700, ci=None, secure=0.69, funcsec="missing", vulnerable=30, n=100,
                         seen=(0.66, 18), unseen=(0.75, 12)),
    },
}


def metrics_json(bench: str, v: dict) -> dict:
    """A metrics.json as `treeplay eval` writes it, from a few headline values."""
    def core(spr, vulnerable, n):
        return {"spr@1": spr, "secure@1": round(spr - 0.02, 4), "vulnerable": vulnerable, "n": n}

    out = {"benchmark": bench, "model": "m", "n_samples": 1, "n": v["n"], "tasks": v["n"], "parsed": v["n"],
           "with_tests": v["n"] if v["funcsec"] is not None else 0,
           "flagged": v["vulnerable"], "spr@1": v["spr"], "secure@1": v["secure"], "func@1": None, "sec@1": None,
           "vulnerable": v["vulnerable"], "ci95": {"spr@1": v["ci"]} if v["ci"] else {},
           "by_cwe": {"CWE-22": core(v["spr"] - 0.1, 5, 20), "CWE-79": core(v["spr"], 8, 30),
                      "CWE-502": core(v["spr"] + 0.1, 2, 12)},
           "by_language": {"python": core(v["spr"], v["vulnerable"] - 3, v["n"] - 20)}}
    if v["funcsec"] != "missing":
        out["func-sec@1"] = v["funcsec"]
    if v["funcsec"] not in (None, "missing"):
        out["ci95"]["func-sec@1"] = [v["funcsec"] - 0.09, v["funcsec"] + 0.09]
        out["by_language"]["c"] = core(v["spr"] - 0.05, 3, 20)
    for split in ("seen", "unseen"):
        if split in v:
            out[split] = core(v[split][0], v[split][1], v["n"] // 2)
    return out


def make_run(root, name: str, method: str, mode: str = "paper"):
    """A self-play run directory: config, evaluations at iterations 0..2, training logs for iterations 1..2."""
    run = root / name
    run.mkdir(parents=True)
    config = {"name": name, "iterations": 2, "model": {"name": "tiny-model"}, "train": {"method": method},
              "pairs": {"mode": mode}}
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    final = FINAL.get(name, FINAL["tsp-paper"])
    for t in range(3):
        for bench in BASE:
            v = BASE[bench] if t == 0 else final[bench] if t == 2 else {**final[bench], "spr": BASE[bench]["spr"] + 0.1}
            folder = run / "eval" / f"iter_{t}" / bench
            folder.mkdir(parents=True)
            (folder / "metrics.json").write_text(json.dumps(metrics_json(bench, v)))
    if method == "tsp":  # the manifest of `treeplay selfplay`: stage -> wall seconds
        stages = {"eval/iter_0/securityeval": 60.0, "eval/iter_0/sec-eval": 30.0, "nodes": 1.5, "iter_1/grow": 120.0,
                  "iter_1/pairs": 0.5, "iter_1/train": 600.0, "eval/iter_1/securityeval": 90.0,
                  "iter_2/grow": 60.0, "iter_2/pairs": 0.5, "iter_2/train": 300.0, "eval/iter_2/securityeval": 90.0}
        (run / "manifest.json").write_text(json.dumps({"stages": {k: {"argv": [], "outputs": [], "wall_s": v}
                                                                  for k, v in stages.items()}}))
    for t in (1, 2):
        model = run / f"iter_{t}" / "model"
        model.mkdir(parents=True)
        rows = [{"step": s, "epoch": s / 6, "loss": 0.69 - 0.05 * s - 0.1 * t, "margin": 0.1 * s * t,
                 "accuracy": min(1.0, 0.4 + 0.1 * s), "lr": 1e-5, "chosen_reward": 0.05 * s,
                 "rejected_reward": -0.05 * s, "grad_norm": 1.0} for s in range(1, 7)]
        (model / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        (model / "trainer_state.json").write_text(json.dumps({"method": method, "global_step": 6, "epoch": 1.0,
                                                              "pairs": 48, "wall_s": 12.5}))
    return run


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One report over two runs (TSP paper mode, SPIN), written once for the tests that only read it."""
    root = tmp_path_factory.mktemp("runs")
    runs = collect_runs([make_run(root, "tsp-paper", "tsp"), make_run(root, "spin", "spin")])
    written = write_report(runs, root / "out")
    return written, written.markdown.read_text(), written.html.read_text()


def table_row(markdown: str, label: str, section: str = "## Methods") -> list[str]:
    """The cells of the first Markdown table row under ``section`` whose first cell is ``label``."""
    for line in markdown.split(section + "\n", 1)[1].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == label:
            return cells
    raise AssertionError(f"no table row {label!r} under {section!r}")


def test_methods_table_shows_base_and_each_runs_final_iteration_with_exact_numbers(report):
    _, md, _ = report
    assert table_row(md, "method") == ["method", "iteration",
                                       "sec-eval SPR@1", "sec-eval secure@1", "sec-eval func-sec@1", "sec-eval n",
                                       "securityeval SPR@1", "securityeval secure@1", "securityeval func-sec@1",
                                       "securityeval n"]
    assert table_row(md, "Base") == ["Base", "0", "60.0% [50.2, 69.1]", "58.0%", "40.0% [31.0, 49.0]", "100",
                                     "57.0% [48.1, 65.5]", "55.0%", "n/a", "121"]
    assert table_row(md, "TSP (paper)") == ["TSP (paper)", "2", "80.0% [71.1, 86.7]", "78.0%", "52.0% [43.0, 61.0]",
                                            "100", "75.8% [67.4, 82.6]", "74.0%", "n/a", "121"]
    assert table_row(md, "SPIN (self-play)") == ["SPIN (self-play)", "2", "70.0%", "69.0%", "n/a", "100",
                                                 "74.5% [66.1, 81.4]", "73.0%", "n/a", "121"]


def test_per_benchmark_tables_add_the_test_metrics_where_tests_ran(report):
    _, md, _ = report
    section = md.split("## Per benchmark\n", 1)[1]
    assert table_row(section, "method", "### securityeval: every metric") == [
        "method", "SPR@1", "secure@1", "parsed", "flagged", "n"]
    assert table_row(section, "Base", "### securityeval: every metric") == [
        "Base", "57.0% [48.1, 65.5]", "55.0%", "121", "52", "121"]
    assert table_row(section, "method", "### sec-eval: every metric")[1:6] == [
        "SPR@1", "secure@1", "func@1", "sec@1", "func-sec@1"]


def test_missing_and_null_metrics_show_na(report):
    _, md, html = report
    # securityeval func-sec@1 is null everywhere; SPIN's sec-eval metrics.json has no func-sec@1 key at all
    assert table_row(md, "SPIN (self-play)")[4] == "n/a"
    assert "nan" not in md.lower().replace("n/a", "")
    assert "<td>n/a</td>" in html


def test_reduction_in_vulnerable_programs_is_relative_to_base_per_split(report):
    _, md, _ = report
    assert reduction(29, 52) == pytest.approx(1 - 29 / 52)
    assert reduction(3, 0) is None and reduction(None, 4) is None
    rows = [line for line in md.split("### sec-eval\n", 1)[1].splitlines() if line.startswith("| TSP (paper)")]
    # all: 1 - 20/40, seen: 1 - 12/24, unseen: 1 - 10/16
    assert rows[0] == ("| TSP (paper) | 80.0% | 20 | 50.0% | 79.0% | 12 | 50.0% | 82.0% | 10 | 37.5% |")
    security = md.split("### securityeval\n", 1)[1]
    assert "| SPIN (self-play) | 74.5% | 31 | 40.4% |" in security  # 1 - 31/52, no splits in this benchmark


def test_per_cwe_and_per_language_tables_compare_methods_side_by_side(report):
    _, md, _ = report
    assert "### securityeval: SPR@1 per CWE" in md
    cwe = md.split("### securityeval: SPR@1 per CWE", 1)[1]
    assert cwe.index("| CWE-22 |") < cwe.index("| CWE-79 |") < cwe.index("| CWE-502 |")  # numeric order
    assert "| CWE-22 | 20 | 47.0% | 65.8% | 64.5% |" in cwe
    lang = md.split("### sec-eval: SPR@1 per language", 1)[1]
    assert "| python | 80 | 60.0% | 80.0% | 70.0% |" in lang and "| c | 20 | 55.0% | 75.0% | n/a |" in lang
    secure = md.split("### sec-eval: secure@1 per language", 1)[1]  # per language: both metrics
    assert "| python | 80 | 58.0% | 78.0% | 68.0% |" in secure


def test_iterations_and_training_tables_cover_every_iteration(report):
    _, md, _ = report
    # securityeval SPR@1 at iterations 0, 1, 2
    assert table_row(md, "TSP (paper)", "### securityeval: SPR@1 by iteration") == ["TSP (paper)", "57.0%", "67.0%",
                                                                                     "75.8%"]
    training = md.split("## Training curves", 1)[1]
    assert "| 2 | 6 | 1 | 0.1900 | 1.200 | 100.0% | 48 | 12.5 s |" in training


def test_wall_time_per_stage_sums_each_kind_of_stage_from_the_manifest(report):
    _, md, _ = report
    assert table_row(md, "method", "## Wall time per stage") == ["method", "eval (base)", "nodes", "grow", "pairs",
                                                                 "train", "eval", "total"]
    # base evals 60+30 s, grow 120+60, pairs 0.5+0.5, train 600+300, evals 90+90; a run without a manifest: no row
    assert table_row(md, "TSP (paper)", "## Wall time per stage") == ["TSP (paper)", "1.5", "0.0", "3.0", "0.0",
                                                                      "15.0", "3.0", "22.5"]
    assert "| SPIN" not in md.split("## Wall time per stage", 1)[1]


def test_every_promised_png_exists_is_valid_and_linked(report):
    written, md, _ = report
    names = {p.name for p in written.plots}
    assert names == {"cwe_securityeval.png", "cwe_sec-eval.png", "reduction_securityeval.png",
                     "reduction_sec-eval.png", "language_securityeval.png", "language_sec-eval.png",
                     "iterations_securityeval.png", "iterations_sec-eval.png", "training_tsp-paper.png",
                     "training_spin.png"}
    assert set(re.findall(r"\]\(plots/([^)]+)\)", md)) == names
    for path in written.plots:
        data = path.read_bytes()
        assert path.parent == written.markdown.parent / "plots"
        assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        assert width >= 400 and height >= 300 and len(data) > 10_000


def test_html_is_self_contained_and_embeds_every_plot(report):
    written, _, html = report
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<link" not in html and "<script" not in html and "@import" not in html
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(re.findall(r"<img ", html)) == len(embedded) == len(written.plots)
    assert sorted(base64.b64decode(e) for e in embedded) == sorted(p.read_bytes() for p in written.plots)
    assert "<td>75.8% [67.4, 82.6]</td>" in html  # the same numbers as the Markdown


def test_runs_sharing_a_label_are_told_apart_by_run_name(tmp_path):
    runs = collect_runs([make_run(tmp_path, "tsp-paper", "tsp"), make_run(tmp_path, "tsp-b", "tsp")])
    assert [r.label for r in comparison_rows(runs)] == ["Base", "TSP (paper) [tsp-paper]", "TSP (paper) [tsp-b]"]
    verified = collect_runs([make_run(tmp_path, "v", "tsp", mode="verified")])
    assert [r.label for r in comparison_rows(verified)] == ["Base", "TSP (verified)"]


def test_plain_eval_folders_are_one_row_labelled_by_folder_name(tmp_path):
    single = tmp_path / "codellama-sft"
    single.mkdir()
    (single / "metrics.json").write_text(json.dumps(metrics_json("securityeval", BASE["securityeval"])))
    several = tmp_path / "qwen"
    for bench in BASE:
        (several / bench).mkdir(parents=True)
        (several / bench / "metrics.json").write_text(json.dumps(metrics_json(bench, FINAL["spin"][bench])))
    written = write_report(collect_runs([single, several]), tmp_path / "out", plots=False)
    md = written.markdown.read_text()
    assert table_row(md, "codellama-sft")[:3] == ["codellama-sft", "-", "57.0% [48.1, 65.5]"]
    assert table_row(md, "qwen")[:3] == ["qwen", "-", "74.5% [66.1, 81.4]"]
    assert written.plots == () and not (tmp_path / "out" / "plots").exists()
    assert "No base model" in md and "No training logs" in md


def test_malformed_metrics_json_is_a_data_error_naming_the_file(tmp_path):
    run = make_run(tmp_path, "tsp-paper", "tsp")
    bad = run / "eval" / "iter_1" / "securityeval" / "metrics.json"
    bad.write_text('{"spr@1": 0.5,')
    with pytest.raises(DataError) as err:
        collect_runs([run])
    assert str(bad) in str(err.value) and err.value.fix
    bad.write_text(json.dumps({"spr@1": "high"}))
    with pytest.raises(DataError, match="'spr@1' should be a number") as err:
        collect_runs([run])
    assert err.value.file == str(bad)
    bad.write_text(json.dumps({"by_cwe": {"CWE-79": {"ci95": {"spr@1": [0.1]}}}}))
    with pytest.raises(DataError, match=r"by_cwe\.CWE-79\.ci95\.spr@1"):
        collect_runs([run])


def test_directory_without_metrics_is_a_usage_error_with_a_fix(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.yaml").write_text("name: run\n")
    with pytest.raises(UsageError, match="no metrics.json found") as err:
        collect_runs([tmp_path / "run"])
    assert "treeplay eval" in err.value.fix
    with pytest.raises(UsageError, match="not a directory"):
        collect_runs([tmp_path / "absent"])


def test_report_module_imports_neither_torch_nor_matplotlib():
    code = ("import sys, treeplay.eval.report, treeplay.eval.report_cmd; "
            "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ------------------------------------------------------------------------------------------------------ CLI


def run(argv):
    return run_subcommand(add_report_parser, "report", argv)


def test_report_cmd_writes_into_the_first_run_dir_and_prints_the_report_path(tmp_path, capsys):
    first, second = make_run(tmp_path, "tsp-paper", "tsp"), make_run(tmp_path, "spin", "spin")
    assert run([str(first), str(second), "--no-plots", "eval.seed=3"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == f"report: {first / 'report.html'}"
    assert (first / "report.md").is_file() and not (first / "plots").exists()


def test_report_cmd_out_option_and_overrides_in_any_order(tmp_path, capsys):
    first = make_run(tmp_path, "tsp-paper", "tsp")
    out = tmp_path / "reports" / "x"
    assert run(["--no-plots", str(first), "-o", str(out), "train.beta=0.2"]) == 0
    assert (out / "report.html").is_file() and not (first / "report.md").exists()
    assert capsys.readouterr().out.strip().endswith(f"report: {out / 'report.html'}")


def test_report_cmd_rejects_an_unknown_config_key(tmp_path):
    first = make_run(tmp_path, "tsp-paper", "tsp")
    with pytest.raises(ConfigError, match="unknown key"):
        run([str(first), "report.colour=red"])


def test_report_help_teaches_with_examples(capsys):
    with pytest.raises(SystemExit) as exit_:
        run(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "treeplay report runs/spin runs/tsp-paper" in text and "TSP (verified)" in text


def test_paired_comparison_against_base_marks_what_is_not_significant(tmp_path):
    root = tmp_path / "runs"
    runs = [make_run(root, "tsp-paper", "tsp"), make_run(root, "spin", "spin")]
    # ten Python and two Go tasks: TSP makes 8 Python tasks secure, SPIN only one; Go is unchanged
    scores = {"base": [0] * 10, "tsp-paper": [1] * 8 + [0] * 2, "spin": [1] + [0] * 9}
    for run, name in ((runs[0], "base"), (runs[0], "tsp-paper"), (runs[1], "spin")):
        path = run / "eval" / ("iter_0" if name == "base" else "iter_2") / "securityeval" / "metrics.json"
        data = json.loads(path.read_text())
        per_task = {f"py{i}": {"language": "python", "cwes": ["CWE-79"], "secure": float(s), "func-sec": None}
                    for i, s in enumerate(scores[name])}
        per_task.update({f"go{i}": {"language": "go", "cwes": ["CWE-78"], "secure": 1.0, "func-sec": None}
                         for i in range(2)})
        path.write_text(json.dumps({**data, "per_task": per_task}))
    markdown = write_report(collect_runs(runs), tmp_path / "out", plots=False).markdown.read_text()
    section = "### securityeval: secure@1 vs base"
    assert table_row(markdown, "method", section)[1:] == ["all", "go", "python"]
    tsp = table_row(markdown, "TSP (paper)", section)
    assert tsp[1].startswith("+66.7 [") and "+8/-0 of 12, p=0.0078" in tsp[1] and "n.s." not in tsp[1]
    assert tsp[2] == "+0.0 [+0.0, +0.0]; +0/-0 of 2, p=1 (n.s.)"
    spin = table_row(markdown, "SPIN (self-play)", section)
    assert "+1/-0 of 10, p=1 (n.s.)" in spin[3]


def test_the_paper_profiles_spr_gets_a_column_once_a_run_measured_it(tmp_path):
    root = tmp_path / "runs"
    run = make_run(root, "tsp-paper", "tsp")
    for t in range(3):
        path = run / "eval" / f"iter_{t}" / "securityeval" / "metrics.json"
        metrics = json.loads(path.read_text())
        metrics["spr@1[paper]"] = 0.5 + 0.1 * t
        metrics["ci95"]["spr@1[paper]"] = [0.4 + 0.1 * t, 0.6 + 0.1 * t]
        path.write_text(json.dumps(metrics))
    md = write_report(collect_runs([run]), tmp_path / "out").markdown.read_text()
    header = table_row(md, "method")
    assert "securityeval SPR@1 [paper]" in header and "sec-eval SPR@1 [paper]" in header
    column = header.index("securityeval SPR@1 [paper]")
    assert table_row(md, "Base")[column] == "50.0% [40.0, 60.0]"
    assert table_row(md, "TSP (paper)")[column] == "70.0% [60.0, 80.0]"
    assert table_row(md, "TSP (paper)")[header.index("sec-eval SPR@1 [paper]")] == "n/a"  # not measured there


def _with_per_task(run, iteration: int, bench: str, scores: dict[str, float]) -> None:
    """Give the run's metrics.json at ``iteration`` per-task secure shares (Python tasks, no tests)."""
    path = run / "eval" / f"iter_{iteration}" / bench / "metrics.json"
    data = json.loads(path.read_text())
    data["per_task"] = {k: {"language": "python", "cwes": ["CWE-79"], "secure": v, "func-sec": None}
                        for k, v in scores.items()}
    path.write_text(json.dumps(data))


def test_pooled_comparison_pairs_prompts_over_benchmarks_against_base_and_a_named_run(tmp_path):
    from treeplay.eval.metrics import paired_ttest

    root = tmp_path / "runs"
    tsp, spin = make_run(root, "tsp-paper", "tsp"), make_run(root, "spin", "spin")
    # the same task id in two benchmarks is two prompts; shares of 2 samples per prompt
    base = {"securityeval": {"a": 0.0, "b": 0.5, "c": 0.0, "d": 1.0}, "sec-eval": {"a": 0.5, "b": 0.0}}
    mine = {"securityeval": {"a": 0.5, "b": 0.5, "c": 0.5, "d": 1.0}, "sec-eval": {"a": 1.0, "b": 0.5}}
    theirs = {"securityeval": {"a": 0.0, "b": 0.5, "c": 0.5, "d": 0.5}, "sec-eval": {"a": 0.5, "b": 0.5}}
    for bench in base:
        _with_per_task(tsp, 0, bench, base[bench])
        _with_per_task(tsp, 2, bench, mine[bench])
        _with_per_task(spin, 2, bench, theirs[bench])
    markdown = write_report(collect_runs([tsp, spin]), tmp_path / "out", plots=False, explorer=False,
                            against=["spin"]).markdown.read_text()
    section = "## Pooled over benchmarks, prompt by prompt"
    assert "adjusted over the 3 comparisons" in markdown.split(section, 1)[1].split("##", 1)[0]
    # TSP - base per prompt: .5, 0, .5, 0, .5, .5 -> mean 1/3 over 6 prompts, from 33.3% to 66.7%
    row = table_row(markdown, "TSP (paper)", section)
    assert row[1:8] == ["Base", "secure@1", "6", "33.3%", "66.7%", "+33.3", row[7]]
    flat = {f"{b}/{k}": v for b, d in base.items() for k, v in d.items()}
    expected = paired_ttest(flat, {f"{b}/{k}": v for b, d in mine.items() for k, v in d.items()})
    assert row[7] == f"{100 * expected['ci95'][0]:+.1f} to {100 * expected['ci95'][1]:+.1f}"
    assert row[8] == f"{expected['p']:.3g}" and float(row[8]) < 0.05
    rows = [line for line in markdown.split(section, 1)[1].split("\n## ", 1)[0].splitlines()
            if line.startswith("| TSP (paper) |")]
    # against SPIN (named by --against; 2.5 / 6 = 41.7%): TSP - SPIN = .5, 0, 0, .5, .5, 0 -> +25.0; SPIN is not
    # compared with itself
    assert len(rows) == 2 and "| SPIN (self-play) | secure@1 | 6 | 41.7% | 66.7% | +25.0 |" in rows[1]
    assert not any(line.startswith("| SPIN (self-play) | SPIN") for line in markdown.splitlines())


def test_against_a_run_the_report_does_not_have_is_a_usage_error_with_the_choices(tmp_path):
    root = tmp_path / "runs"
    runs = collect_runs([make_run(root, "tsp-paper", "tsp"), make_run(root, "spin", "spin")])
    with pytest.raises(UsageError) as err:
        write_report(runs, tmp_path / "out", plots=False, explorer=False, against=["sft"])
    assert "--against sft" in str(err.value) and "tsp-paper, spin" in err.value.fix
    assert not (tmp_path / "out").exists()


def test_a_base_only_run_is_the_base_row_and_local_branches_are_labelled(tmp_path):
    root = tmp_path / "runs"
    base = make_run(root, "base", "sft")
    for folder in ("iter_1", "iter_2"):  # iterations: 0 evaluates the base model only
        import shutil

        shutil.rmtree(base / "eval" / folder)
    tsp = make_run(root, "tsp-local", "tsp", "verified")
    config = yaml.safe_load((tsp / "config.yaml").read_text())
    (tsp / "config.yaml").write_text(yaml.safe_dump({**config, "grow": {"stop": "statement"}}))
    rows = comparison_rows(collect_runs([base, tsp]))
    assert [(r.label, r.iteration, r.base) for r in rows] == [("Base", 0, True), ("TSP (verified, local)", 2, False)]


def test_what_the_trees_held_is_recomputed_from_trees_and_verdicts_as_the_pairs_stage_made_them(tmp_path):
    from collections import Counter

    from tests.eval.explorer_fixture import make_run as make_tree_run
    from treeplay.records import Task, Tree, load_jsonl
    from treeplay.tree.leaves import leaves

    run = make_tree_run(tmp_path)
    trees = load_jsonl(run / "iter_1" / "trees.jsonl", Tree)
    nodes = sum(len({b.node_index for b in tree.branches}) for tree in trees)
    reasons = Counter(json.loads(line)["reason"] for line in (run / "iter_1" / "pairs.jsonl").open())
    markdown = write_report(collect_runs([run]), tmp_path / "out", plots=False, explorer=False).markdown.read_text()
    row = table_row(markdown, "TSP (verified)", "## What the trees held")
    tasks = {t.id: t for t in load_jsonl(run / "tasks.jsonl", Task)}
    parsed = 0
    for leaf in leaves(trees, tasks):  # Python's own parser, independent of the tree-sitter check the report uses
        try:
            ast.parse(tasks[leaf.task_id].prefix + leaf.completion)
            parsed += 1
        except SyntaxError:
            pass
    # one branch of each kind per node: clean (secure), vulnerable, broken (does not parse), identical
    assert 3 * nodes - 1 <= parsed <= 3 * nodes  # (one vulnerable variant of the fixture breaks its function)
    assert row[1:11] == ["1", str(len(trees)), str(4 * nodes), str(parsed), row[5], str(nodes), str(nodes),
                         str(nodes), str(nodes), str(sum(reasons.values()))]
    assert int(row[5]) == sum(len(b.token_ids) for tree in trees for b in tree.branches) > 0
    assert row[11] == ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
