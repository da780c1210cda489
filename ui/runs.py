"""Runs of the engine from the pages: in the server's worker processes, cached by configuration,
drawn live while they run, with progress text and a Stop button.

Streamlit interrupts a running script when the user acts (a click, a toggle): it raises a
control exception at the script's next Streamlit call, here a progress or frame update. The
job itself lives in the pool, not in the script: the interrupted script lets go of it, and a
job that no session draws any more stops. If the user pressed Stop, the next script run shows
that stopped job's partial result instead of starting it again; a stopped run is never cached.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import streamlit as st

from core.lesson.data import BUILTIN_DATASETS, Dataset, load_builtin
from core.lesson.drafts import LESSON_DRAFTS, SOLUTION, LoopConfig
from core.lesson.results import FRAME_SECONDS, RunResult
from core.serve.jobs import Job
from core.serve.service import RunService

PROGRESS_AFTER_S = 0.2  # a run shorter than this finishes before any progress would be read
LAST_JOB = "run_last_job"  # session: the job this session started or joined last (the one Stop can reach)
STOP_REQUESTED = "run_stop_requested"  # session: the configuration whose Stop was pressed
STOPPED = "run_stopped"  # session: the partial result of a run the user stopped
PARTIAL_WAIT_S = 3.0

OnFrame = Callable[[RunResult], None]


@st.cache_resource(show_spinner=False)
def service() -> RunService:
    """The server's one pool of worker processes and its cache of runs, started at the first visit."""
    runs = RunService()
    threading.Thread(target=_prepare_presets, args=(runs,), name="prepare presets", daemon=True).start()
    return runs


def _prepare_presets(runs: RunService) -> None:
    """The lesson's drafts on both built-in datasets, run once per server in the background.

    The first preset click of the day, and an instructor's prepared link, are then cached redraws.
    """
    for key in BUILTIN_DATASETS:
        data = load_builtin(key)
        for draft in LESSON_DRAFTS.values():
            runs.prepare(draft.config.with_changes(dataset=key), data)
            if not draft.config.loops:  # what the Lab's outcome line says a single step does looped
                runs.prepare(draft.config.with_changes(dataset=key, iterations=SOLUTION.iterations), data)


def _request_stop(config: LoopConfig) -> None:
    """Stop button's callback: the run it interrupts is to be shown as it stood."""
    st.session_state[STOP_REQUESTED] = config


def clear_stop() -> None:
    """Forget a stopped run, so its configuration runs to the end."""
    st.session_state.pop(STOPPED, None)


def _stopped_result(config: LoopConfig) -> RunResult | None:
    """The partial run the user stopped, for exactly this configuration."""
    if st.session_state.get(STOP_REQUESTED) == config:
        del st.session_state[STOP_REQUESTED]
        job = st.session_state.get(LAST_JOB)
        if job is not None and job.config == config:
            job.stop()
            if job.wait(PARTIAL_WAIT_S) and (partial := job.finished_result()) is not None:
                st.session_state[STOPPED] = partial
    stopped = st.session_state.get(STOPPED)
    if stopped is not None and stopped.config != config:
        clear_stop()
        return None
    return stopped


def run(
    config: LoopConfig, data: Dataset, label: str = "", *, on_frame: OnFrame | None = None, progress=None
) -> RunResult:
    """The engine's result for ``config``: cached, as the user stopped it, or run now and drawn live.

    ``on_frame`` draws a run in progress (called with what has run so far); ``progress`` is the
    container for the progress text and Stop button (default: here). Their two slots are made
    whether they are used or not, so that a run drawn live and the same run from the cache
    leave the page with the same elements in the same places.
    """
    holder = progress if progress is not None else st.container()
    slots = (holder.empty(), holder.empty())
    stopped = _stopped_result(config)
    if stopped is not None:
        return stopped
    runs = service()
    cached = runs.cached(config)
    if cached is not None:
        return cached
    job = runs.job(config, data)
    # Only the last: a session must not hold every run it ever made (the cache bounds those).
    st.session_state[LAST_JOB] = job
    try:
        _follow(job, label, on_frame, slots)
    finally:
        job.release()
    return job.result()  # RunFailed if the engine itself failed


class _FramePacer:
    """How often runs in progress are drawn, server-wide: at most ``share`` of the time.

    A frame of five charts takes a tenth of a second or more to draw (in a drawing process,
    ``core.serve.drawing``, or in the server's own interpreter while none is ready), and what draws
    frames also draws the charts of every run that has just ended. After each frame, the next
    one (of any session) waits until drawing frames has used no more than ``share`` of the time
    since: one learner's new run is drawn every quarter to third of a second, while a class
    starting new runs at once sees their frames come less often, and their finished runs drawn
    without waiting behind a queue of frames. The time counted is the wait for the frame, so a
    busy drawing process slows the frames down by itself.
    """

    def __init__(self, share: float) -> None:
        self.pause_per_second = 1 / share - 1
        self._next = 0.0
        self._lock = threading.Lock()

    def due(self) -> bool:
        return time.monotonic() >= self._next

    def spent(self, seconds: float) -> None:
        with self._lock:
            self._next = max(self._next, time.monotonic()) + seconds * self.pause_per_second


LIVE_SHARE = 0.35  # one learner's new run: a frame every quarter to third of a second
_pacer = _FramePacer(LIVE_SHARE)


def _follow(job: Job, label: str, on_frame: OnFrame | None, slots: tuple) -> None:
    """Wait for ``job``, drawing its progress and what it has done so far now and then."""
    progress = None
    shown = 0
    while not job.wait(FRAME_SECONDS if progress else PROGRESS_AFTER_S):
        done = job.iterations_done()
        if progress is None:
            progress = _Progress(slots, job, label)
        progress.show(done, ready=service().pool.wait_ready(0))
        if on_frame is not None and done > shown and _pacer.due():
            started = time.monotonic()
            on_frame(job.snapshot())
            _pacer.spent(time.monotonic() - started)
            shown = done
    if progress is not None:
        progress.clear()


class _Progress:
    """A run's progress bar and its Stop button, drawn once and then moved on.

    Each in a slot of its own (st.empty), emptied when the run ends: a container would leave
    its Stop button on the page under whatever is drawn in its place in the same script run.
    """

    def __init__(self, slots: tuple, job: Job, label: str) -> None:
        self.total, self.label = job.config.iterations, label or "the loop"
        self.slots = slots
        self.shown = (0.0, "Starting the run...")
        self.bar = self.slots[0].progress(*self.shown)
        # One Stop button per run: a page (Compare) may run several configurations in turn.
        key = f"stop_run_{abs(hash(job.config))}"
        self.slots[1].button("Stop", key=key, on_click=_request_stop, args=(job.config,), icon=":material/stop:")

    def clear(self) -> None:
        for slot in self.slots:
            slot.empty()

    def show(self, done: int, ready: bool) -> None:
        if not done and not ready:
            text = "Preparing PyTorch for the first run on this server (a few seconds)..."
        else:
            text = f"Running {self.label}: iteration {done:,} of {self.total:,}"
        if (done / self.total, text) != self.shown:  # a run waiting for a worker sends nothing new
            self.shown = (done / self.total, text)
            self.bar.progress(*self.shown)
