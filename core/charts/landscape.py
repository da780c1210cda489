"""The loss landscape: the RMSE over (m, b) as a heatmap, with each run's path across it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from core.charts.axis import Failure, failures
from core.charts.common import (
    CURSOR_COLOR,
    HEIGHT,
    LabeledRun,
    downsample,
    exact,
    halo_text,
    hover_points,
    last_finite,
    layered,
    run_color,
    sized,
)
from core.lesson.data import Dataset, least_squares
from core.lesson.results import RunResult
from core.measure import landscape
from core.measure.landscape import Grid

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
    encode = {"x": x, "y": y, "color": run_color(runs)}
    layers = [
        _heatmap(grid, m_scale, b_scale),
        *_path_layers(runs, encode),
        _starts(runs, encode),
        *([] if at_iteration is None else [_path_cursor(runs, encode, at_iteration)]),
        *[_path_failure(failure, dict(runs)[failure.run], x, y, k) for k, failure in enumerate(failures(runs))],
        *_minimum(dataset, x, y),
    ]
    subtitle = alt.Undefined if at_iteration is None else f"large dots: (m, b) at iteration {at_iteration}"
    title = alt.TitleParams("Loss landscape: RMSE over (m, b)", subtitle=subtitle)
    return layered(*layers, title=title, **sized(LANDSCAPE_HEIGHT))


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
            tooltip=[exact("m", "m"), exact("b", "b"), exact("rmse", "RMSE")],
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
    order = sorted(range(len(paths)), key=lambda k: -_path_length(paths[k][1]))  # stable: ties keep their order
    return [layer for k in order for layer in _one_path(*paths[k], encode, k)]


def _one_path(label: str, path: pd.DataFrame, encode: dict, index: int) -> list[alt.Chart]:
    """One run's path: a white casing so it shows on any shade, the line in iteration order, and hover points."""
    frame = downsample(path).reset_index(drop=True)
    frame.insert(0, "run", label)
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("iteration:Q"), exact("m", "m"), exact("b", "b")]
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
    # A short path shows its steps; a long one only on hover.
    points = hover_points(base, len(frame), {**encode, "tooltip": tooltip}, f"path-{index}-points", clip=True)
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
    tooltip = [alt.Tooltip("run:N"), exact("m", "start m"), exact("b", "start b")]
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
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("iteration:Q"), exact("m", "m"), exact("b", "b")]
    return (
        alt.Chart(frame)
        .mark_circle(clip=True, size=150, opacity=1, stroke=CURSOR_COLOR, strokeWidth=2)
        .encode(**encode, tooltip=tooltip)
        .properties(name="cursor-points")
    )


def _path_failure(failure: Failure, result: RunResult, x: alt.X, y: alt.Y, index: int) -> alt.Chart:
    """A cross where a failed run's path ends, with what happened on hover."""
    m, b = last_finite(result) or _start(result)
    frame = pd.DataFrame([{"m": m, "b": b, "label": failure.label, "detail": failure.detail}])
    tooltip = [alt.Tooltip("label:N", title="run"), alt.Tooltip("detail:N"), exact("m", "m"), exact("b", "b")]
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
    tooltip = [alt.Tooltip("label:N", title="point"), exact("m", "m"), exact("b", "b"), exact("rmse", "RMSE")]
    star = (
        alt.Chart(frame)
        .mark_point(clip=True, shape=STAR, filled=True, size=320, color=MINIMUM_COLOR, stroke="white", strokeWidth=1.2)
        .encode(x=x, y=y, tooltip=tooltip)
        .properties(name="minimum")
    )
    # Dark words on a white outline read on any shade and across any path.
    words = alt.Chart(frame[["m", "b"]]).encode(x=x, y=y)
    style = {"text": "minimum", "align": "left", "dx": 11, "dy": -9, "fontWeight": "bold", "clip": True}
    return [star, *halo_text(words, "black", ("minimum-halo", "minimum-label"), **style)]
