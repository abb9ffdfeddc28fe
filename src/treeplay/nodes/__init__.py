"""Risk nodes: lines of the golden code where a vulnerability could be introduced (the paper's step 2).

One small module per way of finding them, each a function ``<method>_nodes(tasks, ...) -> NodeResult``:

- ``annotation``: the paper's own GPT-4o nodes (``Task.annotations``) matched back to golden lines;
- ``diff``: the lines the vulnerability fix changed (fixed vs vulnerable code);
- ``analyzer``: the lines an analyzer flags in the vulnerable variant, mapped onto the golden code;
- ``entropy``: the lines where a model is least sure of the golden path (needs torch);
- ``llm``: any OpenAI-compatible chat endpoint, asked with treeplay's own annotation prompt.

Every method yields ``RiskNode`` records with ``line`` (1-based in ``Task.golden``) and ``char_offset`` (where
that line starts), one node per line, only after ``Task.prefix`` (the model continues from there), sorted by
line. ``token_position`` stays None: the grow stage maps it with the opponent's tokenizer.
"""

METHODS = ("annotation", "diff", "analyzer", "entropy", "llm")
