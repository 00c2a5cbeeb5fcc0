"""A consistent look for the course's figures (matplotlib; never imported by the core).

Figures are drawn on a transparent background with text, axes and frames in one mid grey that reads on
JupyterLab's light and dark themes alike (about 4.3:1 against white and against the dark theme's #111),
so a figure is never a white block on a dark page. The style is set when a figure is made, not at import.
"""

from __future__ import annotations

from typing import Any

__all__ = ["figure", "subplots", "COLORS", "INK", "INK_Y", "STYLE"]

COLORS = {"opus": "#8250df", "sonnet": "#0969da", "haiku": "#1a7f37", "muted": "#8c959f", "accent": "#cf222e"}
INK = "#797979"  # the grey with the same contrast against white and against #111111 (the dark theme)
# The y axis's numbers are a shade lighter (#808080, also over 3.9:1 on both). The inline backend labels a
# transparent figure whose tick labels are all dark (or all light) "needs_background: light" (or dark), and
# JupyterLab then paints it on white in the dark theme: the white block this style exists to avoid. Tick
# labels on both sides of its mid-grey line (ITU BT.601 luma 0.5) leave the figure to the page's background.
INK_Y = "#808080"
STYLE = {
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.titlecolor": INK,
    "axes.edgecolor": INK,
    "xtick.color": INK,
    "ytick.color": INK_Y,
    "grid.color": INK,
    "legend.frameon": False,
    "legend.labelcolor": INK,
}


def subplots(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """`plt.subplots` with the course's style (kept for later figures of the same kernel)."""
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update(STYLE)
    return plt.subplots(*args, **kwargs)


def figure(title: str, xlabel: str, ylabel: str, *, size: tuple[float, float] = (7.0, 3.6)) -> tuple[Any, Any]:
    """A new figure and axes with a title and labelled axes (units in the labels)."""
    fig, ax = subplots(figsize=size, dpi=100)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax
