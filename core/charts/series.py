"""Series over iterations: a parameter, the loss or the gradients of each run, one line per run."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from core.charts.axis import cursor_marks, failure_layers, failures, iteration_axis
from core.charts.common import (
    HEIGHT,
    HOVER_KEEP_FIRST,
    HOVER_POINTS,
    LabeledRun,
    check_parameter,
    dash_legend,
    downsample,
    exact,
    hover_points,
    layered,
    log_spaced,
    loss_label,
    run_color,
    sized,
    without_dash,
)
from core.lesson.results import Status

GRADIENTS = {"m_grad": "m.grad", "b_grad": "b.grad"}  # trajectory column -> name shown


def parameter_chart(
    runs: Sequence[LabeledRun], parameter: str, *, log_x: bool = False, at_iteration: int | None = None
) -> alt.LayerChart:
    """The value of ``m`` or ``b`` against iteration, one line per run."""
    check_parameter(parameter)
    title = f"{parameter} over iterations"
    return _iteration_chart(runs, {parameter: parameter}, title, parameter, log_x, at_iteration)


def loss_chart(runs: Sequence[LabeledRun], *, log_x: bool = False, at_iteration: int | None = None) -> alt.LayerChart:
    """The loss each run minimised (the RMSE or the MSE) against iteration, one line per run."""
    label = loss_label(runs)
    return _iteration_chart(
        runs, {"loss": "loss"}, f"{label[0].upper()}{label[1:]} over iterations", label, log_x, at_iteration
    )


def gradient_chart(
    runs: Sequence[LabeledRun], *, log_x: bool = False, at_iteration: int | None = None
) -> alt.LayerChart:
    """m.grad (solid) and b.grad (dashed) against iteration, for each run."""
    title = "Gradients (m.grad, b.grad) over iterations"
    return _iteration_chart(runs, GRADIENTS, title, "gradient", log_x, at_iteration)


def _iteration_chart(
    runs: Sequence[LabeledRun],
    columns: dict[str, str],
    title: str,
    y_title: str,
    log_x: bool,
    at_iteration: int | None,
) -> alt.LayerChart:
    """Lines of trajectory ``columns`` against iteration, with the cursor and failure marks."""
    failed = failures(runs)
    iterations = [result.trajectory["iteration"] for _, result in runs]
    # A run still going is drawn on the axis it will end on, so its line grows across a still chart.
    planned = [result.config.iterations - 1 for _, result in runs if result.outcome.status is Status.RUNNING]
    axis = iteration_axis(iterations, log_x, [*(failure.iteration for failure in failed), at_iteration, *planned])
    encode = _series_encodings(runs, columns, y_title) | {"x": axis.x}
    fields = _fields(columns)
    # One layer per run keeps each inline dataset small (Altair refuses more than 5,000 rows by default).
    lines = []
    for k, (label, result) in enumerate(runs):
        frame = long_format(label, downsample(result.trajectory, log_x=log_x), columns)[fields]
        lines += series_layers(frame, encode, f"series-{k}", log_x)
    cursor = [] if at_iteration is None else _cursor_layers(runs, columns, fields, encode, at_iteration)
    marks = [layer for k, failure in enumerate(failed) for layer in failure_layers(failure, k, axis)]
    return layered(*lines, *cursor, *marks, title=title, **sized(HEIGHT))


def _fields(columns: dict[str, str]) -> list[str]:
    """The columns a series layer sends: the series name only where there is more than one."""
    return ["run", "series", "iteration", "value"] if len(columns) > 1 else ["run", "iteration", "value"]


def long_format(label: str, trajectory: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Trajectory ``columns`` in long format (run, series, iteration, value), finite values only.

    One column after another, as ``DataFrame.melt`` stacks them; built from NumPy arrays, a
    tenth of melt's time, which a chart drawn live pays at every frame.
    """
    iteration = trajectory["iteration"].to_numpy(dtype="int64")
    iterations, series, values = [], [], []
    for column, name in columns.items():
        # Floats (NaN where torch had no grad); an empty trajectory's columns may be objects.
        value = trajectory[column].to_numpy(dtype="float64")
        finite = np.isfinite(value)  # dropped per series: a NaN gradient hides no loss
        iterations.append(iteration[finite])
        values.append(value[finite])
        series.append(np.full(int(finite.sum()), name))
    value = np.concatenate(values)
    return pd.DataFrame(
        {
            "run": np.full(len(value), label),
            "iteration": np.concatenate(iterations),
            "series": np.concatenate(series),
            "value": value,
        }
    )


def _series_encodings(runs: Sequence[LabeledRun], columns: dict[str, str], y_title: str) -> dict:
    """The encodings every series and cursor layer shares."""
    tooltip = [alt.Tooltip("run:N")]
    if len(columns) > 1:
        tooltip.append(alt.Tooltip("series:N", title=y_title))
    tooltip += [alt.Tooltip("iteration:Q"), exact("value", y_title)]
    encode = {
        "y": alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
        "color": run_color(runs),
        "tooltip": tooltip,
    }
    if len(columns) > 1:
        names = list(columns.values())
        encode["strokeDash"] = alt.StrokeDash(
            "series:N", title=y_title, scale=alt.Scale(domain=names, range=[[1, 0], [5, 3]]), legend=dash_legend()
        )
    return encode


def series_layers(frame: pd.DataFrame, encode: dict, name: str, log_x: bool) -> list[alt.Chart]:
    """One run's lines, and points on them to hover for exact values (invisible unless few)."""
    rows_per_series = frame.groupby("series").size().max() if "series" in frame else len(frame)
    line = alt.Chart(frame).mark_line(strokeWidth=1.5).encode(**encode).properties(name=name)
    # A layer of its own, without strokeDash: a point mark would turn the dash legend into dots.
    sample = alt.Chart(_hover_sample(frame, log_x))
    return [line, hover_points(sample, rows_per_series, without_dash(encode), f"{name}-points")]


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
    wanted = log_spaced(int(iterations[-1]) + 1, HOVER_POINTS)
    # The line's first row at or after each wanted iteration: the points stay on the line.
    return line.iloc[np.unique(np.searchsorted(iterations, wanted).clip(0, len(line) - 1))]


def _cursor_layers(
    runs: Sequence[LabeledRun], columns: dict[str, str], fields: list[str], encode: dict, at_iteration: int
) -> list[alt.Chart]:
    """A rule at ``at_iteration`` and a point on each series there, from the full trajectories."""
    rows = [
        long_format(label, result.trajectory[result.trajectory["iteration"] == at_iteration], columns)[fields]
        for label, result in runs
    ]
    here = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=fields)
    return cursor_marks(here, encode, at_iteration)
