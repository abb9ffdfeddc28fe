"""Where treeplay keeps what outlives a run: the user cache (converted models, analyzer findings)."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    """treeplay's user cache (converted models, analyzer findings): ``$TREEPLAY_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/treeplay``, else ``~/.cache/treeplay``."""
    if os.environ.get("TREEPLAY_CACHE_DIR"):
        return Path(os.environ["TREEPLAY_CACHE_DIR"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "treeplay"
    return Path.home() / ".cache" / "treeplay"
