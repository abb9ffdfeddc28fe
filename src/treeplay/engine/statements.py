"""Statement boundaries: where the statement at a risk node ends (``grow.stop=statement``, local branches).

A local branch rewrites the node's statement only, and the golden code after that statement is spliced back, so
every branch is a whole program the analyzers and the tests can judge. One definition serves both sides: the
golden statement's end (``statement_end``) and the point where a branch being decoded stops
(``make_statement_rule``, a stop rule fed chunk by chunk, see ``stops``).

- Python: the logical line at the node (brackets, strings and backslash continuations followed) and, when that
  line opens a block (it ends with ``:``), the block: every later line indented deeper than it, and the clauses
  that continue the compound statement at its level (``elif``, ``else``, ``except``, ``finally``) with their
  blocks. The statement ends at the start of the first other code line indented no deeper (comment and blank
  lines belong to the block), so a ``try`` is rewritten with its handlers and an ``if`` with its ``else``.
- C, C++, Java, JavaScript, Go: up to the statement's ``;`` outside brackets, or the ``}`` that closes a block it
  opened (``if (...) {...}``: the ``else`` is the next statement); a ``}`` that closes an enclosing block ends it
  before that brace; a preprocessor line ends at its newline; in JavaScript and Go a newline ends a statement
  that looks complete (automatic semicolons) unless it is a control header still waiting for its body.
- Other languages: the node's line.

A Markdown code fence (a line starting with ```` ``` ````) also ends the statement, before that line.
"""

from __future__ import annotations

import re

from treeplay.engine.lexing import python_string_char, quoted_char

BRACE_LANGUAGES = frozenset({"c", "cpp", "javascript", "go", "java"})
_NEWLINE_ENDS = frozenset({"javascript", "go"})  # automatic semicolons
_CONTINUES = set(",+-*/%&|^=<>!?:.([{\\")  # a line ending in one of these goes on
_JS_CONTINUES = set(".([?:+-*/%&|^=<>,")  # and in JavaScript, one whose next line starts with one of these
_CLAUSES = ("elif", "else", "except", "finally")  # Python: lines at a compound statement's level that continue it


def _identifier(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


_CONTROL = re.compile(r"\s*(?:\}\s*)?(if|for|while|else|do|try|catch|finally|switch|function|func|class|struct|"
                      r"select|defer\s+func|go\s+func)\b")


def statement_end(language: str, code: str, offset: int) -> int:
    """Character index in ``code`` where the statement starting at ``offset`` ends (``len(code)`` if it runs on)."""
    rule = make_statement_rule(language, code[:offset])
    cut = rule.feed(code[offset:])
    return len(code) if cut is None else offset + cut


def make_statement_rule(language: str, before: str):
    """A stop rule that cuts a branch continuing ``before`` at the end of the statement it starts."""
    if language == "python":
        return PythonStatement(before)
    if language in BRACE_LANGUAGES:
        return BraceStatement(before, language)
    return LineStatement(before)


class _Scanner:
    """Shared bookkeeping: the text since the start of the node's line, and where the branch's text begins."""

    def __init__(self, before: str) -> None:
        self.text = before[before.rfind("\n") + 1:]  # the node line, as far as ``before`` goes
        self.base = len(self.text)  # branch text starts here
        self.line_start = 0
        self.line_checked = False
        self.done: int | None = None  # cut, in branch characters, once known

    def feed(self, chunk: str) -> int | None:
        if self.done is not None:
            return self.done
        start = len(self.text)
        self.text += chunk
        for i in range(start, len(self.text)):
            cut = self._step(i, self.text[i])
            if cut is not None:
                self.done = max(0, cut - self.base)
                return self.done
        return None

    def _fence(self, i: int) -> bool:
        return self.text.startswith("```", i)

    def _step(self, i: int, ch: str) -> int | None:  # pragma: no cover - each scanner defines it
        raise NotImplementedError


class LineStatement(_Scanner):
    """The node's line (languages without a statement rule)."""

    def _step(self, i: int, ch: str) -> int | None:
        if not self.line_checked and ch not in " \t\r\n":
            self.line_checked = True
            if self._fence(i):
                return self.line_start
        if ch == "\n":
            if self.line_checked:
                return i + 1
            self.line_start = i + 1
        return None


class PythonStatement(_Scanner):
    """The logical line at the node and, when it opens one, its indented block (see the module docstring)."""

    def __init__(self, before: str) -> None:
        super().__init__(before)
        self.quote = ""  # open string delimiter
        self.quote_open_end = -1
        self.last_empty = (-2, "")
        self.depth = 0
        self.comment = self.escape = self.continuation = False
        self.header_indent: int | None = None  # indentation of the statement's first code line
        self.header_done = False  # its logical line has ended
        self.clause: tuple[int, int] | None = None  # (line start, first character) of a line at the header's level
        self.last_code = ""  # last code character (outside strings and comments) of the current logical line
        for i, ch in enumerate(self.text):  # the node line's part before the branch (its indentation, usually)
            self._lex(i, ch)

    def _step(self, i: int, ch: str) -> int | None:
        if not self.line_checked and ch not in " \t\r\n\f":
            self.line_checked = True
            if self._fence(i):
                return self.line_start
            if self.depth == 0 and not self.quote and not self.continuation and ch != "#":
                indent = len(self.text[self.line_start:i].expandtabs(8))
                if self.header_indent is None:
                    self.header_indent = indent
                elif self.header_done and indent < self.header_indent:
                    return self.line_start  # a line above the statement's level: not part of it
                elif self.header_done and indent == self.header_indent:
                    self.clause = (self.line_start, i)  # part of it only if it opens a clause: decided below
        if self.clause is not None:  # the line's first word, decided once it can no longer be a clause keyword
            word = self.text[self.clause[1]:i + 1]
            if _identifier(ch) and any(k.startswith(word) for k in _CLAUSES):
                pass  # still a keyword's prefix: wait for the next character
            elif not _identifier(ch) and word[:-1] in _CLAUSES:
                self.clause, self.header_done = None, False  # elif / else / except / finally: a new clause header
            else:
                return self.clause[0]  # the first line back at the statement's level: not part of it
        logical_end = ch == "\n" and self.depth == 0 and not self.quote and not self._continued(i)
        self._lex(i, ch)
        if logical_end and self.header_indent is not None and not self.header_done:
            self.header_done = True
            if self.last_code != ":":
                return i + 1  # a simple statement: its line is all of it
        if ch == "\n":
            self.line_start, self.line_checked = i + 1, False
            if self.depth == 0 and not self.quote and not self.continuation:
                self.last_code = ""
        return None

    def _continued(self, i: int) -> bool:
        return i > 0 and self.text[i - 1] == "\\" and not self.comment and not self.escape

    def _lex(self, i: int, ch: str) -> None:
        """Advance the string / comment / bracket state by one character (looking back only)."""
        text = self.text
        if ch == "\n":
            self.continuation = self._continued(i)
            if len(self.quote) == 1:
                self.quote = ""
            self.comment = self.escape = False
            return
        if self.comment:
            return
        if self.quote:
            python_string_char(self, text, i, ch)
            return
        if ch == "#":
            self.comment = True
        elif ch in "'\"":
            triple = self.last_empty == (i - 1, ch)
            self.quote, self.quote_open_end = (ch * 3 if triple else ch), i
            self.last_code = ch
        elif ch in "([{":
            self.depth += 1
            self.last_code = ch
        elif ch in ")]}":
            self.depth = max(0, self.depth - 1)
            self.last_code = ch
        elif ch not in " \t\r\f":
            self.last_code = ch


class BraceStatement(_Scanner):
    """Up to the statement's ``;``, or the ``}`` closing a block it opened (see the module docstring)."""

    def __init__(self, before: str, language: str) -> None:
        super().__init__(before)
        self.language = language
        self.state = ""  # '' code, '//', '/*', or the open quote
        self.comment_open = -1
        self.escape = False
        self.parens = self.braces = 0
        self.block = self.code_seen = self.preprocessor = False
        self.statement: list[str] = []  # code characters of the statement so far
        self.pending: int | None = None  # a JavaScript newline that ends the statement unless the next line goes on
        for i, ch in enumerate(self.text):
            self._lex(i, ch)

    def _step(self, i: int, ch: str) -> int | None:
        if not self.line_checked and ch not in " \t\r\n":
            self.line_checked = True
            if self._fence(i):
                return self.line_start
            if self.pending is not None:  # JavaScript: a line starting with . ( [ or an operator goes on
                if ch not in _JS_CONTINUES or self.text.startswith(("++", "--"), i):
                    return self.pending
                self.pending = None
        if ch == "\n":
            cut = self._newline(i)
            self.line_start, self.line_checked = i + 1, False
            if self.state == "//":
                self.state = ""
            if cut is not None and self.language == "javascript" and not self.preprocessor:
                self.pending = cut  # decided by the next line's first character
                return None
            return cut
        if self.state:
            self._lex(i, ch)
            return None
        if ch == "}" and self.braces == 0 and self.parens == 0:
            return i if self.code_seen else i + 1  # an enclosing block closes (a node on a lone `}`: itself)
        was_open = self.braces
        self._lex(i, ch)
        if self.state or self.parens:
            return None
        if ch == ";" and self.braces == 0:
            return i + 1
        if ch == "}" and was_open == 1 and self.braces == 0 and self.block:
            return i + 1
        return None

    def _newline(self, i: int) -> int | None:
        if self.state not in ("", "//") or self.parens or self.braces or not self.code_seen:
            return None
        if self.preprocessor:
            return None if self.text[i - 1:i] == "\\" else i + 1
        if self.language not in _NEWLINE_ENDS:
            return None
        code = "".join(self.statement).rstrip()
        if not code or code[-1] in _CONTINUES or (_CONTROL.match(code) and not self.block):
            return None
        return i + 1

    def _lex(self, i: int, ch: str) -> None:
        text, state = self.text, self.state
        if state in ("'", '"', "`"):
            quoted_char(self, ch)
            return
        if state == "/*":
            if ch == "/" and text[i - 1] == "*" and i - 1 > self.comment_open:
                self.state = ""
            return
        if state == "//" or ch == "\n":
            return
        if ch in "/*" and i > 0 and text[i - 1] == "/" and self.statement and self.statement[-1] == "/":
            self.state, self.comment_open = "/" + ch, i
            self.statement.pop()
            return
        if ch.isspace():
            if self.statement:
                self.statement.append(" ")
            return
        if not self.code_seen:
            self.code_seen = True
            self.preprocessor = ch == "#" and self.language in ("c", "cpp")
        self.statement.append(ch)
        if ch in "'\"`":
            self.state = ch
        elif ch in "([":
            self.parens += 1
        elif ch in ")]":
            self.parens = max(0, self.parens - 1)
        elif ch == "{":
            self.braces += 1
            self.block = self.block or self.parens == 0
        elif ch == "}":
            self.braces = max(0, self.braces - 1)
