"""Branches stop at the end of the function they continue, per language, whatever the chunking."""

from __future__ import annotations

import pytest

from treeplay.engine.stops import make_stop_rule


def kept(language: str, before: str, node_line: str, branch: str, chunk: int = 1) -> str | None:
    """The branch text kept when fed in ``chunk``-sized pieces; None when the rule never fires."""
    rule = make_stop_rule(language, before, node_line)
    for i in range(0, len(branch), chunk):
        cut = rule.feed(branch[i:i + chunk])
        if cut is not None:
            return branch[:cut]
    return None


PY_BEFORE = "import os\n\n\ndef load(path):\n    if not path:\n"


@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_python_stops_at_dedent_to_def_level(chunk):
    body = "        raise ValueError(path)\n    return open(path).read()\n\n"
    assert kept("python", PY_BEFORE, "        raise ValueError(path)", body + "def other():\n    pass\n",
                chunk) == body


@pytest.mark.parametrize("chunk", [1, 2, 1000])
def test_python_dedent_inside_strings_brackets_and_comments_does_not_stop(chunk):
    body = ("        return None\n"
            '    doc = """\nnot code\n"""\n'
            "    args = (1,\n2)\n"
            "# a comment at column 0\n"
            "    x = '#' + \"\\\"\"  # strings with quotes\n"
            "    y = ''\n"
            "    return doc\n")
    assert kept("python", PY_BEFORE, "        return None", body + "if __name__ == '__main__':\n    load(1)\n",
                chunk) == body


def test_python_method_ends_at_the_next_method_not_the_class():
    before = "class Store:\n    def get(self, key):\n        value = self.d[key]\n"
    body = "        return value\n\n"
    after = "    def put(self, key, value):\n        pass\n"
    assert kept("python", before, "        return value", body + after) == body


def test_python_nested_function_before_the_node_is_not_the_enclosing_one():
    before = "def outer(xs):\n    def helper(x):\n        return x + 1\n"
    body = "    return [helper(x) for x in xs]\n"
    assert kept("python", before, "    return [helper(x) for x in xs]", body + "print(outer([1]))\n") == body


def test_python_node_on_the_def_line_keeps_the_whole_function():
    body = "def f(x):\n    return x\n"
    assert kept("python", "import os\n\n", "def f(x):", body + "print(f(1))\n") == body


def test_python_module_level_node_only_stops_at_a_code_fence():
    assert kept("python", "x = 1\n", "y = 2", "y = 2\nprint(y)\n") is None
    assert kept("python", "x = 1\n", "y = 2", "y = 2\n```\nThe code above...") == "y = 2\n"


C_BEFORE = ("#include <stdio.h>\n/* a comment with a brace { */\n"
            "struct image *image_create(int w)\n{\n    int x;\n")


@pytest.mark.parametrize("chunk", [1, 4, 1000])
def test_c_stops_when_braces_balance_back_to_the_function_level(chunk):
    body = ('    if (w == 0) {\n        puts("}"); // }\n        return (void *)\'}\';\n    }\n'
            "    /* } */\n    return 0;\n}")
    assert kept("c", C_BEFORE, "    if (w == 0) {", body + "\n\nvoid image_free(void) {}\n", chunk) == body


def test_javascript_callback_node_runs_to_the_end_of_the_outer_function():
    before = ("const fs = require('fs');\nmodule.exports = {\n  handler(req, res) {\n"
              "    fs.readFile(p, (err, data) => {\n")
    body = "      res.send(`${data} }`);\n    });\n    return 1;\n  }"
    assert kept("javascript", before, "      res.send(`${data}`);", body + ",\n  other() {}\n};\n", 3) == body


def test_java_method_ends_with_the_method_not_the_class():
    before = "public class A {\n    public int f(int x) {\n"
    body = "        return x;\n    }"
    assert kept("java", before, "        return x;", body + "\n\n    public int g() { return 1; }\n}\n") == body


def test_go_function_and_a_node_before_the_body():
    assert kept("go", "package main\n\nfunc f(x int) int {\n", "\treturn x", "\treturn x\n}\n\nfunc main() {}\n") \
        == "\treturn x\n}"
    # node on the signature line: the branch ends when the block it opens closes
    assert kept("go", "package main\n\n", "func f() int {", "func f() int {\n\treturn 1\n}\nfunc g() {}\n") \
        == "func f() int {\n\treturn 1\n}"


def test_brace_language_code_fence_and_no_stop_mode():
    assert kept("c", C_BEFORE, "    x = 1;", "    x = 1;\n```\nExplanation {") == "    x = 1;\n"
    rule = make_stop_rule("python", PY_BEFORE, "        return 1", mode="none")
    assert rule.feed("        return 1\ndef g():\n```\n") is None
    with pytest.raises(ValueError):
        make_stop_rule("python", "", "", mode="sometimes")


def test_python_node_inside_an_open_call_still_finds_its_function():
    before = "def q(conn, name):\n    cur = conn.execute(\n"
    body = '"SELECT 1"\n    )\n    return cur\n'  # the node line is an argument written at column 0
    assert kept("python", before, '"SELECT 1"', body + "def other():\n    pass\n") == body
