"""A chart as the spec Streamlit is handed: its words too, built where the server's interpreter is not.

``specified(chart)`` converts an Altair chart to its Vega-Lite spec, with its datasets named
by their place and sent as Arrow bytes; ``draw(chart, args, options)`` calls a chart function
and returns that spec with the chart in words (``describe``). Pure: the drawing processes
(``core.serve.drawing``) call it for the server, and the server itself when none is ready.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import NamedTuple

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa

from core.charts.describe import describe


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

    frames: dict[str, pa.Table] | None = None  # None: no spec is being made in this thread


_capture = _FrameCapture()


@contextlib.contextmanager
def _capturing() -> Iterator[dict[str, pa.Table]]:
    """The frames kept while the block makes a spec in this thread."""
    frames: dict[str, pa.Table] = {}
    _capture.frames = frames
    try:
        yield frames
    finally:
        _capture.frames = None


def _keep_frames(data: object) -> object:
    """Altair's data transformer: a placeholder for a chart's frame while ``specified`` runs."""
    frames = _capture.frames
    table = _frame_table(data) if frames is not None and isinstance(data, pd.DataFrame) else None
    if frames is None or table is None:
        assert _altair_transformer is not None  # Altair enables its "default" transformer when imported
        return _altair_transformer(data)
    # Layers often share equal data (a line and its hover points): sent once, as Altair does.
    same = next((name for name, kept in frames.items() if kept.equals(table)), None)
    name = same or f"arrow-frame-{id(data)}-{len(frames)}"
    frames[name] = table
    return {"name": name}


_altair_transformer = alt.data_transformers.get()
alt.data_transformers.register("keep_frames", _keep_frames)
alt.data_transformers.enable("keep_frames")


def _renamed(value: object, names: dict[str, str]) -> object:
    """``value`` (a spec or a part of it) with every string, key or value, that ``names`` maps replaced."""
    if isinstance(value, dict):
        return {names.get(key, key): _renamed(item, names) for key, item in value.items()}
    if isinstance(value, list | tuple):  # a tuple becomes a list, as in JSON
        return [_renamed(item, names) for item in value]
    return names.get(value, value) if isinstance(value, str) else value


def _named_by_position(spec: dict) -> dict:
    """The spec with its datasets named by their place in it, not by their content.

    Altair names a dataset after a hash of its values, so two runs drawn by the same chart
    give specs that differ only in those names. With the names fixed, the spec of a chart is
    the same for every run, and the browser swaps the new data into the chart already on the
    page instead of building it again from scratch (several times slower).
    """
    datasets = spec.pop("datasets", {})
    names = {old: f"dataset_{place}" for place, old in enumerate(datasets)}
    # Content hashes and placeholders: no other string in a spec is one.
    renamed = _renamed(spec, names)
    assert isinstance(renamed, dict)  # a dict stays a dict
    if datasets:
        renamed["datasets"] = {names[old]: values for old, values in datasets.items()}
    return renamed


def specified(chart: alt.TopLevelMixin) -> dict:
    """The spec Streamlit is handed: datasets named by position, sent as Arrow bytes."""
    with _capturing() as frames:
        # Schema validation is a third of the cost; the chart functions' tests validate every kind.
        spec = chart.to_dict(validate=False)
    # Streamlit would turn each dataset into Arrow at every rerun, which costs more than the
    # rest of a redraw; given bytes, it sends them as they are.
    tables = {name: pa.Table.from_pylist(values) for name, values in spec.get("datasets", {}).items()}
    spec["datasets"] = {**frames, **tables}
    spec = _named_by_position(spec)
    spec["datasets"] = {name: _arrow_bytes(table) for name, table in spec.get("datasets", {}).items()}
    return spec


class Drawn(NamedTuple):
    """A chart ready for the page: its spec, and its words for a screen reader (empty if none)."""

    spec: dict
    words: str


def draw(chart: Callable[..., alt.TopLevelMixin], args: tuple, options: dict) -> Drawn:
    """``chart(*args, **options)`` as its spec and its words."""
    return Drawn(specified(chart(*args, **options)), describe(chart, *args, **options))


def with_records(spec: dict) -> dict:
    """The spec with its datasets as lists of records again, as Vega-Lite itself reads them."""
    datasets = {
        name: pa.ipc.open_stream(data).read_all().to_pylist() for name, data in spec.get("datasets", {}).items()
    }
    return {**spec, "datasets": datasets}
