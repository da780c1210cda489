"""What every chart shares: sizes and colours, downsampling, encodings, and layers drawn alike.

Each layer gets a slim DataFrame holding only the columns it plots, because Streamlit sends every
column of a DataFrame it is given to the browser; long trajectories are downsampled to at most
``MAX_POINTS`` rows per series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from core.lesson.drafts import Loss
from core.lesson.results import RunResult
from core.lesson.text import single_line

LabeledRun = tuple[str, RunResult]

# Every point costs the browser work at each redraw (it runs Vega's expressions through an
# interpreter): a few hundred per series draw a smooth line and keep a redraw quick.
MAX_POINTS = 500  # per series
KEEP_FIRST = 100  # gradient descent does most of its moving in the first iterations: keep them all
HOVER_POINTS = 150  # per series: points to hover for exact values (the line keeps MAX_POINTS)
HOVER_KEEP_FIRST = 30
SCATTER_POINTS = 2_000  # of a dataset: the fit chart shows every point of the lesson's data
HEIGHT = 180  # of the plot itself: titles, legends and axes come on top, so every plot is this tall
SHORT_SERIES = 10  # a series this short shows its points, so a one-step run is still visible

FAILURE_COLOR = "#d62728"
STOPPED_COLOR = "#7f7f7f"  # the caller stopped the run: not an error, so not red
CURSOR_COLOR = "#767676"  # a mid grey: seen on the light theme and the dark one
DATA_COLOR = "#9a9a9a"
# Okabe and Ito's palette, told apart with deuteranopia and protanopia too (blue and orange first:
# the pair every kind of colour vision separates), without its vermillion, black and yellow: red
# belongs to failures, black vanishes on the dark theme, yellow on the light one. Yellow comes
# last, for a seventh run only.
RUN_COLORS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#9d755d", "#f0e442"]
# A second cue beside colour, where runs can lie on one another (core.charts.apart): solid, dashed, dotted...
RUN_DASHES = [[1, 0], [7, 3], [2, 2], [9, 3, 2, 3], [4, 4], [1, 4], [12, 4]]

PARAMETERS = ("m", "b")
TITLE_LIMIT = 60  # characters of a user's words in a chart (an axis title, a tooltip's label)


def loss_label(runs: Sequence[LabeledRun]) -> str:
    """The loss the runs minimised, as an axis names it: ``loss (MSE)``; both named when the runs differ."""
    names = [loss.value.upper() for loss in Loss if any(result.config.loss is loss for _, result in runs)]
    if len(names) == 1:
        return f"loss ({names[0]})"
    return f"loss ({' or '.join(names)}, as each run minimised)" if names else "loss"


def downsample(
    frame: pd.DataFrame, max_points: int = MAX_POINTS, keep_first: int = KEEP_FIRST, *, log_x: bool = False
) -> pd.DataFrame:
    """At most ``max_points`` rows, the first and the last always among them, spread for the axis.

    On a linear axis, the first ``keep_first`` rows, then evenly spaced rows. On a log axis, rows
    evenly spaced in log(1 + row), as the iteration axis places them: every early row is kept
    and the later ones thin out, so the line is as dense at 5,000 as at 5.
    """
    if len(frame) <= max_points:
        return frame
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2 to keep the first and last rows, not {max_points}")
    if log_x:
        return frame.iloc[log_spaced(len(frame), max_points)]
    head = max(0, min(keep_first, max_points - 2))
    # At least two evenly spaced positions from the end of the head to the last row; the spacing
    # is at least one row, so rounding never merges two of them and exactly max_points rows come back.
    tail = np.linspace(head, len(frame) - 1, max_points - head).round().astype(int)
    return frame.iloc[np.concatenate([np.arange(head), tail])]


def log_spaced(rows: int, count: int) -> np.ndarray:
    """``count`` positions in ``range(rows)``, 0 and ``rows - 1`` among them, evenly spaced in log(1 + row).

    Early on that spacing is under a row, so the first rows are all taken (the head) and the rest
    spaced evenly in log(1 + row) from there: the head is the shortest after which the positions
    are at least a row apart, so rounding them never makes two the same.
    """
    end = np.log1p(rows - 1)
    heads = np.arange(count - 1)
    # The distance between the first two positions after a head, at least (1 + head) * step.
    first_gap = (1 + heads) * (end - np.log1p(heads)) / (count - 1 - heads)
    head = int(np.argmax(first_gap >= 1)) if (first_gap >= 1).any() else count - 2
    tail = np.expm1(np.linspace(np.log1p(head), end, count - head)).round().astype(int)
    return np.concatenate([np.arange(head), tail])


def sized(height: int) -> dict:
    """Chart properties: as wide as its column, a plot ``height`` tall.

    Streamlit would fit the whole chart into ``height``, squashing the plot of a chart that has a
    subtitle or a legend; fitting only the width keeps every plot the same height.
    """
    return {"width": "container", "height": height, "autosize": alt.AutoSizeParams(type="fit-x", contains="padding")}


def layered(*layers: alt.Chart, **properties: Any) -> alt.LayerChart:
    """``alt.layer(*layers).properties(**properties)``, typed as the LayerChart it is here: alt.layer makes a
    FacetChart only of layers that share a row, column or facet encoding, and no layer here has one."""
    chart = alt.layer(*layers)
    assert isinstance(chart, alt.LayerChart)
    return chart.properties(**properties)


def check_parameter(parameter: str) -> None:
    """Refuse a parameter the trajectory does not record."""
    if parameter not in PARAMETERS:
        raise ValueError(f"parameter must be one of {PARAMETERS}, not {parameter!r}")


def run_color(runs: Sequence[LabeledRun]) -> alt.Color:
    """Colour by run label, in the given order; a legend only when there is more than one run."""
    return label_color([label for label, _ in runs])


def label_color(labels: Sequence[str]) -> alt.Color:
    """Colour by the ``run`` field, one colour a label in the given order; a legend only for more than one."""
    return alt.Color(
        "run:N",
        title="run",
        scale=alt.Scale(domain=labels, range=RUN_COLORS),
        legend=alt.Legend(orient="top") if len(labels) > 1 else None,
    )


def dash_legend() -> alt.Legend:
    """A legend of line styles drawn as strokes (the series' invisible hover points would make them dots)."""
    return alt.Legend(orient="top", symbolType="stroke", symbolStrokeColor="#444444", symbolStrokeWidth=2)


def user_title(text: str) -> str:
    """A user's words (a column name, an axis name) as a chart shows them: one short line, safe in Vega.

    Field names inside a spec are the charts' own ("x", "y"); the user's words are titles only.
    But Vega-Lite writes titles into expression strings too (tooltips, screen-reader
    descriptions), escaping only double quotes: a line break or a backslash there breaks the
    expression, and the chart is not drawn. So a title is one line (``single_line``) and a
    backslash is drawn as the reverse solidus operator, which looks the same.
    """
    return single_line(text, TITLE_LIMIT).replace("\\", "\u29f5")


def exact(field: str, title: str) -> alt.Tooltip:
    """A tooltip showing a number in full.

    Vega-Lite formats a quantitative tooltip to 12 significant digits; a nominal one prints the
    number as JavaScript does, which is the shortest text that reads back to the same float.
    """
    return alt.Tooltip(f"{field}:N", title=title)


def without_dash(encode: dict) -> dict:
    """The encodings for point marks, which have no line style."""
    return {key: value for key, value in encode.items() if key != "strokeDash"}


def hover_points(base: alt.Chart, rows: int, encode: dict, name: str, **style) -> alt.Chart:
    """Points on a line of ``rows`` points, to hover for exact values: invisible unless the line is short.

    A short line shows its points, so a one-step run is still visible; a long one shows them only
    as tooltips where the pointer rests.
    """
    opacity = 1 if 0 < rows <= SHORT_SERIES else 0
    return base.mark_point(**style, filled=True, size=30, opacity=opacity).encode(**encode).properties(name=name)


def halo_text(words: alt.Chart, color: str, names: tuple[str, str], **style) -> list[alt.Chart]:
    """Words in ``color`` over a white outline of themselves, and the names of those two layers."""
    # The outline drawn under the words keeps them readable where they cross a line or a dark shade.
    halo = words.mark_text(**style, color="white", stroke="white", strokeWidth=3, strokeJoin="round")
    text = words.mark_text(**style, color=color)
    return [halo.properties(name=names[0]), text.properties(name=names[1])]


def last_finite(result: RunResult) -> tuple[float, float] | None:
    """The run's final (m, b), or its last finite pair from the trajectory when they overflowed."""
    final = (result.outcome.final_m, result.outcome.final_b)
    if all(math.isfinite(value) for value in final):
        return final
    frame = result.trajectory.astype({"m": "float64", "b": "float64"})
    finite = frame[np.isfinite(frame["m"]) & np.isfinite(frame["b"])]
    if finite.empty:
        return None
    return float(finite["m"].iloc[-1]), float(finite["b"].iloc[-1])
