"""The regular expressions a Python or JavaScript program builds, with their line and how they are matched.

For the ReDoS analyzer (``treeplay.oracles.redos``). Nothing runs: Python is read with ``ast``, JavaScript with
tree-sitter's grammar.

- Python: the pattern argument of ``re``/``regex`` calls (``compile``, ``match``, ``fullmatch``, ``search``,
  ``findall``, ``finditer``, ``sub``, ``subn``, ``split``), also through ``import re as r`` and ``from re import
  match``, with their ``flags``. A pattern built from string constants is followed: names assigned earlier in the
  function or module, ``+``, implicit concatenation, f-strings of such names, ``"|".join([...])`` and
  ``re.escape(...)``. How it is matched decides the question a checker must answer: ``match`` anchors at the
  start, ``fullmatch`` at both ends, everything else searches. A compiled pattern takes the methods called on the
  name it is assigned to (anywhere in the module; search when unknown or mixed).
- JavaScript: ``/.../flags`` literals and ``RegExp(...)`` / ``new RegExp(...)`` with a string (or a constant
  it names) as the pattern; JavaScript's methods all search (the checker's own semantics).

``python_to_js`` rewrites a Python pattern in JavaScript syntax from Python's own parse of it (named groups,
``\\A``/``\\Z``, inline and verbose flags), since the checker reads JavaScript's regular expressions.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from treeplay.oracles.syntax import parse_tree

try:  # Python 3.11+
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

_PY_FUNCTIONS = {"compile": 1, "match": 2, "fullmatch": 2, "search": 2, "findall": 2, "finditer": 2, "sub": 4,
                 "subn": 4, "split": 3}  # function -> position of its flags argument
_MODULES = ("re", "regex")
_FLAGS = {"I": re.I, "IGNORECASE": re.I, "M": re.M, "MULTILINE": re.M, "S": re.S, "DOTALL": re.S, "X": re.X,
          "VERBOSE": re.X, "A": re.A, "ASCII": re.A, "U": re.U, "UNICODE": re.U}


@dataclass(frozen=True)
class Pattern:
    """One regular expression of a program. ``mode``: search | match | fullmatch (Python's anchoring)."""

    line: int
    source: str  # as written (Python or JavaScript syntax)
    flags: int | str  # Python flag bits, or JavaScript flag letters
    mode: str = "search"


def extract(language: str, code: str) -> list[Pattern]:
    """The patterns of ``code`` (python or javascript); a program that does not parse has none."""
    if language == "python":
        return python_patterns(code)
    if language == "javascript":
        return javascript_patterns(code)
    return []


# ----------------------------------------------------------------------------------------------------- Python


def python_patterns(code: str) -> list[Pattern]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return []
    scope = _Scope(tree)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = scope.re_function(node.func)
        if name is None:
            continue
        pattern_node = node.args[0] if node.args else _keyword(node, "pattern")
        source = scope.value(pattern_node, node.lineno)
        if not isinstance(source, str):
            continue
        flags_node = node.args[_PY_FUNCTIONS[name]] if len(node.args) > _PY_FUNCTIONS[name] else \
            _keyword(node, "flags")
        flags = scope.flags(flags_node, node.lineno)
        mode = name if name in ("match", "fullmatch") else "search"
        if name == "compile":
            mode = scope.compiled_mode(node)
        out.append(Pattern(line=node.lineno, source=source, flags=flags, mode=mode))
    return out


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


class _Scope:
    """Names, imports and method uses of one module, for resolving pattern arguments to constants."""

    def __init__(self, tree: ast.Module) -> None:
        self.modules = set(_MODULES)  # local names of the re module
        self.functions: dict[str, str] = {}  # local name -> re function (from re import match as m)
        self.assigned: dict[str, list[tuple[int, ast.AST]]] = {}
        self.methods: dict[str, set[str]] = {}  # name (or attribute) -> methods called on it
        self.compiled_to: dict[int, str] = {}  # id(compile call) -> the name it is assigned to
        for node in ast.walk(tree):
            self._note(node)

    def _note(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in _MODULES:
                    self.modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module in _MODULES:
            for alias in node.names:
                if alias.name in _PY_FUNCTIONS:
                    self.functions[alias.asname or alias.name] = alias.name
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = _target_name(target)
                if name:
                    self.assigned.setdefault(name, []).append((node.lineno, node.value))
                    if isinstance(node.value, ast.Call):
                        self.compiled_to[id(node.value)] = name
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = _target_name(owner) if not isinstance(owner, ast.Call) else f"<call {id(owner)}>"
            if name:
                self.methods.setdefault(name, set()).add(node.func.attr)

    def re_function(self, func: ast.AST) -> str | None:
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in self.modules \
                and func.attr in _PY_FUNCTIONS:
            return func.attr
        if isinstance(func, ast.Name) and func.id in self.functions:
            return self.functions[func.id]
        return None

    def compiled_mode(self, call: ast.Call) -> str:
        """How a compiled pattern is used: the methods called on its name (or directly on the call)."""
        name = self.compiled_to.get(id(call))
        used = self.methods.get(name, set()) if name else set()
        used |= self.methods.get(f"<call {id(call)}>", set())
        used &= {"match", "fullmatch", "search", "findall", "finditer", "sub", "subn", "split"}
        return used.pop() if len(used) == 1 and used <= {"match", "fullmatch"} else "search"

    def value(self, node: ast.AST | None, line: int, depth: int = 0) -> Any:
        """The constant ``node`` stands for (str, bytes decoded as latin-1, int), or None when unknown."""
        if node is None or depth > 20:
            return None
        if isinstance(node, ast.Constant):
            return node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
        if isinstance(node, ast.Name):
            earlier = [v for n, v in self.assigned.get(node.id, []) if n <= line]
            return self.value(earlier[-1], line, depth + 1) if earlier else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.BitOr)):
            left, right = self.value(node.left, line, depth + 1), self.value(node.right, line, depth + 1)
            if isinstance(node.op, ast.Add) and isinstance(left, str) and isinstance(right, str):
                return left + right
            if isinstance(node.op, ast.BitOr) and isinstance(left, int) and isinstance(right, int):
                return left | right
            return None
        if isinstance(node, ast.JoinedStr):
            parts = [self.value(v.value if isinstance(v, ast.FormattedValue) else v, line, depth + 1)
                     for v in node.values]
            return "".join(parts) if all(isinstance(p, str) for p in parts) else None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.modules:
            return int(_FLAGS[node.attr]) if node.attr in _FLAGS else None
        if isinstance(node, ast.Call):
            return self._call_value(node, line, depth)
        return None

    def _call_value(self, node: ast.Call, line: int, depth: int) -> Any:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "join" and len(node.args) == 1 and \
                isinstance(node.args[0], (ast.List, ast.Tuple)):
            glue = self.value(func.value, line, depth + 1)
            parts = [self.value(e, line, depth + 1) for e in node.args[0].elts]
            if isinstance(glue, str) and all(isinstance(p, str) for p in parts):
                return glue.join(parts)
        if isinstance(func, ast.Attribute) and func.attr == "escape" and isinstance(func.value, ast.Name) and \
                func.value.id in self.modules and node.args:
            text = self.value(node.args[0], line, depth + 1)
            return re.escape(text) if isinstance(text, str) else "x"  # an escaped unknown is a plain literal
        return None

    def flags(self, node: ast.AST | None, line: int) -> int:
        value = self.value(node, line)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _target_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # self._email_re = re.compile(...)
        return f".{node.attr}"
    return None


# ------------------------------------------------------------------------------------------------- JavaScript


def javascript_patterns(code: str) -> list[Pattern]:
    source = code.encode("utf-8", errors="surrogatepass")
    root = parse_tree("javascript", code).root_node
    constants: dict[str, str] = {}
    out: list[Pattern] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            text = _js_string(value, source, constants) if value is not None else None
            if name is not None and text is not None:
                constants[_text(name, source)] = text
        if node.type == "regex":
            pattern = node.child_by_field_name("pattern")
            flags = node.child_by_field_name("flags")
            if pattern is not None:
                out.append(Pattern(line=node.start_point[0] + 1, source=_text(pattern, source),
                                   flags=_text(flags, source) if flags is not None else ""))
        elif node.type in ("new_expression", "call_expression"):
            found = _js_constructor(node, source, constants)
            if found is not None:
                out.append(found)
        stack.extend(reversed(node.children))
    return sorted(out, key=lambda p: p.line)


def _js_constructor(node: Any, source: bytes, constants: dict[str, str]) -> Pattern | None:
    callee = node.child_by_field_name("constructor" if node.type == "new_expression" else "function")
    arguments = node.child_by_field_name("arguments")
    if callee is None or arguments is None or _text(callee, source) != "RegExp":
        return None
    args = [c for c in arguments.named_children if c.type != "comment"]
    pattern = _js_string(args[0], source, constants) if args else None
    if pattern is None:
        return None
    flags = _js_string(args[1], source, constants) if len(args) > 1 else ""
    return Pattern(line=node.start_point[0] + 1, source=pattern, flags=flags or "")


def _js_string(node: Any, source: bytes, constants: dict[str, str]) -> str | None:
    if node.type == "string":
        try:
            return ast.literal_eval(_text(node, source).replace("\n", "\\n"))
        except (ValueError, SyntaxError):
            return None
    if node.type == "template_string":  # `a${NAME}b`: raw text between the backticks, names substituted
        parts, cursor = [], node.start_byte + 1
        for child in node.children:
            if child.type != "template_substitution":
                continue
            inner = child.named_children
            value = _js_string(inner[0], source, constants) if len(inner) == 1 else None
            if value is None:
                return None
            parts += [_cooked(source[cursor:child.start_byte]), value]
            cursor = child.end_byte
        parts.append(_cooked(source[cursor:node.end_byte - 1]))
        return "".join(parts)
    if node.type == "identifier":
        return constants.get(_text(node, source))
    if node.type == "binary_expression" and _text(node.child_by_field_name("operator"), source) == "+":
        left = _js_string(node.child_by_field_name("left"), source, constants)
        right = _js_string(node.child_by_field_name("right"), source, constants)
        return left + right if left is not None and right is not None else None
    if node.type == "parenthesized_expression" and node.named_children:
        return _js_string(node.named_children[0], source, constants)
    return None


def _cooked(raw: bytes) -> str:
    """A template literal's text as its value, for the escapes patterns use (backslash before \\, ` and $)."""
    return re.sub(r"\\([\\`$])", r"\1", raw.decode("utf-8", errors="replace"))


def _text(node: Any, source: bytes) -> str:
    return source[node.start_byte:node.end_byte].decode("utf-8", errors="replace")


# ------------------------------------------------------------------------------------- Python -> JavaScript


def python_to_js(pattern: Pattern) -> tuple[str, str] | None:
    """(JavaScript source, flags) equivalent to a Python pattern as it is matched, or None when it cannot be
    said in JavaScript (a conditional group) or does not compile in Python."""
    if isinstance(pattern.flags, str):  # already JavaScript
        return pattern.source, pattern.flags
    try:
        parsed = sre_parse.parse(pattern.source, pattern.flags)
        body = _js_sequence(parsed)
    except (re.error, _Untranslatable, RecursionError, OverflowError, TypeError, ValueError):
        return None
    flags = parsed.state.flags
    letters = "".join(letter for bit, letter in ((re.I, "i"), (re.M, "m"), (re.S, "s")) if flags & bit)
    if pattern.mode == "match":
        body = f"^(?:{body})"
    elif pattern.mode == "fullmatch":
        body = f"^(?:{body})$"
    return body, letters


class _Untranslatable(Exception):
    pass


_JS_SPECIAL = set("\\^$.|?*+()[]{}/")
_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
               "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}
_AT = {"AT_BEGINNING": "^", "AT_BEGINNING_STRING": "^", "AT_END": "$", "AT_END_STRING": "$",
       "AT_BOUNDARY": r"\b", "AT_NON_BOUNDARY": r"\B"}


def _js_char(code: int, in_class: bool = False) -> str:
    char = chr(code)
    if (char.isalnum() and code < 128) or char in " _,;:'\"!@#%&=<>`~" or (char == "-" and not in_class):
        return char
    if char in _JS_SPECIAL or (in_class and char == "-"):
        return "\\" + char
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


def _js_sequence(items: Any) -> str:
    return "".join(_js_item(str(op), av) for op, av in items)


def _js_item(op: str, av: Any) -> str:
    if op == "LITERAL":
        return _js_char(av)
    if op == "NOT_LITERAL":
        return f"[^{_js_char(av, True)}]"
    if op == "ANY":
        return "."
    if op == "IN":
        return _js_class(av)
    if op == "BRANCH":
        return "(?:" + "|".join(_js_sequence(branch) for branch in av[1]) + ")"
    if op == "SUBPATTERN":
        group, _add, _del, sub = av
        return ("(" if group else "(?:") + _js_sequence(sub) + ")"
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):  # possessive: no JS form; greedy is the worst case
        low, high, sub = av
        inner = _js_sequence(sub)
        atom = inner if len(sub) == 1 and str(sub[0][0]) in ("LITERAL", "NOT_LITERAL", "ANY", "IN", "CATEGORY",
                                                             "SUBPATTERN") else f"(?:{inner})"
        return atom + _quantifier(low, high) + ("?" if op == "MIN_REPEAT" else "")
    if op == "AT":
        return _AT.get(str(av), "")
    if op == "CATEGORY":
        return _CATEGORIES.get(str(av), ".")
    if op == "GROUPREF":
        return f"\\{av}"
    if op in ("ASSERT", "ASSERT_NOT"):
        direction, sub = av
        mark = ("=" if op == "ASSERT" else "!")
        return ("(?" if direction >= 0 else "(?<") + mark + _js_sequence(sub) + ")"
    if op == "ATOMIC_GROUP":  # no JS form; a plain group is the worst case
        return "(?:" + _js_sequence(av) + ")"
    raise _Untranslatable(op)


def _quantifier(low: int, high: int) -> str:
    top = sre_constants.MAXREPEAT
    if (low, high) == (0, top):
        return "*"
    if (low, high) == (1, top):
        return "+"
    if (low, high) == (0, 1):
        return "?"
    if high == top:
        return f"{{{low},}}"
    return f"{{{low}}}" if low == high else f"{{{low},{high}}}"


def _js_class(items: Any) -> str:
    parts, negate = [], False
    for op, av in items:
        op = str(op)
        if op == "NEGATE":
            negate = True
        elif op == "LITERAL":
            parts.append(_js_char(av, True))
        elif op == "RANGE":
            parts.append(f"{_js_char(av[0], True)}-{_js_char(av[1], True)}")
        elif op == "CATEGORY":
            parts.append(_CATEGORIES.get(str(av), ""))
        else:
            raise _Untranslatable(op)
    return "[" + ("^" if negate else "") + "".join(parts) + "]"
