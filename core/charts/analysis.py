"""Charts of the lesson's deeper questions (``core.measure.analysis``): accumulated gradients, nudged twins."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.charts.axis import cursor_marks, iteration_axis
from core.charts.common import (
    HEIGHT,
    RUN_COLORS,
    LabeledRun,
    check_parameter,
    downsample,
    exact,
    hover_points,
    layered,
    sized,
)
from core.charts.series import long_format, parameter_chart, series_layers

ACCUMULATION_COLORS = ["#444444", RUN_COLORS[1], RUN_COLORS[0]]  # total, carried over, fresh
DISTANCE_FLOOR = 1e-12  # a log scale cannot place 0: distances below this are drawn at it
NUDGED_DASH = [6, 4]


def accumulation_chart(
    split: pd.DataFrame, parameter: str = "m", *, log_x: bool = False, at_iteration: int | None = None
) -> alt.LayerChart:
    """Without zeroing, ``.grad`` at each iteration: the part carried over from the last one plus the fresh one."""
    check_parameter(parameter)
    columns = {
        f"{parameter}_grad": f"{parameter}.grad (total)",
        f"{parameter}_carried": "carried over",
        f"{parameter}_fresh": "fresh gradient",
    }
    fields = ["series", "iteration", "value"]
    frame = long_format("", downsample(split, log_x=log_x), columns)[fields]
    axis = iteration_axis([split["iteration"]], log_x, [at_iteration])
    encode = _accumulation_encodings(list(columns.values())) | {"x": axis.x}
    # One layer per part: three 2,000-row series in one inline dataset would pass Altair's 5,000-row limit.
    layers = [
        layer
        for k, name in enumerate(columns.values())
        for layer in series_layers(frame[frame["series"] == name].reset_index(drop=True), encode, f"series-{k}", log_x)
    ]
    if at_iteration is not None:
        here = long_format("", split[split["iteration"] == at_iteration], columns)[fields]
        layers += cursor_marks(here, encode, at_iteration)
    title = alt.TitleParams(
        f"{parameter}.grad without zeroing: carried over + fresh",
        # Two lines: on a phone one line is cut short.
        subtitle=[
            f"{parameter}.grad at each iteration = the previous iteration's {parameter}.grad",
            "+ this backward()'s",
        ],
    )
    return layered(*layers, title=title, **sized(HEIGHT))


def _accumulation_encodings(names: list[str]) -> dict:
    """Each series its own colour and the carried part dashed: it runs close to the total it came from."""
    return {
        "y": alt.Y("value:Q", title="gradient", scale=alt.Scale(zero=False)),
        "color": alt.Color(
            "series:N", title="part", scale=alt.Scale(domain=names, range=ACCUMULATION_COLORS), legend=_top_legend()
        ),
        "strokeDash": alt.StrokeDash(
            "series:N", title="part", scale=alt.Scale(domain=names, range=[[1, 0], [5, 3], [1, 0]]), legend=None
        ),
        "tooltip": [alt.Tooltip("series:N", title="part"), alt.Tooltip("iteration:Q"), exact("value", "gradient")],
    }


def _top_legend() -> alt.Legend:
    """A legend above the plot, drawn as strokes."""
    return alt.Legend(orient="top", symbolType="stroke", symbolStrokeWidth=2)


def distance_chart(
    distance: pd.DataFrame, *, log_y: bool = True, log_x: bool = False, at_iteration: int | None = None
) -> alt.LayerChart:
    """How far apart a run and its nudged twin are at each iteration (log scale by default); a rule at the cursor."""
    frame = distance[["iteration", "distance"]].astype({"iteration": "int64", "distance": "float64"})
    frame = downsample(frame[np.isfinite(frame["distance"])], log_x=log_x).reset_index(drop=True)
    encode = {
        "x": iteration_axis([frame["iteration"]], log_x, [at_iteration]).x,
        "y": _distance_y(frame, log_y),
        "tooltip": [alt.Tooltip("iteration:Q"), exact("distance", "distance")],
    }
    # The floor is applied in the browser: the exact distance is what is sent, and what the tooltip shows.
    base = alt.Chart(frame).transform_calculate(shown=f"max(datum.distance, {DISTANCE_FLOOR!r})")
    line = base.mark_line(strokeWidth=1.5, color=RUN_COLORS[0]).encode(**encode).properties(name="distance")
    points = hover_points(base, len(frame), encode, "distance-points", color=RUN_COLORS[0])
    cursor = [] if at_iteration is None else cursor_marks(frame.iloc[:0], encode, at_iteration)[:1]  # the rule
    # Two short lines: the chart often sits in half a column, where one long line ends in "…".
    title = ["Distance between the run", "and its nudged twin"]
    return layered(line, points, *cursor, title=title, **sized(HEIGHT))


def _distance_y(frame: pd.DataFrame, log_y: bool) -> alt.Y:
    """The distance axis: log scale, saying so when some distances sit at the floor, or linear."""
    if not log_y:
        return alt.Y("distance:Q", title="distance")
    title = "distance (log scale)"
    if (frame["distance"] < DISTANCE_FLOOR).any():
        title = f"distance (log; under {DISTANCE_FLOOR:g} drawn at {DISTANCE_FLOOR:g})"
    # "~g": 1e-12 rather than 0.000000000001 at the floor, plain numbers elsewhere.
    return alt.Y("shown:Q", title=title, scale=alt.Scale(type="log"), axis=alt.Axis(format="~g"))


def nudge_chart(
    original: LabeledRun,
    nudged: LabeledRun,
    parameter: str = "m",
    *,
    log_x: bool = False,
    at_iteration: int | None = None,
) -> alt.LayerChart:
    """A parameter's trajectory in a run and in its nudged twin, overlaid; the twin dashed."""
    if original[0] == nudged[0]:
        raise ValueError(f"the two runs need different labels to be told apart, not both {original[0]!r}")
    chart = parameter_chart([original, nudged], parameter, log_x=log_x, at_iteration=at_iteration).copy(deep=True)
    # Where the twins agree the second line would hide the first: dashed, it lets the first show through.
    chart.layer = [
        layer.mark_line(strokeWidth=1.5, strokeDash=NUDGED_DASH) if layer.name == "series-1" else layer
        for layer in chart.layer
    ]
    lines = [f"{parameter} over iterations:", "the run and its nudged twin"]  # two lines: it fits half a column
    title = alt.TitleParams(lines, subtitle="dashed: the twin")
    return chart.properties(title=title)
