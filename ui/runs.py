"""Runs of the engine from the pages: cached by configuration, with a progress bar on a miss."""

from __future__ import annotations

import contextvars
import time

import streamlit as st

from core import engine
from core.data import Dataset
from core.drafts import LoopConfig

CACHE_ENTRIES = 64  # bounded, so a classroom's server keeps flat memory over a long session
PROGRESS_AFTER_S = 0.25  # a run shorter than this finishes before any bar would be seen
PROGRESS_EVERY = 250  # iterations between progress updates: each update costs a message


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _cached_run(config: LoopConfig, _data: Dataset, _on_step: engine.OnStep | None) -> engine.RunResult:
    # The dataset is identified by config.dataset (a content hash for uploads), so it is
    # left out of the cache key; so is the progress callback.
    return engine.run(config, _data, on_step=_on_step)


def run(config: LoopConfig, data: Dataset, label: str = "") -> engine.RunResult:
    """The engine's result for ``config``: from the cache, or run now with a progress bar."""
    holder = st.empty()
    # The bar lives outside the cached function; updates to it are sent from the page's own
    # context, or the cache would try to record them for replay (and refuse).
    page_context = contextvars.copy_context()
    started = time.perf_counter()
    bar = None

    def on_step(iteration: int, total: int) -> None:
        nonlocal bar
        if iteration % PROGRESS_EVERY or time.perf_counter() - started < PROGRESS_AFTER_S:
            return
        text = f"Running {label or 'the loop'}: iteration {iteration + 1:,} of {total:,}"
        if bar is None:
            bar = page_context.run(holder.progress, 0.0, text=text)
        page_context.run(bar.progress, (iteration + 1) / total, text=text)

    try:
        return _cached_run(config, data, on_step)
    finally:
        holder.empty()
