"""treeplay: Tree-like Self-Play (TSP) for secure code LLMs, with verified labels and honest metrics."""

__version__ = "0.1.0"
