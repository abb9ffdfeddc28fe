"""PNG plots for ``treeplay report``: grouped bars and line panels, drawn with matplotlib's Agg backend.

matplotlib is imported inside the functions (it is the ``report`` extra, and importing it costs ~0.3 s), so
``treeplay --help`` and ``import treeplay.eval.report`` stay light. Every function takes plain data (labels and
numbers, None for a missing value) and writes one PNG atomically (temporary file, then rename), so a crash never
leaves a half-written image that the HTML report would embed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from treeplay.records import atomic_writer

DPI = 100


def matplotlib_available() -> bool:
    """True when matplotlib can be imported (``pip install 'treeplay[report]'`` installs it)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no display: files only, and the same pixels on every machine
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    with atomic_writer(path, binary=True) as fh:
        fig.savefig(fh, dpi=DPI, format="png")
    _pyplot().close(fig)
    return path


def grouped_bars(path: Path, *, title: str, categories: Sequence[str], series: Mapping[str, Sequence[float | None]],
                 ylabel: str, percent: bool = True, colors: Mapping[str, str] | None = None) -> Path:
    """Bars per category (x), one bar per series side by side; a None value leaves its slot empty.

    ``series`` maps a legend label (a run) to one value per category. With ``percent`` the values are fractions
    shown as 0-100 %. ``colors`` (legend label -> matplotlib colour) keeps a run's colour the same in every plot.
    """
    plt = _pyplot()
    width_in = min(16.0, max(6.0, 0.35 * len(categories) * max(1, len(series)) + 2.0))
    fig, ax = plt.subplots(figsize=(width_in, 4.2))
    n = max(1, len(series))
    bar = 0.8 / n
    scale = 100.0 if percent else 1.0
    for i, (label, values) in enumerate(series.items()):
        xs = [c + (i - (n - 1) / 2) * bar for c in range(len(categories)) if values[c] is not None]
        ys = [v * scale for v in values if v is not None]
        ax.bar(xs, ys, width=bar, label=label, color=(colors or {}).get(label))
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels(categories, rotation=30 if len(categories) > 6 else 0, ha="right" if len(categories) > 6
                       else "center")
    ax.set_ylabel(ylabel + (" (%)" if percent else ""))
    if percent:
        low = min([0.0] + [v * scale for vs in series.values() for v in vs if v is not None])
        ax.set_ylim(low, 100)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small", loc="best")
    fig.tight_layout()
    return _save(fig, path)


def line_panels(path: Path, *, title: str, panels: Mapping[str, Mapping[str, Sequence[tuple[float, float]]]],
                xlabel: str, percent: Sequence[str] = (), colors: Mapping[str, str] | None = None) -> Path:
    """One subplot per panel (a metric), one line per series (a run or an iteration) of (x, y) points.

    Panels whose name is in ``percent`` hold fractions and are drawn as 0-100 %. A panel with no points says
    "no data" instead of drawing empty axes, so a missing metric is visible rather than silently absent.
    ``colors`` maps a series label to a matplotlib colour.
    """
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    names = list(panels)
    fig, axes = plt.subplots(1, max(1, len(names)), figsize=(4.6 * max(1, len(names)), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        scale = 100.0 if name in percent else 1.0
        drawn = False
        for label, points in panels[name].items():
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, [y * scale for y in ys], marker="o" if len(points) < 30 else None, markersize=4,
                    label=label, color=(colors or {}).get(label))
            drawn = True
        if not drawn:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="grey")
        ax.set_title(name + (" (%)" if name in percent else ""))
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # iterations and steps are whole numbers
        ax.grid(alpha=0.3)
        if drawn:
            ax.legend(fontsize="small", loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)
