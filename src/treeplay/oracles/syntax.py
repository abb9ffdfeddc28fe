"""Syntax checks with tree-sitter grammars: does a C, C++, Go, Java or Ruby program parse?

"Parses" is a question about syntax only. A compiler answers a different one: ``gcc -fsyntax-only`` also needs
every type and function declared, so a function taken out of its file (SafeCoder's records, a model's completion
of one) never "parses" with it, however well formed (0 of SafeCoder's 45 fixed C functions do). tree-sitter's
grammars parse a fragment as it stands, recover from what they do not know (a typedef name from a missing
header is just an identifier), and mark real syntax errors (an unbalanced brace, a truncated statement) as ERROR or
MISSING nodes. Parsing runs in this process, starts nothing and reads nothing, so untrusted code needs no sandbox.

The grammars come from PyPI (``tree-sitter`` plus ``tree-sitter-c``, ``-cpp``, ``-go``, ``-java``, ``-ruby``;
all in ``treeplay[oracles]``), each loaded once per process.
"""

from __future__ import annotations

import ast
import importlib
import threading
import warnings
from functools import cache
from typing import Any

from treeplay.errors import ToolMissingError
from treeplay.oracles.base import as_module

# treeplay language -> the module holding its grammar
GRAMMARS = {"c": "tree_sitter_c", "cpp": "tree_sitter_cpp", "go": "tree_sitter_go", "java": "tree_sitter_java",
            "ruby": "tree_sitter_ruby", "javascript": "tree_sitter_javascript"}
# The languages whose verdicts' parse check is tree-sitter's. JavaScript's is ``node --check`` (in the sandbox);
# its grammar serves in-process checks that must start nothing (``program_parses``) and the regex extractor.
LANGUAGES = frozenset(GRAMMARS) - {"javascript"}
INSTALL_HINT = "pip install tree-sitter tree-sitter-c tree-sitter-cpp tree-sitter-go tree-sitter-java " \
               "tree-sitter-ruby tree-sitter-javascript (or pip install 'treeplay[oracles]')"
_LOCK = threading.Lock()  # a tree-sitter Parser is not meant to be shared between threads mid-parse


def parse_tree(language: str, program: str) -> Any:
    """The tree-sitter tree of ``program`` (syntax errors become ERROR/MISSING nodes; nothing is raised)."""
    parser = _parser(language)
    source = program.encode("utf-8", errors="surrogatepass")
    with _LOCK:
        return parser.parse(source)


def python_syntax_error(program: str) -> str | None:
    """None when ``program`` is valid Python, else the error. Generated code often has invalid escapes
    (``'\\-'``): their DeprecationWarning/SyntaxWarning is not a parse failure, so it is kept quiet."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
            ast.parse(program)
        return None
    except (SyntaxError, ValueError) as err:
        return f"SyntaxError: {err}"


def program_parses(language: str, program: str) -> bool | None:
    """Whether ``program`` parses, checked in this process (``ast`` for Python, a tree-sitter grammar for the
    others): nothing is started, so it suits untrusted code outside a sandbox. None for a language without a
    grammar here."""
    if language == "python":
        return python_syntax_error(program) is None
    if language not in GRAMMARS:
        return None
    return not parse_tree(language, program).root_node.has_error


def module_parses(language: str, program: str) -> bool:
    """``program_parses`` for the program as the analyzers read it (``base.as_module``: a Python method indented as
    a whole is a module); a language without a parser here counts as parsing."""
    return program_parses(language, as_module(language, program)) is not False


def syntax_error(language: str, program: str) -> str | None:
    """None when ``program`` parses as ``language``, else where it stops (``line 3: syntax error near '{'``)."""
    root = parse_tree(language, program).root_node
    source = program.encode("utf-8", errors="surrogatepass")
    if not root.has_error:
        return None
    node = _first_error(root)
    if node is None:  # has_error without an ERROR/MISSING node: report the root
        return "syntax error"
    row, column = node.start_point
    if node.is_missing:
        return f"line {row + 1}, column {column + 1}: syntax error, missing {node.type!r}"
    text = source[node.start_byte:node.end_byte].decode("utf-8", errors="replace").strip().splitlines()
    near = f" near {text[0][:40]!r}" if text else ""
    return f"line {row + 1}, column {column + 1}: syntax error{near}"


def _first_error(root: Any) -> Any | None:
    """The first ERROR or MISSING node in source order (depth first)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node
        if node.has_error:
            stack.extend(reversed(node.children))
    return None


@cache
def _parser(language: str) -> Any:
    if language not in GRAMMARS:
        raise ValueError(f"no tree-sitter grammar for {language!r} (have: {', '.join(sorted(GRAMMARS))})")
    try:
        import tree_sitter

        grammar = importlib.import_module(GRAMMARS[language])
    except ImportError as err:
        raise ToolMissingError(f"the tree-sitter grammar for {language} is not installed ({err.name})",
                               tool="tree-sitter", fix=INSTALL_HINT) from None
    return tree_sitter.Parser(tree_sitter.Language(grammar.language()))
