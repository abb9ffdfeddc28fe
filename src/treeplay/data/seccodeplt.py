"""SecCodePLT Python tasks with capability and safety tests (format: ``../shared/data/README.md`` semantics).

The whole program is ``setup + code_before + body + code_after``. treeplay keeps whole programs: ``prefix`` =
setup + code_before, ``golden`` = prefix + patched_code + code_after, the vulnerable variant = prefix +
vulnerable_code + code_after. The ``testcases`` source (and the ``setup`` source, as ``setup.py``) go into a
``seccodeplt`` TestSuite that the SecCodePLT runner executes against the candidate's function
``task_description.function_name``.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path
from typing import Any

from treeplay.data.cwe import canonical_cwe
from treeplay.data.jsonio import FIELD_FIX, iter_json_array, require, require_str_list
from treeplay.errors import DataError
from treeplay.records import Task, TestSuite

LICENSE = "MIT (SecCodePLT data card)"
_DESCRIPTION_PARTS = (("description", None), ("context", "Context"), ("arguments", "Arguments"),
                      ("return", "Returns"), ("raise", "Raises"), ("security_policy", "Security policy"))


def import_seccodeplt(path: Path) -> list[Task]:
    """One task per record of a SecCodePLT JSON list; the split is the file's stem (train, dev, test)."""
    split = path.stem if path.stem in {"train", "dev", "test"} else None
    return [_task(obj, path, line, split) for line, obj in iter_json_array(path)]


def _task(obj: dict[str, Any], path: Path, line: int, split: str | None) -> Task:
    _check_record(obj, path, line)
    desc, truth, unit = obj["task_description"], obj["ground_truth"], obj["unittest"]
    try:
        cwe = canonical_cwe(obj["CWE_ID"])
    except ValueError:
        raise DataError(f"CWE_ID {obj['CWE_ID']!r} is not a CWE id", file=path, line=line,
                        fix="write it as CWE-79, cwe-079 or 79") from None
    setup = unit.get("setup") or ""
    prefix = (setup + "\n" if setup.strip() else "") + truth["code_before"]
    cases = unit.get("testcases") or ""
    tests = None
    if cases.strip():
        capability, safety = _case_kinds(cases)
        # setup.py: the record's setup alone, so the runner can compute expected values without the candidate
        files = {"testcases.py": cases, **({"setup.py": setup} if setup.strip() else {})}
        try:
            tests = TestSuite(kind="seccodeplt", files=files, module="solution.py", functional=capability,
                              security=safety, entry_point=desc["function_name"],
                              requires=tuple(obj.get("install_requires") or ()))
        except ValueError as err:
            raise DataError(str(err), file=path, line=line, fix=FIELD_FIX) from None
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


def _check_record(obj: dict[str, Any], path: Path, line: int) -> None:
    """DataError(file, line) unless every field a later stage reads has its type (texts are strings, the entry
    point a Python identifier, ``install_requires`` a list of strings)."""
    require(obj, ("CWE_ID", "task_description", "ground_truth", "unittest"), path=path, line=line,
            types={"CWE_ID": (str, int), "task_description": dict, "ground_truth": dict, "unittest": dict},
            optional={"index": (int, str), "rule": str})
    desc, truth, unit = obj["task_description"], obj["ground_truth"], obj["unittest"]
    require(desc, ("function_name",), path=path, line=line, types={"function_name": str},
            optional={key: str for key, _ in _DESCRIPTION_PARTS}, where="task_description.")
    if not desc["function_name"].isidentifier():
        raise DataError(f"task_description.function_name {desc['function_name']!r} is not a Python name",
                        file=path, line=line, fix=FIELD_FIX)
    parts = ("code_before", "vulnerable_code", "patched_code", "code_after")
    require(truth, parts, path=path, line=line, types={k: str for k in parts}, where="ground_truth.")
    require(unit, (), path=path, line=line, optional={"setup": str, "testcases": str}, where="unittest.")
    require_str_list(obj, "install_requires", path=path, line=line)


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
