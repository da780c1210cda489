"""Charts on a page: each built once per view and cached as its Vega-Lite spec.

Building an Altair chart and converting it takes about a tenth of a second; a page of five
charts would redraw a configuration seen before in half a second. The spec of a chart is a
pure function of the chart function and its arguments, so it is cached by exactly those:
``show(charts.loss_chart, runs, log_x=True)``. The key is derived from the arguments
(``cache_key``), never written by hand, so no dependency can be forgotten. A chart not in the
cache, and every live frame of a run in progress, is drawn in a drawing process
(``core.serve.drawing``), not in the interpreter every session's clicks share.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import time
from collections.abc import Callable, Hashable

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.charts import export
from core.charts.spec import Drawn, with_records
from core.lesson.data import Dataset
from core.lesson.results import RunResult, Status
from core.serve import drawing
from ui import layout, saving
from ui.text import plain

# 11 to 110 KB a spec, so at most ~110 MB: flat memory, yet a class's new runs do not evict the presets' charts.
SPEC_ENTRIES = 1024


@st.cache_resource(show_spinner=False)
def _drawing() -> drawing.DrawingPool:
    """The server's drawing processes, started at the first chart drawn."""
    return drawing.DrawingPool()


def _draw(call: tuple) -> Drawn:
    """The chart ``call`` (function, arguments, options) drawn: in a drawing process when one is ready."""
    chart, args, options = call
    return _drawing().draw(chart, args, options)


@st.cache_data(max_entries=SPEC_ENTRIES, show_spinner=False)
def _spec(key: Hashable, _call: tuple) -> Drawn:
    return _draw(_call)


PRESENTER_SCALE = 1.6  # charts this much taller in presenter mode
# Chart text read from the back of a classroom (Streamlit's theme draws it at 12 px or less).
PRESENTER_FONTS = {
    "axis": {"labelFontSize": 16, "titleFontSize": 17},
    "legend": {"labelFontSize": 16, "titleFontSize": 16, "symbolSize": 200},
    "title": {"fontSize": 19, "subtitleFontSize": 15},
    "text": {"fontSize": 15},
}


def presented(spec: dict) -> dict:
    """``spec`` as a projector shows it: a taller plot and larger text."""
    config = spec.get("config", {})
    larger = {part: {**config.get(part, {}), **fonts} for part, fonts in PRESENTER_FONTS.items()}
    spec = {**spec, "config": {**config, **larger}}
    if isinstance(spec.get("height"), int | float):
        spec["height"] = spec["height"] * PRESENTER_SCALE
    return spec


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def cache_key(value: object) -> Hashable:
    """What a chart's spec depends on in ``value``, as a small hashable value.

    A run is named by its configuration and outcome (a stopped run differs from the finished
    one), a dataset by its key and names (the key is a content hash for uploads), tables and
    arrays by a digest of their contents; anything else by its own fields or value.
    """
    if value is None or isinstance(value, str | int | float | bool | enum.Enum):
        return value
    if isinstance(value, RunResult):
        return ("run", value.config, value.outcome)
    if isinstance(value, Dataset):
        return ("dataset", value.key, value.title, value.x_label, value.y_label)
    if isinstance(value, pd.DataFrame):
        hashed = pd.util.hash_pandas_object(value, index=True).to_numpy()
        return ("frame", tuple(value.columns), _digest(hashed.tobytes()))
    if isinstance(value, np.ndarray):
        return ("array", value.shape, str(value.dtype), _digest(np.ascontiguousarray(value).tobytes()))
    if isinstance(value, list | tuple):
        return tuple(cache_key(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, cache_key(item)) for key, item in value.items()))
    if dataclasses.is_dataclass(value):
        fields = dataclasses.fields(value)
        return (type(value).__qualname__, *(cache_key(getattr(value, f.name)) for f in fields))
    if callable(value) and hasattr(value, "__qualname__"):  # a function, named where it lives (a partial is not)
        return f"{value.__module__}.{value.__qualname__}"
    raise TypeError(f"no cache key for a {type(value).__name__}: teach cache_key what a chart needs of it")


def _running(value: object) -> bool:
    """Whether ``value`` holds a run still going (a live frame: drawn once, never cached)."""
    if isinstance(value, RunResult):
        return value.outcome.status is Status.RUNNING
    return isinstance(value, list | tuple) and any(_running(item) for item in value)


def show(chart: Callable[..., alt.TopLevelMixin], *args: object, **options: object) -> dict:
    """Draw ``chart(*args, **options)`` and return its spec, cached by the function and its arguments."""
    call = (chart, args, options)
    spec, words = _draw(call) if _running(args) else _spec(cache_key(call), call)
    if layout.presenting():
        spec = presented(spec)
    st.vega_lite_chart(spec, width="stretch")
    layout.spoken(words)  # the chart in words, for a screen reader
    return spec


@st.fragment
def save_button(specs: list[dict], key: str) -> None:
    """One button that saves these charts, each as SVG and PNG, in a zip file; why not, beside it, if it cannot.

    A fragment: a click reruns only the button, which waits for the drawing to say how it went.
    """
    saving.quiet_refusals()
    too_large: str | None
    try:
        export.check(specs)  # the size budget, before offering anything
    except export.ExportError as error:
        too_large = str(error)
    else:
        too_large = None
    attempt = st.session_state.setdefault(f"{key}_attempt", saving.Attempt())
    clicked = st.download_button(
        "Save these charts (SVG and PNG)",
        # Drawn only when clicked: most reruns never need the files.
        data=lambda: attempt.draw(lambda: export.charts_zip([with_records(spec) for spec in specs])),
        file_name="gradient-descent-charts.zip",
        mime="application/zip",
        icon=":material/download:",
        key=key,
        disabled=too_large is not None,
        help="Every chart above as drawn here: SVG for slides and print, PNG for anything else.",
    )
    problem = too_large
    if clicked and problem is None:
        with st.spinner("Drawing the charts..."):
            problem = attempt.error_since(time.monotonic() - saving.START_SECONDS, export.EXPORT_SECONDS)
    if problem:
        st.caption(f":material/error: The charts were not saved. {plain(problem)}")
