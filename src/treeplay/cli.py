"""The ``treeplay`` command: one subcommand per stage (DESIGN section 2).

Heavy libraries (torch, transformers, analyzers) are imported inside the commands that need them, so
``treeplay --help`` stays fast and imports no torch. This is the only module that catches ``TreeplayError``:
it prints one line (``file:line`` where it applies) and the fix, and exits with the error's code; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from treeplay import __version__
from treeplay.errors import TreeplayError

EPILOG = """\
typical run (the paper's loop, one iteration):
  treeplay data import --format safecoder sec-new-desc.train.jsonl -o runs/x/tasks.jsonl
  treeplay nodes runs/x/tasks.jsonl --method diff -o runs/x/nodes.jsonl
  treeplay grow ...; treeplay score ...; treeplay pairs ...; treeplay train --method tsp ...
  treeplay eval --benchmark securityeval ...; treeplay report runs/x
or all of it: treeplay selfplay --config configs/demo.yaml
Every stage command takes --config FILE.yaml and dotted overrides such as grow.width=4.
"""

# Stage commands that are implemented: (module, parser builder). Each module is light (no torch at import);
# heavy libraries are imported inside its handler.
STAGES = (
    ("treeplay.oracles.test_cmd", "add_test_parser"),
    ("treeplay.oracles.test_cmd", "add_score_parser"),
    ("treeplay.nodes.nodes_cmd", "add_nodes_parser"),
    ("treeplay.engine.grow_cmd", "add_grow_parser"),
    ("treeplay.oracles.scan_cmd", "add_scan_parser"),
    ("treeplay.tree.pairs_cmd", "add_pairs_parser"),
    ("treeplay.train.train_cmd", "add_train_parser"),
    ("treeplay.eval.eval_cmd", "add_eval_parser"),
    ("treeplay.eval.report_cmd", "add_report_parser"),
    ("treeplay.selfplay_cmd", "add_selfplay_parser"),
    ("treeplay.demo", "add_demo_parser"),
)



def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="treeplay", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Tree-like Self-Play (TSP) for secure code LLMs: find risk nodes in secure code, let the "
                    "model branch there, learn from its own mistakes, and measure security honestly.")
    parser.add_argument("--version", action="version", version=f"treeplay {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="torch threads for this run (default: the cores other processes leave free, checked "
                             "again as they come and go; or $TREEPLAY_THREADS)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_data(sub)
    for module, builder in STAGES:
        getattr(importlib.import_module(module), builder)(sub)
    return parser


def _add_data(sub: argparse._SubParsersAction) -> None:
    from treeplay.cli_args import output_file
    from treeplay.data.importers import FORMAT_HELP

    formats = "\n".join(f"  {k:<14} {v}" for k, v in FORMAT_HELP.items())
    data = sub.add_parser("data", help="import task data, export the builtin set, print statistics",
                          description="Task data: every stage reads tasks.jsonl (one Task per line).")
    dsub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    imp = dsub.add_parser(
        "import", help="convert a public data set into tasks.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Convert a data set into treeplay's tasks.jsonl.\n\nformats:\n" + formats,
        epilog="examples:\n  treeplay data import --format seccodeplt seccodeplt/dev.json -o runs/x/tasks.jsonl\n"
               "  treeplay data import -f safecoder sec-new-desc.train.jsonl --language c --language cpp -o c.jsonl")
    imp.add_argument("path", type=Path, help="input file or folder")
    imp.add_argument("--format", "-f", required=True, choices=list(FORMAT_HELP), help="input format")
    imp.add_argument("-o", "--output", type=output_file("-o"), required=True, help="tasks.jsonl to write")
    imp.add_argument("--language", action="append", metavar="LANG",
                     help="keep only tasks in this language (repeatable; python, c, cpp, javascript, go, java, ruby)")
    imp.set_defaults(func=_data_import)

    stats = dsub.add_parser("stats", help="tasks per CWE, language and split",
                            description="Count tasks by CWE, language and split, and those with tests.",
                            epilog="example:\n  treeplay data stats runs/x/tasks.jsonl --json",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    stats.add_argument("path", type=Path, help="tasks.jsonl (or any input with --format)")
    stats.add_argument("--format", "-f", default="native", choices=list(FORMAT_HELP),
                       help="read PATH in this format instead of tasks.jsonl")
    stats.add_argument("--json", action="store_true",
                       help='print {"tasks", "by_cwe", "by_language", "with_tests", "by_split"}')
    stats.set_defaults(func=_data_stats)

    builtin = dsub.add_parser("builtin", help="write the builtin task set as tasks.jsonl",
                              description="The builtin task set (Python, C, JavaScript; each task with a secure "
                                          "reference, vulnerable variants, functional and security tests).")
    builtin.add_argument("-o", "--output", type=output_file("-o"), required=True, help="tasks.jsonl to write")
    builtin.add_argument("--language", action="append", help="keep only this language (repeatable)")
    builtin.add_argument("--split", choices=("train", "test"),
                         help="keep only this split (test = 14 held-out Python tasks, 4 of them with CWEs that no "
                              "train task has)")
    builtin.set_defaults(func=_data_builtin)


def _data_import(args: argparse.Namespace) -> int:
    from treeplay.pipeline.tasks import import_tasks

    print(import_tasks(args.format, args.path, args.output, languages=args.language or ()).message())
    return 0


def _data_stats(args: argparse.Namespace) -> int:
    from treeplay.data.importers import import_tasks, task_stats

    stats = task_stats(import_tasks(args.format, args.path))
    if args.json:
        print(json.dumps(stats))
        return 0
    print(f"tasks: {stats['tasks']}   with tests: {stats['with_tests']}")
    for title, key in (("language", "by_language"), ("split", "by_split"), ("CWE", "by_cwe")):
        print(f"\nby {title}:")
        for name, count in stats[key].items():
            print(f"  {name:<14} {count:>6}")
    return 0


def _data_builtin(args: argparse.Namespace) -> int:
    from treeplay.data.builtin import load_builtin
    from treeplay.records import write_jsonl

    tasks = load_builtin()
    if args.language:
        tasks = [t for t in tasks if t.language in set(args.language)]
    if args.split:
        tasks = [t for t in tasks if t.split == args.split]
    n = write_jsonl(args.output, tasks)
    print(f"wrote {n} builtin tasks to {args.output}")
    return 0


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; KEY=VALUE overrides may come before or after options.

    argparse fills the KEY=VALUE positional only where it first meets positionals, so overrides written after
    options (``treeplay nodes T --method diff nodes.top_k=2``) come back as extras and are appended here.
    """
    args, extra = parser.parse_known_args(argv)
    unknown = [a for a in extra if a.startswith("-") or "=" not in a or not hasattr(args, "overrides")]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if extra:
        args.overrides = [*(args.overrides or []), *extra]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parse_args(parser, argv)  # option values are checked here (treeplay.cli_args)
    except TreeplayError as err:
        if "--debug" in argv:
            raise
        return _report(err)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if getattr(args, "threads", None) is not None:
        if args.threads < 1:
            print("treeplay: error: --threads: must be at least 1\n  fix: pass --threads 1 or more", file=sys.stderr)
            return 2
        os.environ["TREEPLAY_THREADS"] = str(args.threads)  # read by treeplay.threads, here and in child stages
    try:
        return int(args.func(args) or 0)
    except TreeplayError as err:
        if args.debug:
            raise
        return _report(err)
    except KeyboardInterrupt:
        print("treeplay: interrupted", file=sys.stderr)
        return 130


def _report(err: TreeplayError) -> int:
    """Print the error as one line (and its fix on a second); the error's exit code."""
    print(f"treeplay: error: {err}", file=sys.stderr)
    if err.fix:
        print(f"  fix: {err.fix}", file=sys.stderr)
    return err.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
