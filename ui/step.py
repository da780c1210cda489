"""Stepping through a run: the iteration scrubber shared by every view of the Lab.

A slider, previous / next buttons (also the Left and Right arrow keys) and Play. Playing spends
its frames where things change: every one of the first iterations, then ever larger jumps.
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

AT, PLAY = "at", "play"  # widget keys; AT is also a URL parameter
LAST_FRAME = "play_last_frame"  # session: when Play last advanced
NEXT_FRAME = "play_next_frame"  # session: the iteration Play moves to at the next run
FRAMES = 50  # frames of one play-through, whatever the run's length
FRAME_SECONDS = 0.8  # a pace a class can follow


EVERY_FIRST = 10  # Play shows each of the first iterations, where the most happens


def frames(rows: int) -> np.ndarray:
    """Iterations Play shows: each of the first ones, then ever larger jumps, always the last."""
    if rows <= FRAMES:
        return np.arange(rows)
    later = np.geomspace(EVERY_FIRST, rows - 1, FRAMES - EVERY_FIRST)
    return np.unique(np.concatenate([np.arange(EVERY_FIRST), np.round(later).astype(int)]))


def _step(delta: int, rows: int) -> None:
    st.session_state[AT] = int(np.clip(st.session_state.get(AT, 0) + delta, 0, rows - 1))


def _play_toggled(rows: int) -> None:
    """Starting Play at the end of the run starts it from the beginning."""
    if st.session_state.get(PLAY) and st.session_state.get(AT, 0) >= rows - 1:
        st.session_state[AT] = 0


# Left and Right step wherever focus is, as a class expects of a slide deck: Streamlit's own button
# shortcuts stop once focus is on a toggle or a View button (it ignores keys on any <input>).
# Keys that already mean something where focus is are left alone: text and number boxes, the
# slider (it steps itself) and radio options (arrows choose among them).
ARROW_KEYS_JS = """
if (!window.__stepKeys) {
  window.__stepKeys = true;
  const own = (el) => el && (el.closest('[role="slider"], [role="radiogroup"], [contenteditable="true"]')
    || (el.tagName === "INPUT" && !["checkbox", "button", "submit"].includes(el.type))
    || ["TEXTAREA", "SELECT"].includes(el.tagName));
  window.addEventListener("keydown", (event) => {
    const key = {ArrowLeft: "step_back", ArrowRight: "step_forward"}[event.key];
    if (!key || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || own(event.target)) return;
    const button = document.querySelector(`.st-key-${key} button`);
    if (!button || button.disabled) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    button.click();
  }, true);
}
"""


def scrubber(rows: int) -> int | None:
    """The iteration every view shows: slider, buttons, arrow keys or Play. None for an empty run."""
    if rows < 2:
        return 0 if rows else None
    if NEXT_FRAME in st.session_state:  # Play moved on: set before the widgets exist
        st.session_state[AT] = st.session_state.pop(NEXT_FRAME)
        st.session_state[PLAY] = st.session_state[AT] < rows - 1
    if st.session_state.get(AT, 0) > rows - 1:
        st.session_state[AT] = rows - 1  # a shorter run than the last one: stay on its last iteration
    # The slider's own label is hidden (still read out): the line below it names the iteration.
    # Keyed, so the page's style sheet keeps this row one row on a phone (columns stack there).
    row = st.container(key="step_controls")
    back, forward, play, slider = row.columns([1, 1, 2.2, 7], vertical_alignment="center")
    # Each button's label is its accessible name; the page's style sheet hides the words (the
    # chevron shows what it does), so a screen reader says "Previous iteration", not the icon's name.
    back.button(
        "Previous iteration",
        icon=":material/chevron_left:",
        key="step_back",
        on_click=_step,
        args=(-1, rows),
        help="Previous iteration (Left arrow key)",
    )
    forward.button(
        "Next iteration",
        icon=":material/chevron_right:",
        key="step_forward",
        on_click=_step,
        args=(1, rows),
        help="Next iteration (Right arrow key)",
    )
    # Play steps through the run, early iterations slowly (see frames); no help icon, so "Play" has room.
    playing = play.toggle("Play", key=PLAY, on_change=_play_toggled, args=(rows,))
    at = slider.slider("Iteration", 0, rows - 1, value=0, key=AT, bind="query-params", label_visibility="collapsed")
    st.html(f"<script>{ARROW_KEYS_JS}</script>", unsafe_allow_javascript=True)  # our own constant script
    if playing:
        _ticker(rows)
    return at


@st.fragment(run_every=FRAME_SECONDS)
def _ticker(rows: int) -> None:
    """While Play is on, the next frame every FRAME_SECONDS, drawn by a full rerun.

    The fragment also runs inside each full rerun; only a run a frame's time after the last
    advance moves on, or every rerun would advance at once. The widgets already exist then,
    so the next iteration is left for the scrubber to apply before it draws them.
    """
    now = time.monotonic()
    if not st.session_state.get(PLAY) or now - st.session_state.get(LAST_FRAME, 0.0) < FRAME_SECONDS * 0.9:
        return
    st.session_state[LAST_FRAME] = now
    later = frames(rows)[frames(rows) > st.session_state.get(AT, 0)]
    st.session_state[NEXT_FRAME] = int(later[0]) if len(later) else rows - 1
    st.rerun()
