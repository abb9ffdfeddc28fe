"""Write ``report.md``, a self-contained ``report.html`` and ``plots/*.png`` for evaluated runs.

The runs are read by ``report_model.py`` (the run model: what a run folder holds, the rows and cells shown). The
document (``report_sections.py``) is built once as blocks (headings, paragraphs, tables, figures) and rendered
twice, to Markdown and to HTML, so the two never disagree. Plots live in ``plots.py`` (matplotlib, imported only
when drawing); the tree explorer and the before/after programs (HTML only) in ``explorer.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from treeplay.errors import ToolMissingError, UsageError
from treeplay.eval import plots as plotting
from treeplay.eval.explorer import explorer_blocks
from treeplay.eval.report_blocks import Figure
from treeplay.eval.report_model import Report, Run, collect_runs, comparison_rows, find_rows, load_run, reduction
from treeplay.eval.report_sections import build_blocks, render_html, render_markdown
from treeplay.records import write_text_atomic

# The run model's readers are re-exported: callers read runs here before writing their report.
__all__ = ["Report", "Run", "collect_runs", "comparison_rows", "load_run", "reduction", "write_report"]


def write_report(runs: Sequence[Run], out_dir: Path, *, plots: bool = True, explorer: bool = True,
                 against: Sequence[str] = ()) -> Report:
    """Write report.md, report.html and (with ``plots``) plots/*.png for ``runs`` under ``out_dir``; with
    ``explorer``, the HTML also holds the tree explorer and the before/after programs (``explorer.py``);
    ``against`` names runs every other run is also compared with, prompt by prompt (besides the base model)."""
    if not runs:
        raise UsageError("no runs to report on", fix="give at least one run directory")
    if plots and not plotting.matplotlib_available():
        raise ToolMissingError("matplotlib is not installed", tool="matplotlib",
                               fix="pip install 'treeplay[report]', or pass --no-plots for tables only")
    out_dir = Path(out_dir)
    find_rows(comparison_rows(runs), against)  # a name that matches no run stops here, before anything is written
    out_dir.mkdir(parents=True, exist_ok=True)
    blocks = build_blocks(runs, out_dir / "plots" if plots else None, against)
    if explorer:
        blocks += explorer_blocks(runs)
    md, page = out_dir / "report.md", out_dir / "report.html"
    write_text_atomic(md, render_markdown(blocks, out_dir))
    write_text_atomic(page, render_html(blocks, "treeplay report: " + ", ".join(r.name for r in runs)))
    return Report(md, page, tuple(b.path for b in blocks if isinstance(b, Figure)))
