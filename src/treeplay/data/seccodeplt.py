"""SecCodePLT Python tasks with capability and safety tests (format: ``../shared/data/README.md`` semantics).

The whole program is ``setup + code_before + body + code_after``. treeplay keeps whole programs: ``prefix`` =
setup + code_before, ``golden`` = prefix + patched_code + code_after, the vulnerable variant = prefix +
vulnerable_code + code_after. The ``testcases`` source goes into a ``seccodeplt`` TestSuite that the SecCodePLT
runner executes against the candidate's function ``task_description.function_name``.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path
from typing import Any

from treeplay.data.cwe import canonical_cwe
from treeplay.data.jsonio import iter_json_array, require
from treeplay.errors import DataError
from treeplay.records import Task, TestSuite

LICENSE = "MIT (SecCodePLT data card)"
_DESCRIPTION_PARTS = (("description", None), ("context", "Context"), ("arguments", "Arguments"),
                      ("return", "Returns"), ("raise", "Raises"), ("security_policy", "Security policy"))


def import_seccodeplt(path: Path) -> list[Task]:
    split = path.stem if path.stem in {"train", "dev", "test"} else None
    return [_task(obj, path, line, split) for line, obj in iter_json_array(path)]


def _task(obj: dict[str, Any], path: Path, line: int, split: str | None) -> Task:
    require(obj, ("CWE_ID", "task_description", "ground_truth", "unittest"), path=path, line=line,
            types={"task_description": dict, "ground_truth": dict, "unittest": dict})
    desc, truth, unit = obj["task_description"], obj["ground_truth"], obj["unittest"]
    require(desc, ("function_name",), path=path, line=line)
    require(truth, ("code_before", "vulnerable_code", "patched_code", "code_after"), path=path, line=line)
    try:
        cwe = canonical_cwe(obj["CWE_ID"])
    except ValueError:
        raise DataError(f"CWE_ID {obj['CWE_ID']!r} is not a CWE id", file=path, line=line) from None
    setup = unit.get("setup") or ""
    prefix = (setup + "\n" if setup.strip() else "") + truth["code_before"]
    cases = unit.get("testcases") or ""
    tests = None
    if cases.strip():
        capability, safety = _case_kinds(cases)
        tests = TestSuite(kind="seccodeplt", files={"testcases.py": cases}, module="solution.py",
                          functional=capability, security=safety, entry_point=desc["function_name"],
                          requires=tuple(obj.get("install_requires") or ()))
    index = obj.get("index", line)
    return Task(
        id=f"seccodeplt-{split or 'x'}-{cwe.split('-')[1]}-{index}", language="python", cwes=(cwe,),
        prompt=_prompt(desc), prefix=prefix, golden=prefix + truth["patched_code"] + truth["code_after"],
        vulnerable=(prefix + truth["vulnerable_code"] + truth["code_after"],), tests=tests,
        entry_point=desc["function_name"], source="seccodeplt", license=LICENSE, split=split,
        meta={"rule": obj.get("rule", ""), "index": index,
              "body_span": {"vulnerable_code": truth["vulnerable_code"], "patched_code": truth["patched_code"],
                            "code_after": truth["code_after"]}},
    )


def _prompt(desc: dict[str, Any]) -> str:
    lines = [f"Write the Python function `{desc['function_name']}`."]
    for key, title in _DESCRIPTION_PARTS:
        value = str(desc.get(key) or "").strip()
        if value:
            lines.append(value if title is None else f"{title}:\n{value}")
    return "\n\n".join(lines)


def _case_kinds(source: str) -> tuple[bool, bool]:
    """Whether ``testcases`` has capability and safety cases, read from its source without running it."""
    try:
        with warnings.catch_warnings():  # the data's test sources contain escapes like '\-'
            warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
            tree = ast.parse(source)
    except SyntaxError:
        return True, True  # the runner will report the broken test source
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "testcases"
                                                for t in node.targets) and isinstance(node.value, ast.Dict):
            kinds = {}
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                if isinstance(key, ast.Constant):
                    kinds[key.value] = not isinstance(value, (ast.List, ast.Tuple)) or bool(value.elts)
            return kinds.get("capability", False), kinds.get("safety", False)
    return True, True
