"""``treeplay report``: one Markdown + HTML report (with PNG plots) comparing one or more runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from treeplay.cli_args import output_dir

EPILOG = """\
what a RUN_DIR can be:
  a self-play run     runs/<name>/ as `treeplay selfplay` writes it: eval/iter_<t>/<benchmark>/metrics.json
                      (iteration 0 = the base model), iter_<t>/model/metrics.jsonl (training log), config.yaml
  an eval folder      the --out of `treeplay eval` (DIR/metrics.json), or a folder of them
                      (DIR/<benchmark>/metrics.json): one row, labelled by the folder name

what the report shows:
  methods table       base (iteration 0 of the first self-play run), then each run at its final iteration, labelled
                      SFT / DPO / SPIN (self-play) / TSP (paper) / TSP (verified) / TSP (verified, local): SPR@1,
                      secure@1, func-sec@1 with 95% CIs, and n, per benchmark (a run of `iterations: 0` is Base)
  per CWE, per language, seen vs unseen CWEs with the reduction in vulnerable programs vs base,
  task by task        each method against the base per benchmark (bootstrap interval, sign test); and pooled over
                      every benchmark's prompts, against the base and each --against run: per-prompt shares of
                      secure samples, mean difference with its 95% t interval, paired t-test, Wilcoxon, Holm
  metrics over iterations, what the trees held (branches parsed, labels, pairs per reason per iteration),
  training curves (loss, reward margin, accuracy per step), wall time per stage
  trees and programs  (HTML; --no-explorer leaves it out) a tree explorer: per iteration, the tasks (filter by
                      CWE, language, branch verdict), each golden program with its risk nodes and, at each node, the
                      branches as diffs with their verdicts (findings, failed tests, parse errors) and pairs; and
                      the prompts whose program changed verdict between iteration 0 and the last iteration (or
                      between the runs compared), side by side. report.md links to it
It writes OUT/report.md, OUT/report.html (self-contained: plots, data and script inline, no external files, opens
offline from disk) and OUT/plots/*.png.

examples:
  treeplay report runs/tsp-paper
  treeplay report runs/spin runs/tsp-paper runs/tsp-verified -o reports/compare
  treeplay report runs/tsp-paper eval/codellama-sft --no-plots
  treeplay report runs/base runs/sft runs/tsp-verified --against sft --no-explorer
"""


def add_report_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``treeplay report`` to ``subparsers`` and return its parser."""
    summary = "write report.md / report.html with plots comparing one or more runs"
    parser = subparsers.add_parser("report", help=summary, description="W" + summary[1:] + ".", epilog=EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR",
                        help="run directories or eval folders; iteration 0 of the first self-play run is the base")
    parser.add_argument("-o", "--out", type=output_dir("-o"), help="folder for the report (default: the first RUN_DIR)")
    parser.add_argument("--no-plots", action="store_true", help="tables only (no matplotlib needed)")
    parser.add_argument("--explorer", action=argparse.BooleanOptionalAction, default=True,
                        help="add the tree explorer and before/after programs to report.html (default: on)")
    parser.add_argument("--against", action="append", default=[], metavar="RUN",
                        help="also compare every other run with this one (its name, folder or label), prompt by "
                             "prompt over all benchmarks; repeat for several")
    parser.add_argument("--config", metavar="FILE", help="YAML config (see configs/); checked like every stage's")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted config overrides")
    parser.set_defaults(func=run_report)
    return parser


def run_report(args: argparse.Namespace) -> int:
    """Handler of ``treeplay report``."""
    from treeplay.config import load_config
    from treeplay.pipeline.report import report

    # argparse hands every positional to RUN_DIR (it is greedy); a KEY=VALUE that is not a folder is an override
    runs = [Path(p) for p in args.runs if "=" not in p or Path(p).exists()]
    overrides = [p for p in args.runs if "=" in p and not Path(p).exists()] + list(args.overrides or [])
    load_config(args.config, overrides)  # a bad config is reported before anything is read
    print(report(runs, args.out, plots=not args.no_plots, explorer=args.explorer, against=args.against).message())
    return 0
