"""Charts: real engine results in, valid Vega-Lite out, sending only what each chart plots."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from core import charts
from core.charts import MAX_POINTS, SCATTER_POINTS, downsample
from core.charts.axis import LABEL_LINES_PX
from core.charts.series import long_format
from core.lesson.data import Dataset, load_builtin
from core.lesson.drafts import DRAFTS, SOLUTION, LoopConfig
from core.lesson.results import COLUMNS
from core.run import engine

RED = charts.FAILURE_COLOR


def _mismatched() -> Dataset:
    """x and y of different lengths: the loss statement raises at iteration 0, before any row."""
    return Dataset(key="mismatched", title="mismatched", x=np.array([1.0, 2.0, 3.0]), y=np.array([1.0, 2.0]))


def _huge() -> Dataset:
    """Values so large that the loss overflows after one step (as in test_engine)."""
    return Dataset(key="huge", title="huge", x=np.array([1e37, 2e37, 3e37]), y=np.array([1.0, 2.0, 3.0]))


@pytest.fixture(scope="module")
def results(run) -> dict[str, engine.RunResult]:
    """One real engine result of every kind, computed once for the module."""
    return {
        "solution": run(SOLUTION),
        "draft3": run(DRAFTS["3"]),
        "raised": run(DRAFTS["1"].with_changes(iterations=2)),  # TypeError at iteration 1 (update)
        "in_place": run(LoopConfig(no_grad=False)),  # RuntimeError at iteration 0 (update)
        "empty": engine.run(LoopConfig(dataset="mismatched"), data=_mismatched()),
        "diverged": engine.run(LoopConfig(dataset="huge", lr=100.0, iterations=100), data=_huge()),
        "stopped": engine.run(SOLUTION.with_changes(iterations=100), on_step=lambda i, total: i == 9),
        "short": run(SOLUTION.with_changes(iterations=50)),
    }


def _iteration_charts(runs, **options):
    return {
        "m": charts.parameter_chart(runs, "m", **options),
        "b": charts.parameter_chart(runs, "b", **options),
        "loss": charts.loss_chart(runs, **options),
        "gradient": charts.gradient_chart(runs, **options),
    }


def _layers(spec: dict) -> dict[str, dict]:
    """The chart's layers by name."""
    return {layer["name"]: layer for layer in spec["layer"]}


def _rows(spec: dict, name: str) -> pd.DataFrame:
    """The inline data the browser receives for the layer called ``name``."""
    # Altair hoists data that every layer shares to the top of the spec.
    data = _layers(spec)[name].get("data", spec.get("data"))
    return pd.DataFrame(spec["datasets"][data["name"]])


def _encodings(node):
    """Every encoding channel definition in a spec, however deeply nested."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "encoding":
                for channel in value.values():
                    yield from channel if isinstance(channel, list) else [channel]
            yield from _encodings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _encodings(item)


# --- downsample -------------------------------------------------------------------------------


def test_downsample_keeps_the_first_100_iterations_and_the_last():
    frame = pd.DataFrame({"iteration": np.arange(10_000), "m": np.linspace(0, 1, 10_000)})
    kept = downsample(frame)
    assert len(kept) == MAX_POINTS == 500
    assert kept.iteration.iloc[:100].tolist() == list(range(100))
    assert kept.iteration.iloc[-1] == 9999
    assert kept.iteration.is_monotonic_increasing and kept.iteration.is_unique
    # After the first 100, evenly spaced: the gaps are all 24 or 25 rows (9,899 rows in 399 steps).
    assert set(np.diff(kept.iteration.iloc[100:])) == {24, 25}
    # Rows are kept whole, with their own values.
    assert kept.m.tolist() == frame.m[kept.iteration].tolist()


@pytest.mark.parametrize(("rows", "count"), [(10_000, 500), (100_000, 500), (10_000, 150), (501, 500), (1_000, 2)])
def test_downsample_for_a_log_axis_is_even_on_the_axis(rows, count):
    frame = pd.DataFrame({"iteration": np.arange(rows)})
    kept = downsample(frame, count, log_x=True).iteration.to_numpy()
    assert len(kept) == count and kept[0] == 0 and kept[-1] == rows - 1
    assert (np.diff(kept) > 0).all()
    # Every early iteration, then steps along the log axis that are alike: rounding to whole
    # iterations makes a step at most about twice another, never the 20-fold of even spacing.
    head = int(np.argmax(np.diff(kept) > 1))
    assert kept[:head].tolist() == list(range(head))
    steps = np.diff(np.log1p(kept[head:]))
    assert steps.max() <= 2.1 * np.median(steps)


def test_downsample_for_a_log_axis_keeps_the_first_90_of_10000():
    kept = downsample(pd.DataFrame({"iteration": np.arange(10_000)}), log_x=True).iteration
    assert kept.iloc[:90].tolist() == list(range(90)) and len(kept) == MAX_POINTS
    # As many points between 1,000 and 10,000 as between 100 and 1,000: even on the log axis.
    between = [((kept >= low) & (kept < 10 * low)).sum() for low in (100, 1_000)]
    assert abs(between[0] - between[1]) <= 2, between


def test_downsample_is_deterministic():
    frame = pd.DataFrame({"iteration": np.arange(7_321), "loss": np.random.default_rng(0).random(7_321)})
    assert downsample(frame).equals(downsample(frame))
    assert downsample(frame, max_points=100, keep_first=10).iteration.tolist() == (
        downsample(frame, max_points=100, keep_first=10).iteration.tolist()
    )


def test_downsample_leaves_a_small_frame_unchanged():
    frame = pd.DataFrame({"iteration": np.arange(MAX_POINTS), "m": np.zeros(MAX_POINTS)})
    assert downsample(frame) is frame
    empty = pd.DataFrame({"iteration": [], "m": []})
    assert downsample(empty) is empty


def test_downsample_honours_its_arguments():
    frame = pd.DataFrame({"iteration": np.arange(1000)})
    head_and_tail = [0, 1, 2, 3, 169, 335, 501, 667, 833, 999]  # 3 to 999 in 6 steps of 166
    assert downsample(frame, max_points=10, keep_first=3).iteration.tolist() == head_and_tail
    # keep_first=0: evenly spaced over the whole frame, first and last included.
    assert downsample(frame, max_points=5, keep_first=0).iteration.tolist() == [0, 250, 500, 749, 999]
    # A head as long as the budget still leaves room for the last row.
    assert downsample(frame, max_points=4, keep_first=500).iteration.tolist() == [0, 1, 2, 999]
    with pytest.raises(ValueError, match="max_points"):
        downsample(frame, max_points=1)


# --- every chart, every kind of run -----------------------------------------------------------


KINDS = ["solution", "draft3", "raised", "in_place", "empty", "diverged", "stopped"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_chart_renders_valid_json_for_every_kind_of_run(results, kind):
    runs = [(kind, results[kind])]
    for name, chart in _iteration_charts(runs).items():
        spec = chart.to_dict()  # validates against the Vega-Lite schema
        json.dumps(spec, allow_nan=False)  # a NaN would be invalid JSON for the browser
        assert spec["height"] == charts.HEIGHT and spec["width"] == "container", name
    data = _huge() if kind == "diverged" else load_builtin("solution")
    json.dumps(charts.fit_chart(data, runs, at_iteration=1).to_dict(), allow_nan=False)


def test_several_runs_share_one_chart(results):
    kinds = [kind for kind in KINDS if kind != "draft3"]  # one 10,000-iteration run is enough here
    runs = [(kind, results[kind]) for kind in kinds]
    for chart in [*_iteration_charts(runs, at_iteration=5).values(), *_iteration_charts(runs, log_x=True).values()]:
        spec = chart.to_dict()
        names = _layers(spec)
        assert {f"series-{k}" for k in range(len(runs))} <= set(names)
        color = names["series-0"]["encoding"]["color"]
        assert color["field"] == "run" and color["type"] == "nominal"
        assert color["scale"]["domain"] == kinds  # the order given, so colours match across charts
        assert color["legend"] is not None
    charts.fit_chart(load_builtin("solution"), runs, at_iteration=5).to_dict()


def test_one_run_has_no_colour_legend(results):
    spec = charts.loss_chart([("Draft 4", results["solution"])]).to_dict()
    assert _layers(spec)["series-0"]["encoding"]["color"]["legend"] is None
    assert spec["title"] == "Loss (RMSE) over iterations"


def test_every_encoding_is_typed(results):
    runs = [("Draft 4", results["solution"]), ("Draft 1", results["raised"])]
    specs = [chart.to_dict() for chart in _iteration_charts(runs, at_iteration=1).values()]
    specs.append(charts.fit_chart(load_builtin("solution"), runs, at_iteration=1).to_dict())
    for spec in specs:
        fields = [channel for channel in _encodings(spec) if "field" in channel]
        assert len(fields) > 10
        assert all(channel.get("type") in {"quantitative", "nominal"} for channel in fields), fields


def test_charts_with_no_runs_still_render():
    for chart in _iteration_charts([]).values():
        spec = chart.to_dict()
        assert spec["title"] and "layer" in spec  # an empty chart with its title, not an error
        assert not any(spec.get("datasets", {}).values())  # and no rows of any run
    data = load_builtin("solution")
    fit = charts.fit_chart(data, []).to_dict()
    assert len(data.x) in [len(rows) for rows in fit["datasets"].values()]  # the data's points, without a line


def test_parameter_must_be_m_or_b(results):
    with pytest.raises(ValueError, match="parameter"):
        charts.parameter_chart([("Draft 4", results["solution"])], "loss")


# --- what the browser receives ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("chart", "columns", "series"),
    [
        ("m", ["run", "iteration", "value"], None),
        ("b", ["run", "iteration", "value"], None),
        ("loss", ["run", "iteration", "value"], None),
        ("gradient", ["run", "series", "iteration", "value"], ["m.grad", "b.grad"]),
    ],
)
def test_series_send_only_their_columns_and_at_most_max_points(results, chart, columns, series):
    runs = [("Draft 4", results["solution"]), ("Draft 3", results["draft3"])]
    spec = _iteration_charts(runs)[chart].to_dict()
    for k, label in enumerate(["Draft 4", "Draft 3"]):
        rows = _rows(spec, f"series-{k}")
        assert list(rows.columns) == columns
        assert set(rows.run) == {label}
        per_series = Counter(rows.series) if series else Counter({chart: len(rows)})
        # 10,000 iterations come down to exactly MAX_POINTS per series.
        assert set(per_series.values()) == {MAX_POINTS}
        if series:
            assert list(per_series) == series
        # The hover points are a sample of the line's own rows, at most HOVER_POINTS a series.
        points = _rows(spec, f"series-{k}-points")
        hovered = Counter(points.series) if series else Counter({chart: len(points)})
        assert set(hovered.values()) == {charts.HOVER_POINTS}
        assert set(map(tuple, points[columns].to_numpy())) <= set(map(tuple, rows[columns].to_numpy()))


def test_series_values_are_the_trajectorys_at_full_precision(results):
    trajectory = results["solution"].trajectory
    rows = _rows(charts.loss_chart([("Draft 4", results["solution"])]).to_dict(), "series-0")
    assert rows.iteration.iloc[:100].tolist() == list(range(100))
    assert rows.iteration.iloc[-1] == 9999
    assert rows.value.iloc[0] == trajectory.loss.iloc[0] == pytest.approx(5.659353, abs=1e-6)
    assert rows.value.tolist() == trajectory.loss[rows.iteration].tolist()


def test_tooltips_show_the_plotted_value_unrounded(results):
    spec = charts.parameter_chart([("Draft 4", results["solution"])], "m").to_dict()
    tooltip = _layers(spec)["series-0-points"]["encoding"]["tooltip"]
    assert [(t["field"], t["type"]) for t in tooltip] == [
        ("run", "nominal"),
        ("iteration", "quantitative"),
        ("value", "nominal"),  # not quantitative: Vega-Lite would round it to 12 digits
    ]
    assert tooltip[2]["title"] == "m"
    assert "format" not in tooltip[2]


def test_nan_gradients_are_dropped_per_series(results):
    # Draft 1 run twice: iteration 1 has a loss but m.grad and b.grad are None (NaN).
    runs = [("Draft 1", results["raised"])]
    gradients = _rows(charts.gradient_chart(runs).to_dict(), "series-0")
    assert gradients[["series", "iteration"]].values.tolist() == [["m.grad", 0], ["b.grad", 0]]
    assert gradients.value.tolist() == pytest.approx([-6.635307, -0.916631], abs=1e-6)
    loss = _rows(charts.loss_chart(runs).to_dict(), "series-0")
    assert loss.iteration.tolist() == [0, 1]


def test_short_series_show_their_points_long_ones_only_on_hover(results):
    short = _layers(charts.loss_chart([("Draft 2", results["raised"])]).to_dict())["series-0-points"]
    long = _layers(charts.loss_chart([("Draft 4", results["solution"])]).to_dict())["series-0-points"]
    assert (short["mark"]["opacity"], long["mark"]["opacity"]) == (1, 0)


# --- the iteration axis -----------------------------------------------------------------------


def test_log_x_uses_a_symlog_scale_that_keeps_iteration_zero(results):
    spec = charts.loss_chart([("Draft 4", results["solution"])], log_x=True).to_dict()
    x = _layers(spec)["series-0"]["encoding"]["x"]
    assert x["scale"]["type"] == "symlog"
    assert x["scale"]["domain"] == [0, 10_000]
    assert x["axis"]["values"] == [0, 1, 10, 100, 1_000, 10_000]
    assert x["title"] == charts.axis_title(True) == "iteration (log scale)"
    assert 0 in _rows(spec, "series-0").iteration.tolist()


def test_linear_x_is_the_default(results):
    spec = charts.loss_chart([("Draft 4", results["solution"])]).to_dict()
    x = _layers(spec)["series-0"]["encoding"]["x"]
    assert "type" not in x["scale"]
    assert x["scale"]["domain"] == [0, 10_000]
    assert x["title"] == "iteration"


def test_log_ticks_include_the_end_where_it_has_room(results):
    spec = charts.loss_chart([("50 iterations", results["short"])], log_x=True).to_dict()
    assert _layers(spec)["series-0"]["encoding"]["x"]["axis"]["values"] == [0, 1, 10, 50]


def test_a_short_axis_has_a_tick_at_every_whole_iteration(results):
    spec = charts.loss_chart([("Draft 1", results["raised"])]).to_dict()
    x = _layers(spec)["series-0"]["encoding"]["x"]
    assert x["axis"]["values"] == [0, 1, 2]
    assert x["scale"]["domain"] == [0, 2]


# --- where a run failed -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "iteration", "label", "color"),
    [
        ("raised", 1, "TypeError at iteration 1 (update)", RED),
        ("in_place", 0, "RuntimeError at iteration 0 (update)", RED),
        ("empty", 0, "RuntimeError at iteration 0 (loss)", RED),
        ("diverged", 1, "diverged at iteration 1", RED),
        ("stopped", 10, "stopped at iteration 10", charts.STOPPED_COLOR),
    ],
)
def test_a_failed_run_is_marked_where_it_failed(results, kind, iteration, label, color):
    for chart in _iteration_charts([("Lab", results[kind])]).values():
        spec = chart.to_dict()
        rule = _layers(spec)["failure-0"]
        assert rule["mark"]["type"] == "rule" and rule["mark"]["color"] == color
        assert _rows(spec, "failure-0").iloc[0][["run", "iteration", "label"]].tolist() == ["Lab", iteration, label]
        text = _layers(spec)["failure-label-0"]
        assert text["mark"]["color"] == color
        # The label, drawn on two lines: the words before " at " on the first.
        assert text["encoding"]["text"]["field"] == "shown" and text["mark"]["lineBreak"] == "\n"
        assert text["transform"] == [{"calculate": "replace(datum.label, ' at ', '\\nat ')", "as": "shown"}]
        assert _rows(spec, "failure-label-0").to_dict("records") == [{"iteration": iteration, "label": label}]


def test_the_failure_tooltip_gives_torchs_message(results):
    spec = charts.loss_chart([("Draft 1", results["raised"])]).to_dict()
    detail = _rows(spec, "failure-0").detail.iloc[0]
    assert detail == "TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'"


def test_a_finished_run_has_no_failure_mark(results):
    spec = charts.loss_chart([("Draft 4", results["solution"])]).to_dict()
    assert not any(name.startswith("failure") for name in _layers(spec))


def test_several_failures_are_labelled_by_run_and_stacked(results):
    runs = [("Draft 4", results["solution"]), ("Draft 1", results["raised"]), ("In place", results["in_place"])]
    layers = _layers(spec := charts.loss_chart(runs).to_dict())
    assert _rows(spec, "failure-label-0").label.tolist() == ["Draft 1: TypeError at iteration 1 (update)"]
    assert _rows(spec, "failure-label-1").label.tolist() == ["In place: RuntimeError at iteration 0 (update)"]
    assert layers["failure-label-0"]["encoding"]["y"] == {"value": 4}
    assert layers["failure-label-1"]["encoding"]["y"] == {"value": 4 + LABEL_LINES_PX}


def test_a_run_that_raised_before_any_row_draws_only_its_failure(results):
    result = results["empty"]
    assert result.trajectory.empty
    spec = charts.parameter_chart([("Mismatched", result)], "m", log_x=True, at_iteration=0).to_dict()
    assert _rows(spec, "series-0").empty
    assert _layers(spec)["series-0"]["encoding"]["x"]["scale"]["domain"] == [0, 1]
    assert _rows(spec, "failure-0").iteration.tolist() == [0]


def test_a_label_on_the_right_is_written_leftwards(results):
    stopped = _layers(charts.loss_chart([("Stopped", results["stopped"])]).to_dict())["failure-label-0"]
    at_start = _layers(charts.loss_chart([("In place", results["in_place"])]).to_dict())["failure-label-0"]
    assert (stopped["mark"]["align"], at_start["mark"]["align"]) == ("right", "left")


# --- the iteration cursor ---------------------------------------------------------------------


def test_at_iteration_adds_a_rule_and_a_point_on_each_series(results):
    runs = [("Draft 4", results["solution"]), ("Draft 3", results["draft3"]), ("Draft 1", results["raised"])]
    spec = charts.gradient_chart(runs, at_iteration=1234).to_dict()
    assert _layers(spec)["cursor"]["mark"]["type"] == "rule"
    assert _rows(spec, "cursor").to_dict("records") == [{"iteration": 1234}]
    points = _rows(spec, "cursor-points")
    # Draft 1 ended at iteration 1: no point for it. Values from the full trajectory, not the sample.
    assert points[["run", "series"]].values.tolist() == [
        ["Draft 4", "m.grad"],
        ["Draft 4", "b.grad"],
        ["Draft 3", "m.grad"],
        ["Draft 3", "b.grad"],
    ]
    row = results["draft3"].trajectory.iloc[1234]
    assert points.value.iloc[2:].tolist() == [row.m_grad, row.b_grad]
    assert set(points.iteration) == {1234}


def test_no_cursor_without_at_iteration(results):
    spec = charts.parameter_chart([("Draft 4", results["solution"])], "b").to_dict()
    assert "cursor" not in _layers(spec) and "cursor-points" not in _layers(spec)
    assert spec["title"] == "b over iterations"


# --- the fit chart ----------------------------------------------------------------------------


def test_fit_chart_scatter_sends_only_x_and_y(results):
    dataset = load_builtin("solution")
    spec = charts.fit_chart(dataset, [("Draft 4", results["solution"])]).to_dict()
    scatter = _rows(spec, "data")
    assert list(scatter.columns) == ["x", "y"]
    assert scatter.x.tolist() == dataset.x.tolist() and scatter.y.tolist() == dataset.y.tolist()
    encoding = _layers(spec)["data"]["encoding"]
    assert (encoding["x"]["title"], encoding["y"]["title"]) == ("screentime", "sleep")
    assert spec["title"] == {"text": "Fitted line on the data"}


def test_fit_chart_draws_the_final_line_and_the_line_at_an_iteration(results):
    dataset = load_builtin("solution")
    result = results["solution"]
    spec = charts.fit_chart(dataset, [("Draft 4", result)], at_iteration=100).to_dict()
    lines = _rows(spec, "fits")
    assert list(lines.columns) == ["run", "line", "m", "b", "x", "y"]
    final = lines[lines.line == "final"]
    assert final.m.tolist() == [-0.7550320029258728] * 2 and final.b.tolist() == [11.24125862121582] * 2
    assert final.x.tolist() == [dataset.x.min(), dataset.x.max()]
    assert final.y.tolist() == (final.m * final.x + final.b).tolist()
    at = lines[lines.line == "at iteration 100"]
    assert at.m.tolist() == [result.trajectory.m[100]] * 2 and at.b.tolist() == [result.trajectory.b[100]] * 2
    dash = _layers(spec)["fits"]["encoding"]["strokeDash"]
    assert dash["sort"] == ["final"] and dash["scale"] == {"range": [[1, 0], [6, 4]]}  # final solid, then dashed


def test_fit_chart_draws_a_failed_runs_last_finite_line(results):
    # Diverged: m overflowed to inf, so the line is the last finite row's (m, b) = (0, 0).
    assert results["diverged"].outcome.final_m == float("inf")
    lines = _rows(charts.fit_chart(_huge(), [("Diverged", results["diverged"])]).to_dict(), "fits")
    assert (lines.m.tolist(), lines.b.tolist()) == ([0.0, 0.0], [0.0, 0.0])
    # Raised: the (m, b) it had when it raised, after one update.
    raised = results["raised"].outcome
    lines = _rows(charts.fit_chart(load_builtin("solution"), [("Draft 1", results["raised"])]).to_dict(), "fits")
    assert (
        (lines.m.iloc[0], lines.b.iloc[0])
        == (raised.final_m, raised.final_b)
        == pytest.approx((0.1327, 0.0183), abs=1e-4)
    )


def test_fit_chart_shows_a_first_step_line_below_the_data(results):
    dataset = load_builtin("solution")
    spec = charts.fit_chart(dataset, [("In place", results["in_place"])]).to_dict()
    frame = _rows(spec, "frame")
    # The data starts at 1; the line y = 0 is still on the chart.
    assert dataset.y.min() == 1.0 and frame.y.tolist() == [0.0, dataset.y.max()]
    assert frame.x.tolist() == [dataset.x.min(), dataset.x.max()]
    assert _rows(spec, "fits").y.tolist() == [0.0, 0.0]


def test_fit_chart_clips_a_wild_line_instead_of_squashing_the_data(results):
    dataset = load_builtin("solution")
    wild = engine.run(SOLUTION.with_changes(iterations=1, m0=5.0, b0=-20.0))  # from about 0 to 40 over the data
    spec = charts.fit_chart(dataset, [("Wild", wild)]).to_dict()
    low, high = _rows(spec, "frame").y
    span = dataset.y.max() - dataset.y.min()
    assert high == pytest.approx(dataset.y.max() + span)
    # The line is cut where it leaves the frame, so it widens neither axis.
    line = _rows(spec, "fits")
    m, b = wild.outcome.final_m, wild.outcome.final_b
    assert line.x.tolist() == pytest.approx([dataset.x.min(), (high - b) / m]) and line.y.iloc[1] == pytest.approx(high)
    assert low <= line.y.iloc[0] < high and line.x.iloc[1] < dataset.x.max()


def test_fit_chart_axes_span_the_frame_alone():
    spec = charts.fit_chart(load_builtin("solution"), []).to_dict()
    for channel in ("x", "y"):
        scales = [layer["encoding"][channel]["scale"] for layer in spec["layer"]]
        assert all(scale == {"nice": False, "zero": False} for scale in scales)
    assert _layers(spec)["frame"]["mark"] == {"type": "point", "opacity": 0}


def test_fit_chart_leaves_out_a_line_that_misses_the_frame():
    dataset = load_builtin("solution")
    far = engine.run(SOLUTION.with_changes(iterations=1, m0=0.0, b0=-1000.0))
    assert _rows(charts.fit_chart(dataset, [("Far", far)]).to_dict(), "fits").empty


def test_fit_chart_spec_is_the_same_for_every_run(results):
    """Only the data differs, so the browser can swap it into the chart on the page."""
    dataset = load_builtin("solution")

    def without_data(result, at_iteration):
        spec = charts.fit_chart(dataset, [("this run", result)], at_iteration=at_iteration).to_dict()
        text = json.dumps({key: value for key, value in spec.items() if key != "datasets"})
        for place, name in enumerate(spec["datasets"]):  # names are hashes of the values
            text = text.replace(name, f"dataset {place}")
        return text

    assert (
        without_data(results["solution"], 3) == without_data(results["raised"], 1) == without_data(results["short"], 40)
    )


def test_fit_chart_downsamples_a_large_dataset():
    x = np.linspace(0.0, 1.0, 5000)
    big = Dataset(key="big", title="big", x=x, y=2 * x, x_label="hours", y_label="score")
    spec = charts.fit_chart(big, []).to_dict()
    scatter = _rows(spec, "data")
    assert len(scatter) == SCATTER_POINTS and scatter.x.iloc[[0, -1]].tolist() == [0.0, 1.0]
    assert spec["title"]["subtitle"] == f"showing {SCATTER_POINTS:,} of 5,000 points"


def test_streamlit_receives_frames_with_a_plain_index(results):
    # Streamlit sends a DataFrame as Arrow, and a non-default index travels as one more column.
    x = np.linspace(0.0, 1.0, 5000)
    big = Dataset(key="big", title="big", x=x, y=x)
    runs = [("Draft 4", results["solution"]), ("Draft 1", results["raised"])]
    for chart in [*_iteration_charts(runs, at_iteration=1).values(), charts.fit_chart(big, runs, at_iteration=1)]:
        frames = [layer.data for layer in chart.layer]
        assert all(isinstance(frame, pd.DataFrame) for frame in frames)
        assert all(isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 for frame in frames)


def test_a_log_axis_chart_sends_rows_spread_along_that_axis(results):
    spec = charts.loss_chart([("Draft 4", results["solution"])], log_x=True).to_dict()
    rows = _rows(spec, "series-0")
    expected = downsample(results["solution"].trajectory, log_x=True).iteration
    assert rows.iteration.tolist() == expected.tolist() and len(rows) == MAX_POINTS
    points = _rows(spec, "series-0-points")
    assert 0.9 * charts.HOVER_POINTS <= len(points) <= charts.HOVER_POINTS
    assert set(points.iteration) <= set(rows.iteration) and points.iteration.iloc[[0, -1]].tolist() == [0, 9999]
    # Hover points along the log axis too: as many from 1,000 on as from 100 to 1,000.
    between = [((points.iteration >= low) & (points.iteration < 10 * low)).sum() for low in (100, 1_000)]
    assert abs(between[0] - between[1]) <= 2, between


def _melted(label: str, trajectory: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The long format as pandas' melt makes it: what ``long_format`` must equal, row for row."""
    frame = trajectory[["iteration", *columns]].astype({"iteration": "int64", **dict.fromkeys(columns, "float64")})
    long = frame.melt(id_vars="iteration", var_name="series", value_name="value")
    long = long[np.isfinite(long["value"])]
    long["series"] = long["series"].map(columns)
    long.insert(0, "run", label)
    return long.reset_index(drop=True)


@pytest.mark.parametrize("rows", [0, 1, 7, 500])
@pytest.mark.parametrize("columns", [{"loss": "loss"}, {"m_grad": "m.grad", "b_grad": "b.grad"}])
def test_long_format_is_melt_with_the_values_that_are_not_finite_left_out(rows: int, columns: dict[str, str]):
    values = np.random.default_rng(rows).normal(size=(rows, len(COLUMNS)))
    trajectory = pd.DataFrame(values, columns=list(COLUMNS)).assign(iteration=np.arange(rows))
    trajectory.loc[trajectory.index[::3], "m_grad"] = np.nan  # torch had no gradient
    trajectory.loc[trajectory.index[1::4], "loss"] = np.inf  # diverged
    for label in ("this run", "", "Draft 4 (solution)"):
        pd.testing.assert_frame_equal(long_format(label, trajectory, columns), _melted(label, trajectory, columns))
    empty = pd.DataFrame({name: pd.Series([], dtype=object) for name in COLUMNS})  # a run that raised at once
    pd.testing.assert_frame_equal(long_format("x", empty, columns), _melted("x", empty, columns))
