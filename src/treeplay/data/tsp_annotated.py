"""The TSP paper's release of SafeCoder records with GPT-4o risk-node annotations (``output`` field).

Each annotation block reads ``[[n]] [Code_Line] <line> [CWE_ID]CWE-<num> [Description] <text>``; the blocks are
kept as ``Task.annotations`` and matched back to golden-code lines by the ``annotation`` node method.
"""

from __future__ import annotations

import re
from pathlib import Path

from treeplay.data.cwe import try_canonical_cwe
from treeplay.data.jsonio import iter_json_array, require
from treeplay.data.safecoder import record_to_task
from treeplay.records import Annotation, Task

_BLOCK = re.compile(r"\[\[(\d+)\]\]")
_FIELD = re.compile(r"\[(Code_Line|CWE_ID|Description)\]")


def import_tsp_annotated(path: Path) -> list[Task]:
    """Tasks with their paper annotations; ids equal those of the same records imported as ``safecoder``."""
    tasks = []
    for line, obj in iter_json_array(path):
        require(obj, ("output",), path=path, line=line, types={"output": str})
        tasks.append(record_to_task(obj, path=path, line=line, split="train", source="tsp-annotated",
                                    annotations=parse_annotations(obj["output"])))
    return tasks


def parse_annotations(text: str) -> tuple[Annotation, ...]:
    """Parse the ``[[n]] [Code_Line] ... [CWE_ID] ... [Description] ...`` blocks of one ``output`` text."""
    text = text.replace("```", "")
    marks = list(_BLOCK.finditer(text))
    out = []
    for i, mark in enumerate(marks):
        body = text[mark.end(): marks[i + 1].start() if i + 1 < len(marks) else len(text)]
        fields: dict[str, str] = {}
        parts = _FIELD.split(body)
        # parts = [before, name1, value1, name2, value2, ...]
        for name, value in zip(parts[1::2], parts[2::2], strict=False):
            fields.setdefault(name, value)
        code = fields.get("Code_Line", "").strip("\n").strip()
        if not code:
            continue
        out.append(Annotation(index=int(mark.group(1)), code_line=code,
                              cwe=try_canonical_cwe(fields.get("CWE_ID", "").strip()),
                              description=" ".join(fields.get("Description", "").split())))
    return tuple(out)
