"""Lexing helpers the stop rules share: the function rule (``stops``) and the statement rule (``statements``)."""

from __future__ import annotations

from typing import Any


def python_string_char(lexer: Any, text: str, i: int, ch: str) -> None:
    """One character inside a Python string: escapes, and the closing quote (one-line or triple). ``lexer`` holds
    ``quote``, ``quote_open_end``, ``escape`` and ``last_empty`` (shared by the function and statement rules)."""
    if lexer.escape:
        lexer.escape = False
    elif ch == "\\":
        lexer.escape = True
    elif len(lexer.quote) == 1 and ch == lexer.quote:
        if i - 1 == lexer.quote_open_end:
            lexer.last_empty = (i, ch)
        lexer.quote = ""
    elif len(lexer.quote) == 3 and ch == lexer.quote[0] and i - 2 > lexer.quote_open_end \
            and text[i - 2:i + 1] == lexer.quote:
        lexer.quote = ""


def quoted_char(lexer: Any, ch: str) -> None:
    """One character inside a C-family string, character literal or template (``lexer.state`` is its quote):
    a backslash escapes the next character, the quote ends it (shared by the function and statement rules)."""
    if lexer.escape:
        lexer.escape = False
    elif ch == "\\":
        lexer.escape = True
    elif ch == lexer.state:
        lexer.state = ""
