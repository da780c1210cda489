"""Each chart in words: what it shows and the numbers that matter, for a screen reader.

``describe(chart, *args, **options)`` takes a chart function and the arguments it is drawn with,
and returns one short paragraph made from the same recorded values the chart draws (never a
number written here): "Loss (RMSE) over 10,000 iterations: from 5.659 at iteration 0 to 1.437 at iteration
9,999, finished." How a run ended is said as its outcome says it; whether it converged is the
verdict's to say (``core.measure.verdict``), in the outcome line, not a chart's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from core.charts.analysis import accumulation_chart, distance_chart, nudge_chart
from core.charts.apart import fit_chart_apart, landscape_chart_apart, loss_chart_apart, parameter_chart_apart
from core.charts.common import LabeledRun, last_finite, loss_label
from core.charts.fit import fit_chart
from core.charts.landscape import landscape_chart
from core.charts.series import GRADIENTS, gradient_chart, loss_chart, parameter_chart
from core.lesson.data import Dataset, least_squares
from core.lesson.results import RunResult, Status
from core.lesson.text import figure


def sentences(parts: Sequence[str]) -> str:
    """Parts as sentences: each begun with a capital (a run's label may not be) and ended with a full stop."""
    return " ".join(part[:1].upper() + part[1:] + "." for part in parts)


def how_it_ended(result: RunResult) -> str:
    """How the run ended, in a few words."""
    outcome = result.outcome
    if outcome.status == Status.RAISED:
        assert outcome.error is not None  # a raised run's outcome holds its error
        return f"raised {outcome.error.type} at iteration {outcome.error.iteration:,}"
    if outcome.status == Status.DIVERGED:
        return f"diverged at iteration {outcome.stopped_at:,}"
    if outcome.status == Status.STOPPED:
        return f"stopped at iteration {outcome.stopped_at:,}"
    if outcome.status == Status.RUNNING:
        return "still running"
    return "finished"


def _iterations(result: RunResult) -> str:
    rows = len(result.trajectory)
    return f"{rows:,} iteration{'s' * (rows != 1)}"


def _finite(result: RunResult, column: str) -> np.ndarray:
    values = result.trajectory[column].to_numpy(dtype="float64")
    return values[np.isfinite(values)]


def _course(result: RunResult, column: str, name: str) -> str:
    """``name`` from its first to its last recorded value, each at its iteration (the values before that
    iteration's update, as the chart draws them); "no values" when there are none."""
    values = result.trajectory[column].to_numpy(dtype="float64")
    finite = np.flatnonzero(np.isfinite(values))
    if not len(finite):
        return f"{name}: no values"
    first, last = int(finite[0]), int(finite[-1])
    iterations = result.trajectory["iteration"].to_numpy()
    if first == last:
        return f"{name} {figure(values[first])} at iteration {int(iterations[first]):,}"
    return (
        f"{name} from {figure(values[first])} at iteration {int(iterations[first]):,} to {figure(values[last])} "
        f"at iteration {int(iterations[last]):,}"
    )


def _at(result: RunResult, columns: dict[str, str], at_iteration: int | None) -> str:
    """The values at the step-through's iteration, when it is one the run recorded."""
    if at_iteration is None:
        return ""
    row = result.trajectory[result.trajectory["iteration"] == at_iteration]
    if row.empty:
        return ""
    values = ", ".join(f"{name} {figure(float(row[column].iloc[0]))}" for column, name in columns.items())
    return f"; at iteration {at_iteration:,}: {values}"


def _series(runs: Sequence[LabeledRun], title: str, columns: dict[str, str], at_iteration: int | None) -> str:
    """A series chart: per run, each column's first and last values, how the run ended, the cursor's values."""
    parts = []
    for label, result in runs:
        courses = ", ".join(_course(result, column, name) for column, name in columns.items())
        words = how_it_ended(result)
        who = f"{label}, " if len(runs) > 1 else ""
        parts.append(f"{who}over {_iterations(result)}: {courses}, {words}{_at(result, columns, at_iteration)}")
    return sentences([title, *parts])


def loss_text(runs: Sequence[LabeledRun], *, log_x: bool = False, at_iteration: int | None = None) -> str:
    """The loss chart in words."""
    return _series(runs, f"L{loss_label(runs)[1:]} over iterations", {"loss": "loss"}, at_iteration)


def parameter_text(
    runs: Sequence[LabeledRun], parameter: str, *, log_x: bool = False, at_iteration: int | None = None
) -> str:
    """A parameter's chart in words."""
    # "The value of m": a sentence begun with the bare name would read "M over iterations".
    return _series(runs, f"the value of {parameter} over iterations", {parameter: parameter}, at_iteration)


def gradient_text(runs: Sequence[LabeledRun], *, log_x: bool = False, at_iteration: int | None = None) -> str:
    """The gradients' chart in words."""
    return _series(runs, "Gradients (m.grad, b.grad) over iterations", GRADIENTS, at_iteration)


def _line(m: float, b: float) -> str:
    return f"y = {figure(m)} x {'-' if b < 0 else '+'} {figure(abs(b))}"


def fit_text(
    dataset: Dataset, runs: Sequence[LabeledRun], *, at_iteration: int | None = None, best: bool = False
) -> str:
    """The fitted-line chart in words: the data, each run's final line (and at the cursor), the best line."""
    optimum = least_squares(dataset)
    parts = [f"Fitted line on the data: {len(dataset):,} points of {dataset.y_label} against {dataset.x_label}"]
    for label, result in runs:
        final = last_finite(result)
        line = "no finite line" if final is None else _line(*final)
        parts.append(
            f"{label}: final line {line}, {how_it_ended(result)}{_at(result, {'m': 'm', 'b': 'b'}, at_iteration)}"
        )
    parts.append(f"The least-squares line is {_line(optimum.m, optimum.b)}")
    return sentences(parts)


def landscape_text(
    dataset: Dataset, runs: Sequence[LabeledRun], *, grid: object = None, at_iteration: int | None = None, **_: object
) -> str:
    """The loss landscape in words: where its minimum is, and where each run's path starts and ends."""
    optimum = least_squares(dataset)
    parts = [
        f"Loss landscape, the RMSE over (m, b): lowest at the least-squares minimum m = {figure(optimum.m)}, "
        f"b = {figure(optimum.b)}, RMSE {figure(optimum.rmse)}"
    ]
    for label, result in runs:
        start, final = (result.config.m0, result.config.b0), last_finite(result)
        end = "nowhere finite" if final is None else f"(m, b) = ({figure(final[0])}, {figure(final[1])})"
        parts.append(
            f"{label}: path from ({figure(start[0])}, {figure(start[1])}) to {end}, {how_it_ended(result)}"
            f"{_at(result, {'m': 'm', 'b': 'b'}, at_iteration)}"
        )
    return sentences(parts)


def accumulation_text(
    split: pd.DataFrame, parameter: str = "m", *, log_x: bool = False, at_iteration: int | None = None
) -> str:
    """The accumulated gradient's split in words."""
    if split.empty:
        return f"{parameter}.grad without zeroing: no gradients were recorded."
    columns = {
        f"{parameter}_grad": f"{parameter}.grad (total)",
        f"{parameter}_carried": "carried over",
        f"{parameter}_fresh": "fresh gradient",
    }
    first, last = split.iloc[0], split.iloc[-1]
    courses = ", ".join(
        f"{name} from {figure(float(first[column]))} to {figure(float(last[column]))}"
        for column, name in columns.items()
    )
    here = ""
    if at_iteration is not None and at_iteration in set(split["iteration"]):
        row = split[split["iteration"] == at_iteration].iloc[0]
        here = f"; at iteration {at_iteration:,}: " + ", ".join(
            f"{name} {figure(float(row[column]))}" for column, name in columns.items()
        )
    rows = len(split)
    return f"{parameter}.grad, carried over plus fresh, over {rows:,} iterations: {courses}{here}."


def nudge_text(
    original: LabeledRun,
    nudged: LabeledRun,
    parameter: str = "m",
    *,
    log_x: bool = False,
    at_iteration: int | None = None,
) -> str:
    """The run and its nudged twin in words."""
    title = f"{parameter} over iterations: the run and its nudged twin"
    return _series([original, nudged], title, {parameter: parameter}, at_iteration)


def distance_text(
    distance: pd.DataFrame, *, log_y: bool = True, log_x: bool = False, at_iteration: int | None = None
) -> str:
    """The distance between the twins in words: where it starts, ends and peaks."""
    gaps = distance["distance"].to_numpy(dtype="float64")
    finite = np.isfinite(gaps)
    if not finite.any():
        return "Distance between the run and its nudged twin: no finite distances."
    values, iterations = gaps[finite], distance["iteration"].to_numpy()[finite]
    peak = int(np.argmax(values))
    return (
        f"Distance between the run and its nudged twin over {len(values):,} iterations: from {figure(values[0])} "
        f"to {figure(values[-1])}, largest {figure(values[peak])} at iteration {int(iterations[peak]):,}."
    )


DESCRIBERS: dict[Callable, Callable[..., str]] = {
    loss_chart: loss_text,
    parameter_chart: parameter_text,
    gradient_chart: gradient_text,
    fit_chart: fit_text,
    landscape_chart: landscape_text,
    accumulation_chart: accumulation_text,
    nudge_chart: nudge_text,
    distance_chart: distance_text,
    loss_chart_apart: loss_text,
    parameter_chart_apart: parameter_text,
    fit_chart_apart: fit_text,
    landscape_chart_apart: landscape_text,
}


def describe(chart: Callable, *args: object, **options: object) -> str:
    """The words for ``chart(*args, **options)``; empty for a chart function this module does not know."""
    describer = DESCRIBERS.get(chart)
    return describer(*args, **options) if describer is not None else ""
