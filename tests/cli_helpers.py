"""Running one subcommand's handler the way ``treeplay`` parses it, with errors raised rather than printed."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from treeplay.cli import parse_args


def run_subcommand(add_parser: Callable[[argparse._SubParsersAction], object], name: str,
                   argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="treeplay")
    add_parser(parser.add_subparsers(dest="command"))
    args = parse_args(parser, [name, *argv])
    return args.func(args)
