"""Syntax checks: a function taken out of its file parses; a truncated or unbalanced one does not."""

from __future__ import annotations

import pytest

from treeplay.oracles.native import check_parses
from treeplay.oracles.syntax import syntax_error
from treeplay.oracles.verdict import parses_ok

WELL_FORMED = {
    # typedef names from headers that are not there (size_t, EEPROM_HDR) are fine: syntax only
    "c": "static int set_serial(EEPROM_HDR *e, const char *sn, size_t n)\n{\n    if (n > 8) return -1;\n"
         "    memcpy(e->serial, sn, n);\n    return 0;\n}\n",
    "cpp": "std::string join(const std::vector<std::string>& parts) {\n    std::string out;\n"
           "    for (const auto& p : parts) { out += p; }\n    return out;\n}\n",
    "go": "func lookup(db *sql.DB, name string) (int, error) {\n\tvar id int\n"
          "\terr := db.QueryRow(\"SELECT id FROM users WHERE name = ?\", name).Scan(&id)\n\treturn id, err\n}\n",
    "java": "public String read(String name) throws IOException {\n"
            "    return new String(Files.readAllBytes(Paths.get(base, name)));\n}\n",
    "ruby": "def show\n  @user = User.find_by(id: params[:id])\n  render json: @user\nend\n",
}
BROKEN = {
    "c": "int f(int x) {\n    if (x > 0 {\n        return 1;\n    }\n",
    "cpp": "int f(int x) {\n    return x +;\n}\n",
    "go": "func Add(a int, b int) int {\n\treturn a + \n",
    "java": "public int f() {\n    return 1\n",
    "ruby": "def f(x)\n  if x > 1\n    x + 1\n",
}


@pytest.mark.parametrize("language", sorted(WELL_FORMED))
def test_a_function_out_of_its_file_parses(language):
    assert syntax_error(language, WELL_FORMED[language]) is None
    assert check_parses(language, WELL_FORMED[language]) == (True, None)
    assert parses_ok(language, WELL_FORMED[language], None) == (True, None)


@pytest.mark.parametrize("language", sorted(BROKEN))
def test_a_truncated_or_unbalanced_function_does_not_parse_and_the_error_names_the_line(language):
    error = syntax_error(language, BROKEN[language])
    assert error is not None and error.startswith("line ") and "syntax error" in error
    parsed, reported = check_parses(language, BROKEN[language])
    assert parsed is False and reported == error


def test_a_language_without_a_grammar_is_refused():
    with pytest.raises(ValueError, match="no tree-sitter grammar"):
        syntax_error("cobol", "DISPLAY 'HI'.")


def test_program_parses_in_process_for_python_javascript_and_the_grammars():
    from treeplay.oracles.syntax import LANGUAGES, program_parses

    assert "javascript" not in LANGUAGES  # its verdicts keep node --check
    assert program_parses("python", "def f():\n    return 1\n") is True
    assert program_parses("python", "print 'python 2'\n") is False
    assert program_parses("javascript", "const f = (a) => a + 1;\n") is True
    assert program_parses("javascript", "function f( {\n") is False
    assert program_parses("c", WELL_FORMED["c"]) is True and program_parses("c", BROKEN["c"]) is False
    assert program_parses("cobol", "DISPLAY 'HI'.") is None
