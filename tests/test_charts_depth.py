"""The deeper charts: the loss landscape, accumulated gradients, and a run beside its nudged twin."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core import charts
from core.charts import KEEP_FIRST, MAX_POINTS
from core.lesson.data import Dataset, least_squares, load_builtin
from core.lesson.drafts import DRAFTS, SOLUTION, LoopConfig
from core.measure import landscape
from core.run import engine
from tests.test_charts import _encodings, _layers, _rows

SECONDARY = {"x2", "y2"}  # Vega-Lite takes their type from x and y; they have none of their own

NUDGE = 1e-3


def _huge() -> Dataset:
    """Values so large that the loss overflows after one step (as in test_engine)."""
    return Dataset(key="huge", title="huge", x=np.array([1e37, 2e37, 3e37]), y=np.array([1.0, 2.0, 3.0]))


def _split(trajectory: pd.DataFrame) -> pd.DataFrame:
    """What core.measure.analysis.accumulation_split gives: each .grad as the previous one plus a fresh part, in float32."""  # noqa: E501
    columns = {"iteration": trajectory["iteration"].to_numpy()}
    for parameter in ("m", "b"):
        grad = trajectory[f"{parameter}_grad"].to_numpy(dtype=np.float32)
        carried = np.concatenate([np.zeros(1, dtype=np.float32), grad[:-1]])  # nothing is carried into iteration 0
        columns |= {f"{parameter}_grad": grad, f"{parameter}_carried": carried, f"{parameter}_fresh": grad - carried}
    return pd.DataFrame(columns)


def _distance(a: engine.RunResult, b: engine.RunResult) -> pd.DataFrame:
    """How far apart two runs' (m, b) are at each iteration."""
    apart = np.hypot(a.trajectory.m - b.trajectory.m, a.trajectory.b - b.trajectory.b)
    return pd.DataFrame({"iteration": a.trajectory.iteration, "distance": apart})


@pytest.fixture(scope="module")
def results(run) -> dict[str, engine.RunResult]:
    """Real engine runs, computed once for the module."""
    return {
        "solution": run(SOLUTION),
        "draft3": run(DRAFTS["3"]),
        "draft2": run(DRAFTS["2"]),  # one step
        "raised": run(DRAFTS["1"].with_changes(iterations=2)),  # TypeError at iteration 1 (update)
        "nudged": run(SOLUTION.with_changes(m0=NUDGE)),
        "draft3_nudged": run(DRAFTS["3"].with_changes(m0=NUDGE, iterations=3000)),
        "draft3_short": run(DRAFTS["3"].with_changes(iterations=3000)),
        "elsewhere": run(SOLUTION.with_changes(m0=0.5, b0=-1.0, iterations=200)),
        "diverged": engine.run(LoopConfig(dataset="huge", lr=100.0, iterations=100), data=_huge()),
    }


@pytest.fixture(scope="module")
def lesson():
    return load_builtin("solution")


def _primary_encodings(spec: dict):
    """Every encoding channel of every layer, but x2 and y2."""
    for layer in spec["layer"]:
        for name, channel in layer.get("encoding", {}).items():
            if name not in SECONDARY:
                yield from channel if isinstance(channel, list) else [channel]


def _valid(chart) -> dict:
    """The chart's spec, validated against the schema and free of NaN (invalid JSON for the browser)."""
    spec = chart.to_dict()
    json.dumps(spec, allow_nan=False)
    return spec


# --- the loss landscape -----------------------------------------------------------------------


def test_landscape_sends_one_row_per_cell_with_only_what_it_plots(results, lesson):
    runs = [("Draft 4", results["solution"]), ("Draft 3", results["draft3"])]
    spec = _valid(charts.landscape_chart(lesson, runs))
    cells = _rows(spec, "landscape")
    assert list(cells.columns) == ["m", "b", "rmse"]
    assert len(cells) == landscape.DEFAULT_STEPS**2 <= 3600
    layer = _layers(spec)["landscape"]
    assert layer["mark"]["type"] == "rect"
    fill = layer["encoding"]["fill"]
    assert (fill["field"], fill["type"], fill["scale"]["type"]) == ("rmse", "quantitative", "log")
    assert spec["height"] == charts.LANDSCAPE_HEIGHT and spec["width"] == "container"


def test_landscape_cells_hold_the_grid_of_the_extent(results, lesson):
    runs = [("Draft 4", results["solution"]), ("Draft 3", results["draft3"])]
    cells = _rows(_valid(charts.landscape_chart(lesson, runs, steps=30)), "landscape")
    grid = landscape.rmse_grid(lesson, *landscape.extent(lesson, [r for _, r in runs]), steps=30)
    assert len(cells) == 900
    assert cells.rmse.tolist() == grid.rmse.ravel().tolist()
    assert cells.m.tolist() == np.repeat(grid.m, 30).tolist() and cells.b.tolist() == np.tile(grid.b, 30).tolist()


def test_a_grid_passed_in_is_drawn_as_given(results, lesson):
    grid = landscape.rmse_grid(lesson, (-2.0, 1.0), (-5.0, 20.0), steps=40)
    spec = _valid(charts.landscape_chart(lesson, [("Draft 4", results["solution"])], grid=grid))
    cells = _rows(spec, "landscape")
    assert cells.rmse.tolist() == grid.rmse.ravel().tolist()
    # The axes reach the outer cells' edges, half a step beyond the grid's first and last values.
    half_m, half_b = 3.0 / 39 / 2, 25.0 / 39 / 2
    x = _layers(spec)["path-0"]["encoding"]["x"]
    y = _layers(spec)["path-0"]["encoding"]["y"]
    assert x["scale"]["domain"] == pytest.approx([-2.0 - half_m, 1.0 + half_m])
    assert y["scale"]["domain"] == pytest.approx([-5.0 - half_b, 20.0 + half_b])
    assert (x["title"], y["title"]) == ("m", "b")


def test_a_grid_too_fine_to_send_is_refused(results, lesson):
    grid = landscape.rmse_grid(lesson, (-2.0, 1.0), (-5.0, 20.0), steps=400)
    with pytest.raises(ValueError, match="at most 60"):
        charts.landscape_chart(lesson, [("Draft 4", results["solution"])], grid=grid)


def test_the_minimum_is_marked_at_least_squares(results, lesson):
    spec = _valid(charts.landscape_chart(lesson, [("Draft 4", results["solution"])]))
    best = least_squares(lesson)
    minimum = _rows(spec, "minimum")
    assert (minimum.m.iloc[0], minimum.b.iloc[0], minimum.rmse.iloc[0]) == (best.m, best.b, best.rmse)
    assert minimum.label.iloc[0] == "least-squares minimum m=-0.7551, b=11.2420"
    tooltip = _layers(spec)["minimum"]["encoding"]["tooltip"]
    assert [(t["field"], t["type"]) for t in tooltip] == [
        ("label", "nominal"),
        ("m", "nominal"),  # exact: quantitative tooltips are rounded to 12 digits
        ("b", "nominal"),
        ("rmse", "nominal"),
    ]


def test_paths_start_at_the_configured_start_and_follow_the_iterations(results, lesson):
    runs = [("Draft 4", results["solution"]), ("Elsewhere", results["elsewhere"])]
    spec = _valid(charts.landscape_chart(lesson, runs))
    for k, (label, result) in enumerate(runs):
        path = _rows(spec, f"path-{k}")
        assert list(path.columns) == ["run", "iteration", "m", "b"]
        assert set(path.run) == {label}
        first = path.iloc[0]
        assert (first.iteration, first.m, first.b) == (0, result.config.m0, np.float32(result.config.b0))
        assert path.iteration.is_monotonic_increasing and path.iteration.is_unique
        assert _layers(spec)[f"path-{k}"]["encoding"]["order"] == {"field": "iteration", "type": "quantitative"}
    starts = _rows(spec, "starts")
    assert starts.values.tolist() == [["Draft 4", 0.0, 0.0], ["Elsewhere", 0.5, -1.0]]


def test_a_path_ends_where_the_last_update_took_it(results, lesson):
    result = results["solution"]
    path = _rows(_valid(charts.landscape_chart(lesson, [("Draft 4", result)])), "path-0")
    last = path.iloc[-1]
    assert (last.iteration, last.m, last.b) == (10_000, result.outcome.final_m, result.outcome.final_b)
    # One step: the start and where the step went, so a single step is drawn as a step.
    one = results["draft2"]
    step = _rows(_valid(charts.landscape_chart(lesson, [("Draft 2", one)])), "path-0")
    assert step[["iteration", "m", "b"]].values.tolist() == [
        [0, 0.0, 0.0],
        [1, one.outcome.final_m, one.outcome.final_b],
    ]
    assert step.m.iloc[1] == pytest.approx(0.1327, abs=1e-4)


def test_long_paths_are_downsampled_and_the_longest_drawn_first(results, lesson):
    runs = [("Draft 4", results["solution"]), ("Draft 3", results["draft3"])]
    spec = _valid(charts.landscape_chart(lesson, runs))
    for k in range(2):
        path = _rows(spec, f"path-{k}")
        assert len(path) == MAX_POINTS
        assert path.iteration.iloc[:KEEP_FIRST].tolist() == list(range(KEEP_FIRST))
        # The hover points and the white casing reuse the line's data: nothing is sent twice.
        line = _layers(spec)[f"path-{k}"].get("data")
        assert _layers(spec)[f"path-{k}-points"].get("data") == _layers(spec)[f"path-casing-{k}"].get("data") == line
    # Draft 3 wanders all over the valley: drawn under Draft 4's tidy path, not over it.
    names = [layer["name"] for layer in spec["layer"]]
    assert names.index("path-1") < names.index("path-0")


def test_the_cursor_marks_each_path_at_the_iteration(results, lesson):
    runs = [("Draft 4", results["solution"]), ("Draft 3", results["draft3"]), ("Draft 1", results["raised"])]
    spec = _valid(charts.landscape_chart(lesson, runs, at_iteration=1234))
    points = _rows(spec, "cursor-points")
    # Draft 1 ended at iteration 1: no dot for it. Values from the full trajectory, not the sample.
    assert points.run.tolist() == ["Draft 4", "Draft 3"]
    assert set(points.iteration) == {1234}
    for label, key in [("Draft 4", "solution"), ("Draft 3", "draft3")]:
        row = results[key].trajectory.iloc[1234]
        here = points[points.run == label].iloc[0]
        assert (here.m, here.b) == (row.m, row.b)
    assert spec["title"]["subtitle"] == "large dots: (m, b) at iteration 1234"
    no_cursor = _valid(charts.landscape_chart(lesson, runs[:1]))
    assert "cursor-points" not in _layers(no_cursor)


def test_a_failed_run_ends_in_a_cross_and_loses_its_infinite_points(results):
    data = _huge()
    result = results["diverged"]
    assert result.outcome.final_m == float("inf")
    spec = _valid(charts.landscape_chart(data, [("Diverged", result)]))
    path = _rows(spec, "path-0")
    assert np.isfinite(path[["m", "b"]].to_numpy()).all()
    cross = _rows(spec, "failure-0")
    assert cross[["m", "b", "label"]].values.tolist() == [[0.0, 0.0, "diverged at iteration 1"]]
    assert _layers(spec)["failure-0"]["mark"]["color"] == charts.FAILURE_COLOR


def test_a_raised_run_is_crossed_where_it_stopped(results, lesson):
    spec = _valid(charts.landscape_chart(lesson, [("Draft 4", results["solution"]), ("Draft 1", results["raised"])]))
    cross = _rows(spec, "failure-0")
    raised = results["raised"].outcome
    assert (cross.m.iloc[0], cross.b.iloc[0]) == (raised.final_m, raised.final_b)
    assert cross.label.iloc[0] == "Draft 1: TypeError at iteration 1 (update)"
    assert "failure-1" not in _layers(spec)


def test_data_near_the_float64_limit_leaves_out_the_cells_that_overflow(lesson):
    data = Dataset(key="vast", title="vast", x=np.array([1e200, 2e200, 3e200]), y=np.array([1.0, 2.0, 4.0]))
    result = engine.run(LoopConfig(dataset="vast", iterations=5), data=data)
    _valid(charts.landscape_chart(data, [("Vast", result)]))  # no inf or NaN in the JSON
    rmse = np.ones((3, 3))
    rmse[0, 0], rmse[2, 1] = np.inf, np.nan
    grid = landscape.Grid(m=np.array([0.0, 1.0, 2.0]), b=np.array([0.0, 1.0, 2.0]), rmse=rmse)
    spec = _valid(charts.landscape_chart(lesson, [], grid=grid))
    assert len(_rows(spec, "landscape")) == 7
    assert _layers(spec)["landscape"]["encoding"]["fill"]["scale"]["domain"] == [1.0, 10.0]


def test_landscape_with_no_runs_shows_the_surface_and_the_minimum(lesson):
    spec = _valid(charts.landscape_chart(lesson, [], at_iteration=3))
    assert _rows(spec, "starts").empty and _rows(spec, "cursor-points").empty
    best = least_squares(lesson)
    x, y = _layers(spec)["minimum"]["encoding"]["x"], _layers(spec)["minimum"]["encoding"]["y"]
    assert x["scale"]["domain"][0] < best.m < x["scale"]["domain"][1]
    assert y["scale"]["domain"][0] < best.b < y["scale"]["domain"][1]


def test_one_legend_for_the_runs(results, lesson):
    runs = [("Draft 4", results["solution"]), ("Draft 3", results["draft3"])]
    spec = _valid(charts.landscape_chart(lesson, runs, at_iteration=5))
    colors = [c for c in _encodings(spec) if c.get("field") == "run" and "scale" in c]
    assert len(colors) > 4
    # Every layer's run colour is the same encoding, so Vega-Lite merges them into one legend.
    assert all(c == colors[0] for c in colors)
    assert colors[0]["scale"]["domain"] == ["Draft 4", "Draft 3"]
    # The surface is shaded through fill, a scale of its own: colour is the runs' alone.
    assert "color" not in _layers(spec)["landscape"]["encoding"]


# --- accumulated gradients --------------------------------------------------------------------


@pytest.fixture(scope="module")
def split(results) -> pd.DataFrame:
    return _split(results["draft3"].trajectory)


def test_the_split_adds_up(split):
    # The frame the chart is given: in float32, what is carried over plus what is fresh is the .grad.
    assert (split.m_carried + split.m_fresh == split.m_grad).all()
    assert split.m_carried.iloc[1:].tolist() == split.m_grad.iloc[:-1].tolist()


@pytest.mark.parametrize("parameter", ["m", "b"])
def test_accumulation_shows_three_parts_each_downsampled(split, parameter):
    spec = _valid(charts.accumulation_chart(split, parameter))
    names = [f"{parameter}.grad (total)", "carried over", "fresh gradient"]
    columns = [f"{parameter}_grad", f"{parameter}_carried", f"{parameter}_fresh"]
    for k, (name, column) in enumerate(zip(names, columns, strict=True)):
        rows = _rows(spec, f"series-{k}")
        assert list(rows.columns) == ["series", "iteration", "value"]
        assert set(rows.series) == {name}
        assert len(rows) == MAX_POINTS
        assert rows.value.tolist() == split[column].astype("float64")[rows.iteration].tolist()
    color = _layers(spec)["series-0"]["encoding"]["color"]
    assert (color["field"], color["type"], color["scale"]["domain"]) == ("series", "nominal", names)
    dash = _layers(spec)["series-0"]["encoding"]["strokeDash"]["scale"]["range"]
    assert dash[1] != dash[0]  # carried over is dashed: it runs close to the total
    assert spec["title"]["text"] == f"{parameter}.grad without zeroing: carried over + fresh"


def test_accumulation_cursor_sits_at_the_iteration(split):
    spec = _valid(charts.accumulation_chart(split, "m", at_iteration=40, log_x=True))
    assert _rows(spec, "cursor").to_dict("records") == [{"iteration": 40}]
    points = _rows(spec, "cursor-points")
    row = split.iloc[40]
    assert points.values.tolist() == [
        ["m.grad (total)", 40, row.m_grad],
        ["carried over", 40, row.m_carried],
        ["fresh gradient", 40, row.m_fresh],
    ]
    x = _layers(spec)["series-0"]["encoding"]["x"]
    assert x["scale"]["type"] == "symlog" and x["scale"]["domain"] == [0, 10_000]


def test_accumulation_of_a_few_iterations_shows_its_points(results):
    spec = _valid(charts.accumulation_chart(_split(results["draft3"].trajectory.iloc[:5]), "b", at_iteration=8))
    assert _layers(spec)["series-0-points"]["mark"]["opacity"] == 1
    assert _layers(spec)["series-0"]["encoding"]["x"]["scale"]["domain"] == [0, 9]  # reaches the cursor
    assert _rows(spec, "cursor-points").empty


def test_accumulation_parameter_must_be_m_or_b(split):
    with pytest.raises(ValueError, match="parameter"):
        charts.accumulation_chart(split, "loss")


# --- a run and its nudged twin ----------------------------------------------------------------


def test_distance_is_on_a_log_scale_and_downsampled(results):
    distance = _distance(results["solution"], results["nudged"])
    spec = _valid(charts.distance_chart(distance))
    assert spec["title"] == ["Distance between the run", "and its nudged twin"]
    rows = _rows(spec, "distance")
    assert list(rows.columns) == ["iteration", "distance"]
    assert len(rows) == MAX_POINTS
    assert rows.distance.iloc[0] == pytest.approx(NUDGE)
    assert rows.distance.tolist() == distance.distance[rows.iteration].tolist()
    y = _layers(spec)["distance"]["encoding"]["y"]
    assert (y["field"], y["type"], y["scale"]["type"]) == ("shown", "quantitative", "log")
    # In float32 the solution's twins meet exactly (from iteration 7,964): zero, drawn at the floor.
    assert (rows.distance == 0).any()
    assert y["title"] == "distance (log; under 1e-12 drawn at 1e-12)"
    tooltip = _layers(spec)["distance"]["encoding"]["tooltip"]
    assert [(t["field"], t["type"]) for t in tooltip] == [("iteration", "quantitative"), ("distance", "nominal")]


def test_zero_distance_is_drawn_at_the_floor_and_the_axis_says_so():
    distance = pd.DataFrame({"iteration": range(6), "distance": [1e-3, 1e-6, 0.0, 0.0, np.nan, np.inf]})
    spec = _valid(charts.distance_chart(distance))
    rows = _rows(spec, "distance")
    assert rows.distance.tolist() == [1e-3, 1e-6, 0.0, 0.0]  # exact values sent; the non-finite dropped
    layer = _layers(spec)["distance"]
    assert layer["transform"] == [{"calculate": "max(datum.distance, 1e-12)", "as": "shown"}]
    assert layer["encoding"]["y"]["title"] == "distance (log; under 1e-12 drawn at 1e-12)"


def test_distance_on_linear_scales(results):
    distance = _distance(results["draft3_short"], results["draft3_nudged"])
    spec = _valid(charts.distance_chart(distance, log_y=False, log_x=True))
    y = _layers(spec)["distance"]["encoding"]["y"]
    assert (y["field"], y["title"]) == ("distance", "distance") and "type" not in y.get("scale", {})
    x = _layers(spec)["distance"]["encoding"]["x"]
    assert x["scale"]["type"] == "symlog" and x["scale"]["domain"] == [0, 3000]
    # Without zeroing the twins drift apart: the nudge grows by orders of magnitude, and never vanishes.
    assert _rows(spec, "distance").distance.max() > 1000 * NUDGE
    log_y = _layers(_valid(charts.distance_chart(distance)))["distance"]["encoding"]["y"]
    assert log_y["title"] == "distance (log scale)"  # nothing is zero, so nothing is floored


def test_nudge_overlays_both_runs_the_twin_dashed(results):
    original, nudged = ("Draft 4", results["solution"]), ("Draft 4, m0 + 0.001", results["nudged"])
    spec = _valid(charts.nudge_chart(original, nudged, "m"))
    assert spec["title"]["text"] == ["m over iterations:", "the run and its nudged twin"]
    first = _rows(spec, "series-0")
    twin = _rows(spec, "series-1")
    assert len(first) == len(twin) == MAX_POINTS
    assert (first.value.iloc[0], twin.value.iloc[0]) == (0.0, np.float32(NUDGE))
    assert _layers(spec)["series-1"]["mark"]["strokeDash"] == charts.NUDGED_DASH
    assert "strokeDash" not in _layers(spec)["series-0"]["mark"]
    assert _layers(spec)["series-0"]["encoding"]["color"]["scale"]["domain"] == [original[0], nudged[0]]


def test_nudge_needs_two_labels(results):
    with pytest.raises(ValueError, match="labels"):
        charts.nudge_chart(("Draft 4", results["solution"]), ("Draft 4", results["nudged"]))


# --- every new chart --------------------------------------------------------------------------


def test_every_encoding_is_typed_and_every_frame_plain(results, lesson, split):
    runs = [("Draft 4", results["solution"]), ("Draft 1", results["raised"])]
    new_charts = [
        charts.landscape_chart(lesson, runs, at_iteration=1),
        charts.accumulation_chart(split, at_iteration=1),
        charts.distance_chart(_distance(results["solution"], results["nudged"])),
        charts.nudge_chart(runs[0], ("twin", results["nudged"]), "b", log_x=True),
    ]
    for chart in new_charts:
        spec = _valid(chart)
        fields = [channel for channel in _primary_encodings(spec) if "field" in channel]
        assert len(fields) > 3
        assert all(channel.get("type") in {"quantitative", "nominal"} for channel in fields), fields
        # Streamlit sends a DataFrame as Arrow, and a non-default index travels as one more column.
        # (Altair moves data every layer shares up to the layer chart itself.)
        frames = [
            data for data in [chart.data, *(layer.data for layer in chart.layer)] if isinstance(data, pd.DataFrame)
        ]
        assert frames and all(isinstance(f.index, pd.RangeIndex) and f.index.start == 0 for f in frames)
