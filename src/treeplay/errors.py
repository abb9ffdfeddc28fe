"""One exception tree for treeplay. Library code raises these; only ``cli.py`` catches them.

::

    TreeplayError                 exit 1   anything treeplay itself diagnosed
    ├── UsageError                exit 2   bad command-line use (missing argument, bad combination)
    ├── ConfigError               exit 2   unknown config key, wrong type, bad YAML (names the key)
    ├── DataError                 exit 2   malformed input record (names the file and line)
    ├── NotAvailableError         exit 2   a stage or feature that this version does not provide yet
    ├── ModelError                exit 1   a model path or id that cannot be loaded
    └── ToolError                 exit 3   an external tool failed (crash: keeps its stderr)
        └── ToolMissingError      exit 3   an external tool is not installed (says how to install it)

Every error carries a one-line ``message`` and an optional ``fix`` (what the user should do). The CLI prints
``treeplay: error: <where>: <message>`` and, on a second line, ``fix: <fix>``; the traceback only with ``--debug``.
Vulnerable or failing generated code is never an error: oracles report it as a verdict.
"""

from __future__ import annotations

from pathlib import Path


class TreeplayError(Exception):
    """Base class: a failure treeplay diagnosed and can explain in one line."""

    exit_code = 1

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def where(self) -> str | None:
        """A location prefix (``file:line``, a config key) or None."""
        return None

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class UsageError(TreeplayError):
    """The command line asks for something inconsistent or incomplete."""

    exit_code = 2


class ConfigError(TreeplayError):
    """A configuration value is unknown, of the wrong type, or unreadable."""

    exit_code = 2

    def __init__(self, message: str, *, key: str | None = None, file: str | Path | None = None,
                 fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.key = key
        self.file = str(file) if file is not None else None

    def where(self) -> str | None:
        parts = [p for p in (self.file, self.key) if p]
        return ": ".join(parts) if parts else None


class DataError(TreeplayError):
    """An input record is malformed. ``line`` is 1-based; None when the problem is the whole file."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None,
                 fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.file = str(file) if file is not None else None
        self.line = line

    def where(self) -> str | None:
        if self.file is None:
            return None
        return f"{self.file}:{self.line}" if self.line is not None else self.file


class NotAvailableError(TreeplayError):
    """A command or feature exists in the interface but is not provided by this version."""

    exit_code = 2


class ModelError(TreeplayError):
    """A model cannot be found or loaded."""


class ToolError(TreeplayError):
    """An external tool (analyzer, compiler, sandbox) failed. ``stderr`` keeps what it said."""

    exit_code = 3

    def __init__(self, message: str, *, tool: str, stderr: str = "", fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.tool = tool
        self.stderr = stderr

    def where(self) -> str | None:
        return self.tool


class ToolMissingError(ToolError):
    """An external tool is not installed; ``fix`` says how to install it."""
