"""Charts on a page: each built once per view and cached as its Vega-Lite spec.

Building an Altair chart and converting it takes about a tenth of a second; a page of five
charts would redraw a configuration seen before in half a second. The spec of a chart is a
pure function of the runs' configurations and the view, so it is cached by exactly those.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable

import altair as alt
import pyarrow as pa
import streamlit as st

from core import export
from ui import layout

SPEC_ENTRIES = 256  # bounded: a long classroom session keeps flat memory


def _arrow_bytes(records: list[dict]) -> bytes:
    """A dataset as the Arrow IPC stream Streamlit sends to the browser."""
    table = pa.Table.from_pylist(records)
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


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
    for old, new in renamed.items():  # content hashes: no other string in a spec contains one
        text = text.replace(json.dumps(old), json.dumps(new))
    spec = json.loads(text)
    if datasets:
        spec["datasets"] = {renamed[old]: values for old, values in datasets.items()}
    return spec


@st.cache_data(max_entries=SPEC_ENTRIES, show_spinner=False)
def _spec(key: Hashable, _build: Callable[[], alt.TopLevelMixin]) -> dict:
    # Schema validation is a third of the cost; the chart functions' tests validate every kind.
    spec = _named_by_position(_build().to_dict(validate=False))
    # Streamlit would turn each dataset (a list of records) into Arrow at every rerun, which
    # costs more than the rest of a redraw; given bytes, it sends them as they are.
    spec["datasets"] = {name: _arrow_bytes(values) for name, values in spec.get("datasets", {}).items()}
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


def show(key: Hashable, build: Callable[[], alt.TopLevelMixin]) -> dict:
    """Draw the chart that ``build`` makes, and return its spec; ``key`` must name everything it depends on."""
    spec = _spec(key, build)
    if layout.presenting():
        spec = presented(spec)
    st.vega_lite_chart(spec, width="stretch")
    return spec


def _with_records(spec: dict) -> dict:
    """The spec with its datasets as lists of records again, as Vega-Lite itself reads them."""
    datasets = {
        name: pa.ipc.open_stream(data).read_all().to_pylist() for name, data in spec.get("datasets", {}).items()
    }
    return {**spec, "datasets": datasets}


def save_button(specs: list[dict], key: str) -> None:
    """One button that saves these charts, each as SVG and PNG, in a zip file."""
    st.download_button(
        "Save these charts (SVG and PNG)",
        # Drawn only when clicked: most reruns never need the files.
        data=lambda: export.charts_zip([_with_records(spec) for spec in specs]),
        file_name="gradient-descent-charts.zip",
        mime="application/zip",
        icon=":material/download:",
        key=key,
        help="Every chart above as drawn here: SVG for slides and print, PNG for anything else.",
    )
