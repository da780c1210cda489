"""Charts on a page: each built once per view and cached as its Vega-Lite spec.

Building an Altair chart and converting it takes about a tenth of a second; a page of five
charts would redraw a configuration seen before in half a second. The spec of a chart is a
pure function of the chart function and its arguments, so it is cached by exactly those:
``show(charts.loss_chart, runs, log_x=True)``. The key is derived from the arguments
(``cache_key``), never written by hand, so no dependency can be forgotten.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import threading
import time
from collections.abc import Callable, Hashable

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from core import export
from core.charts.describe import describe
from core.data import Dataset
from core.results import RunResult, Status
from ui import layout, saving
from ui.text import plain

# 11 to 110 KB a spec, so at most ~110 MB: flat memory, yet a class's new runs do not evict the presets' charts.
SPEC_ENTRIES = 1024


def _arrow_bytes(table: pa.Table) -> bytes:
    """A dataset as the Arrow IPC stream Streamlit sends to the browser."""
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _frame_table(frame: pd.DataFrame) -> pa.Table | None:
    """A chart's DataFrame as an Arrow table of the values Altair would have sent, column by column.

    As Altair's own conversion does, a float that is not finite (NaN, inf) becomes null: Vega
    skips it. None when a column is of a kind Altair converts by rules of its own (objects,
    dates): such a frame takes Altair's path.
    """
    columns = {}
    for name, column in frame.items():
        dtype = column.dtype
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
            columns[str(name)] = pa.array(column.to_numpy())
        elif pd.api.types.is_float_dtype(dtype):
            values = column.to_numpy(dtype="float64")
            columns[str(name)] = pa.array(values, mask=~np.isfinite(values))
        elif pd.api.types.is_string_dtype(dtype) and not column.isna().any():
            columns[str(name)] = pa.array(column.astype(object).to_numpy(), type=pa.string())
        else:
            return None
    return pa.table(columns)


class _FrameCapture(threading.local):
    """The data of the chart being specified in this thread, as Arrow tables by placeholder name.

    Altair turns each layer's DataFrame into a list of records (a slow, row-by-row
    conversion), only for ``specified`` to turn the records into Arrow again. While a spec is
    made, the data transformer below converts the frame to Arrow column by column and keeps
    the table under a placeholder name instead. Thread-local: Streamlit specifies several
    sessions' charts at once, and any other conversion keeps Altair's own transformer.
    """

    frames: dict[str, pa.Table] | None = None


_capture = _FrameCapture()


def _keep_frames(data: object) -> object:
    """Altair's data transformer: a placeholder for a chart's frame while ``specified`` runs."""
    frames = _capture.frames
    if frames is not None and isinstance(data, pd.DataFrame):
        table = _frame_table(data)
        if table is not None:
            # Layers often share equal data (a line and its hover points): sent once, as Altair does.
            same = next((name for name, kept in frames.items() if kept.equals(table)), None)
            name = same or f"arrow-frame-{id(data)}-{len(frames)}"
            frames[name] = table
            return {"name": name}
    return _altair_transformer(data)


_altair_transformer = alt.data_transformers.get()
alt.data_transformers.register("keep_frames", _keep_frames)
alt.data_transformers.enable("keep_frames")


def _named_by_position(spec: dict) -> dict:
    """The spec with its datasets named by their place in it, not by their content.

    Altair names a dataset after a hash of its values, so two runs drawn by the same chart
    give specs that differ only in those names. With the names fixed, the spec of a chart is
    the same for every run, and the browser swaps the new data into the chart already on the
    page instead of building it again from scratch (several times slower).
    """
    datasets = spec.pop("datasets", {})
    renamed = {old: f"dataset_{place}" for place, old in enumerate(datasets)}
    text = json.dumps(spec)
    for old, new in renamed.items():  # content hashes and placeholders: no other string in a spec contains one
        text = text.replace(json.dumps(old), json.dumps(new))
    spec = json.loads(text)
    if datasets:
        spec["datasets"] = {renamed[old]: values for old, values in datasets.items()}
    return spec


@st.cache_data(max_entries=SPEC_ENTRIES, show_spinner=False)
def _spec(key: Hashable, _build: Callable[[], alt.TopLevelMixin]) -> dict:
    return specified(_build())


def specified(chart: alt.TopLevelMixin) -> dict:
    """The spec Streamlit is handed: datasets named by position, sent as Arrow bytes."""
    _capture.frames = frames = {}
    try:
        # Schema validation is a third of the cost; the chart functions' tests validate every kind.
        spec = chart.to_dict(validate=False)
    finally:
        _capture.frames = None
    # Streamlit would turn each dataset into Arrow at every rerun, which costs more than the
    # rest of a redraw; given bytes, it sends them as they are.
    tables = {name: pa.Table.from_pylist(values) for name, values in spec.get("datasets", {}).items()}
    spec["datasets"] = {**frames, **tables}
    spec = _named_by_position(spec)
    spec["datasets"] = {name: _arrow_bytes(table) for name, table in spec.get("datasets", {}).items()}
    return spec


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
    if callable(value):
        return f"{value.__module__}.{value.__qualname__}"
    raise TypeError(f"no cache key for a {type(value).__name__}: teach cache_key what a chart needs of it")


def _running(value: object) -> bool:
    """Whether ``value`` holds a run still going (a live frame: drawn once, never cached)."""
    if isinstance(value, RunResult):
        return value.outcome.status is Status.RUNNING
    return isinstance(value, list | tuple) and any(_running(item) for item in value)


def show(chart: Callable[..., alt.TopLevelMixin], *args: object, **options: object) -> dict:
    """Draw ``chart(*args, **options)`` and return its spec, cached by the function and its arguments."""
    if _running(args):
        spec = specified(chart(*args, **options))
    else:
        spec = _spec(cache_key((chart, args, options)), lambda: chart(*args, **options))
    if layout.presenting():
        spec = presented(spec)
    st.vega_lite_chart(spec, width="stretch")
    layout.spoken(describe(chart, *args, **options))  # the chart in words, for a screen reader
    return spec


def _with_records(spec: dict) -> dict:
    """The spec with its datasets as lists of records again, as Vega-Lite itself reads them."""
    datasets = {
        name: pa.ipc.open_stream(data).read_all().to_pylist() for name, data in spec.get("datasets", {}).items()
    }
    return {**spec, "datasets": datasets}


@st.fragment
def save_button(specs: list[dict], key: str) -> None:
    """One button that saves these charts, each as SVG and PNG, in a zip file; why not, beside it, if it cannot.

    A fragment: a click reruns only the button, which waits for the drawing to say how it went.
    """
    saving.quiet_refusals()
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
        data=lambda: attempt.draw(lambda: export.charts_zip([_with_records(spec) for spec in specs])),
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
