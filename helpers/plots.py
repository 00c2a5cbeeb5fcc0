"""A consistent look for the course's figures (matplotlib; never imported by the core)."""

from __future__ import annotations

from typing import Any

__all__ = ["figure", "COLORS"]

COLORS = {"opus": "#8250df", "sonnet": "#0969da", "haiku": "#1a7f37", "muted": "#8c959f", "accent": "#cf222e"}


def figure(title: str, xlabel: str, ylabel: str, *, size: tuple[float, float] = (7.0, 3.6)) -> tuple[Any, Any]:
    """A new figure and axes with a title and labelled axes (units in the labels)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, dpi=100)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax
