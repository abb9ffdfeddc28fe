"""The golden continuation ends with its function, and only real copies of it count as identical."""

from __future__ import annotations

import pytest

from treeplay.tree.golden import function_end, is_identical, normalise

PY = """import os


class A:
    def f(self, a,
          b):
        x = 1

        def g():
            return 2
        # a comment
        return x

    def h(self):
        pass
"""
C = '#include <s.h>\nint f(int a) {\n  if (a) { puts("}"); }\n  return 0; // }\n}\nint g(void) { return 1; }\n'
JS = "function f(a) {\n  const s = `${a}}`;\n  return s;\n}\n\nfunction g() {}\n"


def rest(code, marker, language):
    start = code.index(marker)
    return code[start:function_end(code, start, language)]


@pytest.mark.parametrize("code, marker, language, end", [
    (PY, "x = 1", "python", "return x\n\n"),  # the outermost enclosing def, past a nested one and a comment
    (PY, "return 2", "python", "return x\n\n"),
    (PY, "def f", "python", "return x\n\n"),
    (PY, "import os", "python", "pass\n"),  # module-level code: to the end
    (C, "  if (a)", "c", "return 0; // }\n}\n"),  # braces in strings and comments do not count
    (C, "int f", "c", "return 0; // }\n}\n"),
    (JS, "  return s;", "javascript", "return s;\n}\n"),
    ("def x\n  1\nend\n", "  1", "ruby", "end\n"),  # no rule for the language: to the end
])
def test_function_end_stops_at_the_enclosing_function(code, marker, language, end):
    assert rest(code, marker, language).endswith(end)


def test_normalise_keeps_python_indentation_only():
    assert normalise("  a  =  1 \n\n\tb(x,  y)\n", "python") == ["  a = 1", "    b(x, y)"]
    assert normalise("  a  =  1 \n\n\tb(x,  y)\n", "c") == ["a = 1", "b(x, y)"]


@pytest.mark.parametrize("branch, finish, expected", [
    ("    x = 1\n    return x\n", "stop", True),
    ("    x  =  1   \n\n    return x\n", "stop", True),  # spacing and blank lines do not matter
    ("    x = 1\n    return x\n\ndef extra():\n    pass\n", "stop", True),  # ran on past the function end
    ("    x = 1\n    retu", "length", True),  # cut by the token limit while still on the golden path
    ("    x = 1\n", "stop", False),  # ended the function early: different code
    ("    x = 1\n    if x:\n    return x\n", "stop", False),
    ("    x = 1\nreturn x\n", "stop", False),  # Python indentation is syntax
    ("", "stop", False),
])
def test_identical_means_the_same_code_up_to_the_function_end(branch, finish, expected):
    assert is_identical(branch, "    x = 1\n    return x\n", language="python", finish_reason=finish) is expected
