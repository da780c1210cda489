"""The Lab's views of one run at the scrubbed iteration: values, tensors, graph, accumulation,
the loss landscape, and what to take away."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core import charts
from core.code import script, source
from core.lesson.data import BUILTIN_DATASETS, Dataset
from core.lesson.drafts import LoopConfig
from core.lesson.results import RunResult, TensorFacts
from core.measure import analysis, landscape
from core.words import graph_reading, tensors
from ui import chart_view, layout, runs
from ui.settings import BOUND

DIGITS = 6  # significant digits of a value shown as a number
PRESENTER_DIGITS = 4  # five values side by side in projector-sized type: longer ones are cut off


def _shown(value: float, digits: int = DIGITS) -> str:
    return "None" if math.isnan(value) else f"{value:.{digits}g}"


def values_at(result: RunResult, at: int) -> None:
    """m, b, their gradients and the loss at iteration ``at``, before its update."""
    row = result.trajectory.iloc[at]
    digits = PRESENTER_DIGITS if layout.presenting() else DIGITS
    values = st.container(key="step_values")
    # The help is in this line, not behind a "?" on each value: five fewer stops for the Tab key.
    values.markdown(f"**At iteration {at:,}**, before its update (the charts' tooltips give every digit):")
    columns = values.columns(5)
    for column, (label, value) in zip(
        columns,
        [("m", row.m), ("b", row.b), ("m.grad", row.m_grad), ("b.grad", row.b_grad), ("loss", row.loss)],
        strict=True,
    ):
        column.metric(label, _shown(value, digits))


def _param_rows(facts: TensorFacts, name: str) -> dict[str, str]:
    param = getattr(facts, name)
    return {
        "is_leaf": str(param.is_leaf),
        "requires_grad": str(param.requires_grad),
        "grad_fn": param.grad_fn or "None",
        ".grad": "None" if param.grad_is_none else f"{param.grad:.6g}",
        "data_ptr() changed": str(param.data_ptr_changed),
    }


def _recorded_at(iterations: set[int], at: int) -> int:
    """The recorded iteration a view shows for the scrubbed ``at``: ``at`` itself, else the last before it."""
    return max((i for i in iterations if i <= at), default=min(iterations))


def _recorded_words(iterations: set[int]) -> str:
    return ", ".join(f"{i:,}" for i in sorted(iterations))


def tensor_inspector(result: RunResult, at: int) -> None:
    """The lesson's tensor facts at the scrubbed iteration (or the last recorded before it), around its update."""
    if not result.facts:
        st.info("The run raised before the first backward(): there are no tensor facts to show.")
        return
    recorded = {f.iteration for f in result.facts}
    shown = _recorded_at(recorded, at)
    if shown != at:
        st.caption(
            f"This table shows iteration {shown:,}, the last recorded before {at:,}: tensor facts are recorded at "
            f"iterations {_recorded_words(recorded)}."
        )
    moments = {facts.moment: facts for facts in result.facts if facts.iteration == shown}
    table = pd.DataFrame(
        {f"{name} {moment}": _param_rows(facts, name) for name in ("m", "b") for moment, facts in moments.items()}
    )
    table["what it means"] = [tensors.FACT_EXPLANATIONS[row] for row in table.index]
    when = " and ".join(moment.removesuffix(" update") for moment in moments)  # "before and after", or "before"
    st.markdown(f"**Iteration {shown:,}**, {when} its update:")
    st.table(table)
    if "after update" in moments:
        st.markdown(tensors.update_sentence(result.config, moments["after update"], moments.get("before update")))
    st.markdown(tensors.yhat_sentence(next(iter(moments.values()))))


def autograd_graphs(result: RunResult, at: int = 0) -> None:
    """The graph from the loss back to the leaves at the scrubbed iteration (and behind a non-leaf m)."""
    if not result.graphs:
        st.info("The run raised before the first backward(): no autograd graph was built.")
        return
    recorded = {snapshot.iteration for snapshot in result.graphs}
    shown = _recorded_at(recorded, at)
    st.caption(
        "Drawn from `loss.grad_fn` by following `next_functions`. Green boxes are leaves (`AccumulateGrad` "
        "writes into their `.grad`); every other node is an operation autograd recorded."
    )
    if shown != at:
        st.caption(
            f"Iteration {shown:,}'s graph, the last recorded before {at:,}: graphs are recorded at iterations "
            f"{_recorded_words(recorded)}. {graph_reading.sameness(result.graphs)}"
        )
    reading = graph_reading.reaches_back(result, shown)
    if reading:
        st.markdown(reading)
    snapshots = [snapshot for snapshot in result.graphs if snapshot.iteration == shown]
    columns = st.columns(len(snapshots))
    for column, snapshot in zip(columns, snapshots, strict=True):
        with column:
            what = "the loss" if snapshot.what == "loss" else f"`{snapshot.what}` after the update"
            st.markdown(f"**Iteration {snapshot.iteration:,}: {what}**")
            st.graphviz_chart(snapshot.dot)


def accumulation(result: RunResult, data: Dataset, at: int, *, log_x: bool) -> None:
    """Where .grad comes from when it is never zeroed, and how sensitive the run is to its start."""
    split = analysis.split_of(result)
    if split.empty:
        st.info("The run raised before its first gradient: there is nothing to split.")
        return
    if result.config.zero_grad:
        st.info("Gradients are zeroed after every update here: nothing is carried over. Turn zeroing off to see it.")
    else:
        row = split.iloc[at]
        st.markdown(
            f"At iteration {at}: `m.grad` = {_shown(row.m_grad)} = carried over {_shown(row.m_carried)} + fresh "
            f"{_shown(row.m_fresh)}."
        )
        st.markdown(analysis.momentum_sentence(result.config))
    split_chart = chart_view.show(charts.accumulation_chart, split, "m", log_x=log_x, at_iteration=at)
    chart_view.save_button([split_chart, *nudge(result, data, at, log_x=log_x)], key="save_accumulation_charts")


def nudge(result: RunResult, data: Dataset, at: int, *, log_x: bool) -> list[dict]:
    """Rerun with the initial m moved a hair, and overlay both runs with their distance; the charts drawn.

    Its two settings are in the URL (``?nudge=true&nudge_by=1e-06``), and it follows the step-through.
    """
    st.markdown("**Nudge the start.** The same settings, with the initial `m` moved by a tiny amount:")
    epsilon = st.number_input(
        "Move m by", value=analysis.DEFAULT_NUDGE, format="%g", key="nudge_by", step=1e-6, bind="query-params"
    )
    if not st.toggle("Nudge", key="nudge", help="Runs the same settings again from the moved start.", **BOUND):
        return []
    try:
        twin_config = analysis.nudged(result.config, epsilon)
    except ValueError as error:
        st.error(f"{error} Nothing was run for that nudge.")
        return []
    twin = runs.run(twin_config, data, "the nudged twin")
    pair = [("this run", result), ("nudged twin", twin)]
    apart = analysis.distance(result, twin)
    if at < len(apart):
        gap = apart["distance"].iloc[at]
        st.markdown(f"At iteration {at:,} the run and its twin are {_shown(gap, 3)} apart in (m, b).")
    left, right = st.columns(2)
    with left:
        overlay = chart_view.show(charts.nudge_chart, pair[0], pair[1], "m", log_x=log_x, at_iteration=at)
    with right:
        distance = chart_view.show(charts.distance_chart, apart, log_x=log_x, at_iteration=at)
    return [overlay, distance]


@st.cache_data(max_entries=32, show_spinner=False)
def _grid(dataset_key: str, m_range: tuple[float, float], b_range: tuple[float, float], _data: Dataset):
    return landscape.rmse_grid(_data, m_range, b_range)


def loss_landscape(
    compared: list[charts.LabeledRun], data: Dataset, at: int | None, chart=charts.landscape_chart
) -> dict:
    """The RMSE over (m, b) with the runs' paths on it, drawn by ``chart``; returns the chart's spec."""
    m_range, b_range = landscape.extent(data, [result for _, result in compared])
    grid = _grid(data.key, m_range, b_range, data)
    spec = chart_view.show(chart, data, compared, grid=grid, at_iteration=at)
    st.caption("Darker is a higher loss. Squares mark the starts; the star is the least-squares minimum.")
    return spec


def script_download(config: LoopConfig, data: Dataset, print_first: int) -> None:
    """The code of these settings as a script that runs on its own and prints the lesson's output."""
    builtin = config.dataset in BUILTIN_DATASETS
    st.download_button(
        "Download this code as a script",
        data=lambda: script.render_script(config, print_first=print_first, data=data),
        file_name="gradient_descent_draft.py",
        mime="text/x-python",
        icon=":material/download:",
        key="download_script",
        help=(
            "Builds the lesson's data itself, runs exactly this code and prints what the lesson prints."
            if builtin
            else "Carries your data in the file, runs exactly this code on it and prints what the lesson prints."
        ),
    )


def notebook_download(config: LoopConfig, data: Dataset, print_first: int) -> None:
    """The same code as a Jupyter notebook: a cell of explanation before each step, and a plot at the end."""
    from core.code import notebook  # nbformat: only on the page that offers it

    st.download_button(
        "Download as notebook",
        data=lambda: notebook.to_text(config, print_first=print_first, data=data),
        file_name="gradient_descent_draft.ipynb",
        mime="application/x-ipynb+json",
        icon=":material/book_2:",
        key="download_notebook",
        help="The same code in a Jupyter notebook: each step of the lesson explained, then run, then plotted.",
    )


def trajectory_download(result: RunResult) -> None:
    """The recorded trajectory as CSV."""
    st.download_button(
        "Download the trajectory (CSV)",
        data=lambda: result.trajectory.to_csv(index=False),
        file_name="trajectory.csv",
        mime="text/csv",
        icon=":material/table:",
        key="download_trajectory",
    )


def edit_link(config: LoopConfig) -> None:
    """A link to the Your draft page with this code in its editor, to change it by hand."""
    from core.code import link

    packed = link.encode(source.render(config))
    if packed is not None:
        st.page_link(
            "app_pages/6_Draft.py",
            label="Edit this code yourself",
            icon=":material/edit_note:",
            query_params={"draft": packed},
            help="Opens this code in the Your draft page's editor: change it, run it, and see which bug it has.",
        )
