"""The blocks a report is built of (headings, paragraphs, tables, figures): what its sections and the explorer
yield, and what both renderers (``report_sections``) read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Heading:
    """A section title (level 1 = the report's title)."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    """A paragraph of plain text."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table of already formatted cells; the first column is the row's name."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Figure:
    """A PNG written under the report's plots/ folder, with its caption."""

    path: Path
    caption: str
