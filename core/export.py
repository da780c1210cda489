"""Charts as files to take away: SVG for slides and print, PNG for anything else.

Drawn on the server from the chart's Vega-Lite spec (vl-convert bundles Vega itself, so no
browser is needed), and bundled in one zip so that a click saves every chart of a view.
"""

from __future__ import annotations

import io
import re
import zipfile

EXPORT_WIDTH = 640  # pixels of plot: the page fits charts to its columns, a file has none
PNG_SCALE = 2  # sharp on a projector and on high-density screens


def standalone(spec: dict) -> dict:
    """``spec`` made to draw outside the page: a fixed width, and its own size around the plot."""
    return {**spec, "width": EXPORT_WIDTH, "autosize": {"type": "pad", "contains": "padding"}}


def svg(spec: dict) -> str:
    import vl_convert  # imported on first use: it is large and only a download needs it

    return vl_convert.vegalite_to_svg(standalone(spec))


def png(spec: dict) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(standalone(spec), scale=PNG_SCALE)


def file_stem(spec: dict, place: int) -> str:
    """A file name for the chart at ``place``: its number and title, e.g. ``2-loss-rmse-over-iterations``."""
    title = spec.get("title", "")
    text = title.get("text", "") if isinstance(title, dict) else str(title)
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"
    return f"{place + 1}-{words}"


def charts_zip(specs: list[dict]) -> bytes:
    """Every chart as ``<stem>.svg`` and ``<stem>.png`` in one zip file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for place, spec in enumerate(specs):
            stem = file_stem(spec, place)
            archive.writestr(f"{stem}.svg", svg(spec))
            archive.writestr(f"{stem}.png", png(spec))
    return buffer.getvalue()
