"""The Lab's views of one run, chosen by a segmented control bound to the URL (?view=...)."""

from __future__ import annotations

import streamlit as st

from core.lesson.data import Dataset
from core.lesson.results import RunResult
from ui import chart_view, panels, views

VIEW, LOG_X, FIRST = "view", "log_x", "first"  # widget keys, also URL parameters
CHARTS, LANDSCAPE, TENSORS, ACCUMULATION, PRINTED = (
    "Charts",
    "Loss landscape",
    "Inside the tensors",
    "Accumulation",
    "Printed output",
)
VIEWS = [CHARTS, LANDSCAPE, TENSORS, ACCUMULATION, PRINTED]
LIVE_VIEWS = {CHARTS, LANDSCAPE}  # drawn as a new run goes, not only when it ends
ITERATION_AXIS_VIEWS = {CHARTS, ACCUMULATION}  # views whose charts have an iteration axis


def view_choice() -> tuple[str, bool]:
    """The chosen view, and whether its iteration axis is logarithmic (where it has one)."""
    choice, axis = st.columns([3.4, 1.3], vertical_alignment="center")
    with choice:
        view = st.segmented_control(
            "View",
            VIEWS,
            default=CHARTS,
            key=VIEW,
            bind="query-params",
            persist_state="session",
            required=True,
            wrap=True,
            label_visibility="collapsed",
        )
    log_x = True
    if view in ITERATION_AXIS_VIEWS:
        with axis:
            log_x = st.toggle(
                "Log axis",
                value=True,
                key=LOG_X,
                bind="query-params",
                help="A logarithmic iteration axis: most of the action is early.",
                width="content",
            )
    return view, log_x


def show_view(view: str, result: RunResult, data: Dataset, at: int | None, *, log_x: bool) -> None:
    """The chosen view of ``result`` at iteration ``at`` (None: no cursor, for a run still going)."""
    live = at is None
    if view == CHARTS:
        panels.chart_grid([("this run", result)], data, log_x=log_x, at_iteration=at, saving=not live)
    elif view == LANDSCAPE:
        landscape = views.loss_landscape([("this run", result)], data, at)
        if not live:
            chart_view.save_button([landscape], key="save_landscape")
    elif view == TENSORS:
        views.tensor_inspector(result, at or 0)
        st.markdown("**The autograd graph**")
        views.autograd_graphs(result, at or 0)
    elif view == ACCUMULATION:
        views.accumulation(result, data, at or 0, log_x=log_x)
    else:
        count = st.number_input(
            "How many iterations to print", min_value=0, max_value=100, value=5, key=FIRST, bind="query-params"
        )
        panels.printed_iterations(result, int(count), through=at)
        views.trajectory_download(result)
