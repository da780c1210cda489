"""The Lab's settings as widgets: each bound to the URL (a link reopens the view) and kept
across page switches. The widgets' values become one frozen LoopConfig."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.drafts import DRAFTS, SOLUTION, ConfigError, LoopConfig, Update

# Widget keys: each is also the name of its URL query parameter.
NO_GRAD, UPDATE, ZERO_GRAD, LOOP, ITERATIONS = "no_grad", "update", "zero_grad", "loop", "iterations"
LR, M0, B0 = "lr", "m0", "b0"
LOOP_ITERATIONS_DEFAULT = SOLUTION.iterations

UPDATE_LABELS = {
    Update.IN_PLACE.value: "in place: m -= lr*m.grad",
    Update.REASSIGN.value: "by reassignment: m = m - lr*m.grad",
    Update.DATA.value: "through .data: m.data = m - lr*m.grad",
}

BOUND = {"bind": "query-params", "persist_state": "session"}


@dataclass(frozen=True)
class Settings:
    """What the settings widgets say: a valid configuration, or why there is none."""

    config: LoopConfig | None
    problem: str | None = None


def apply_draft(name: str) -> None:
    """Callback of a preset button: set every loop widget to a lesson draft's settings."""
    draft = DRAFTS[name]
    st.session_state[NO_GRAD] = draft.no_grad
    st.session_state[UPDATE] = draft.update.value
    st.session_state[ZERO_GRAD] = draft.zero_grad
    st.session_state[LOOP] = draft.loops
    if draft.loops:
        st.session_state[ITERATIONS] = draft.iterations


def preset_buttons() -> None:
    """One button per lesson draft; a click sets the bug toggles to that draft."""
    columns = st.columns(len(DRAFTS))
    for column, name in zip(columns, DRAFTS, strict=True):
        label = "Draft 4 (solution)" if DRAFTS[name] == SOLUTION else f"Draft {name}"
        column.button(label, key=f"preset_{name}", on_click=apply_draft, args=(name,), width="stretch")


def bug_toggles() -> bool:
    """The loop's settings, one widget per bug, named in plain words; returns whether it loops."""
    st.toggle(
        "Update wrapped in `torch.no_grad()`",
        value=SOLUTION.no_grad,
        key=NO_GRAD,
        help="Off: the update runs with autograd recording it.",
        **BOUND,
    )
    st.radio(
        "Update written",
        options=list(UPDATE_LABELS),
        format_func=UPDATE_LABELS.get,
        key=UPDATE,
        **BOUND,
    )
    st.toggle(
        "Gradients zeroed after the update",
        value=SOLUTION.zero_grad,
        key=ZERO_GRAD,
        help="Off: PyTorch adds each new gradient to the old one in .grad.",
        **BOUND,
    )
    return st.toggle("Full loop (off: a single step)", value=True, key=LOOP, **BOUND)


def number_settings(loop: bool) -> None:
    """Iterations, learning rate and starting point; checked by LoopConfig, never clamped."""
    columns = st.columns(4)
    columns[0].number_input(
        "Iterations", value=LOOP_ITERATIONS_DEFAULT, step=1_000, key=ITERATIONS, disabled=not loop, **BOUND
    )
    columns[1].number_input("Learning rate", value=SOLUTION.lr, step=0.01, format="%g", key=LR, **BOUND)
    columns[2].number_input("Initial m", value=SOLUTION.m0, step=0.5, format="%g", key=M0, **BOUND)
    columns[3].number_input("Initial b", value=SOLUTION.b0, step=0.5, format="%g", key=B0, **BOUND)


def current(dataset: str) -> Settings:
    """The configuration the widgets describe, or the message saying which value is refused."""
    state = st.session_state
    loop = state.get(LOOP, True)
    try:
        config = LoopConfig(
            no_grad=bool(state.get(NO_GRAD, SOLUTION.no_grad)),
            update=Update(state.get(UPDATE, SOLUTION.update.value)),
            zero_grad=bool(state.get(ZERO_GRAD, SOLUTION.zero_grad)),
            iterations=_whole(state.get(ITERATIONS, LOOP_ITERATIONS_DEFAULT)) if loop else 1,
            lr=float(state.get(LR, SOLUTION.lr)),
            m0=float(state.get(M0, SOLUTION.m0)),
            b0=float(state.get(B0, SOLUTION.b0)),
            dataset=dataset,
        )
    except ConfigError as error:
        return Settings(config=None, problem=str(error))
    return Settings(config=config)


def _whole(value: float) -> int | float:
    """An integral float as an int; anything else as it is, for LoopConfig to refuse."""
    return int(value) if float(value).is_integer() else value
