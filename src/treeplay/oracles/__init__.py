"""Security oracles: static analyzers, the sandbox, test runners and composite verdicts.

Every subprocess treeplay starts goes through ``treeplay.oracles.proc.run``, except the programs run inside
the sandbox, which ``Sandbox.run`` starts itself (their output goes to files, never memory).
"""
