"""The golden continuation of a risk node, and whether a branch merely repeats it.

A branch (paper, step 3) is the opponent's continuation of y_<k_v; the grow stage stops it at the end of the
function. A branch that writes the golden code again carries no mistake: rejecting it would push down the
golden path itself, so verified mode drops it. "Again" is judged after whitespace normalisation (blank lines
dropped, runs of spaces collapsed, trailing spaces cut; Python keeps its indentation, which is syntax there)
and up to the end of the node's function, because the golden program may go on after the function (more
functions, module code) while the branch stops at its end.
"""

from __future__ import annotations

import re

from treeplay.records import Task

BRACE_LANGUAGES = frozenset({"c", "cpp", "javascript", "java", "go"})
_PY_DEF = re.compile(r"^\s*(async\s+)?def\s")
# Brace-language lexer: comments and string literals (whose braces do not count), or a single brace.
_BRACE_TOKENS = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`|[{}]",
                           re.DOTALL)


def golden_continuation(task: Task, offset: int) -> str:
    """``task.golden`` from ``offset`` (where a node's branches start) to the end of the function it lies in."""
    assert task.golden is not None
    return task.golden[offset:function_end(task.golden, offset, task.language)]


def function_end(code: str, offset: int, language: str) -> int:
    """Character index where the function containing ``offset`` ends (``len(code)`` when unknown).

    Python: the first later line with code indented no deeper than the enclosing ``def``. C-like languages:
    just after the brace that closes the outermost block open at ``offset`` (or, at depth 0, the next block
    that opens and closes), to the end of that line. Other languages: the end of the code.
    """
    if language == "python":
        return _python_end(code, offset)
    if language in BRACE_LANGUAGES:
        return _brace_end(code, offset)
    return len(code)


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


def _python_end(code: str, offset: int) -> int:
    lines = code.split("\n")
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    here = max(i for i, s in enumerate(starts) if s <= offset)
    code_line = next((i for i in range(here, len(lines)) if lines[i].strip()), None)
    if code_line is None:
        return len(code)
    header = _outermost_def(lines, code_line)
    if header is None:
        return len(code)  # module-level code: no function to end
    base = _indent(lines[header])
    for i in range(max(header, code_line) + 1, len(lines)):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#") or stripped[0] in ")]}":
            continue  # blank, comment, or the closing bracket of a multi-line signature or call
        if _indent(lines[i]) <= base:
            return starts[i]
    return len(code)


def _outermost_def(lines: list[str], code_line: int) -> int | None:
    """Index of the outermost ``def`` enclosing line ``code_line`` (the line itself may be one), else None.

    Outermost, because the grow stage stops a branch at the end of the function it writes, not at the end of a
    helper nested in it; a method's class does not count as a function.
    """
    header = code_line if _PY_DEF.match(lines[code_line]) else None
    threshold = _indent(lines[code_line])
    for i in range(code_line - 1, -1, -1):
        if threshold == 0:
            break
        if not lines[i].strip() or _indent(lines[i]) >= threshold:
            continue
        threshold = _indent(lines[i])  # a block that encloses the node: a def, or if/for/class/...
        if _PY_DEF.match(lines[i]):
            header = i
    return header


def _brace_end(code: str, offset: int) -> int:
    depth = 0
    for match in _BRACE_TOKENS.finditer(code):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(0, depth - 1)
            if depth == 0 and match.start() >= offset:  # the outermost block open at (or after) the node closed
                newline = code.find("\n", match.end())
                return len(code) if newline == -1 else newline + 1
    return len(code)


def normalise(text: str, language: str) -> list[str]:
    """The lines of ``text`` with whitespace normalised (see the module docstring); blank lines dropped."""
    out = []
    for line in text.split("\n"):
        body = " ".join(line.split())
        if not body:
            continue
        out.append(" " * _indent(line) + body if language == "python" else body)
    return out


def is_identical(branch_text: str, continuation: str, *, language: str, finish_reason: str = "stop") -> bool:
    """Whether a branch repeats the golden continuation (both up to the end of the function).

    Equal normalised lines, or a branch that ran on past the golden function's end after equal lines, or a
    branch cut by the token limit (``finish_reason == "length"``) while still equal to the golden code.
    """
    branch = normalise(branch_text, language)
    golden = normalise(continuation, language)
    if not golden:
        return not branch
    if branch[:len(golden)] == golden:
        return True
    if finish_reason == "length" and 0 < len(branch) <= len(golden):
        *whole, last = branch
        return golden[:len(whole)] == whole and golden[len(whole)].startswith(last)
    return False
