"""``report``: one or more run folders -> report.md, report.html and plots (``treeplay report``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from treeplay.errors import UsageError


@dataclass(frozen=True)
class ReportResult:
    """The report's files and the runs it compared."""

    runs: tuple[str, ...]
    markdown: Path
    html: Path
    plots: tuple[Path, ...]

    def message(self) -> str:
        return "\n".join([f"compared {len(self.runs)} run(s): " + ", ".join(self.runs),
                          f"wrote {self.markdown} and {len(self.plots)} plot(s) under {self.markdown.parent / 'plots'}",
                          f"report: {self.html}"])


def report(runs: Sequence[Path], out: Path | None = None, *, plots: bool = True,
           explorer: bool = True, against: Sequence[str] = ()) -> ReportResult:
    """Compare ``runs`` (run folders or eval folders; iteration 0 of the first self-play run is the base) in a
    report written to ``out`` (default: the first run's folder); ``against`` names runs (name, folder or label)
    that every other run is also compared with, prompt by prompt."""
    from treeplay.eval.report import collect_runs, write_report

    if not runs:
        raise UsageError("no RUN_DIR given (only KEY=VALUE overrides)", fix="name at least one run directory")
    collected = collect_runs([Path(p) for p in runs])
    written = write_report(collected, Path(out or runs[0]), plots=plots, explorer=explorer, against=against)
    return ReportResult(tuple(r.name for r in collected), written.markdown, written.html, tuple(written.plots))
