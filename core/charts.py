"""Charts of engine results: plain data in, Altair charts out.

Every chart takes a sequence of labelled runs, so one function serves the Lab page (one run) and
the Compare page (several). Each layer gets a slim DataFrame holding only the columns it plots,
because Streamlit sends every column of a DataFrame it is given to the browser; long
trajectories are downsampled to at most ``MAX_POINTS`` rows per series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from core import landscape
from core.data import Dataset, least_squares
from core.engine import RunResult
from core.landscape import Grid

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
SHORT_AXIS = 20  # an iteration axis this short gets a tick at every iteration (Vega drops overlapping labels)

FAILURE_COLOR = "#d62728"
STOPPED_COLOR = "#7f7f7f"  # the caller stopped the run: not an error, so not red
CURSOR_COLOR = "#444444"
DATA_COLOR = "#9a9a9a"
# Tableau 10 without its red, pink and grey: red belongs to failures, grey to the data.
RUN_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d"]

PARAMETERS = ("m", "b")
GRADIENTS = {"m_grad": "m.grad", "b_grad": "b.grad"}  # trajectory column -> name shown
FINAL_LINE = "final"


@dataclass(frozen=True)
class _Failure:
    """Where one run stopped early, and the words to mark it with."""

    run: str
    iteration: int
    label: str
    detail: str
    color: str


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
        return frame.iloc[_log_spaced(len(frame), max_points)]
    head = max(0, min(keep_first, max_points - 2))
    # At least two evenly spaced positions from the end of the head to the last row; the spacing
    # is at least one row, so rounding never merges two of them and exactly max_points rows come back.
    tail = np.linspace(head, len(frame) - 1, max_points - head).round().astype(int)
    return frame.iloc[np.concatenate([np.arange(head), tail])]


def _log_spaced(rows: int, count: int) -> np.ndarray:
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


def _sized(height: int) -> dict:
    """Chart properties: as wide as its column, a plot ``height`` tall.

    Streamlit would fit the whole chart into ``height``, squashing the plot of a chart that has a
    subtitle or a legend; fitting only the width keeps every plot the same height.
    """
    return {"width": "container", "height": height, "autosize": alt.AutoSizeParams(type="fit-x", contains="padding")}


def axis_title(log_x: bool) -> str:
    """The iteration axis title, saying when the scale is logarithmic."""
    return "iteration (log scale)" if log_x else "iteration"


def parameter_chart(
    runs: Sequence[LabeledRun], parameter: str, *, log_x: bool = False, at_iteration: int | None = None
) -> alt.LayerChart:
    """The value of ``m`` or ``b`` against iteration, one line per run."""
    if parameter not in PARAMETERS:
        raise ValueError(f"parameter must be one of {PARAMETERS}, not {parameter!r}")
    title = f"{parameter} over iterations"
    return _iteration_chart(runs, {parameter: parameter}, title, parameter, log_x, at_iteration)


def loss_chart(runs: Sequence[LabeledRun], *, log_x: bool = False, at_iteration: int | None = None) -> alt.LayerChart:
    """The loss (RMSE) against iteration, one line per run."""
    return _iteration_chart(runs, {"loss": "loss"}, "Loss (RMSE) over iterations", "loss (RMSE)", log_x, at_iteration)


def gradient_chart(
    runs: Sequence[LabeledRun], *, log_x: bool = False, at_iteration: int | None = None
) -> alt.LayerChart:
    """m.grad (solid) and b.grad (dashed) against iteration, for each run."""
    title = "Gradients (m.grad, b.grad) over iterations"
    return _iteration_chart(runs, GRADIENTS, title, "gradient", log_x, at_iteration)


def fit_chart(dataset: Dataset, runs: Sequence[LabeledRun], *, at_iteration: int | None = None) -> alt.LayerChart:
    """The data as a scatter, each run's final line (solid) and its line at ``at_iteration`` (dashed)."""
    # A fresh index: Streamlit would send a sampled frame's gappy index as one more column.
    points = pd.DataFrame({"x": dataset.x, "y": dataset.y})
    points = downsample(points, SCATTER_POINTS, keep_first=0).reset_index(drop=True)
    lines = _fit_lines(runs, at_iteration)
    x_span = _span(dataset.x)
    frame = pd.DataFrame({"x": x_span, "y": _reach(_span(dataset.y), _heights(lines, x_span))})
    # The frame's two corners are data, not numbers in the spec, and every line is cut to the
    # frame, so the axes span exactly the frame. The spec is then the same whatever the runs
    # did, and the browser swaps new data into the chart on the page instead of rebuilding it.
    x = alt.X("x:Q", title=dataset.x_label, scale=alt.Scale(zero=False, nice=False))
    y = alt.Y("y:Q", title=dataset.y_label, scale=alt.Scale(zero=False, nice=False))
    corners = alt.Chart(frame).mark_point(opacity=0).encode(x=x, y=y).properties(name="frame")
    scatter = (
        alt.Chart(points)
        .mark_circle(size=16, opacity=0.45, color=DATA_COLOR)
        .encode(x=x, y=y, tooltip=[_exact("x", dataset.x_label), _exact("y", dataset.y_label)])
        .properties(name="data")
    )
    fitted = (
        alt.Chart(_cut_to(lines, frame))
        .mark_line(clip=True, strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=_run_color(runs),
            strokeDash=alt.StrokeDash(
                "line:N",
                title="line",
                # The final line first, so it is the solid one; the other's name changes with the iteration.
                sort=[FINAL_LINE],
                scale=alt.Scale(range=[[1, 0], [6, 4]]),
                legend=None if at_iteration is None else _dash_legend(),
            ),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("line:N"), _exact("m", "m"), _exact("b", "b")],
        )
        .properties(name="fits")
    )
    text = "Fitted line on the data" if len(runs) <= 1 else "Fitted lines on the data"
    shown = f"showing {len(points):,} of {len(dataset):,} points" if len(points) < len(dataset) else alt.Undefined
    title = alt.TitleParams(text, subtitle=shown)
    return (corners + scatter + fitted).properties(title=title, **_sized(HEIGHT))


# --- iteration charts -------------------------------------------------------------------------


def _iteration_chart(
    runs: Sequence[LabeledRun],
    columns: dict[str, str],
    title: str,
    y_title: str,
    log_x: bool,
    at_iteration: int | None,
) -> alt.LayerChart:
    """Lines of trajectory ``columns`` against iteration, with the cursor and failure marks."""
    failures = [failure for failure in (_failure(label, result, len(runs)) for label, result in runs) if failure]
    x_max = _x_max(runs, failures, at_iteration)
    x = _iteration_x(x_max, log_x)
    encode = _series_encodings(runs, columns, y_title) | {"x": x}
    fields = _fields(columns)
    # One layer per run keeps each inline dataset small (Altair refuses more than 5,000 rows by default).
    lines = [
        layer
        for k, (label, result) in enumerate(runs)
        for layer in _series_layers(
            _long(label, downsample(result.trajectory, log_x=log_x), columns)[fields], encode, f"series-{k}", log_x
        )
    ]
    cursor = [] if at_iteration is None else _cursor_layers(runs, columns, fields, encode, at_iteration)
    marks = [layer for k, failure in enumerate(failures) for layer in _failure_layers(failure, k, x, x_max, log_x)]
    return alt.layer(*lines, *cursor, *marks).properties(title=title, **_sized(HEIGHT))


def _fields(columns: dict[str, str]) -> list[str]:
    """The columns a series layer sends: the series name only where there is more than one."""
    return ["run", "series", "iteration", "value"] if len(columns) > 1 else ["run", "iteration", "value"]


def _long(label: str, trajectory: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Trajectory ``columns`` in long format (run, series, iteration, value), finite values only."""
    # An empty trajectory has object columns; the values are floats (NaN where torch had no grad).
    frame = trajectory[["iteration", *columns]].astype({"iteration": "int64", **dict.fromkeys(columns, "float64")})
    long = frame.melt(id_vars="iteration", var_name="series", value_name="value")
    long = long[np.isfinite(long["value"])]  # dropped per series: a NaN gradient hides no loss
    long["series"] = long["series"].map(columns)
    long.insert(0, "run", label)
    return long.reset_index(drop=True)


def _series_encodings(runs: Sequence[LabeledRun], columns: dict[str, str], y_title: str) -> dict:
    """The encodings every series and cursor layer shares."""
    tooltip = [alt.Tooltip("run:N")]
    if len(columns) > 1:
        tooltip.append(alt.Tooltip("series:N", title=y_title))
    tooltip += [alt.Tooltip("iteration:Q"), _exact("value", y_title)]
    encode = {
        "y": alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
        "color": _run_color(runs),
        "tooltip": tooltip,
    }
    if len(columns) > 1:
        names = list(columns.values())
        encode["strokeDash"] = alt.StrokeDash(
            "series:N", title=y_title, scale=alt.Scale(domain=names, range=[[1, 0], [5, 3]]), legend=_dash_legend()
        )
    return encode


def _series_layers(frame: pd.DataFrame, encode: dict, name: str, log_x: bool) -> list[alt.Chart]:
    """One run's lines, and points on them to hover for exact values (invisible unless few)."""
    rows_per_series = frame.groupby("series").size().max() if "series" in frame else len(frame)
    opacity = 1 if 0 < rows_per_series <= SHORT_SERIES else 0
    line = alt.Chart(frame).mark_line(strokeWidth=1.5).encode(**encode).properties(name=name)
    # A layer of its own, without strokeDash: a point mark would turn the dash legend into dots.
    points = (
        alt.Chart(_hover_sample(frame, log_x))
        .mark_point(filled=True, size=30, opacity=opacity)
        .encode(**_without_dash(encode))
        .properties(name=f"{name}-points")
    )
    return [line, points]


def _hover_sample(frame: pd.DataFrame, log_x: bool) -> pd.DataFrame:
    """The rows that get a hover point: every point of a short series, a sample of a long one.

    Thousands of invisible points cost the browser more than the lines themselves at every
    redraw; a few hundred per series still give exact values wherever the pointer rests.
    """
    if "series" not in frame:
        return _hover_rows(frame, log_x).reset_index(drop=True)
    parts = [_hover_rows(part, log_x) for _, part in frame.groupby("series")]
    return pd.concat(parts, ignore_index=True) if parts else frame


def _hover_rows(line: pd.DataFrame, log_x: bool) -> pd.DataFrame:
    """At most HOVER_POINTS of a line's own rows, spread evenly along the iteration axis."""
    if len(line) <= HOVER_POINTS or not log_x:
        return downsample(line, HOVER_POINTS, keep_first=HOVER_KEEP_FIRST)
    iterations = line["iteration"].to_numpy()
    wanted = _log_spaced(int(iterations[-1]) + 1, HOVER_POINTS)
    # The line's first row at or after each wanted iteration: the points stay on the line.
    return line.iloc[np.unique(np.searchsorted(iterations, wanted).clip(0, len(line) - 1))]


def _without_dash(encode: dict) -> dict:
    """The encodings for point marks, which have no line style."""
    return {key: value for key, value in encode.items() if key != "strokeDash"}


def _cursor_layers(
    runs: Sequence[LabeledRun], columns: dict[str, str], fields: list[str], encode: dict, at_iteration: int
) -> list[alt.Chart]:
    """A rule at ``at_iteration`` and a point on each series there, from the full trajectories."""
    rows = [
        _long(label, result.trajectory[result.trajectory["iteration"] == at_iteration], columns)[fields]
        for label, result in runs
    ]
    here = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=fields)
    return _cursor_marks(here, encode, at_iteration)


def _cursor_marks(here: pd.DataFrame, encode: dict, at_iteration: int) -> list[alt.Chart]:
    """A dotted rule at ``at_iteration`` and a point on each series there (the rows of ``here``)."""
    rule = (
        alt.Chart(pd.DataFrame({"iteration": [at_iteration]}))
        .mark_rule(color=CURSOR_COLOR, strokeDash=[2, 2])
        .encode(x=encode["x"], tooltip=[alt.Tooltip("iteration:Q")])
        .properties(name="cursor")
    )
    points = (
        alt.Chart(here)
        .mark_point(filled=True, size=70, opacity=1, stroke="white", strokeWidth=1)
        .encode(**_without_dash(encode))
        .properties(name="cursor-points")
    )
    return [rule, points]


def _failure(label: str, result: RunResult, run_count: int) -> _Failure | None:
    """Where ``result`` raised, diverged or was stopped; None for a finished run."""
    outcome = result.outcome
    if outcome.status == "raised":
        error = outcome.error
        iteration = error.iteration
        text = f"{error.type} at iteration {iteration} ({error.statement})"
        detail, color = f"{error.type}: {error.message}", FAILURE_COLOR
    elif outcome.status in ("diverged", "stopped"):
        iteration = outcome.stopped_at
        text = f"{outcome.status} at iteration {iteration}"
        detail = "the loss is no longer a finite number" if outcome.status == "diverged" else "stopped early"
        color = FAILURE_COLOR if outcome.status == "diverged" else STOPPED_COLOR
    else:
        return None
    # On a chart of several runs, the label must say whose failure it is.
    label_text = text if run_count <= 1 else f"{label}: {text}"
    return _Failure(run=label, iteration=iteration, label=label_text, detail=detail, color=color)


def _failure_layers(failure: _Failure, index: int, x: alt.X, x_max: int, log_x: bool) -> list[alt.Chart]:
    """A rule at the failing iteration and its label, stacked below any earlier runs' labels."""
    frame = pd.DataFrame(
        [{"run": failure.run, "iteration": failure.iteration, "label": failure.label, "detail": failure.detail}]
    )
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("iteration:Q"), alt.Tooltip("label:N"), alt.Tooltip("detail:N")]
    rule = (
        alt.Chart(frame)
        .mark_rule(color=failure.color, strokeWidth=2)
        .encode(x=x, tooltip=tooltip)
        .properties(name=f"failure-{index}")
    )
    # A label in the right half of the plot is written leftwards so it is not cut off.
    right = _position(failure.iteration, x_max, log_x) > 0.5
    style = {"align": "right" if right else "left", "dx": -4 if right else 4, "baseline": "top", "fontWeight": "bold"}
    label = alt.Chart(frame[["iteration", "label"]]).encode(x=x, y=alt.value(4 + 14 * index), text=alt.Text("label:N"))
    # A white outline drawn under the words keeps them readable where they cross a line.
    halo = label.mark_text(**style, color="white", stroke="white", strokeWidth=3, strokeJoin="round").properties(
        name=f"failure-halo-{index}"
    )
    text = label.mark_text(**style, color=failure.color).properties(name=f"failure-label-{index}")
    return [rule, halo, text]


def _x_max(runs: Sequence[LabeledRun], failures: list[_Failure], at_iteration: int | None) -> int:
    """The end of the iteration axis: one past the last iteration anything marks."""
    ends = [int(result.trajectory["iteration"].max()) + 1 for _, result in runs if len(result.trajectory)]
    ends += [failure.iteration + 1 for failure in failures]
    if at_iteration is not None:
        ends.append(at_iteration + 1)
    return max([1, *ends])


def _iteration_x(x_max: int, log_x: bool) -> alt.X:
    """The shared iteration axis: linear, or symlog so that iteration 0 stays on the chart."""
    if log_x:
        scale = alt.Scale(type="symlog", domain=[0, x_max], nice=False)
        axis = alt.Axis(values=_log_ticks(x_max), format=",d")
    else:
        scale = alt.Scale(domain=[0, x_max], nice=False)
        # Iterations are whole numbers: on a short axis Vega would put ticks at 0.5, 1.5, ...
        values = list(range(x_max + 1)) if x_max <= SHORT_AXIS else alt.Undefined
        axis = alt.Axis(values=values, format=",d")
    return alt.X("iteration:Q", title=axis_title(log_x), scale=scale, axis=axis)


def _log_ticks(x_max: int) -> list[int]:
    """0 and the powers of ten up to ``x_max``, and ``x_max`` itself where it has room."""
    ticks, power = [0], 1
    while power <= x_max:
        ticks.append(power)
        power *= 10
    if x_max >= 2 * ticks[-1]:
        ticks.append(x_max)
    return ticks


def _position(iteration: int, x_max: int, log_x: bool) -> float:
    """Where ``iteration`` sits across the plot, from 0 (left) to 1 (right)."""
    if log_x:  # Vega's symlog with its default constant 1
        return math.log1p(iteration) / math.log1p(x_max)
    return iteration / x_max


# --- shared pieces ----------------------------------------------------------------------------


def _run_color(runs: Sequence[LabeledRun]) -> alt.Color:
    """Colour by run label, in the given order; a legend only when there is more than one run."""
    labels = [label for label, _ in runs]
    return alt.Color(
        "run:N",
        title="run",
        scale=alt.Scale(domain=labels, range=RUN_COLORS),
        legend=alt.Legend(orient="top") if len(labels) > 1 else None,
    )


def _dash_legend() -> alt.Legend:
    """A legend of line styles drawn as strokes (the series' invisible hover points would make them dots)."""
    return alt.Legend(orient="top", symbolType="stroke", symbolStrokeColor="#444444", symbolStrokeWidth=2)


def _exact(field: str, title: str) -> alt.Tooltip:
    """A tooltip showing a number in full.

    Vega-Lite formats a quantitative tooltip to 12 significant digits; a nominal one prints the
    number as JavaScript does, which is the shortest text that reads back to the same float.
    """
    return alt.Tooltip(f"{field}:N", title=title)


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


def _last_finite(result: RunResult) -> tuple[float, float] | None:
    """The run's final (m, b), or its last finite pair from the trajectory when they overflowed."""
    final = (result.outcome.final_m, result.outcome.final_b)
    if all(math.isfinite(value) for value in final):
        return final
    frame = result.trajectory.astype({"m": "float64", "b": "float64"})
    finite = frame[np.isfinite(frame["m"]) & np.isfinite(frame["b"])]
    if finite.empty:
        return None
    return float(finite["m"].iloc[-1]), float(finite["b"].iloc[-1])


def _at_row(result: RunResult, at_iteration: int) -> tuple[float, float] | None:
    """The (m, b) a run had at ``at_iteration``, before that iteration's update."""
    rows = result.trajectory[result.trajectory["iteration"] == at_iteration]
    if rows.empty:
        return None
    m, b = float(rows["m"].iloc[0]), float(rows["b"].iloc[0])
    return (m, b) if math.isfinite(m) and math.isfinite(b) else None


def _fit_lines(runs: Sequence[LabeledRun], at_iteration: int | None) -> pd.DataFrame:
    """The lines y = m*x + b to draw, one row each: each run's final line and its line at ``at_iteration``."""
    rows = []
    for label, result in runs:
        lines = [(FINAL_LINE, _last_finite(result))]
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


# --- the loss landscape -----------------------------------------------------------------------

LANDSCAPE_HEIGHT = 2 * HEIGHT  # a map of (m, b) needs room both ways, unlike a series over iterations
MAX_GRID_STEPS = 60  # cells a side: at most 3,600 rect marks to send
# Greys never clash with a run's colour, and stopping short of black keeps paths and labels readable on it.
LANDSCAPE_SCHEME = alt.SchemeParams("greys", extent=[0.02, 0.8])
PATH_WIDTH = 1.5
CELL_OVERLAP = 0.1  # of half a cell: enough to cover a seam, too little to see
MINIMUM_LABEL = "least-squares minimum"
MINIMUM_COLOR = "#222222"  # dark on the pale valley floor where the minimum lies
# A five-pointed star as an SVG path in Vega's unit square: Vega has no star among its symbol shapes.
STAR = (
    "M0,-1L-0.235,-0.324L-0.951,-0.309L-0.38,0.124L-0.588,0.809L0,0.4L0.588,0.809L0.38,0.124L0.951,-0.309L0.235,-0.324Z"
)


def landscape_chart(
    dataset: Dataset,
    runs: Sequence[LabeledRun],
    *,
    grid: Grid | None = None,
    at_iteration: int | None = None,
    steps: int = landscape.DEFAULT_STEPS,
) -> alt.LayerChart:
    """The RMSE over (m, b) as a heatmap, each run's path across it, its start and the least-squares minimum."""
    if grid is None:
        m_range, b_range = landscape.extent(dataset, [result for _, result in runs])
        grid = landscape.rmse_grid(dataset, m_range, b_range, steps)
    if max(len(grid.m), len(grid.b)) > MAX_GRID_STEPS:
        raise ValueError(f"the chart draws at most {MAX_GRID_STEPS} cells a side, not {len(grid.m)}x{len(grid.b)}")
    m_scale, b_scale = _cell_scale(grid.m), _cell_scale(grid.b)
    x, y = alt.X("m:Q", title="m", scale=m_scale), alt.Y("b:Q", title="b", scale=b_scale)
    encode = {"x": x, "y": y, "color": _run_color(runs)}
    failures = [failure for failure in (_failure(label, result, len(runs)) for label, result in runs) if failure]
    layers = [
        _heatmap(grid, m_scale, b_scale),
        *_path_layers(runs, encode),
        _starts(runs, encode),
        *([] if at_iteration is None else [_path_cursor(runs, encode, at_iteration)]),
        *[_path_failure(failure, dict(runs)[failure.run], x, y, k) for k, failure in enumerate(failures)],
        *_minimum(dataset, x, y),
    ]
    subtitle = alt.Undefined if at_iteration is None else f"large dots: (m, b) at iteration {at_iteration}"
    title = alt.TitleParams("Loss landscape: RMSE over (m, b)", subtitle=subtitle)
    return alt.layer(*layers).properties(title=title, **_sized(LANDSCAPE_HEIGHT))


def _cell_scale(values: np.ndarray) -> alt.Scale:
    """A scale spanning an evenly spaced grid axis edge to edge: its first and last cells are whole."""
    half = _half_step(values)
    return alt.Scale(domain=[float(values[0]) - half, float(values[-1]) + half], nice=False, zero=False)


def _half_step(values: np.ndarray) -> float:
    """Half the spacing of an evenly spaced grid axis: a cell reaches this far either side of its value."""
    return float(values[-1] - values[0]) / (len(values) - 1) / 2


def _heatmap(grid: Grid, m_scale: alt.Scale, b_scale: alt.Scale) -> alt.Chart:
    """One rect per grid cell, shaded by RMSE on a log scale: the valley is narrow, and a linear scale hides it."""
    m, b = np.meshgrid(grid.m, grid.b, indexing="ij")
    cells = pd.DataFrame({"m": m.ravel(), "b": b.ravel(), "rmse": grid.rmse.ravel()})
    # An error beyond float64 (data near its limit) has no shade: its cell is left out, not sent as inf.
    cells = cells[np.isfinite(cells["rmse"])].reset_index(drop=True)
    # Each cell reaches a little past its neighbours' edges: cells that only touched would show light
    # anti-aliasing seams. The browser computes the edges, so only each cell's centre and value are sent.
    reach_m, reach_b = (_half_step(values) * (1 + CELL_OVERLAP) for values in (grid.m, grid.b))
    edges = {
        "m_low": f"datum.m - {reach_m!r}",
        "m_high": f"datum.m + {reach_m!r}",
        "b_low": f"datum.b - {reach_b!r}",
        "b_high": f"datum.b + {reach_b!r}",
    }
    return (
        alt.Chart(cells)
        .transform_calculate(**edges)
        .mark_rect(clip=True)
        .encode(
            x=alt.X("m_low:Q", title="m", scale=m_scale),
            x2=alt.X2("m_high"),
            y=alt.Y("b_low:Q", title="b", scale=b_scale),
            y2=alt.Y2("b_high"),
            # fill, not color: the layers share their scales, and the runs' color scale is one of names.
            fill=alt.Fill("rmse:Q", title="RMSE (log scale)", scale=_rmse_scale(grid.rmse), legend=_rmse_legend()),
            tooltip=[_exact("m", "m"), _exact("b", "b"), _exact("rmse", "RMSE")],
        )
        .properties(name="landscape")
    )


def _rmse_scale(rmse: np.ndarray) -> alt.Scale:
    """A log scale over the grid's errors; a log cannot place 0 (a perfect fit), so it starts above it and clamps."""
    finite = rmse[np.isfinite(rmse)]
    high = float(finite.max()) if finite.size else 1.0
    positive = finite[finite > 0]
    low = float(positive.min()) if positive.size else 1.0
    return alt.Scale(type="log", scheme=LANDSCAPE_SCHEME, domain=[low, max(high, 10 * low)], clamp=True)


def _rmse_legend() -> alt.Legend:
    """A colour bar as tall as most of the plot."""
    return alt.Legend(type="gradient", orient="right", gradientLength=LANDSCAPE_HEIGHT - 40)


def _path(result: RunResult) -> pd.DataFrame:
    """A run's finite (m, b) by iteration, ending where its last update took it."""
    frame = result.trajectory[["iteration", "m", "b"]].astype({"iteration": "int64", "m": "float64", "b": "float64"})
    final = (result.outcome.final_m, result.outcome.final_b)
    # The trajectory holds (m, b) before each update, so the last update's result is only in the
    # outcome; without it a one-step draft would be a lone dot rather than a step.
    if len(frame) and all(map(math.isfinite, final)) and final != (frame["m"].iloc[-1], frame["b"].iloc[-1]):
        after = pd.DataFrame({"iteration": [frame["iteration"].iloc[-1] + 1], "m": [final[0]], "b": [final[1]]})
        frame = pd.concat([frame, after], ignore_index=True)
    return frame[np.isfinite(frame["m"]) & np.isfinite(frame["b"])].reset_index(drop=True)


def _path_length(path: pd.DataFrame) -> float:
    """How far a path travels in (m, b)."""
    return float(np.hypot(np.diff(path["m"]), np.diff(path["b"])).sum())


def _path_layers(runs: Sequence[LabeledRun], encode: dict) -> list[alt.Chart]:
    """Every run's path, the longest drawn first: a path wandering all over the valley would hide a tidy one."""
    paths = [(label, _path(result)) for label, result in runs]
    drawn = sorted(range(len(paths)), key=lambda k: -_path_length(paths[k][1]))  # stable: ties keep their order
    return [layer for k in drawn for layer in _one_path(*paths[k], encode, k)]


def _one_path(label: str, path: pd.DataFrame, encode: dict, index: int) -> list[alt.Chart]:
    """One run's path: a white casing so it shows on any shade, the line in iteration order, and hover points."""
    frame = downsample(path).reset_index(drop=True)
    frame.insert(0, "run", label)
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("iteration:Q"), _exact("m", "m"), _exact("b", "b")]
    order = alt.Order("iteration:Q")  # the line follows the path, not the m axis
    base = alt.Chart(frame)
    casing = (
        base.mark_line(clip=True, color="white", strokeWidth=PATH_WIDTH + 2, opacity=0.6)
        .encode(x=encode["x"], y=encode["y"], order=order)
        .properties(name=f"path-casing-{index}")
    )
    line = (
        base.mark_line(clip=True, strokeWidth=PATH_WIDTH)
        .encode(**encode, order=order, tooltip=tooltip)
        .properties(name=f"path-{index}")
    )
    opacity = 1 if 0 < len(frame) <= SHORT_SERIES else 0  # a short path shows its steps; a long one only on hover
    points = (
        base.mark_point(clip=True, filled=True, size=30, opacity=opacity)
        .encode(**encode, tooltip=tooltip)
        .properties(name=f"path-{index}-points")
    )
    return [casing, line, points]


def _start(result: RunResult) -> tuple[float, float]:
    """Where a run started: its first row, or its configuration when it raised before recording one."""
    frame = result.trajectory
    if len(frame):
        return float(frame["m"].iloc[0]), float(frame["b"].iloc[0])
    return result.config.m0, result.config.b0


def _starts(runs: Sequence[LabeledRun], encode: dict) -> alt.Chart:
    """A square at each run's starting (m, b), in the run's colour."""
    rows = [{"run": label, "m": m, "b": b} for label, result in runs for m, b in [_start(result)]]
    frame = pd.DataFrame(rows, columns=["run", "m", "b"]).astype({"m": "float64", "b": "float64"})
    tooltip = [alt.Tooltip("run:N"), _exact("m", "start m"), _exact("b", "start b")]
    return (
        alt.Chart(frame)
        .mark_point(clip=True, shape="square", filled=True, size=110, opacity=1, stroke="white", strokeWidth=1.5)
        .encode(**encode, tooltip=tooltip)
        .properties(name="starts")
    )


def _path_cursor(runs: Sequence[LabeledRun], encode: dict, at_iteration: int) -> alt.Chart:
    """A large dot on each path at ``at_iteration``, from the full path rather than the sample."""
    rows = []
    for label, result in runs:
        path = _path(result)
        here = path[path["iteration"] == at_iteration].reset_index(drop=True)
        rows.append(here.assign(run=label)[["run", "iteration", "m", "b"]])
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["run", "iteration", "m", "b"])
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("iteration:Q"), _exact("m", "m"), _exact("b", "b")]
    return (
        alt.Chart(frame)
        .mark_circle(clip=True, size=150, opacity=1, stroke=CURSOR_COLOR, strokeWidth=2)
        .encode(**encode, tooltip=tooltip)
        .properties(name="cursor-points")
    )


def _path_failure(failure: _Failure, result: RunResult, x: alt.X, y: alt.Y, index: int) -> alt.Chart:
    """A cross where a failed run's path ends, with what happened on hover."""
    m, b = _last_finite(result) or _start(result)
    frame = pd.DataFrame([{"m": m, "b": b, "label": failure.label, "detail": failure.detail}])
    tooltip = [alt.Tooltip("label:N", title="run"), alt.Tooltip("detail:N"), _exact("m", "m"), _exact("b", "b")]
    return (
        alt.Chart(frame)
        .mark_point(clip=True, shape="cross", filled=True, size=160, color=failure.color, stroke="white", strokeWidth=1)
        .encode(x=x, y=y, tooltip=tooltip)
        .properties(name=f"failure-{index}")
    )


def _minimum(dataset: Dataset, x: alt.X, y: alt.Y) -> list[alt.Chart]:
    """A star at the least-squares minimum, where gradient descent should end up, and its name beside it."""
    best = least_squares(dataset)
    label = f"{MINIMUM_LABEL} m={best.m:.4f}, b={best.b:.4f}"
    frame = pd.DataFrame([{"label": label, "m": best.m, "b": best.b, "rmse": best.rmse}])
    tooltip = [alt.Tooltip("label:N", title="point"), _exact("m", "m"), _exact("b", "b"), _exact("rmse", "RMSE")]
    star = (
        alt.Chart(frame)
        .mark_point(clip=True, shape=STAR, filled=True, size=320, color=MINIMUM_COLOR, stroke="white", strokeWidth=1.2)
        .encode(x=x, y=y, tooltip=tooltip)
        .properties(name="minimum")
    )
    # Dark words on a white outline read on any shade and across any path.
    words = alt.Chart(frame[["m", "b"]]).encode(x=x, y=y)
    style = {"text": "minimum", "align": "left", "dx": 11, "dy": -9, "fontWeight": "bold", "clip": True}
    halo = words.mark_text(**style, color="white", stroke="white", strokeWidth=3, strokeJoin="round")
    text = words.mark_text(**style, color="black")
    return [star, halo.properties(name="minimum-halo"), text.properties(name="minimum-label")]


# --- accumulated gradients --------------------------------------------------------------------

ACCUMULATION_COLORS = ["#444444", RUN_COLORS[1], RUN_COLORS[0]]  # total, carried over, fresh


def accumulation_chart(
    split: pd.DataFrame, parameter: str = "m", *, log_x: bool = False, at_iteration: int | None = None
) -> alt.LayerChart:
    """Without zeroing, ``.grad`` at each iteration: the part carried over from the last one plus the fresh one."""
    if parameter not in PARAMETERS:
        raise ValueError(f"parameter must be one of {PARAMETERS}, not {parameter!r}")
    columns = {
        f"{parameter}_grad": f"{parameter}.grad (total)",
        f"{parameter}_carried": "carried over",
        f"{parameter}_fresh": "fresh gradient",
    }
    fields = ["series", "iteration", "value"]
    frame = _long("", downsample(split, log_x=log_x), columns)[fields]
    x_max = max(int(split["iteration"].max()) + 1 if len(split) else 1, 1 if at_iteration is None else at_iteration + 1)
    encode = _accumulation_encodings(list(columns.values())) | {"x": _iteration_x(x_max, log_x)}
    # One layer per part: three 2,000-row series in one inline dataset would pass Altair's 5,000-row limit.
    layers = [
        layer
        for k, name in enumerate(columns.values())
        for layer in _series_layers(frame[frame["series"] == name].reset_index(drop=True), encode, f"series-{k}", log_x)
    ]
    if at_iteration is not None:
        here = _long("", split[split["iteration"] == at_iteration], columns)[fields]
        layers += _cursor_marks(here, encode, at_iteration)
    title = alt.TitleParams(
        f"{parameter}.grad without zeroing: carried over + fresh",
        subtitle=f"{parameter}.grad at each iteration = the previous iteration's {parameter}.grad + this backward()'s",
    )
    return alt.layer(*layers).properties(title=title, **_sized(HEIGHT))


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
        "tooltip": [alt.Tooltip("series:N", title="part"), alt.Tooltip("iteration:Q"), _exact("value", "gradient")],
    }


def _top_legend() -> alt.Legend:
    """A legend above the plot, drawn as strokes."""
    return alt.Legend(orient="top", symbolType="stroke", symbolStrokeWidth=2)


# --- a run and its nudged twin ----------------------------------------------------------------

DISTANCE_FLOOR = 1e-12  # a log scale cannot place 0: distances below this are drawn at it
NUDGED_DASH = [6, 4]


def distance_chart(distance: pd.DataFrame, *, log_y: bool = True, log_x: bool = False) -> alt.LayerChart:
    """How far apart a run and its nudged twin are at each iteration, on a log scale by default."""
    frame = distance[["iteration", "distance"]].astype({"iteration": "int64", "distance": "float64"})
    frame = downsample(frame[np.isfinite(frame["distance"])], log_x=log_x).reset_index(drop=True)
    x_max = int(frame["iteration"].max()) + 1 if len(frame) else 1
    floored = log_y and bool((frame["distance"] < DISTANCE_FLOOR).any())
    if log_y:
        title = f"distance (log; under {DISTANCE_FLOOR:g} drawn at {DISTANCE_FLOOR:g})" if floored else None
        # "~g": 1e-12 rather than 0.000000000001 at the floor, plain numbers elsewhere.
        y = alt.Y(
            "shown:Q", title=title or "distance (log scale)", scale=alt.Scale(type="log"), axis=alt.Axis(format="~g")
        )
    else:
        y = alt.Y("distance:Q", title="distance")
    encode = {
        "x": _iteration_x(x_max, log_x),
        "y": y,
        "tooltip": [alt.Tooltip("iteration:Q"), _exact("distance", "distance")],
    }
    # The floor is applied in the browser: the exact distance is what is sent, and what the tooltip shows.
    base = alt.Chart(frame).transform_calculate(shown=f"max(datum.distance, {DISTANCE_FLOOR!r})")
    opacity = 1 if 0 < len(frame) <= SHORT_SERIES else 0
    line = base.mark_line(strokeWidth=1.5, color=RUN_COLORS[0]).encode(**encode).properties(name="distance")
    points = (
        base.mark_point(filled=True, size=30, opacity=opacity, color=RUN_COLORS[0])
        .encode(**encode)
        .properties(name="distance-points")
    )
    title = "Distance between the run and its nudged twin"
    return alt.layer(line, points).properties(title=title, **_sized(HEIGHT))


def nudge_chart(
    original: LabeledRun, nudged: LabeledRun, parameter: str = "m", *, log_x: bool = False
) -> alt.LayerChart:
    """A parameter's trajectory in a run and in its nudged twin, overlaid; the twin dashed."""
    if original[0] == nudged[0]:
        raise ValueError(f"the two runs need different labels to be told apart, not both {original[0]!r}")
    chart = parameter_chart([original, nudged], parameter, log_x=log_x).copy(deep=True)
    # Where the twins agree the second line would hide the first: dashed, it lets the first show through.
    chart.layer = [
        layer.mark_line(strokeWidth=1.5, strokeDash=NUDGED_DASH) if layer.name == "series-1" else layer
        for layer in chart.layer
    ]
    title = alt.TitleParams(f"{parameter} over iterations: the run and its nudged twin", subtitle="dashed: the twin")
    return chart.properties(title=title)
