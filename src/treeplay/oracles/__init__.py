"""Security oracles: static analyzers, the sandbox, test runners and composite verdicts.

Every subprocess treeplay starts goes through ``treeplay.oracles.proc.run``.
"""
