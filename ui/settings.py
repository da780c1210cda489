"""Loop settings as widgets: each bound to the URL (a link reopens the view) and kept across
page switches. The widgets' values become one frozen LoopConfig.

The Lab's widgets have plain keys (``?no_grad=false&update=reassign``); the Compare page's
custom configuration uses the same form with a prefix, so both can sit in one URL.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from typing import Literal, TypedDict

import streamlit as st

from core.lesson.drafts import (
    DRAFTS,
    ITERATIONS_RANGE,
    LESSON_DRAFTS,
    SOLUTION,
    Algorithm,
    ConfigError,
    LoopConfig,
    Loss,
    Update,
    check_range,
    matching_draft,
)


class Bound(TypedDict):
    """The keyword arguments that bind a widget to the URL and keep it across page switches.

    A TypedDict, not a dict[str, str]: each widget's signature types these two keywords as
    literals, and only a TypedDict lets ``**BOUND`` say which value goes to which keyword.
    """

    bind: Literal["query-params"]
    persist_state: Literal["page", "session"]


BOUND: Bound = {"bind": "query-params", "persist_state": "session"}
OPTIMIZER_NOTE = " With the optimizer, optimizer.step() does the update instead."


@dataclass(frozen=True)
class Settings:
    """What the settings widgets say: a valid configuration, or why there is none."""

    config: LoopConfig | None
    problem: str | None = None


class SettingsForm:
    """The widgets of one loop configuration, their keys all starting with ``prefix``."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    def key(self, name: str) -> str:
        return self.prefix + name

    def apply_draft(self, name: str) -> None:
        """Callback of a preset button: set every loop widget to a lesson draft's settings."""
        draft = DRAFTS[name]
        state = st.session_state
        state[self.key("optimizer")] = draft.optimizer
        state[self.key("no_grad")] = draft.no_grad
        state[self.key("update")] = draft.update.value
        state[self.key("zero_grad")] = draft.zero_grad
        state[self.key("loop")] = draft.loops
        state[self.key("loss")] = draft.loss.value
        state[self.key("center")] = draft.center
        state[self.key("algorithm")] = draft.algorithm.value
        if draft.loops:
            state[self.key("iterations")] = draft.iterations

    def preset_buttons(self, current: LoopConfig | None = None) -> None:
        """One button per lesson draft; a click sets the loop widgets to that draft.

        The draft that ``current`` is (ignoring learning rate, start and data) is highlighted.
        """
        active = matching_draft(current) if current is not None else None
        row = st.container(horizontal=True, gap="small")
        for draft in LESSON_DRAFTS.values():
            row.button(
                draft.label,
                key=self.key(f"preset_{draft.key}"),
                on_click=self.apply_draft,
                args=(draft.key,),
                type="primary" if draft.key == active else "secondary",
            )

    @staticmethod
    def preset_caption(current: LoopConfig | None) -> None:
        """A line saying which lesson draft the settings are (a single-step draft looped too), or a custom mix."""
        active = matching_draft(current) if current is not None else None
        stepped = matching_draft(current.with_changes(iterations=1)) if current is not None and not active else None
        if active:
            words = f"**{LESSON_DRAFTS[active].title}**"
        elif stepped and current is not None and current.loops:
            words = f"**{LESSON_DRAFTS[stepped].label}, looped** ({current.iterations:,} iterations)"
        else:
            words = "a **custom** mix, not one of the lesson's drafts"
        st.caption(f"These settings are {words}.")

    def looped(self, config: LoopConfig) -> LoopConfig:
        """A single step's code as a loop of the iterations the (disabled) Iterations box holds."""
        try:
            return config.with_changes(iterations=_whole(st.session_state.get(self.key("iterations"), 0)))
        except (ConfigError, TypeError, ValueError):
            return config.with_changes(iterations=SOLUTION.iterations)

    def loop_button(self, iterations: int) -> None:
        """One click to run the single step's code as a loop, keeping every other setting (and its draft's name)."""
        st.button(
            f"Loop it: run this code {iterations:,} times",
            key=self.key("loop_it"),
            on_click=self._loop_on,
            icon=":material/repeat:",
        )

    def _loop_on(self) -> None:
        st.session_state[self.key("loop")] = True

    def bug_toggles(self) -> bool:
        """One widget per bug, named in plain words; returns whether the code loops."""
        optimizer = st.toggle(
            "Update by `torch.optim.SGD`",
            value=SOLUTION.optimizer,
            key=self.key("optimizer"),
            help="The idiomatic loop: `optimizer.step()` updates m and b in place without recording it.",
            **BOUND,
        )
        st.toggle(
            "Update wrapped in `torch.no_grad()`",
            value=SOLUTION.no_grad,
            key=self.key("no_grad"),
            help="Off: the update runs with autograd recording it." + OPTIMIZER_NOTE * optimizer,
            disabled=optimizer,
            **BOUND,
        )
        st.radio(
            "Update written",
            options=[update.value for update in Update],  # the option itself is the URL value
            captions=[f"`{update.statement()}`" for update in Update],
            key=self.key("update"),
            horizontal=True,
            disabled=optimizer,
            **BOUND,
        )
        st.toggle(
            "`optimizer.zero_grad()` after the step" if optimizer else "Gradients zeroed after the update",
            value=SOLUTION.zero_grad,
            key=self.key("zero_grad"),
            help="Off: PyTorch adds each new gradient to the old one in .grad.",
            **BOUND,
        )
        loop = st.toggle("Full loop (off: a single step)", value=True, key=self.key("loop"), **BOUND)
        self.loop_choices(optimizer)
        return loop

    def loop_choices(self, optimizer: bool) -> None:
        """Settings that are no bug: the loss, centring x, and which torch.optim optimizer."""
        st.radio(
            "Loss",
            options=[loss.value for loss in Loss],  # the option itself is the URL value
            captions=[loss.words for loss in Loss],
            key=self.key("loss"),
            horizontal=True,
            **BOUND,
        )
        st.toggle("Centre x (subtract its mean)", value=SOLUTION.center, key=self.key("center"), **BOUND)
        if optimizer:  # only torch.optim has a choice of optimizer: shown with it, not greyed out beside it
            st.radio(
                "Optimizer",
                options=[algorithm.value for algorithm in Algorithm],
                captions=[algorithm.words for algorithm in Algorithm],
                key=self.key("algorithm"),
                horizontal=True,
                **BOUND,
            )

    def number_settings(self, loop: bool) -> None:
        """Iterations, learning rate and start; checked by LoopConfig, never clamped."""
        columns = st.columns(4)
        columns[0].number_input(
            "Iterations", value=SOLUTION.iterations, step=1_000, key=self.key("iterations"), disabled=not loop, **BOUND
        )
        columns[1].number_input("Learning rate", value=SOLUTION.lr, step=0.01, format="%g", key=self.key("lr"), **BOUND)
        columns[2].number_input("Initial m", value=SOLUTION.m0, step=0.5, format="%g", key=self.key("m0"), **BOUND)
        columns[3].number_input("Initial b", value=SOLUTION.b0, step=0.5, format="%g", key=self.key("b0"), **BOUND)

    def current(self, dataset: str) -> Settings:
        """The configuration the widgets describe, or the message saying which value is refused."""
        state = st.session_state
        value = lambda name, default: state.get(self.key(name), default)  # noqa: E731
        loop = value("loop", True)
        # Update, Loss and Algorithm are looked up by value, which mypy checks against the members'
        # __new__ (python/mypy#10573): hence the three ignores.
        try:
            config = LoopConfig(
                optimizer=bool(value("optimizer", SOLUTION.optimizer)),
                no_grad=bool(value("no_grad", SOLUTION.no_grad)),
                update=Update(value("update", SOLUTION.update.value)),  # type: ignore[call-arg]
                zero_grad=bool(value("zero_grad", SOLUTION.zero_grad)),
                iterations=_iterations(value("iterations", SOLUTION.iterations)) if loop else 1,
                lr=float(value("lr", SOLUTION.lr)),
                m0=float(value("m0", SOLUTION.m0)),
                b0=float(value("b0", SOLUTION.b0)),
                dataset=dataset,
                loss=Loss(value("loss", SOLUTION.loss.value)),  # type: ignore[call-arg]
                center=bool(value("center", SOLUTION.center)),
                algorithm=Algorithm(value("algorithm", SOLUTION.algorithm.value)),  # type: ignore[call-arg]
            )
        except ConfigError as error:
            return Settings(config=None, problem=str(error))
        return Settings(config=config)


def lab_query(config: LoopConfig) -> dict[str, str]:
    """The Lab's URL parameters for ``config``: a link that opens the Lab with exactly these settings.

    Only what differs from the defaults, as the widgets themselves write the URL; the data is
    the sidebar's choice, kept by the session.
    """
    loop = config.iterations > 1
    query = {} if loop else {"loop": "false"}
    for field in fields(LoopConfig):
        value, default = getattr(config, field.name), getattr(SOLUTION, field.name)
        if field.name == "dataset" or value == default or (field.name == "iterations" and not loop):
            continue
        if isinstance(value, bool):
            query[field.name] = str(value).lower()
        elif isinstance(value, Enum):
            query[field.name] = str(value.value)
        else:
            query[field.name] = str(_whole(value))
    return query


def _whole(value: float) -> int | float:
    """An integral float as an int; anything else as it is, for LoopConfig to refuse."""
    return int(value) if float(value).is_integer() else value


def _iterations(value: float) -> int:
    """The Iterations box's value as LoopConfig's int; a fraction, an infinity or NaN refused in its own words."""
    whole = _whole(value)
    if isinstance(whole, float):
        check_range("iterations", whole, ITERATIONS_RANGE, integer=True)  # raises: a float here is never whole
    return int(whole)
