"""PNG figures for bench reports (matplotlib, headless Agg backend).

Figures carry no timing of their own: they draw the summary table, so regenerating a report from the
same results file redraws the same figures.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd


def heatmap(grid: pd.DataFrame, title: str, path: Path) -> Path:
    """Fragment number x fragment size heatmap of the ratio to the limit, each cell annotated."""
    fig, ax = plt.subplots(figsize=(1.1 * len(grid.columns) + 2.5, 0.55 * len(grid.index) + 1.8), dpi=100)
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(
        values, cmap="viridis", vmin=0.0, vmax=max(1.0, float(pd.DataFrame(values).max().max()))
    )
    ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns])
    ax.set_yticks(range(len(grid.index)), [str(i) for i in grid.index])
    ax.set_xlabel("fragment size S")
    ax.set_ylabel("fragment number N")
    ax.set_title(title, fontsize=10)
    for row in range(values.shape[0]):
        for col in range(values.shape[1]):
            value = values[row, col]
            if not math.isnan(value):
                ax.text(
                    col,
                    row,
                    f"{value:.2f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="black" if value > 0.6 else "white",
                )
    fig.colorbar(image, ax=ax, label="ratio to limit (median)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def contenders(rows: pd.DataFrame, title: str, path: Path) -> Path:
    """Horizontal bars of the median ratio to the limit, IQR as error bars, one bar per contender."""
    rows = rows.sort_values("ratio")
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.5), dpi=100)
    colors = [
        "tab:gray" if k == "limit" else "tab:orange" if k == "peer" else "tab:blue" for k in rows["kind"]
    ]
    ax.barh(list(rows["contender"]), list(rows["ratio"]), xerr=list(rows["ratio_iqr"] / 2), color=colors)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.axvline(0.8, color="black", linewidth=0.8, linestyle=":")
    ax.set_xlabel("ratio to limit (median, IQR bars); gray = limit, orange = peers, blue = s3conf reader")
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
