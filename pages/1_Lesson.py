"""Lesson: drafts 1 to 4 in order; predict what each does, then see what the real loop did."""

import streamlit as st

from core import charts, explain, source
from core.data import least_squares
from core.drafts import LESSON_DRAFTS, Draft
from core.results import RunResult
from ui import chart_view, layout, panels, runs

data = layout.page(
    "Lesson",
    ":material/menu_book:",
    "Lesson: four drafts of a training loop",
    "Each draft below is the code of a real attempt at the loop. Read it, predict what it will do, "
    "and then see what happened when PyTorch ran it.",
)
best = least_squares(data)


def predicted(name: str) -> explain.Behaviour | None:
    """The learner's prediction for a draft, kept for the whole session."""
    return st.radio(
        "What will happen when this runs?",
        options=explain.PREDICTIONS,
        format_func=str.capitalize,
        index=None,
        horizontal=True,
        key=f"predict_{name}",
        persist_state="session",
    )


def verdict(guess: explain.Behaviour, result: RunResult, looped: RunResult | None) -> None:
    """The prediction graded by what torch did to the draft as written (and, for a single step, looped)."""
    grade, words = explain.graded(guess, result, best, looped)
    {"right": st.success, "partly": st.info, "wrong": st.warning}[grade](words)


def draft_section(draft: Draft) -> None:
    name = draft.key
    config = draft.config.with_changes(dataset=data.key)
    st.header(draft.label if draft.in_lesson else f"After the lesson: {draft.label}")
    st.markdown(draft.introduction)
    st.code(source.render(config), language="python")
    guess = predicted(name)
    if guess is None:
        st.info("Make your prediction to see what happened.")
        return
    result = runs.run(config, data, draft.title)
    looped = runs.run(config.with_changes(iterations=2), data, f"{draft.label}, twice") if name == "1" else None
    verdict(guess, result, looped)
    results, visuals = st.columns([1, 1], gap="large")
    with results:
        panels.outcome_panel(result, data)
        if config.iterations == 1:
            panels.facts_table(result)
    with visuals:
        labeled = [(draft.label, result)]
        if config.iterations == 1:
            chart_view.show(charts.fit_chart, data, labeled)
        else:
            chart_view.show(charts.parameter_chart, labeled, "m", log_x=True)
            chart_view.show(charts.loss_chart, labeled, log_x=True)
    if looped is not None:
        st.markdown("**And a second iteration?** The same code, looped twice:")
        panels.outcome_panel(looped, data)


for lesson_draft in LESSON_DRAFTS.values():
    draft_section(lesson_draft)
    st.divider()

st.markdown("Try every combination of these bugs yourself in the Lab.")
st.page_link("pages/2_Lab.py", label="Open the Lab", icon=":material/science:")
