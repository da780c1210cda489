"""Panels the pages share: the code that ran, the outcome, the first iterations, the charts."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core import charts, explain, source
from core.data import Dataset, least_squares
from core.drafts import LoopConfig
from core.engine import RunResult
from core.printout import report_lines
from ui import chart_view, runs

STATEMENT_WORDS = {
    "forward": "the forward pass (`yhat = m*x + b`)",
    "loss": "the loss (`loss = torch.sqrt(...)`)",
    "backward": "`loss.backward()`",
    "update": "the update of `m` and `b`",
    "step": "`optimizer.step()`",
    "zeroing": "the zeroing of the gradients",
}


def code_panel(config: LoopConfig) -> None:
    """The exact code the engine ran, with the lines that differ from the solution marked."""
    st.code(source.render_marked(config), language="python")
    st.caption(
        f"`screentime` and `sleep` are the dataset's two columns. Lines ending in `{source.MARK}` differ from "
        "the solution; `# missing here` shows what the solution has that this code lacks."
    )


def outcome_panel(result: RunResult, data: Dataset) -> None:
    """How the run ended: finished, raised, diverged or stopped, with the lesson's why."""
    outcome, best = result.outcome, least_squares(data)
    for warning in outcome.warnings[:3]:
        st.warning(f"**{warning.category} at iteration {warning.iteration}** (from torch):")
        st.code(warning.message, language=None, wrap_lines=True)
    if len(outcome.warnings) > 3:
        st.caption(f"... and {len(outcome.warnings) - 3} more warnings.")
    if outcome.status == "raised":
        error = outcome.error
        st.error(
            f"**{error.type}** raised at iteration {error.iteration}, in {STATEMENT_WORDS[error.statement]}. "
            "PyTorch's message, verbatim:"
        )
        st.code(f"{error.type}: {error.message}", language=None, wrap_lines=True)
    elif outcome.status == "diverged":
        st.error(f"**Diverged at iteration {outcome.stopped_at}**: the loss became infinite or not a number.")
    elif outcome.status == "stopped":
        st.warning(f"**Stopped** after {outcome.stopped_at:,} of {result.config.iterations:,} iterations.")
        st.button("Run it to the end", key="run_to_end", on_click=runs.clear_stop, icon=":material/play_arrow:")
    else:
        st.success(f"**Finished** {result.config.iterations:,} iteration{'s' * (result.config.iterations > 1)}.")
        final_metrics(result, best)
    st.markdown(explain.explanation(result, best))


def final_metrics(result: RunResult, best) -> None:
    """Final m, b and loss, each with its distance from the least-squares optimum."""
    outcome = result.outcome
    help_text = "The difference from the least-squares optimum, the best line there is."
    columns = st.columns(3)
    for column, name, value, optimum in zip(
        columns,
        ("m", "b", "loss (RMSE)"),
        (outcome.final_m, outcome.final_b, outcome.final_loss),
        (best.m, best.b, best.rmse),
        strict=True,
    ):
        column.metric(name, f"{value:.4f}", f"{value - optimum:+.4f}", delta_color="off", help=help_text)
    st.caption(f"Least-squares optimum: m = {best.m:.4f}, b = {best.b:.4f}, RMSE = {best.rmse:.4f}.")


def printed_iterations(result: RunResult, count: int) -> None:
    """The first iterations, printed exactly as the lesson's loop prints them."""
    st.code("\n".join(report_lines(result, count)), language=None)


def chart_grid(
    runs: Sequence[charts.LabeledRun], data: Dataset, *, log_x: bool = False, at_iteration: int | None = None
) -> None:
    """The fitted line over the data, the trajectories of m and b, the loss and the gradients."""
    options = {"log_x": log_x, "at_iteration": at_iteration}
    top = st.columns(2)
    with top[0]:
        fit = chart_view.show(charts.fit_chart, data, runs, at_iteration=at_iteration)
    with top[1]:
        loss = chart_view.show(charts.loss_chart, runs, **options)
    middle = st.columns(2)
    parameters = []
    for column, parameter in zip(middle, ("m", "b"), strict=True):
        with column:
            parameters.append(chart_view.show(charts.parameter_chart, runs, parameter, **options))
    gradients = chart_view.show(charts.gradient_chart, runs, **options)
    chart_view.save_button([fit, loss, *parameters, gradients], key="save_charts")


def facts_table(result: RunResult) -> None:
    """The lesson's tensor facts about m before and after the first update."""
    rows = {
        f.moment: {
            "is_leaf": f.m.is_leaf,
            "requires_grad": f.m.requires_grad,
            "grad_fn": f.m.grad_fn or "None",
            "m.grad is None": f.m.grad_is_none,
            "data_ptr() changed": f.m.data_ptr_changed,
        }
        for f in result.facts
        if f.iteration == 0
    }
    st.markdown("**`m` at the first iteration**")
    st.table(rows)
