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

from core.data import Dataset
from core.engine import RunResult

LabeledRun = tuple[str, RunResult]

MAX_POINTS = 2000  # per series: a smooth line on any screen, and small enough to send on every rerun
KEEP_FIRST = 500  # gradient descent does most of its moving in the first iterations: keep them all
HEIGHT = 250
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


def downsample(frame: pd.DataFrame, max_points: int = MAX_POINTS, keep_first: int = KEEP_FIRST) -> pd.DataFrame:
    """The first ``keep_first`` rows, then evenly spaced rows ending with the last: at most ``max_points``."""
    if len(frame) <= max_points:
        return frame
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2 to keep the first and last rows, not {max_points}")
    head = max(0, min(keep_first, max_points - 2))
    # At least two evenly spaced positions from the end of the head to the last row; the spacing
    # is at least one row, so rounding never merges two of them and exactly max_points rows come back.
    tail = np.linspace(head, len(frame) - 1, max_points - head).round().astype(int)
    return frame.iloc[np.concatenate([np.arange(head), tail])]


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
    points = downsample(pd.DataFrame({"x": dataset.x, "y": dataset.y}), keep_first=0).reset_index(drop=True)
    x_domain = _span(dataset.x)
    lines = _fit_lines(runs, x_domain, at_iteration)
    y_domain = _reach(_span(dataset.y), lines["y"].to_numpy())
    x = alt.X("x:Q", title=dataset.x_label, scale=alt.Scale(domain=x_domain, zero=False))
    y = alt.Y("y:Q", title=dataset.y_label, scale=alt.Scale(domain=y_domain, zero=False))
    scatter = (
        alt.Chart(points)
        .mark_circle(size=16, opacity=0.45, color=DATA_COLOR)
        .encode(x=x, y=y, tooltip=[_exact("x", dataset.x_label), _exact("y", dataset.y_label)])
        .properties(name="data")
    )
    kinds = [FINAL_LINE] if at_iteration is None else [FINAL_LINE, _at_label(at_iteration)]
    fitted = (
        alt.Chart(lines)
        .mark_line(clip=True, strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=_run_color(runs),
            strokeDash=alt.StrokeDash(
                "line:N",
                title="line",
                scale=alt.Scale(domain=kinds, range=[[1, 0], [6, 4]]),
                legend=None if at_iteration is None else _dash_legend(),
            ),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("line:N"), _exact("m", "m"), _exact("b", "b")],
        )
        .properties(name="fits")
    )
    text = "Fitted line on the data" if len(runs) <= 1 else "Fitted lines on the data"
    shown = f"showing {len(points):,} of {len(dataset):,} points" if len(points) < len(dataset) else alt.Undefined
    title = alt.TitleParams(text, subtitle=shown)
    return (scatter + fitted).properties(title=title, width="container", height=HEIGHT)


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
        for layer in _series_layers(_long(label, downsample(result.trajectory), columns)[fields], encode, f"series-{k}")
    ]
    cursor = [] if at_iteration is None else _cursor_layers(runs, columns, fields, encode, at_iteration)
    marks = [layer for k, failure in enumerate(failures) for layer in _failure_layers(failure, k, x, x_max, log_x)]
    return alt.layer(*lines, *cursor, *marks).properties(title=title, width="container", height=HEIGHT)


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


def _series_layers(frame: pd.DataFrame, encode: dict, name: str) -> list[alt.Chart]:
    """One run's lines, and points on them to hover for exact values (invisible unless few)."""
    rows_per_series = frame.groupby("series").size().max() if "series" in frame else len(frame)
    opacity = 1 if 0 < rows_per_series <= SHORT_SERIES else 0
    line = alt.Chart(frame).mark_line(strokeWidth=1.5).encode(**encode).properties(name=name)
    # A layer of its own, without strokeDash: a point mark would turn the dash legend into dots.
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=30, opacity=opacity)
        .encode(**_without_dash(encode))
        .properties(name=f"{name}-points")
    )
    return [line, points]


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


def _fit_lines(runs: Sequence[LabeledRun], x_domain: list[float], at_iteration: int | None) -> pd.DataFrame:
    """Two end points for each line y = m*x + b: each run's final line and its line at ``at_iteration``."""
    rows = []
    for label, result in runs:
        lines = [(FINAL_LINE, _last_finite(result))]
        if at_iteration is not None:
            lines.append((_at_label(at_iteration), _at_row(result, at_iteration)))
        for kind, line in lines:
            if line is None:
                continue
            m, b = line
            rows += [{"run": label, "line": kind, "m": m, "b": b, "x": x, "y": m * x + b} for x in x_domain]
    frame = pd.DataFrame(rows, columns=["run", "line", "m", "b", "x", "y"])
    return frame.astype(dict.fromkeys(["m", "b", "x", "y"], "float64"))
