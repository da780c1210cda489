"""The loss landscape: the grid's values are the RMSE, its window holds every path and the minimum."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from core.lesson.data import Dataset, least_squares, load_builtin, rmse
from core.lesson.drafts import DRAFTS, SOLUTION, LoopConfig
from core.measure import landscape
from core.measure.landscape import Grid, extent, rmse_grid
from core.run.engine import Outcome, RunResult


def _synthetic(n: int, offset: float = 0.0, seed: int = 0) -> Dataset:
    """The lesson's recipe at another size, with x moved ``offset`` away from the origin."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(4, 12, n) + offset
    y = -0.8 * (x - offset) + 10.5 + rng.normal(0, 1.5, n)
    return Dataset(key=f"synthetic-{n}", title="synthetic", x=x, y=y)


def _result(m: list[float], b: list[float], m0: float = 0.0, b0: float = 0.0) -> RunResult:
    """A run with the given path, as the engine would report it (only what extent reads is real)."""
    trajectory = pd.DataFrame({"iteration": range(len(m)), "m": m, "b": b})
    outcome = Outcome(status="finished", iterations_run=len(m), final_m=m[-1], final_b=b[-1])
    return RunResult(config=LoopConfig(m0=m0, b0=b0), trajectory=trajectory, outcome=outcome)


def _contains(window: tuple[float, float], values) -> bool:
    low, high = window
    return all(low <= value <= high for value in values)


# --- the grid ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", [load_builtin("solution"), load_builtin("problem"), _synthetic(100_000)])
def test_grid_values_are_the_rmse(dataset):
    grid = rmse_grid(dataset, (-3.0, 2.0), (-5.0, 25.0), steps=41)
    best = least_squares(dataset)
    near = rmse_grid(dataset, (best.m - 1e-3, best.m + 1e-3), (best.b - 1e-2, best.b + 1e-2), steps=3)
    # Corners, the middle, and points next to the minimum, where the error is smallest.
    for g, i, j in [(grid, 0, 0), (grid, 40, 40), (grid, 0, 40), (grid, 17, 29), (grid, 20, 20), (near, 1, 1)]:
        expected = rmse(dataset, float(g.m[i]), float(g.b[j]))
        assert g.rmse[i, j] == pytest.approx(expected, rel=1e-9, abs=0), (i, j)


def test_the_grid_stays_accurate_far_from_the_origin():
    # x around 10,000: expanded sums (sum x**2 ~ 1e8 per point) would cancel away the last digits;
    # the centred terms never do.
    dataset = _synthetic(500, offset=1e4)
    best = least_squares(dataset)
    grid = rmse_grid(dataset, (best.m - 1e-4, best.m + 1e-4), (best.b - 1.0, best.b + 1.0), steps=5)
    for i, j in [(2, 2), (0, 4), (4, 0), (1, 3)]:
        expected = rmse(dataset, float(grid.m[i]), float(grid.b[j]))
        assert grid.rmse[i, j] == pytest.approx(expected, rel=1e-9, abs=0), (i, j)


def test_grid_axes_span_the_ranges_ends_included():
    grid = rmse_grid(load_builtin("solution"), (-2.0, 1.0), (0.0, 20.0), steps=7)
    assert grid.m.tolist() == np.linspace(-2.0, 1.0, 7).tolist()
    assert grid.b.tolist() == np.linspace(0.0, 20.0, 7).tolist()
    assert grid.rmse.shape == (7, 7)
    assert (grid.m_range, grid.b_range) == ((-2.0, 1.0), (0.0, 20.0))
    # rmse[i, j] belongs to m[i] and b[j]: along the first axis only m changes.
    dataset = load_builtin("solution")
    assert grid.rmse[3, 0] == pytest.approx(rmse(dataset, grid.m[3], grid.b[0]), rel=1e-9)


def test_the_minimum_of_a_fine_grid_is_next_to_least_squares():
    dataset = load_builtin("solution")
    best = least_squares(dataset)
    grid = rmse_grid(dataset, (-2.0, 1.0), (5.0, 15.0), steps=301)
    i, j = np.unravel_index(np.argmin(grid.rmse), grid.rmse.shape)
    step_m, step_b = grid.m[1] - grid.m[0], grid.b[1] - grid.b[0]
    assert abs(grid.m[i] - best.m) <= step_m
    # The valley floor runs along b = mean(y) - m*mean(x): missing best.m by a fraction of a step in m
    # moves the best b on that grid line by up to mean(x) times as much.
    assert abs(grid.b[j] - best.b) <= step_b + dataset.x.mean() * step_m
    assert grid.rmse.min() >= best.rmse - 1e-12  # no cell beats the exact minimum


def test_a_grid_centred_on_least_squares_has_its_minimum_in_the_centre():
    dataset = load_builtin("solution")
    best = least_squares(dataset)
    grid = rmse_grid(dataset, (best.m - 0.5, best.m + 0.5), (best.b - 5.0, best.b + 5.0), steps=201)
    assert np.unravel_index(np.argmin(grid.rmse), grid.rmse.shape) == (100, 100)
    assert grid.rmse[100, 100] == pytest.approx(best.rmse, rel=1e-12)


def test_a_perfect_fit_has_zero_error_and_no_nan():
    x = np.array([1.0, 2.0, 3.0])
    grid = rmse_grid(Dataset(key="line", title="line", x=x, y=2 * x), (1.0, 3.0), (-1.0, 1.0), steps=3)
    assert grid.rmse[1, 1] == 0.0  # m = 2, b = 0
    assert np.isfinite(grid.rmse).all() and (grid.rmse >= 0).all()


def test_all_x_equal_still_gives_the_rmse():
    dataset = Dataset(key="flat", title="flat", x=np.full(4, 3.0), y=np.array([1.0, 2.0, 4.0, 5.0]))
    grid = rmse_grid(dataset, (-1.0, 1.0), (0.0, 6.0), steps=5)
    for i, j in [(0, 0), (2, 3), (4, 4)]:
        assert grid.rmse[i, j] == pytest.approx(rmse(dataset, grid.m[i], grid.b[j]), rel=1e-9)


def test_a_large_grid_on_many_points_has_no_loop_over_cells_or_points():
    # A Python loop over 160,000 cells, or a (cells x points) array of 128 GB, would never finish
    # here; the statistics make the cost one pass over the points plus arithmetic on the grid.
    dataset = _synthetic(100_000)
    tracemalloc.start()
    try:
        grid = rmse_grid(dataset, (-3.0, 2.0), (-5.0, 25.0), steps=400)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert grid.rmse.shape == (400, 400) and np.isfinite(grid.rmse).all()
    # The grid is 1.3 MB and the centred copies of the data 0.8 MB each: a few of them, never more.
    assert peak < 20e6


@pytest.mark.parametrize(
    ("m_range", "b_range", "steps", "message"),
    [
        ((0.0, 1.0), (0.0, 1.0), 1, "steps"),
        ((1.0, 1.0), (0.0, 1.0), 10, "m_range"),
        ((0.0, 1.0), (2.0, 1.0), 10, "b_range"),
        ((0.0, math.inf), (0.0, 1.0), 10, "m_range"),
        ((0.0, 1.0), (math.nan, 1.0), 10, "b_range"),
    ],
)
def test_rmse_grid_refuses_bad_windows(m_range, b_range, steps, message):
    with pytest.raises(ValueError, match=message):
        rmse_grid(load_builtin("solution"), m_range, b_range, steps)


def test_an_empty_dataset_has_no_landscape():
    empty = Dataset(key="empty", title="empty", x=np.array([]), y=np.array([]))
    with pytest.raises(ValueError, match="no points"):
        rmse_grid(empty, (0.0, 1.0), (0.0, 1.0))


def test_a_grid_checks_its_shape():
    with pytest.raises(ValueError, match="shape"):
        Grid(m=np.arange(3.0), b=np.arange(4.0), rmse=np.zeros((4, 3)))


# --- the window -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lesson_runs(run) -> list[RunResult]:
    return [run(SOLUTION), run(DRAFTS["3"]), run(DRAFTS["2"])]


def test_extent_holds_every_path_its_start_and_the_minimum(lesson_runs):
    dataset = load_builtin("solution")
    m_range, b_range = extent(dataset, lesson_runs)
    best = least_squares(dataset)
    assert _contains(m_range, [best.m]) and _contains(b_range, [best.b])
    for result in lesson_runs:
        assert _contains(m_range, result.trajectory.m) and _contains(b_range, result.trajectory.b)
        assert _contains(m_range, [result.config.m0]) and _contains(b_range, [result.config.b0])


def test_extent_leaves_a_margin_around_the_paths(lesson_runs):
    dataset = load_builtin("solution")
    (m_low, m_high), (b_low, b_high) = extent(dataset, lesson_runs, margin=0.1)
    m = pd.concat([result.trajectory.m for result in lesson_runs])
    b = pd.concat([result.trajectory.b for result in lesson_runs])
    m_span, b_span = m.max() - m.min(), b.max() - b.min()
    assert (m_low, m_high) == pytest.approx((m.min() - 0.1 * m_span, m.max() + 0.1 * m_span))
    assert (b_low, b_high) == pytest.approx((b.min() - 0.1 * b_span, b.max() + 0.1 * b_span))


def test_extent_includes_a_start_far_from_the_path():
    dataset = load_builtin("solution")
    m_range, b_range = extent(dataset, [_result([0.0, 0.1], [0.0, 0.1], m0=-50.0, b0=40.0)])
    assert _contains(m_range, [-50.0, 0.1]) and _contains(b_range, [40.0, 0.0])


def test_extent_ignores_values_that_are_not_finite():
    dataset = load_builtin("solution")
    best = least_squares(dataset)
    wild = _result([0.0, 1.0, math.inf, math.nan, -math.inf], [0.0, 2.0, 3.0, 5e38, math.nan])
    m_range, b_range = extent(dataset, [wild])
    assert all(map(math.isfinite, (*m_range, *b_range)))
    # The pairs with a non-finite coordinate are dropped whole: b = 3.0 and 5e38 belong to them.
    assert b_range[1] < 15 and _contains(b_range, [0.0, 2.0, best.b])
    assert _contains(m_range, [0.0, 1.0, best.m])


def test_extent_is_never_degenerate():
    # All points on one vertical line: the least-squares minimum of y = 2x is (2, 0), and so is the path.
    x = np.array([1.0, 2.0, 3.0])
    dataset = Dataset(key="line", title="line", x=x, y=2 * x)
    best = least_squares(dataset)
    for runs in ([], [_result([best.m], [best.b], m0=best.m, b0=best.b)]):
        (m_low, m_high), (b_low, b_high) = extent(dataset, runs)
        assert m_low < best.m < m_high and b_low < best.b < b_high
        assert m_high - m_low >= 2 * landscape.MIN_HALF_WIDTH and b_high - b_low >= 2 * landscape.MIN_HALF_WIDTH
        # The window is usable for a grid at once.
        rmse_grid(dataset, (m_low, m_high), (b_low, b_high), steps=5)


def test_a_window_around_a_large_value_scales_with_it():
    x = np.array([1.0, 2.0, 3.0])
    dataset = Dataset(key="steep", title="steep", x=x, y=500 * x + 1000)
    (m_low, m_high), (b_low, b_high) = extent(dataset, [])
    assert m_high - m_low == pytest.approx(0.2 * 500) and b_high - b_low == pytest.approx(0.2 * 1000)


def test_a_run_that_raised_before_any_row_still_counts_its_start():
    dataset = load_builtin("solution")
    result = RunResult(
        config=LoopConfig(m0=-7.0, b0=30.0),
        trajectory=pd.DataFrame({"iteration": [], "m": [], "b": []}),
        outcome=Outcome(status="raised", iterations_run=0, final_m=-7.0, final_b=30.0),
    )
    m_range, b_range = extent(dataset, [result])
    assert _contains(m_range, [-7.0]) and _contains(b_range, [30.0])
