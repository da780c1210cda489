"""Lesson: drafts 1 to 4 in order; predict what each does, then see what the real loop did."""

import streamlit as st

from core import charts, explain, source
from core.data import least_squares
from core.drafts import DRAFT_TITLES, DRAFTS
from ui import chart_view, layout, panels, runs

# Before the run: what to look at, in the lesson's words, without giving the answer away.
INTRODUCTIONS = {
    "1": (
        "One step, with the update written as a reassignment outside `torch.no_grad()`: "
        "`m = m - 0.02*m.grad`. Watch what `m` is after the update: the same tensor, or a new one?"
    ),
    "2": (
        "One step again, now updating in place inside `with torch.no_grad():`, so autograd does not record "
        "the update. (Updating `m.data` is the lesson's alternative.)"
    ),
    "3": (
        "Now the loop: 10,000 iterations of the same step. But nothing resets `m.grad` and `b.grad` "
        "between iterations, and PyTorch's `backward()` adds to `.grad` rather than replacing it."
    ),
    "4": "The solution: after each update the gradients are set to `None`, so every step uses a fresh gradient.",
    "sgd": (
        "What a learner writes next: `torch.optim.SGD` holds `m` and `b`; `optimizer.step()` does the update "
        "(in place, without recording it) and `optimizer.zero_grad()` clears the gradients."
    ),
}

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


def verdict(guess: explain.Behaviour, actual: explain.Behaviour) -> None:
    if guess == actual:
        st.success(f"Right: it {actual}.")
    else:
        st.warning(f"Not quite: you said it {guess}; it {actual}.")


def draft_section(name: str) -> None:
    config = DRAFTS[name].with_changes(dataset=data.key)
    st.header(f"Draft {name}" if name.isdigit() else "After the lesson: the idiomatic draft")
    st.markdown(INTRODUCTIONS[name])
    st.code(source.render(config), language="python")
    guess = predicted(name)
    if guess is None:
        st.info("Make your prediction to see what happened.")
        return
    result = runs.run(config, data, DRAFT_TITLES[name])
    verdict(guess, explain.behaviour(result, best))
    results, visuals = st.columns([1, 1], gap="large")
    with results:
        panels.outcome_panel(result, data)
        if config.iterations == 1:
            panels.facts_table(result)
    with visuals:
        labeled = [(f"Draft {name}", result)]
        key = panels.runs_key(labeled, data)
        if config.iterations == 1:
            chart_view.show(("fit", key, None), lambda: charts.fit_chart(data, labeled))
        else:
            chart_view.show(("m", key, True, None), lambda: charts.parameter_chart(labeled, "m", log_x=True))
            chart_view.show(("loss", key, True, None), lambda: charts.loss_chart(labeled, log_x=True))
    if name == "1":
        second_iteration(config)


def second_iteration(config) -> None:
    """Draft 1 runs once; the lesson's point is what a second iteration does."""
    st.markdown("**And a second iteration?** The same code, looped twice:")
    result = runs.run(config.with_changes(iterations=2), data, "Draft 1, twice")
    panels.outcome_panel(result, data)


for draft_name in DRAFTS:
    draft_section(draft_name)
    st.divider()

st.markdown("Try every combination of these bugs yourself in the Lab.")
st.page_link("pages/2_Lab.py", label="Open the Lab", icon=":material/science:")
