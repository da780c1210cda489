"""Charts in words (core.charts.describe) and runs told apart by dash (core.charts.apart)."""

from __future__ import annotations

import inspect

import pytest

from core import charts
from core.charts import apart, describe
from core.lesson.data import least_squares, load_builtin
from core.lesson.drafts import DRAFTS, SOLUTION
from core.lesson.text import figure

DATA = load_builtin("solution")


def test_the_loss_chart_says_where_the_loss_went_from_the_recorded_values(run):
    result = run(SOLUTION)
    text = describe.describe(charts.loss_chart, [("this run", result)], log_x=True)
    first, last = result.trajectory["loss"].iloc[[0, -1]]
    assert text.startswith("Loss (RMSE) over iterations.")
    last_row = len(result.trajectory) - 1
    assert (
        f"Over {len(result.trajectory):,} iterations: loss from {first:.4g} at iteration 0 to {last:.4g} at iteration "
        f"{last_row:,}, finished." in text
    )
    # The MSE's chart names the MSE, in its title and its words.
    mse = run(SOLUTION.with_changes(loss="mse", lr=0.01, iterations=100))
    assert charts.loss_chart([("mse", mse)]).to_dict()["title"] == "Loss (MSE) over iterations"
    assert describe.describe(charts.loss_chart, [("mse", mse)]).startswith("Loss (MSE) over iterations.")
    both = describe.describe(charts.loss_chart, [("a", result), ("b", mse)])
    assert both.startswith("Loss (RMSE or MSE, as each run minimised) over iterations.")


def test_a_run_that_raised_says_so_and_where(run):
    result = run(DRAFTS["1"].with_changes(iterations=2))
    text = describe.describe(charts.parameter_chart, [("this run", result)], "m", at_iteration=0)
    assert f"raised {result.outcome.error.type} at iteration 1" in text
    assert "at iteration 0: m 0" in text


def test_several_runs_are_each_named_and_the_fit_names_the_best_line(run):
    runs = [("Draft 3", run(DRAFTS["3"])), ("Draft 4", run(SOLUTION))]
    gradients = describe.describe(charts.gradient_chart, runs)
    assert "Draft 3, over 10,000 iterations: m.grad from -6.635" in gradients and "Draft 4, over" in gradients
    fit = describe.describe(charts.fit_chart, DATA, runs)
    best = least_squares(DATA)
    assert f"{len(DATA):,} points of sleep against screentime" in fit
    assert f"The least-squares line is y = {best.m:.4g} x + {best.b:.4g}." in fit


def test_the_landscape_names_its_minimum_and_each_path(run):
    text = describe.describe(charts.landscape_chart, DATA, [("this run", run(SOLUTION))], at_iteration=5)
    best = least_squares(DATA)
    assert f"lowest at the least-squares minimum m = {best.m:.4g}" in text
    assert "This run: path from (0, 0) to (m, b) = (-0.755, 11.24), finished; at iteration 5: m " in text


def test_every_chart_the_lab_and_compare_draw_has_words():
    drawn = {
        charts.fit_chart,
        charts.loss_chart,
        charts.parameter_chart,
        charts.gradient_chart,
        charts.landscape_chart,
        charts.accumulation_chart,
        charts.nudge_chart,
        charts.distance_chart,
    }
    drawn |= {function for name, function in inspect.getmembers(apart, inspect.isfunction) if name.endswith("_apart")}
    drawn -= {apart.runs_apart}
    assert drawn <= set(describe.DESCRIBERS), drawn - set(describe.DESCRIBERS)


@pytest.mark.parametrize(
    "value, words", [(float("nan"), "not a number"), (float("inf"), "infinite"), (1.43712, "1.437")]
)
def test_numbers_read_as_words(value: float, words: str):
    assert figure(value) == words


def test_compared_runs_each_get_their_own_dash(run):
    runs = [("Draft 4", run(SOLUTION)), ("custom (same as Draft 4)", run(SOLUTION))]
    for chart in (
        apart.loss_chart_apart(runs),
        apart.parameter_chart_apart(runs, "m"),
        apart.landscape_chart_apart(DATA, runs),
    ):
        spec = chart.to_dict()  # validated against the schema
        dashed = [layer for layer in spec["layer"] if "strokeDash" in layer.get("encoding", {})]
        # One line layer a run, each holding that run's rows only, so each draws its run's dash.
        assert [layer["name"] for layer in dashed] in (["series-0", "series-1"], ["path-0", "path-1"]), dashed
        for k, layer in enumerate(dashed):
            assert {row["run"] for row in spec["datasets"][layer["data"]["name"]]} == {runs[k][0]}
            assert_dashed_by_run(layer, runs)
    fits = next(layer for layer in apart.fit_chart_apart(DATA, runs).to_dict()["layer"] if layer["name"] == "fits")
    assert_dashed_by_run(fits, runs)


def assert_dashed_by_run(layer: dict, runs: list) -> None:
    """A layer dashed by run, each run its own dash, its legend drawing the dashes (merged with the colour's)."""
    dashed = layer["encoding"]["strokeDash"]
    assert dashed["field"] == "run" and dashed["title"] == "run"
    assert dashed["scale"] == {"domain": [label for label, _ in runs], "range": [apart.dash(0), apart.dash(1)]}
    assert apart.dash(0) != apart.dash(1)
    assert dashed["legend"] == {"orient": "top", "symbolType": "stroke", "symbolSize": 400, "symbolStrokeWidth": 2}


def test_a_single_run_gets_no_dash_legend():
    assert apart.run_dash(["Draft 4"]).to_dict()["legend"] is None


def test_every_describer_takes_every_argument_its_chart_takes():
    """A chart drawn with an option its describer does not know would fail the whole page."""
    for chart, describer in describe.DESCRIBERS.items():
        variadic = (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
        wanted = {name for name, p in inspect.signature(chart).parameters.items() if p.kind not in variadic}
        parameters = inspect.signature(describer).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            continue  # takes any keyword
        taken = set(parameters)
        assert wanted <= taken, f"{describer.__name__} lacks {sorted(wanted - taken)} of {chart.__name__}"
