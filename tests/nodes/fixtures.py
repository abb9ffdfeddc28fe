"""Small tasks written for the risk-node tests (never copied from real data sets)."""

from __future__ import annotations

from treeplay.records import Annotation, Task

# A fix that escapes output, adds a size check, and deletes a debug line that leaked the secret.
VULNERABLE = """\
def render_comment(comment, secret):
    print("debug", secret)
    text = comment.body
    html = "<p>" + text + "</p>"
    return html
"""
GOLDEN = """\
def render_comment(comment, secret):
    text = comment.body
    if len(text) > 1000:
        raise ValueError("comment too long")
    html = "<p>" + escape(text) + "</p>"
    return html
"""
# golden lines: 1 def, 2 text =, 3 if len, 4 raise, 5 html =, 6 return


def python_task(*, task_id: str = "t-render", prefix: str = "", annotations: tuple[Annotation, ...] = (),
                golden: str = GOLDEN, vulnerable: tuple[str, ...] = (VULNERABLE,), meta: dict | None = None) -> Task:
    return Task(id=task_id, language="python", cwes=("CWE-79",), prompt="Render a user comment as HTML.",
                prefix=prefix, golden=golden, vulnerable=vulnerable, annotations=annotations, meta=meta or {})


def annotation(code_line: str, index: int = 1, cwe: str | None = "CWE-79") -> Annotation:
    return Annotation(index=index, code_line=code_line, cwe=cwe, description=f"risk {index}")


# A SecCodePLT-like whole program: the prefix ends inside the def line (no newline), as in that data set.
PROGRAM_PREFIX = "import os\nBASE = '/srv'\n\ndef read_doc(name: str):"
PROGRAM_GOLDEN = PROGRAM_PREFIX + """
    path = os.path.realpath(os.path.join(BASE, name))
    if not path.startswith(BASE + os.sep):
        raise ValueError("outside base")
    with open(path) as fh:
        return fh.read()
"""
PROGRAM_VULNERABLE = PROGRAM_PREFIX + """
    path = os.path.join(BASE, name)
    with open(path) as fh:
        return fh.read()
"""
# golden lines: 1 import, 2 BASE, 3 blank, 4 def (inside the prefix), 5 path =, 6 if, 7 raise, 8 with, 9 return


def program_task(task_id: str = "t-read") -> Task:
    return Task(id=task_id, language="python", cwes=("CWE-22",), prompt="Read a document.", prefix=PROGRAM_PREFIX,
                golden=PROGRAM_GOLDEN, vulnerable=(PROGRAM_VULNERABLE,))
