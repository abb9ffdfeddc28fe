"""Evaluation: metrics (pure), benchmark runners, and reports (markdown, HTML, PNG plots).

Modules (import them directly; this package imports nothing heavy):

- ``metrics``      spr@1, secure@1, func@k / sec@k / func-sec@k, intervals and splits, over Verdicts (pure).
- ``benchmarks``   benchmark name -> tasks (builtin, securityeval, sec-eval, seccodeplt, cweval, a tasks.jsonl).
- ``generations``  reading generations (native JSONL, the paper release's JSON list) and writing them.
- ``eval_cmd``     ``treeplay eval``: generate (``treeplay.engine.generate``) or read programs, judge, write metrics.
- ``report``, ``report_cmd``, ``plots``   ``treeplay report``.
"""
