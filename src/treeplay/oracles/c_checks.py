"""What flawfinder cannot see in C and C++: printf-like wrappers, constant formats, exec calls of a fixed program.

flawfinder matches calls by name, one line at a time. Three of its verdicts need the code around the call:

- **Format wrappers** (CWE-134). ``void log_append(const char *fmt, ...)`` that hands ``fmt`` to ``vsnprintf`` is a
  printf-like function: the format string comes from its callers. flawfinder flags the ``vsnprintf`` line (a
  non-constant format: the wrapper's own parameter) and nothing at the callers, so it flags the correct wrapper and
  misses ``log_append(buf, user_input)``, the actual bug. CodeQL handles this by treating such a function as a
  formatting function and checking its callers. Here: a function that is variadic or takes a ``va_list``, and
  passes one of its parameters as the format of a ``v*printf`` call (or of another such wrapper, to any depth), is
  a wrapper with that parameter as its format. The call inside it is not flagged, and every call to it whose
  format is not a constant is (a string literal, a macro, or the enclosing wrapper's own format parameter passed
  on count as constant).
- **Constant formats flawfinder misreads** (CWE-134). ``snprintf(buf, n, TMPDIR "~test%d", i)`` glues a macro
  to a literal; flawfinder's lexer sees a name first and flags a non-constant format. A format that is a literal,
  literals and macros side by side, or a macro, is not flagged.
- **exec of a fixed program** (CWE-78). flawfinder gives every ``execvp``/``execl``/... call risk level 4, since
  the program run may come from input. When the program is a string literal that is not a shell or ``env``,
  no shell parses anything and the program is fixed: the hit is reported as low.

The checks parse the program with tree-sitter's C or C++ grammar (``treeplay.oracles.syntax``), run in the
scanning process and execute nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from treeplay.oracles import syntax

# The standard va_list formatting functions: name -> index of the format argument.
VA_FORMATTERS = {
    "vprintf": 0, "vwprintf": 0, "vscanf": 0,
    "vfprintf": 1, "vfwprintf": 1, "vsprintf": 1, "vdprintf": 1, "vasprintf": 1, "vsyslog": 1, "vwarn": 0,
    "vwarnx": 0, "vsnprintf": 2, "vswprintf": 2, "verr": 1, "verrx": 1,
}
# The printf family: name -> index of the format argument (flawfinder flags a format it cannot see is constant).
PRINTF_CALLS = {
    "printf": 0, "wprintf": 0, "warn": 0, "warnx": 0, "fprintf": 1, "fwprintf": 1, "dprintf": 1, "sprintf": 1,
    "asprintf": 1, "syslog": 1, "err": 1, "errx": 1, "snprintf": 2, "swprintf": 2, **VA_FORMATTERS,
}
EXEC_CALLS = frozenset({"execl", "execlp", "execle", "execv", "execvp", "execvpe", "execve", "posix_spawn",
                        "posix_spawnp"})
# A fixed program that still interprets its arguments as a program to run.
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "csh", "tcsh", "fish", "ash", "busybox", "env", "xargs",
                    "sudo", "su", "nohup", "time", "nice", "timeout", "perl", "python", "python3", "ruby",
                    "node", "php", "awk", "find", "ssh"})
_MACRO = re.compile(r"[A-Z_][A-Z0-9_]*")
_MAX_DEPTH = 8  # wrapper of a wrapper of ...: passes of the fixed point


@dataclass(frozen=True)
class Wrapper:
    """A printf-like function defined in the program: its name and the index of its format parameter."""

    name: str
    format_index: int


@dataclass(frozen=True)
class WrapperCall:
    """A call to a wrapper whose format argument is not a constant."""

    line: int  # 1-based
    wrapper: str
    argument: str


@dataclass(frozen=True)
class Report:
    """What the checks found in one program."""

    wrappers: tuple[Wrapper, ...]
    forwarded_lines: frozenset[int]  # lines where a wrapper passes its own format on (not a finding)
    constant_format_lines: frozenset[int]  # printf-family calls whose format is constant
    nonconstant_calls: tuple[WrapperCall, ...]
    fixed_exec_lines: frozenset[int]  # exec calls of a literal program that is not a shell


def check(language: str, code: str) -> Report:
    """Run the checks on a C or C++ program (a program with syntax errors is checked where it parses). Each
    function's calls are listed once; the wrapper search passes over those lists."""
    root = syntax.parse_tree(language, code).root_node
    functions = [(name, params, list(_calls(body)), varargs) for name, params, body, varargs in _functions(root)]
    formatters = dict(VA_FORMATTERS)
    wrappers: dict[str, Wrapper] = {}
    for _ in range(_MAX_DEPTH):
        grew = False
        for name, params, calls, takes_varargs in functions:
            if name in wrappers or not takes_varargs:
                continue
            for _call, callee, args in calls:
                index = formatters.get(callee)
                if index is not None and index < len(args) and _text(args[index]) in params:
                    wrappers[name] = Wrapper(name, params.index(_text(args[index])))
                    formatters[name] = wrappers[name].format_index
                    grew = True
                    break
        if not grew:
            break
    defines = _string_macros(root)
    forwarded: set[int] = set()
    flagged: list[WrapperCall] = []
    for name, params, calls, _ in functions:
        own = params[wrappers[name].format_index] if name in wrappers else None
        for call, callee, args in calls:
            index = formatters.get(callee)
            if index is None or index >= len(args):
                continue
            argument = args[index]
            if own is not None and _text(argument) == own:
                forwarded.add(call.start_point[0] + 1)
            elif callee in wrappers and not _constant(argument, defines):
                flagged.append(WrapperCall(call.start_point[0] + 1, callee, _text(argument)))
    every_call = list(_calls(root))
    constant = frozenset(call.start_point[0] + 1 for call, callee, args in every_call
                         if callee in PRINTF_CALLS and PRINTF_CALLS[callee] < len(args)
                         and _constant(args[PRINTF_CALLS[callee]], defines))
    return Report(tuple(wrappers.values()), frozenset(forwarded), constant, tuple(flagged),
                  frozenset(_fixed_execs(every_call)))


def _functions(root: Any) -> Iterator[tuple[str, list[str], Any, bool]]:
    """(name, parameter names, body, variadic or takes a va_list) of every function definition."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            declarator = _function_declarator(node.child_by_field_name("declarator"))
            body = node.child_by_field_name("body")
            if declarator is not None and body is not None:
                name_node = declarator.child_by_field_name("declarator")
                params_node = declarator.child_by_field_name("parameters")
                params, varargs = _parameters(params_node)
                if name_node is not None:
                    yield _text(name_node), params, body, varargs
        stack.extend(reversed(node.children))


def _function_declarator(node: Any) -> Any | None:
    while node is not None and node.type != "function_declarator":
        node = node.child_by_field_name("declarator")
    return node


def _parameters(node: Any) -> tuple[list[str], bool]:
    """The parameter names in order ('' where unnamed) and whether the list ends in ``...`` or has a va_list."""
    names: list[str] = []
    varargs = False
    for child in node.named_children if node is not None else ():
        if child.type == "variadic_parameter":
            varargs = True
        elif child.type == "parameter_declaration":
            kind = child.child_by_field_name("type")
            if kind is not None and _text(kind) == "va_list":
                varargs = True
            ident = _identifier(child.child_by_field_name("declarator"))
            names.append(ident or "")
    return names, varargs


def _identifier(node: Any) -> str | None:
    while node is not None:
        if node.type == "identifier":
            return _text(node)
        node = node.child_by_field_name("declarator")
    return None


def _calls(body: Any) -> Iterator[tuple[Any, str, list[Any]]]:
    """(call node, callee name, argument nodes) of every call by plain name in ``body``."""
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            if function is not None and function.type == "identifier" and arguments is not None:
                yield node, _text(function), [a for a in arguments.named_children if a.type != "comment"]
        stack.extend(reversed(node.children))


def _string_macros(root: Any) -> frozenset[str]:
    """Names ``#define``d in the program as a string literal."""
    names = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "preproc_def":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and value is not None and value.text.strip().startswith(b'"'):
                names.add(_text(name))
        stack.extend(node.children)
    return frozenset(names)


def _constant(node: Any, macros: frozenset[str]) -> bool:
    """A string literal, literals side by side, a macro (an all-caps name: a header's constant), or a
    parenthesized or cast constant."""
    if node.type in ("string_literal", "concatenated_string", "raw_string_literal"):
        return True
    if node.type == "identifier":
        name = _text(node)
        return name in macros or bool(_MACRO.fullmatch(name))
    if node.type in ("parenthesized_expression", "cast_expression"):
        inner = node.child_by_field_name("value") or (node.named_children[-1] if node.named_children else None)
        return inner is not None and _constant(inner, macros)
    if node.type == "conditional_expression":
        sides = [node.child_by_field_name("consequence"), node.child_by_field_name("alternative")]
        return all(side is not None and _constant(side, macros) for side in sides)
    return False


def _fixed_execs(calls: Iterable[tuple[Any, str, list[Any]]]) -> Iterator[int]:
    """Lines of exec calls whose program is a string literal naming neither a shell nor a program runner."""
    for call, callee, args in calls:
        if callee not in EXEC_CALLS:
            continue
        index = 1 if callee.startswith("posix_spawn") else 0
        program = args[index] if index < len(args) else None
        if program is None or program.type != "string_literal":
            continue
        literal = _text(program)[1:-1]
        if literal and "\\" not in literal and literal.rsplit("/", 1)[-1] not in SHELLS:
            yield call.start_point[0] + 1


def _text(node: Any) -> str:
    return node.text.decode("utf-8", errors="replace")
