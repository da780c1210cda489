"""A link's query parameters, checked before any widget reads them: a link can hold anything.

Widgets bound to the URL read their values from it when a page opens, and Streamlit 1.67 reads
a whole number as ``int(float(value))``: ``?iterations=inf`` or a hundred kilobytes of nines
raise inside Streamlit before the page can say anything, and ``?iterations=1.5`` quietly
becomes 1. So every page first runs ``sanitise()`` (``ui.layout.setup`` does), which applies
one rule per kind of value:

- a number no widget can hold (not a number, not finite, too long, a fraction where a whole
  number goes, or outside the widget's own bounds) is refused with a message in the words of
  an out-of-range setting, and left out: the widget shows its default. A number the widget can
  hold goes to it, and the loop's own checks refuse it if it is out of range (nothing is run);
- a switch that is neither true nor false, an empty value, and a choice the page does not offer
  get the default, as if the link had not named them (the widget shows what is chosen);
- parameters no page reads are left alone.

A refused value is removed from the URL and the page run again at once, so no widget ever
reads it; the messages ride along in the session for that run, where ``refusals()`` gives them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from enum import Enum

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.lesson.drafts import INITIAL_RANGE, ITERATIONS_RANGE, LR_RANGE, SOLUTION, LoopConfig, readable
from core.lesson.text import single_line

CARRIED = "url_refused_carried"  # session: the messages, carried to the run that follows their refusal
REFUSED = "url_refused"  # session: the messages of this run
LONGEST_NUMBER = 40  # characters: a number written longer is not one a person typed
LARGEST_WHOLE = 2**53 - 1  # a browser holds whole numbers exactly up to here
SHOWN = 30  # characters of a refused value quoted back
COMPARE_PREFIX = "c_"  # the Compare page's custom configuration (ui.settings.SettingsForm("c_"))
# Plain decimal numbers only: Python's float() would also take "1_0", " 12 " and other scripts' digits.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)

SWITCH, CHOICE, CHOICES = "switch", "choice", "choices"  # CHOICES: a list, which may be empty


@dataclass(frozen=True)
class Number:
    """A number setting: its name in a message, its bounds, and whether the widget itself enforces them."""

    words: str
    bounds: tuple[float, float]
    whole: bool = False
    widget_bounds: bool = False  # the widget silently resets a value outside them: refuse it here instead

    def problem(self, text: str) -> str | None:
        """Why ``text`` cannot go into the widget, in the words of an out-of-range setting; None if it can."""
        if self.holds(text):
            return None
        low, high = (readable(bound) for bound in self.bounds)
        kind = "a whole number" if self.whole else "a number"
        shown = repr(single_line(text, SHOWN))
        return (
            f"The {self.words} must be {kind} between {low} and {high}; the link's {shown} is not, so it was "
            "left out and the page uses the default."
        )

    def holds(self, text: str) -> bool:
        """Whether the widget can hold the number ``text`` (plain, finite, whole if need be, within its bounds)."""
        if len(text) > LONGEST_NUMBER or not _NUMBER.fullmatch(text):
            return False
        value = float(text)
        if not math.isfinite(value):
            return False
        if self.whole and not (value.is_integer() and abs(value) <= LARGEST_WHOLE):
            return False
        return not self.widget_bounds or self.bounds[0] <= value <= self.bounds[1]


# Words and bounds of LoopConfig's numbers, as its own checks name them.
LOOP_NUMBERS = {
    "iterations": Number("iterations", ITERATIONS_RANGE, whole=True),
    "lr": Number("learning rate", LR_RANGE),
    "m0": Number("initial m", INITIAL_RANGE),
    "b0": Number("initial b", INITIAL_RANGE),
}


def loop_kinds() -> dict[str, str | Number]:
    """The settings form's parameters, from LoopConfig's fields: a switch, a choice or a number each."""
    kinds: dict[str, str | Number] = {"loop": SWITCH}  # a widget of its own: off is a single step
    for field in fields(LoopConfig):
        if field.name != "dataset":  # the data is the sidebar's choice, on every page
            kinds[field.name] = _kind_of(field.name, getattr(SOLUTION, field.name))
    return kinds


def _kind_of(name: str, default: object) -> str | Number:
    if isinstance(default, bool):
        return SWITCH
    if isinstance(default, Enum):
        return CHOICE
    return LOOP_NUMBERS[name]  # a new number in LoopConfig needs its words here


# Every parameter a widget reads: the Lab's (and the step-through's), Compare's, and the sidebar's.
KINDS: dict[str, str | Number] = {
    **loop_kinds(),
    **{COMPARE_PREFIX + key: kind for key, kind in loop_kinds().items()},
    "view": CHOICE,
    "log_x": SWITCH,
    "first": Number("number of iterations to print", (0, 100), whole=True, widget_bounds=True),
    "at": Number("iteration to show", (0, ITERATIONS_RANGE[1] - 1), whole=True, widget_bounds=True),
    "compare": CHOICES,
    "cmp_log_x": SWITCH,
    "present": SWITCH,
    # The "Why it is slow" page (app_pages/5_Convergence.py).
    "cv_loss": CHOICE,
    "cv_center": SWITCH,
    "cv_iterations": Number("sweep's iterations", (100, 5_000), whole=True, widget_bounds=True),
    "dataset": CHOICE,
    "theme": CHOICE,  # the sidebar's light / dark / system choice (ui/theme.py)
    "nudge": SWITCH,  # the Accumulation view's nudged twin (ui/views.py)
    "nudge_by": Number("nudge of the initial m", INITIAL_RANGE),
}


def verdict(key: str, text: str) -> tuple[bool, str | None]:
    """Whether the value ``text`` of parameter ``key`` is left out of the URL, and the message saying so (if any)."""
    kind = KINDS.get(key)
    if kind in (None, CHOICES):
        return False, None
    if text == "":
        return True, None  # an empty value: as if the link had not named it
    if kind == SWITCH:
        return text.lower() not in ("true", "false"), None
    if isinstance(kind, Number):
        problem = kind.problem(text)
        return problem is not None, problem
    return False, None  # a choice: Streamlit keeps only the options the widget offers


def sanitise() -> None:
    """Leave out of the URL every value no widget should read, then run the page again without them.

    Call it before any widget is made. The messages are that next run's ``refusals()``.
    """
    state = st.session_state
    carried = state.pop(CARRIED, None)  # the messages, when this run is the one after leaving values out
    verdicts = {key: verdict(key, st.query_params[key]) for key in list(st.query_params)}
    left_out = [key for key, (drop, _) in verdicts.items() if drop]
    state[REFUSED] = [*(carried or []), *(message for _, message in verdicts.values() if message)]
    for key in left_out:
        _drop(key)
    if left_out and carried is None:  # once: widgets read the URL as a run starts, so this one is too late
        state[CARRIED] = state[REFUSED]
        st.rerun()


def refusals() -> list[str]:
    """The messages about values this page's link held and the page left out (for this run only)."""
    return list(st.session_state.get(REFUSED) or [])


def _drop(key: str) -> None:
    """Remove ``key`` from the URL, here and in the browser."""
    try:
        del st.query_params[key]
    except StreamlitAPIException:
        # Bound to a widget earlier in this session (a link opened by going back in the browser's
        # history): Streamlit's own removal of a bad value, which st.query_params refuses to do.
        ctx = get_script_run_ctx()
        if ctx is None:  # not in a script run: no session whose URL could be mended, so the refusal stands
            raise
        with ctx.session_state.query_params() as params:
            params.remove_param(key)
