"""Language-aware stop rules: a branch ends where the function it continues ends.

The paper lets the opponent write up to 1024 new tokens from y_<k_v; small instruct models then keep going (a
second function, a ``__main__`` block, prose after a closing code fence), which wastes decoding and pollutes the
rejected side of a pair with text the golden path never had. A branch here stops at the end of the enclosing
function:

- Python: at the first logical line, after the fork point, that starts at or left of the ``def``'s indentation
  (not inside brackets, a string or a backslash continuation; comment lines do not count). The line itself is cut
  off, so the branch ends with the body's last line.
- C, C++, JavaScript, Go, Java (brace languages): when a ``}`` brings the brace depth (outside strings and comments)
  back to the level before the function body. The closing brace is kept. The function body is the outermost open
  brace whose header looks like a function (a parameter list, not an ``= {`` initialiser), so a node in a
  nested callback still runs to the end of the outer function and a method ends with the method, not its class.
- Every language: a Markdown code fence (a line starting with ```` ``` ````) ends the branch (chat models close
  their code block there). EOS and ``max_new_tokens`` are handled by the decoder, not here.

A rule is built from the code before the fork point (``before``) and the text of the node's line (``node_line``,
from the golden path or the parent branch), which decides which function encloses the node. ``feed`` takes the
branch text as it is decoded, chunk by chunk, and returns the cut position (characters of branch text to keep)
once the branch is finished. A text backend cuts there; a token backend keeps every token that *starts* before
the cut (a token is never split: ``"});"`` stays whole after a closing brace, and a ``"\n   "`` token that
straddles the start of the dedented line keeps its whitespace).
"""

from __future__ import annotations

import re
from typing import Protocol

from treeplay.engine.lexing import python_string_char, quoted_char

BRACE_LANGUAGES = frozenset({"c", "cpp", "javascript", "go", "java"})
_PY_DEF = re.compile(r"[ \t]*(async[ \t]+)?def[ \t]")


class StopRule(Protocol):
    def feed(self, chunk: str) -> int | None:
        """Consume the next piece of branch text; the number of branch characters to keep once it must stop."""
        ...


class NoStop:
    """Only EOS and the length limit end the branch (``grow.stop=none``)."""

    def feed(self, chunk: str) -> int | None:
        return None


def make_stop_rule(language: str, before: str, node_line: str = "", mode: str = "function") -> StopRule:
    """The stop rule for a branch of ``language`` forked after ``before`` (code text up to the fork point)."""
    if mode == "none":
        return NoStop()
    if mode == "statement":  # local branches: the node's statement only (engine/statements.py)
        from treeplay.engine.statements import make_statement_rule

        return make_statement_rule(language, before)
    if mode != "function":
        raise ValueError(f"unknown stop mode {mode!r} (function | statement | none)")
    if language == "python":
        return PythonStop(before, node_line)
    if language in BRACE_LANGUAGES:
        return BraceStop(before)
    return FenceStop(before)


class _Lines:
    """Shared line bookkeeping: where the current physical line starts and whether it starts outside strings."""

    def __init__(self, before: str) -> None:
        self.text = ""
        self.base = len(before)  # branch text starts here in ``self.text``
        self.line_start = 0
        self.line_ok = True  # the current line did not start inside a string or block comment
        self.line_checked = False  # its first non-blank character was already judged

    def feed(self, chunk: str) -> int | None:
        """Characters of the branch to keep once it must stop (None: go on). The language rule first, then fences."""
        cut = self._consume(chunk)
        return cut if cut is not None else self._fence()

    def _consume(self, chunk: str) -> int | None:  # pragma: no cover - each language rule defines it
        raise NotImplementedError

    def _fence(self) -> int | None:
        """A line that starts with a Markdown code fence (outside strings) ends the branch before that line."""
        if self.line_ok and self.text[self.line_start:].lstrip(" \t").startswith("```"):
            return max(0, self.line_start - self.base)
        return None


class FenceStop(_Lines):
    """Languages without a function rule: only a closing code fence stops the branch."""

    def __init__(self, before: str) -> None:
        super().__init__(before)
        self.text = before
        self.line_start = before.rfind("\n") + 1

    def feed(self, chunk: str) -> int | None:
        newline = chunk.rfind("\n")
        if newline >= 0:
            self.line_start = len(self.text) + newline + 1
        self.text += chunk
        return self._fence()


class PythonStop(_Lines):
    """Stop at the first logical line back at (or left of) the enclosing ``def``'s indentation.

    A small lexer follows strings (one-line and triple-quoted, found by looking back so that chunk boundaries do
    not matter), comments, brackets and backslash continuations, so that a dedented line inside a docstring or a
    call's argument list is not taken for the end of the function.
    """

    def __init__(self, before: str, node_line: str = "") -> None:
        super().__init__(before)
        self.quote = ""  # the open string delimiter: ' " \'\'\' or \"\"\"; '' outside strings
        self.quote_open_end = -1  # index of the last character of the opening delimiter
        self.last_empty = (-2, "")  # (index, quote) where an empty one-line string ('' or "") just closed
        self.depth = 0  # open (), [], {}
        self.comment = self.escape = self.continuation = False
        self.starts: list[tuple[int, bool]] = []  # (indent, is_def) of the logical lines in ``before``
        self.live = False
        self._consume(before)
        if self.depth or self.quote or self.continuation:  # the node line continues a statement: not a line start
            node_line = ""
        self.def_indent = _enclosing_def(self.starts, node_line)
        # A node on the def line itself: the branch writes the def first; only a line after its body ends it.
        self.body_seen = not _PY_DEF.match(node_line)
        self.live = True

    def _consume(self, chunk: str) -> int | None:
        start = len(self.text)
        self.text += chunk
        text = self.text
        for i in range(start, len(text)):
            ch = text[i]
            if not self.line_checked and ch not in " \t\r\n\f":
                self.line_checked = True
                if self.line_ok and self.depth == 0 and not self.continuation and ch != "#":
                    indent = len(text[self.line_start:i].expandtabs(8))
                    if not self.live:
                        self.starts.append((indent, bool(_PY_DEF.match(text, self.line_start))))
                    elif self.def_indent is not None and indent > self.def_indent:
                        self.body_seen = True
                    elif self.def_indent is not None and self.body_seen:
                        return max(0, self.line_start - self.base)
            self._step(text, i, ch)
        return None

    def _step(self, text: str, i: int, ch: str) -> None:
        """Advance the string / comment / bracket state by one character (looking back only)."""
        if ch == "\n":
            self.continuation = i > 0 and text[i - 1] == "\\" and not self.comment and not self.escape
            if len(self.quote) == 1:  # an unterminated one-line string ends at the newline
                self.quote = ""
            self.comment = self.escape = False
            self.line_start, self.line_ok, self.line_checked = i + 1, self.quote == "", False
            return
        if self.comment:
            return
        if self.quote:
            self._in_string(text, i, ch)
        elif ch == "#":
            self.comment = True
        elif ch in "'\"":
            triple = self.last_empty == (i - 1, ch)  # '' followed by ' opens a triple-quoted string
            self.quote, self.quote_open_end = (ch * 3 if triple else ch), i
        elif ch in "([{":
            self.depth += 1
        elif ch in ")]}":
            self.depth = max(0, self.depth - 1)

    def _in_string(self, text: str, i: int, ch: str) -> None:
        python_string_char(self, text, i, ch)


def _enclosing_def(starts: list[tuple[int, bool]], node_line: str) -> int | None:
    """Indentation of the ``def`` enclosing the node line, or None at module level.

    Walk the logical lines backwards from the node line keeping the smallest indentation seen: the first ``def``
    indented less than everything after it is the function whose body holds the node. A node on a ``def`` line
    is enclosed by that function (the branch writes its body).
    """
    lines = list(starts)
    stripped = node_line.lstrip(" \t")
    if stripped.strip() and not stripped.startswith("#"):
        lines.append((len(node_line[:len(node_line) - len(stripped)].expandtabs(8)), bool(_PY_DEF.match(node_line))))
    if lines and lines[-1][1]:
        return lines[-1][0]
    smallest = None
    for indent, is_def in reversed(lines):
        if smallest is None or indent < smallest:
            if is_def and smallest is not None:
                return indent
            smallest = indent
    return None


class BraceStop(_Lines):
    """Stop once a ``}`` brings the brace depth back to the level before the enclosing function body.

    The lexer skips string and character literals (including JavaScript template literals) and comments; it looks
    back one character for ``//`` and ``/*`` so that chunk boundaries do not matter. For every open brace it keeps
    the code of the statement before it (comments left out), which tells a function body from a class-like block.
    """

    def __init__(self, before: str) -> None:
        super().__init__(before)
        self.state = ""  # '' code, '//' line comment, '/*' block comment, or the open quote character
        self.comment_open = -1  # index of the '*' that opened the block comment
        self.escape = False
        self.headers: list[str] = []  # code before each open brace, outermost first
        self.statement: list[str] = []  # code characters since the last ; { or }
        self.level = -1  # never reached while ``before`` is read
        self._consume(before)
        self.level = _function_level(self.headers)

    def _consume(self, chunk: str) -> int | None:
        start = len(self.text)
        self.text += chunk
        text = self.text
        for i in range(start, len(text)):
            if self._step(text, i, text[i]):
                return i + 1 - self.base  # the closing brace is kept
        return None

    def _step(self, text: str, i: int, ch: str) -> bool:
        """Advance the lexer by one character; True when it is a ``}`` that closes the function."""
        state = self.state
        if ch == "\n":
            if state == "//":
                self.state = ""
            self.line_start, self.line_ok = i + 1, self.state == ""
        elif state in ("'", '"', "`"):
            self.statement.append(ch)
            quoted_char(self, ch)
        elif state == "/*":
            if ch == "/" and text[i - 1] == "*" and i - 1 > self.comment_open:
                self.state = ""
        elif state == "//":
            pass
        elif ch in "/*" and i > 0 and text[i - 1] == "/":
            self.state, self.comment_open = "/" + ch, i
            if self.statement:
                self.statement.pop()  # the first '/' was not code
        elif ch == "{":
            self.headers.append("".join(self.statement).strip())
            self.statement = []
        elif ch == "}":
            if self.headers:
                self.headers.pop()
            self.statement = []
            return len(self.headers) <= self.level
        elif ch == ";":
            self.statement = []
        else:
            if ch in "'\"`":
                self.state = ch
            self.statement.append(ch)
        return False


def _function_level(headers: list[str]) -> int:
    """Depth before the enclosing function body: the outermost open brace whose header looks like a function.

    A function header has a parameter list (``(``) and is not an initialiser (``= {``); class, struct,
    namespace, ``extern "C"`` and object-literal blocks have neither, so a method runs to the end of the method,
    not of its class. With no function brace open (a node before the body, or at top level) the level is the
    current depth: the branch then ends when the first block it opens is closed again.
    """
    for depth, header in enumerate(headers):
        if "(" in header and not header.rstrip().endswith("="):
            return depth
    return len(headers)
