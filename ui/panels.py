"""Panels the pages share: the code that ran, the outcome, the first iterations, the charts."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt
import streamlit as st

from core import charts
from core.code import source
from core.lesson.data import Dataset, least_squares
from core.lesson.drafts import LoopConfig
from core.lesson.results import RunResult, Status
from core.lesson.text import figure
from core.measure import verdict
from core.words import explain, headline
from core.words.printout import report_lines
from ui import chart_view, runs
from ui.text import plain


def code_panel(config: LoopConfig, data: Dataset | None = None) -> None:
    """The exact code the engine ran on ``data``, its arrays named after the data's columns, the bugs marked."""
    names = source.array_names(data)
    # Wrapped, not cut: the Lab's code sits in a column, and its marks are at the lines' ends.
    st.code(source.render_marked(config, names), language="python", wrap_lines=True)
    st.caption(
        f"{_array_words(data, names)} A line ending in `{source.MARK} …` is written differently in the solution; "
        f"`{source.MISSING} …` stands where the solution has a statement this code lacks."
    )


def _array_words(data: Dataset | None, names: source.Names) -> str:
    """What the code's two arrays hold, in the data's own column names."""
    x, y = names
    if data is None or names == (data.x_label, data.y_label):
        return f"`{x}` and `{y}` are the dataset's two columns (x and y)."
    return f"`{x}` holds the column “{plain(data.x_label)}” (x) and `{y}` the column “{plain(data.y_label)}” (y)."


def outcome_panel(result: RunResult, data: Dataset, looped: RunResult | None = None) -> None:
    """How the run ended, in one line with its why, then its details and the longer explanation."""
    outcome_line(result, data, looped)
    outcome_details(result, data)


# The outcome line's colour says the verdict: green only for a loop that settled on the line.
TONES = {"success": st.success, "warning": st.warning, "error": st.error, "info": st.info}


def outcome_line(
    result: RunResult, data: Dataset, looped: RunResult | None = None, *, label: str = "", key: str = ""
) -> None:
    """The verdict in one line, coloured by it, with its one sentence of why directly under it."""
    words = headline.said(result, data, looped)
    named = f"{plain(label)}: " if label else ""
    # Two paragraphs: the verdict, then its why, drawn a size smaller (ui.layout's OUTCOME_CSS).
    # Keyed (for the CSS) by what it shows: a page may show several outcome lines, each needs its own key.
    shown = abs(hash((result.config, label, key, looped is not None and looped.config)))
    with st.container(key=f"outcome_line_{shown}"):
        TONES[words.verdict.tone](f"{named}{words.headline}\n\n{words.why}")
    if result.outcome.status == Status.STOPPED:
        st.button("Run it to the end", key=f"run_to_end{key}", on_click=runs.clear_stop, icon=":material/play_arrow:")


def outcome_details(result: RunResult, data: Dataset) -> None:
    """What the run left to read: torch's warnings, its error verbatim, the final values and the lesson's why."""
    outcome, best = result.outcome, least_squares(data)
    for warning in outcome.warnings[:3]:
        st.warning(f"**{warning.category} at iteration {warning.iteration}** (from torch):")
        st.code(warning.message, language=None, wrap_lines=True)
    if len(outcome.warnings) > 3:
        st.caption(f"... and {len(outcome.warnings) - 3} more warnings.")
    if outcome.status == Status.RAISED and outcome.error is not None:  # a raised run always carries its error
        st.markdown("PyTorch's message, verbatim:")
        st.code(f"{outcome.error.type}: {outcome.error.message}", language=None, wrap_lines=True)
    elif outcome.status == Status.FINISHED:
        final_metrics(result, best)
    st.markdown(explain.explanation(result, data))


def final_metrics(result: RunResult, best) -> None:
    """Final m, b and loss (after the last update), each with its distance from the least-squares optimum."""
    outcome, config = result.outcome, result.config
    final_loss = verdict.final_loss(result)
    if final_loss is None:  # the engine gives every finished run its final loss: only those are measured here
        raise ValueError(f"a {outcome.status} run without a final loss has no final metrics")
    columns = st.columns(3)
    for column, name, value, optimum in zip(
        columns,
        ("m", "b", config.loss.label),
        (outcome.final_m, outcome.final_b, final_loss),
        (best.m, best.b, verdict.own_loss(config, best.rmse)),
        strict=True,
    ):
        column.metric(
            name,
            figure(value),
            f"{'+' if value >= optimum else '-'}{figure(abs(value - optimum))}",
            delta_color="off",
            delta_arrow="off",
            delta_description="from least squares",
        )
    # Said here rather than behind a "?" on each value: three fewer stops for the Tab key.
    st.caption(
        f"After the last update. Least-squares optimum: m = {figure(best.m)}, b = {figure(best.b)}, "
        f"{config.loss.label} = {figure(verdict.own_loss(config, best.rmse))}. Each value's second line is its "
        "distance from the optimum, the best line there is: not a change."
    )


def printed_iterations(result: RunResult, count: int, through: int | None = None) -> None:
    """The first iterations (or the ``count`` up to ``through``), printed exactly as the lesson's loop prints them."""
    # Wrapped, not scrolled: a box that scrolls sideways is out of reach of a keyboard, and of a phone's width.
    st.code("\n".join(report_lines(result, count, through=through)), language=None, wrap_lines=True)


ChartCall = tuple[Callable[..., alt.TopLevelMixin], tuple, dict]  # a chart function, its arguments and its options


def grid_charts(
    runs: Sequence[charts.LabeledRun], data: Dataset, *, log_x: bool = False, at_iteration: int | None = None
) -> list[ChartCall]:
    """The chart grid's charts in its order: the fitted line, the loss, m, b (two rows of two), the gradients."""
    options = {"log_x": log_x, "at_iteration": at_iteration}
    return [
        (charts.fit_chart, (data, runs), {"at_iteration": at_iteration}),
        (charts.loss_chart, (runs,), options),
        (charts.parameter_chart, (runs, "m"), options),
        (charts.parameter_chart, (runs, "b"), options),
        (charts.gradient_chart, (runs,), options),
    ]


def chart_grid(
    runs: Sequence[charts.LabeledRun],
    data: Dataset,
    *,
    log_x: bool = False,
    at_iteration: int | None = None,
    saving: bool = True,
) -> None:
    """The fitted line over the data, the trajectories of m and b, the loss and the gradients.

    ``saving`` offers them as files (not for a run still going).
    """
    calls = grid_charts(runs, data, log_x=log_x, at_iteration=at_iteration)
    specs = []
    for row in (calls[0:2], calls[2:4]):
        for column, (chart, args, options) in zip(st.columns(2), row, strict=True):
            with column:
                specs.append(chart_view.show(chart, *args, **options))
    chart, args, options = calls[4]
    specs.append(chart_view.show(chart, *args, **options))
    if saving:
        chart_view.save_button(specs, key="save_charts")


def facts_table(result: RunResult) -> None:
    """The lesson's tensor facts about m before and after the first update."""
    # Written as text, as they read: a column of booleans and a name would not be one Arrow type
    # (Streamlit then converts it itself, logging a traceback at every rerun).
    rows = {
        f.moment: {
            "is_leaf": str(f.m.is_leaf),
            "requires_grad": str(f.m.requires_grad),
            "grad_fn": f.m.grad_fn or "None",
            "m.grad is None": str(f.m.grad_is_none),
            "data_ptr() changed": str(f.m.data_ptr_changed),
        }
        for f in result.facts
        if f.iteration == 0
    }
    st.markdown("**`m` at the first iteration**")
    st.table(rows)
