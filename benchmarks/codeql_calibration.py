"""Benchmark: how close an offline scan comes to CodeQL's verdicts, the judge of the paper's SPR@1.

Input: a folder with the TSP release's calibration files, ``<model>.generations.json`` (records with ``ID`` like
``CWE-020_codeql_1.py`` and the model's ``Generation``) and ``<model>.codeql.json`` (CodeQL's findings keyed
``/CWE-020/codeql_1.py``; a file absent from the keys had none). For each model and each scan setting:

- **agreement**: share of parsable files where the scan and CodeQL agree (both flag it, or neither does);
- **SPR@1** = 1 - flagged / parsable, as the paper computes it (files that do not parse are left out);
- the files each side flagged alone, with the rules (scan) and queries (CodeQL) involved.

Settings: ``paper`` (``treeplay scan --profile paper``: the ``codeql-compat`` analyzer), ``default`` (the
default profile), and ``before`` (the default analyzers without treeplay's dataflow rules: the scan as it was
before they existed).

    .venv/bin/python benchmarks/codeql_calibration.py --data DATA/codeql-calibration
    .venv/bin/python benchmarks/codeql_calibration.py --data DATA/codeql-calibration --profiles paper --details

Writes benchmarks/results/codeql_calibration.json; the last line is
``RESULT codeql_calibration <profile>_agreement_<model>=... <profile>_spr_<model>=... codeql_spr_<model>=...``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from treeplay.oracles.base import Program  # noqa: E402
from treeplay.oracles.profiles import profile_scan  # noqa: E402
from treeplay.oracles.semgrep import SemgrepOracle  # noqa: E402
from treeplay.oracles.static import scan_programs  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "codeql_calibration.json"
SETTINGS = ("paper", "default", "before")


def load(folder: Path, model: str) -> tuple[list[Program], dict[str, bool], dict[str, set[str]]]:
    """Programs (keyed like CodeQL's files), whether each parses, and CodeQL's queries per file."""
    records = json.loads((folder / f"{model}.generations.json").read_text(encoding="utf-8"))
    codeql = json.loads((folder / f"{model}.codeql.json").read_text(encoding="utf-8"))
    programs, parsed = [], {}
    for rec in records:
        key = "/" + str(rec["ID"]).replace("_", "/", 1)
        code = str(rec["Generation"])
        try:
            ast.parse(code)
            parsed[key] = True
        except SyntaxError:
            parsed[key] = False
        programs.append(Program(key, "python", code))
    flagged = {key: {str(f.get("vulnerability_type", "?")) for f in found} for key, found in codeql.items() if found}
    return programs, parsed, flagged


def scan(setting: str, programs: Sequence[Program]) -> dict[str, set[str]]:
    """Rules that fired per file under ``setting``."""
    if setting == "before":
        found = scan_programs(programs, cache=None, oracles={"semgrep": SemgrepOracle(dataflow=None)})
    else:
        found = profile_scan(programs, setting, cache=None)
    return {key: {f.rule for f in findings} for key, findings in found.items()}


def compare(programs: Sequence[Program], parsed: dict[str, bool], codeql: dict[str, set[str]],
            ours: dict[str, set[str]]) -> dict:
    keys = [p.key for p in programs if parsed[p.key]]
    both = [k for k in keys if codeql.get(k) and ours.get(k)]
    only_codeql = {k: sorted(codeql[k]) for k in keys if codeql.get(k) and not ours.get(k)}
    only_ours = {k: sorted(ours[k]) for k in keys if ours.get(k) and not codeql.get(k)}
    n = len(keys)
    flagged = sum(bool(ours.get(k)) for k in keys)
    return {"parsable": n, "flagged": flagged, "codeql_flagged": sum(bool(codeql.get(k)) for k in keys),
            "both": len(both), "agreement": (n - len(only_codeql) - len(only_ours)) / n,
            "spr": 1 - flagged / n, "codeql_spr": 1 - sum(bool(codeql.get(k)) for k in keys) / n,
            "missed": only_codeql, "extra": only_ours}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the codeql-calibration folder")
    parser.add_argument("--models", default="codellama7b,codellama7b-safecoder")
    parser.add_argument("--profiles", default=",".join(SETTINGS), help=f"any of {', '.join(SETTINGS)}")
    parser.add_argument("--details", action="store_true", help="list the files each side flagged alone")
    args = parser.parse_args(argv)
    models = [m for m in args.models.split(",") if m]
    settings = [s for s in args.profiles.split(",") if s]
    for name in [*(f"{m}.generations.json" for m in models), *(f"{m}.codeql.json" for m in models)]:
        if not (args.data / name).is_file():
            parser.error(f"{args.data / name} is missing (--data must be the codeql-calibration folder)")
    results: dict[str, dict] = {}
    fields = []
    print(f"{'model':<24}{'setting':<10}{'parsable':>9}{'flagged':>8}{'CodeQL':>7}{'agreement':>10}"
          f"{'SPR@1':>7}{'CodeQL SPR@1':>13}")
    for model in models:
        programs, parsed, codeql = load(args.data, model)
        for setting in settings:
            row = compare(programs, parsed, codeql, scan(setting, programs))
            results[f"{model}/{setting}"] = row
            print(f"{model:<24}{setting:<10}{row['parsable']:>9}{row['flagged']:>8}{row['codeql_flagged']:>7}"
                  f"{row['agreement']:>10.3f}{row['spr']:>7.3f}{row['codeql_spr']:>13.3f}")
            if args.details:
                for key, queries in row["missed"].items():
                    print(f"    CodeQL only  {key}: {', '.join(queries)}")
                for key, rules in row["extra"].items():
                    print(f"    scan only    {key}: {', '.join(rules)}")
            fields += [f"{setting}_agreement_{model}={row['agreement']:.3f}", f"{setting}_spr_{model}={row['spr']:.3f}"]
        fields.append(f"codeql_spr_{model}={results[f'{model}/{settings[0]}']['codeql_spr']:.3f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print("RESULT codeql_calibration " + " ".join(fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
