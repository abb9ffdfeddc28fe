"""The library form of every stage: one function per stage, typed arguments (its config section, the input and
output paths), a typed result. The ``treeplay`` commands parse their arguments and call these; ``selfplay`` and
``demo`` call them directly. ``treeplay/__init__.py`` exports them.

Each module is light to import (no torch, no analyzer): heavy libraries are imported inside the functions.
"""
