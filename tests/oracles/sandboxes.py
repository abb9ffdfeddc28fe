"""The real bubblewrap sandbox for tests, or a skip naming why it is missing; and a skip for missing tools."""

from __future__ import annotations

import shutil

import pytest

from treeplay.errors import ToolError
from treeplay.oracles.sandbox import Sandbox


def real_sandbox() -> Sandbox:
    """The real sandbox; the calling test is skipped where bubblewrap or the sandbox's environment is missing."""
    try:
        sb = Sandbox()
        sb.python  # noqa: B018 - raises when the sandbox's Python environment is missing
    except ToolError as err:
        pytest.skip(f"the bubblewrap sandbox is not available here: {err}")
    return sb


def need(tool: str) -> None:
    """Skip the calling test when ``tool`` is not on the PATH."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
