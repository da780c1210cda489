"""The lesson's datasets: the CSV files are the recipes, to the last bit."""

from __future__ import annotations

import numpy as np
import pytest

from core.lesson.data import BUILTIN_DATASETS, least_squares, load_builtin, rmse
from data.make_datasets import lesson_recipe


@pytest.mark.parametrize("name", list(BUILTIN_DATASETS))
def test_csv_files_equal_the_recipe_bit_for_bit(name):
    screentime, sleep = lesson_recipe()[name]
    dataset = load_builtin(name)
    assert dataset.x.dtype == np.float64 and dataset.y.dtype == np.float64
    assert dataset.x.tobytes() == screentime.tobytes()
    assert dataset.y.tobytes() == sleep.tobytes()
    assert len(dataset) == 500


def test_problem_data_matches_the_lessons_printed_check():
    problem = load_builtin("problem")
    np.testing.assert_array_equal(
        np.round(problem.x[:5], 8), [9.45881491, 4.43056815, 5.76287898, 5.47497449, 5.40724721]
    )
    np.testing.assert_array_equal(np.round(problem.y[:5], 8), [2.87662678, 6.24164643, 6.14092628, 4.54709214, 5.24364])


def test_solution_data_is_problem_data_plus_one():
    np.testing.assert_array_equal(load_builtin("solution").y, load_builtin("problem").y + 1)


def test_builtin_arrays_are_read_only():
    with pytest.raises(ValueError):
        load_builtin("solution").x[0] = 0.0


def test_unknown_dataset_is_refused():
    with pytest.raises(KeyError, match="unknown dataset"):
        load_builtin("nope")


def test_least_squares_is_the_rmse_minimum():
    dataset = load_builtin("solution")
    best = least_squares(dataset)
    assert best.rmse == pytest.approx(rmse(dataset, best.m, best.b))
    for dm, db in [(1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3)]:
        assert rmse(dataset, best.m + dm, best.b + db) > best.rmse
    # Gradient descent's float32 answer (-0.755, 11.241) lies within a thousandth of it.
    assert best.m == pytest.approx(-0.755, abs=1e-3) and best.b == pytest.approx(11.241, abs=1e-3)
