"""The iteration axis the series charts share, and the marks drawn across it: the cursor and failures."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import altair as alt
import pandas as pd

from core.charts.common import CURSOR_COLOR, FAILURE_COLOR, STOPPED_COLOR, LabeledRun, halo_text, without_dash
from core.lesson.results import RunResult, Status
from core.words import explain

SHORT_AXIS = 20  # an iteration axis this short gets a tick at every iteration (Vega drops overlapping labels)


@dataclass(frozen=True, eq=False)
class IterationAxis:
    """The x encoding of a series chart, from iteration 0 to ``end``, linear or log."""

    end: int
    log: bool
    x: alt.X

    def position(self, iteration: int) -> float:
        """Where ``iteration`` sits across the plot, from 0 (left) to 1 (right)."""
        if self.log:  # Vega's symlog with its default constant 1
            return math.log1p(iteration) / math.log1p(self.end)
        return iteration / self.end


def iteration_axis(iterations: Iterable[pd.Series], log_x: bool, marks: Iterable[int | None] = ()) -> IterationAxis:
    """The axis to one past the last of the ``iterations`` columns and of the marked iterations (None: no mark)."""
    ends = [int(column.max()) + 1 for column in iterations if len(column)]
    ends += [mark + 1 for mark in marks if mark is not None]
    end = max([1, *ends])
    if log_x:
        # symlog rather than log, so that iteration 0 stays on the chart.
        scale = alt.Scale(type="symlog", domain=[0, end], nice=False)
        axis = alt.Axis(values=_log_ticks(end), format=",d")
    else:
        scale = alt.Scale(domain=[0, end], nice=False)
        # Iterations are whole numbers: on a short axis Vega would put ticks at 0.5, 1.5, ...
        values = list(range(end + 1)) if end <= SHORT_AXIS else alt.Undefined
        axis = alt.Axis(values=values, format=",d")
    return IterationAxis(end, log_x, alt.X("iteration:Q", title=axis_title(log_x), scale=scale, axis=axis))


def axis_title(log_x: bool) -> str:
    """The iteration axis title, saying when the scale is logarithmic."""
    return "iteration (log scale)" if log_x else "iteration"


def _log_ticks(x_max: int) -> list[int]:
    """0 and the powers of ten up to ``x_max``, and ``x_max`` itself where it has room."""
    ticks, power = [0], 1
    while power <= x_max:
        ticks.append(power)
        power *= 10
    if x_max >= 2 * ticks[-1]:
        ticks.append(x_max)
    return ticks


def cursor_marks(here: pd.DataFrame, encode: dict, at_iteration: int) -> list[alt.Chart]:
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
        .encode(**without_dash(encode))
        .properties(name="cursor-points")
    )
    return [rule, points]


@dataclass(frozen=True)
class Failure:
    """Where one run stopped early, and the words to mark it with."""

    run: str
    iteration: int
    label: str
    detail: str
    color: str


def failures(runs: Sequence[LabeledRun]) -> list[Failure]:
    """The runs that raised, diverged or were stopped, in order."""
    found = (failure_of(label, result, len(runs)) for label, result in runs)
    return [one for one in found if one]


def failure_of(label: str, result: RunResult, run_count: int) -> Failure | None:
    """Where ``result`` raised, diverged or was stopped; None for a finished run."""
    outcome = result.outcome
    iteration: int | None  # stopped_at: None only for a run stopped before it started
    if outcome.status == Status.RAISED:
        assert outcome.error is not None  # a raised run's outcome holds its error
        iteration = outcome.error.iteration
        detail, color = f"{outcome.error.type}: {outcome.error.message}", FAILURE_COLOR
    elif outcome.status == Status.DIVERGED:
        iteration, detail, color = outcome.stopped_at, "the loss is no longer a finite number", FAILURE_COLOR
    elif outcome.status == Status.STOPPED:
        iteration, detail, color = outcome.stopped_at, "stopped early", STOPPED_COLOR
    else:
        return None
    text = explain.summary(result)
    assert iteration is not None  # summary() has just written it (and raised on a run that never started)
    # On a chart of several runs, the label must say whose failure it is.
    label_text = text if run_count <= 1 else f"{label}: {text}"
    return Failure(run=label, iteration=iteration, label=label_text, detail=detail, color=color)


LABEL_LINES_PX = 28  # a failure's label: two lines of text; the next run's label starts below it


def failure_layers(failure: Failure, index: int, axis: IterationAxis) -> list[alt.Chart]:
    """A rule at the failing iteration and its label, stacked below any earlier runs' labels."""
    frame = pd.DataFrame(
        [{"run": failure.run, "iteration": failure.iteration, "label": failure.label, "detail": failure.detail}]
    )
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("iteration:Q"), alt.Tooltip("label:N"), alt.Tooltip("detail:N")]
    rule = (
        alt.Chart(frame)
        .mark_rule(color=failure.color, strokeWidth=2)
        .encode(x=axis.x, tooltip=tooltip)
        .properties(name=f"failure-{index}")
    )
    # A label in the right half of the plot is written leftwards so it is not cut off; on two lines
    # ("TypeError" / "at iteration 1 (update)") it fits a half-width chart without running over the axis.
    right = axis.position(failure.iteration) > 0.5
    style = {"align": "right" if right else "left", "dx": -4 if right else 4, "baseline": "top", "fontWeight": "bold"}
    style["lineBreak"] = "\n"
    words = (
        alt.Chart(frame[["iteration", "label"]])
        .transform_calculate(shown="replace(datum.label, ' at ', '\\nat ')")
        .encode(x=axis.x, y=alt.value(4 + LABEL_LINES_PX * index), text=alt.Text("shown:N"))
    )
    return [rule, *halo_text(words, failure.color, (f"failure-halo-{index}", f"failure-label-{index}"), **style)]
