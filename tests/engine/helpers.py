"""Small tasks and risk nodes for engine tests (written here; no data files)."""

from __future__ import annotations

from collections.abc import Sequence

from treeplay.engine.tokens import line_start
from treeplay.records import RiskNode, Task

PY_PREFIX = 'import sqlite3\n\n\ndef search(conn, name, limit=20):\n    """Users whose name contains name."""\n'
PY_GOLDEN = PY_PREFIX + (
    "    limit = int(limit)\n"
    '    pattern = "%" + name.replace("%", "\\\\%") + "%"\n'
    "    cur = conn.execute(\n"
    '        "SELECT id, name FROM users WHERE name LIKE ? ESCAPE \'\\\\\' LIMIT ?",\n'
    "        (pattern, limit),\n"
    "    )\n"
    "    return [tuple(row) for row in cur.fetchall()]\n"
)
C_PREFIX = "#include <string.h>\n\nint copy_name(char *dst, size_t size, const char *src)\n{\n"
C_GOLDEN = C_PREFIX + (
    "    size_t n = strlen(src);\n"
    "    if (n + 1 > size)\n"
    "        return -1;\n"
    "    memcpy(dst, src, n + 1);\n"
    "    return 0;\n"
    "}\n"
)

PY_TASK = Task(id="py_search", language="python", cwes=("CWE-89",), prompt="Write search(conn, name, limit).",
               prefix=PY_PREFIX, golden=PY_GOLDEN)
C_TASK = Task(id="c_copy", language="c", cwes=("CWE-787",), prompt="Write copy_name in C.", prefix=C_PREFIX,
              golden=C_GOLDEN)


def nodes_at(task: Task, lines: Sequence[int], method: str = "test") -> list[RiskNode]:
    """Risk nodes of ``task`` on the given 1-based golden lines."""
    return [RiskNode(task_id=task.id, line=n, char_offset=line_start(task.golden or "", n), method=method)
            for n in lines]


NODES_LINES = {"py": [6, 7, 12], "c": [6, 9]}
