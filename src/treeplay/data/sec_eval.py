"""SafeCoder's ``sec_eval`` scenarios: ``<split>/cwe-XXX/<N>-<lang>/`` with info.json and the code contexts.

The split (``trained``, ``trained-new``, ``not-trained``) is kept, so evaluation can report seen vs unseen CWEs.
The prefix is ``file_context`` followed by ``func_context``; scenarios carry no golden solution and no tests
(they were judged by the CodeQL query named in ``info.json``, kept in ``meta``). A symlink under the folder that
leads out of it is an error: the tasks would carry files the user never gave.
"""

from __future__ import annotations

from pathlib import Path

from treeplay.data.cwe import canonical_cwe, try_canonical_cwe
from treeplay.data.jsonio import check_links_inside, read_json, read_text, require
from treeplay.errors import DataError
from treeplay.records import LANGUAGE_OF_EXTENSION, Task

LICENSE = "MIT (SafeCoder sec_eval)"
SPLITS = ("trained", "trained-new", "not-trained")


def import_sec_eval(root: Path) -> list[Task]:
    """All scenarios under ``root``: the ``sec_eval`` folder itself, or one of its split folders."""
    if not root.is_dir():
        raise DataError("expected a sec_eval folder", file=root,
                        fix="pass the folder that holds trained/, trained-new/, not-trained/")
    check_links_inside(root)
    roots = [root / s for s in SPLITS if (root / s).is_dir()] or [root]
    tasks = []
    for split_dir in roots:
        split = split_dir.name if split_dir.name in SPLITS else None
        for info in sorted(split_dir.glob("cwe-*/*/info.json")):
            tasks.append(_scenario(info, split))
    if not tasks:
        raise DataError("no scenarios (cwe-XXX/N-lang/info.json) found", file=root,
                        fix="pass SafeCoder's sec_eval folder (or one of its split folders)")
    return tasks


def _scenario(info_path: Path, split: str | None) -> Task:
    info = read_json(info_path)
    if not isinstance(info, dict):
        raise DataError("info.json should hold an object", file=info_path,
                        fix='a scenario\'s info.json is {"language": "py", "cwe": "CWE-022", ...}')
    require(info, ("language", "cwe"), path=info_path, line=None, types={"language": str, "cwe": (str, int)},
            optional={"description": str, "description_generated": str, "check_ql": str})
    folder = info_path.parent
    ext = info["language"]
    language = LANGUAGE_OF_EXTENSION.get(ext)
    if language is None:
        raise DataError(f"unknown language {ext!r}", file=info_path,
                        fix=f"use a file extension: {', '.join(sorted(LANGUAGE_OF_EXTENSION))}")
    file_ctx, func_ctx = folder / f"file_context.{ext}", folder / f"func_context.{ext}"
    if not file_ctx.exists() and not func_ctx.exists():
        raise DataError(f"neither file_context.{ext} nor func_context.{ext} is present", file=folder,
                        fix="each scenario folder holds its code context files")
    prefix = "".join(read_text(p) for p in (file_ctx, func_ctx) if p.exists())
    try:
        cwe = canonical_cwe(info["cwe"])
    except ValueError:
        raise DataError(f"cwe {info['cwe']!r} is not a CWE id", file=info_path,
                        fix="write it as CWE-079, cwe-79 or 79") from None
    meta_extra = {}
    folder_cwe = try_canonical_cwe(folder.parent.name)
    if folder_cwe is not None and folder_cwe != cwe:
        # One scenario (trained-new/cwe-022/1-rb) says CWE-116 in info.json while its folder and its CodeQL
        # query (cwe-022/PathInjection.ql) say CWE-22: the folder is what the scenario tests.
        meta_extra = {"info_cwe": cwe}
        cwe = folder_cwe
    description = info.get("description_generated") or info.get("description") or ""
    return Task(
        id=f"sec-eval-{split or 'x'}-{folder.parent.name}-{folder.name}", language=language, cwes=(cwe,),
        prompt=str(description), prefix=prefix, golden=None, vulnerable=(), tests=None, source="sec-eval",
        license=LICENSE, split=split,
        meta={"scenario": folder.name, "check_ql": info.get("check_ql", ""),
              "description": info.get("description", ""),
              "queries": sorted(p.name for p in folder.glob("*.ql")), **meta_extra},
    )
