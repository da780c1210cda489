"""Runs of the engine from the pages: cached by configuration, with a progress bar and a Stop
button when a run takes more than a moment.

Streamlit interrupts a running script when the user acts (a click, a toggle): it raises a
control exception at the script's next Streamlit call, here a progress update. The progress
callback catches it, asks the engine to stop, and hands it back to Streamlit once the engine
has returned what it did so far. A stopped run is never cached; if the user pressed Stop,
the page shows that partial run instead of starting it again.
"""

from __future__ import annotations

import contextvars
import threading
import time

import streamlit as st
from streamlit.runtime.scriptrunner import RerunException, StopException

from core import engine
from core.data import Dataset
from core.drafts import LoopConfig

CACHE_ENTRIES = 64  # bounded, so a classroom's server keeps flat memory over a long session
PROGRESS_AFTER_S = 0.25  # a run shorter than this finishes before any bar would be seen
PROGRESS_EVERY_S = 0.3  # between progress updates: each costs a message and a browser redraw
MAILBOX = "run_mailbox"  # session: a _Mailbox for the partial result of an interrupted run
STOP_REQUESTED = "run_stop_requested"  # session: the configuration whose Stop was pressed
STOPPED = "run_stopped"  # session: the partial result of a run the user stopped
PARTIAL_WAIT_S = 3.0


def _warm_up() -> None:
    """The first optimizer.step() of a process imports torch._dynamo (seconds); do it ahead."""
    import torch._dynamo  # noqa: F401


# Once per server process, in the background, so no learner waits for it at their first SGD run.
threading.Thread(target=_warm_up, name="warm-up torch._dynamo", daemon=True).start()


class _Interrupted(Exception):
    """Carries a partial run out of the cached function, so that it is not cached."""

    def __init__(self, result: engine.RunResult):
        self.result = result


class _Progress:
    """The progress bar and Stop button of one run, drawn from the page's own context."""

    def __init__(self, config: LoopConfig, label: str):
        self.config, self.label = config, label
        self.holder = st.empty()
        # Updates are sent from the page's context: inside the cached function the cache
        # would try to record them for replay (and refuse, the bar being created outside it).
        self.page_context = contextvars.copy_context()
        self.started = time.perf_counter()
        self.bar = None
        self.shown_at = 0.0
        self.control: RerunException | StopException | None = None

    def on_step(self, iteration: int, total: int) -> bool:
        """The engine's callback: draw progress now and then; True asks the engine to stop."""
        now = time.perf_counter()
        if now - self.started < PROGRESS_AFTER_S or now - self.shown_at < PROGRESS_EVERY_S:
            return False
        self.shown_at = now
        text = f"Running {self.label or 'the loop'}: iteration {iteration + 1:,} of {total:,}"
        try:
            if self.bar is None:
                self.bar = self.page_context.run(self._draw, text)
            self.page_context.run(self.bar.progress, (iteration + 1) / total, text=text)
        except (RerunException, StopException) as control:  # the user acted: stop, keep what was done
            self.control = control
            return True
        return False

    def _draw(self, text: str):
        with self.holder.container():
            bar = st.progress(0.0, text=text)
            # One Stop button per run: a page (Compare) may run several configurations in turn.
            key = f"stop_run_{abs(hash(self.config))}"
            st.button("Stop", key=key, on_click=_request_stop, args=(self.config,), icon=":material/stop:")
        return bar


def _request_stop(config: LoopConfig) -> None:
    """Stop button's callback: the run it interrupts is to be shown as it stood."""
    st.session_state[STOP_REQUESTED] = config


class _Mailbox:
    """Where an interrupted run leaves what it did, for the session's next run to pick up.

    Streamlit starts the next run in a new thread while the interrupted one is still
    reaching its next progress update; the interrupted run may no longer write to session
    state, so it hands its result over through this object, which session state holds.
    """

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._result: engine.RunResult | None = None

    def put(self, result: engine.RunResult | None) -> None:
        with self._ready:
            self._result = result
            self._ready.notify_all()

    def take(self, config: LoopConfig, timeout: float) -> engine.RunResult | None:
        """The interrupted run of ``config``, waiting up to ``timeout`` seconds for it."""
        with self._ready:
            self._ready.wait_for(lambda: self._result is not None and self._result.config == config, timeout)
            result, self._result = self._result, None
        return result if result is not None and result.config == config else None


def clear_stop() -> None:
    """Forget a stopped run, so its configuration runs to the end."""
    st.session_state.pop(STOPPED, None)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _cached_run(config: LoopConfig, _data: Dataset, _progress: _Progress) -> engine.RunResult:
    # The dataset is named by config.dataset (a content hash for uploads), so it is left out
    # of the cache key; so is the progress display.
    result = engine.run(config, _data, on_step=_progress.on_step)
    if _progress.control is not None:
        raise _Interrupted(result)
    return result


def run(config: LoopConfig, data: Dataset, label: str = "") -> engine.RunResult:
    """The engine's result for ``config``: cached, run now with progress, or as the user stopped it."""
    if st.session_state.get(STOP_REQUESTED) == config:
        del st.session_state[STOP_REQUESTED]
        partial = st.session_state.setdefault(MAILBOX, _Mailbox()).take(config, PARTIAL_WAIT_S)
        if partial is not None:
            st.session_state[STOPPED] = partial
    stopped = st.session_state.get(STOPPED)
    if stopped is not None:
        if stopped.config == config:
            return stopped
        clear_stop()
    progress = _Progress(config, label)
    mailbox = st.session_state.setdefault(MAILBOX, _Mailbox())
    mailbox.put(None)
    try:
        return _cached_run(config, data, progress)
    except _Interrupted as interrupted:
        mailbox.put(interrupted.result)
        raise progress.control from None
    finally:
        progress.holder.empty()
