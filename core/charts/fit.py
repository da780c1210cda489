"""The fitted line over the data: a scatter of the dataset and each run's line y = m*x + b."""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from core.charts.common import (
    DATA_COLOR,
    HEIGHT,
    SCATTER_POINTS,
    LabeledRun,
    dash_legend,
    downsample,
    exact,
    label_color,
    last_finite,
    sized,
    user_title,
)
from core.lesson.data import Dataset, FittedLine, least_squares
from core.lesson.results import RunResult

FINAL_LINE = "final"
LEAST_SQUARES = "least-squares line"


def fit_chart(
    dataset: Dataset, runs: Sequence[LabeledRun], *, at_iteration: int | None = None, best: bool = False
) -> alt.LayerChart:
    """The data as a scatter, each run's final line (solid) and its line at ``at_iteration`` (dashed).

    With ``best``, the least-squares line too: where gradient descent should end up.
    """
    # A fresh index: Streamlit would send a sampled frame's gappy index as one more column.
    points = pd.DataFrame({"x": dataset.x, "y": dataset.y})
    points = downsample(points, SCATTER_POINTS, keep_first=0).reset_index(drop=True)
    labels = [label for label, _ in runs] + [LEAST_SQUARES] * best
    lines = _fit_lines(runs, at_iteration, least_squares(dataset) if best else None)
    x_span = _span(dataset.x)
    frame = pd.DataFrame({"x": x_span, "y": _reach(_span(dataset.y), _heights(lines, x_span))})
    # The frame's two corners are data, not numbers in the spec, and every line is cut to the
    # frame, so the axes span exactly the frame. The spec is then the same whatever the runs
    # did, and the browser swaps new data into the chart on the page instead of rebuilding it.
    x_title, y_title = user_title(dataset.x_label), user_title(dataset.y_label)
    x = alt.X("x:Q", title=x_title, scale=alt.Scale(zero=False, nice=False))
    y = alt.Y("y:Q", title=y_title, scale=alt.Scale(zero=False, nice=False))
    corners = alt.Chart(frame).mark_point(opacity=0).encode(x=x, y=y).properties(name="frame")
    scatter = (
        alt.Chart(points)
        .mark_circle(size=16, opacity=0.45, color=DATA_COLOR)
        .encode(x=x, y=y, tooltip=[exact("x", x_title), exact("y", y_title)])
        .properties(name="data")
    )
    fitted = (
        alt.Chart(_cut_to(lines, frame))
        .mark_line(clip=True, strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=label_color(labels),
            strokeDash=alt.StrokeDash(
                "line:N",
                title="line",
                # The final line first, so it is the solid one; the other's name changes with the iteration.
                sort=[FINAL_LINE],
                scale=alt.Scale(range=[[1, 0], [6, 4]]),
                legend=None if at_iteration is None else dash_legend(),
            ),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("line:N"), exact("m", "m"), exact("b", "b")],
        )
        .properties(name="fits")
    )
    text = "Fitted line on the data" if len(labels) <= 1 else "Fitted lines on the data"
    shown = f"showing {len(points):,} of {len(dataset):,} points" if len(points) < len(dataset) else alt.Undefined
    title = alt.TitleParams(text, subtitle=shown)
    return (corners + scatter + fitted).properties(title=title, **sized(HEIGHT))


def _span(values: np.ndarray) -> list[float]:
    """The finite range of ``values``, widened where it is a single point."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [0.0, 1.0]
    low, high = float(finite.min()), float(finite.max())
    return [low - 1, high + 1] if low == high else [low, high]


def _reach(span: list[float], values: np.ndarray) -> list[float]:
    """``span`` widened to take in ``values``, by at most its own length each way.

    A line near the data is shown whole (a first step's line lies well below the data), while a
    wild line is clipped instead of squashing the data into a sliver.
    """
    low, high = span
    room = high - low
    finite = values[np.isfinite(values)]
    if finite.size:
        low, high = max(min(low, float(finite.min())), low - room), min(max(high, float(finite.max())), high + room)
    return [low, high]


def _at_label(at_iteration: int) -> str:
    """The name of the dashed line at ``at_iteration`` in the fit chart's legend."""
    return f"at iteration {at_iteration}"


def _at_row(result: RunResult, at_iteration: int) -> tuple[float, float] | None:
    """The (m, b) a run had at ``at_iteration``, before that iteration's update."""
    rows = result.trajectory[result.trajectory["iteration"] == at_iteration]
    if rows.empty:
        return None
    m, b = float(rows["m"].iloc[0]), float(rows["b"].iloc[0])
    return (m, b) if math.isfinite(m) and math.isfinite(b) else None


def _fit_lines(runs: Sequence[LabeledRun], at_iteration: int | None, best: FittedLine | None = None) -> pd.DataFrame:
    """The lines y = m*x + b to draw, one row each: each run's final line and its line at ``at_iteration``."""
    rows = [] if best is None else [{"run": LEAST_SQUARES, "line": FINAL_LINE, "m": best.m, "b": best.b}]
    for label, result in runs:
        lines = [(FINAL_LINE, last_finite(result))]
        if at_iteration is not None:
            lines.append((_at_label(at_iteration), _at_row(result, at_iteration)))
        rows += [{"run": label, "line": kind, "m": line[0], "b": line[1]} for kind, line in lines if line is not None]
    frame = pd.DataFrame(rows, columns=["run", "line", "m", "b"])
    return frame.astype({"m": "float64", "b": "float64"})


def _heights(lines: pd.DataFrame, x_span: list[float]) -> np.ndarray:
    """Where the lines are at both ends of ``x_span``."""
    return np.concatenate([(lines.m * x + lines.b).to_numpy() for x in x_span])


def _cut_to(lines: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Two end points for each line: the part of it inside ``frame``; a line that misses it is left out."""
    (x_low, x_high), (y_low, y_high) = frame.x.tolist(), frame.y.tolist()
    rows = []
    for line in lines.itertuples(index=False):
        if line.m == 0:
            start, end = (x_low, x_high) if y_low <= line.b <= y_high else (math.inf, -math.inf)
        else:
            crossings = sorted([(y_low - line.b) / line.m, (y_high - line.b) / line.m])
            start, end = max(x_low, crossings[0]), min(x_high, crossings[1])
        if start <= end:
            # A crossing's height can be off the frame by a rounding error: clamped, so the axes stay put.
            rows += [
                {**line._asdict(), "x": x, "y": min(max(line.m * x + line.b, y_low), y_high)} for x in (start, end)
            ]
    cut = pd.DataFrame(rows, columns=[*lines.columns, "x", "y"])
    return cut.astype(dict.fromkeys(["m", "b", "x", "y"], "float64"))
