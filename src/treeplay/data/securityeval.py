"""SecurityEval prompts (as shipped with the TSP release): 121 Python code prefixes over 69 CWEs.

The paper's SPR@1 benchmark. ``Prompt`` is the code the model completes (the task's prefix); ``Insecure_code``
is an insecure example (a vulnerable variant). There is no golden solution and no executable test.
"""

from __future__ import annotations

import re
from pathlib import Path

from treeplay.data.cwe import canonical_cwe
from treeplay.data.jsonio import iter_json_array, require
from treeplay.errors import DataError
from treeplay.records import Task

LICENSE = "MIT (SecurityEval via the TSP release)"
INSTRUCTION = "Complete the following Python code."
_ID = re.compile(r"^(CWE-\d+)_(.+?)(?:\.py)?$", re.IGNORECASE)


def import_securityeval(path: Path) -> list[Task]:
    """One task per prompt of SecurityEval's ``prompts.json`` (a JSON list of {ID, Prompt, Insecure_code})."""
    tasks = []
    for line, obj in iter_json_array(path):
        # Insecure_code may be absent or empty (no variant), but never of another type: dropping it silently
        # would leave the task without its vulnerable example and no one would know.
        require(obj, ("ID", "Prompt"), path=path, line=line, types={"ID": str, "Prompt": str},
                optional={"Insecure_code": str})
        match = _ID.match(obj["ID"])
        if not match:
            raise DataError(f"ID {obj['ID']!r} does not look like 'CWE-020_author_1.py'", file=path, line=line,
                            fix="SecurityEval IDs are <CWE-id>_<source>_<n>.py")
        insecure = obj.get("Insecure_code")
        tasks.append(Task(
            id="securityeval-" + obj["ID"].removesuffix(".py"), language="python",
            cwes=(canonical_cwe(match.group(1)),), prompt=INSTRUCTION, prefix=obj["Prompt"], golden=None,
            vulnerable=(insecure,) if isinstance(insecure, str) and insecure.strip() else (),
            source="securityeval", license=LICENSE, split="test", meta={"file_name": obj["ID"]},
        ))
    return tasks
