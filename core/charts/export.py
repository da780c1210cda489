"""Charts as files to take away: SVG for slides and print, PNG for anything else.

Drawn on the server from the chart's Vega-Lite spec (vl-convert bundles Vega itself, so no
browser is needed), and bundled in one zip so that a click saves every chart of a view.

Drawing is the most a click can cost a shared classroom server, so it has a budget: specs no
larger than ``MAX_SPEC_BYTES``, pictures no larger than ``MAX_PIXELS``, a zip drawn within
``EXPORT_SECONDS``, and one zip drawn at a time (a second click waits its turn, within the same
time). Whatever breaks the budget, or a chart that cannot be drawn, raises ``ExportError`` with
a sentence for the learner; vl-convert's own messages (JavaScript stacks) are never shown.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import zipfile

EXPORT_WIDTH = 640  # pixels of plot: the page fits charts to its columns, a file has none
PNG_SCALE = 2  # sharp on a projector and on high-density screens
EXPORT_SECONDS = 30.0  # a whole zip, waiting for another one included
MAX_CHARTS = 12
MAX_SPEC_BYTES = 4 * 2**20  # a chart's spec as JSON, its data included (the landscape's is about 0.4 MB)
MAX_PIXELS = 8_000_000  # of one PNG: a chart of the page at twice its size is under 2 million
MAX_STEM = 60  # characters of a file name, before its extension

_ONE_AT_A_TIME = threading.Lock()
_SIZE = re.compile(r'<svg[^>]*?\swidth="([0-9.]+)"[^>]*?\sheight="([0-9.]+)"')


class ExportError(Exception):
    """Charts that cannot be saved within the budget; the message says why, for the learner."""


EXPORT_BACKGROUND = "white"  # a file is drawn light whatever the page's theme: slides and paper are light


def standalone(spec: dict) -> dict:
    """``spec`` made to draw outside the page: a fixed width, its own size around the plot, a light ground."""
    return {
        **spec,
        "width": EXPORT_WIDTH,
        "autosize": {"type": "pad", "contains": "padding"},
        "background": EXPORT_BACKGROUND,
    }


def svg(spec: dict) -> str:
    """The chart drawn as SVG text (its data inline: no URL is ever fetched)."""
    import vl_convert  # imported on first use: it is large and only a download needs it

    return vl_convert.vegalite_to_svg(standalone(spec), allowed_base_urls=[])


def png(spec: dict) -> bytes:
    """The chart drawn as PNG bytes, at ``PNG_SCALE`` times its size."""
    return png_of(svg(spec))


def png_of(svg_text: str) -> bytes:
    """An SVG drawing as PNG bytes, at ``PNG_SCALE`` times its size (the drawing is not made again)."""
    import vl_convert

    return vl_convert.svg_to_png(svg_text, scale=PNG_SCALE)


def pixels(svg_text: str) -> float:
    """How many pixels the PNG of an SVG drawing would have."""
    size = _SIZE.search(svg_text[:2_000])
    if size is None:
        return float("inf")
    return float(size.group(1)) * float(size.group(2)) * PNG_SCALE**2


def file_stem(spec: dict, place: int) -> str:
    """A file name for the chart at ``place``: its number and title, e.g. ``2-loss-rmse-over-iterations``."""
    title = spec.get("title", "")
    text = title.get("text", "") if isinstance(title, dict) else str(title)
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()[: 4 * MAX_STEM]).strip("-")[:MAX_STEM].strip("-") or "chart"
    return f"{place + 1}-{words}"


def check(specs: list[dict]) -> None:
    """Refuse, before any drawing, charts too many or too large to draw within the budget."""
    if len(specs) > MAX_CHARTS:
        raise ExportError(f"These are {len(specs)} charts; at most {MAX_CHARTS} can be saved at once.")
    for place, spec in enumerate(specs):
        size = spec_bytes(spec)
        if size > MAX_SPEC_BYTES:
            raise ExportError(
                f"Chart {place + 1} holds too much to draw as a file ({size / 2**20:.1f} MB of data; at most "
                f"{MAX_SPEC_BYTES / 2**20:.0f} MB)."
            )


def spec_bytes(spec: dict) -> int:
    """About how large a spec is as JSON; data held as bytes (Arrow, as the page holds it) counted by length."""
    datasets = spec.get("datasets", {})
    rest = len(json.dumps({key: value for key, value in spec.items() if key != "datasets"}))
    return rest + sum(len(data) if isinstance(data, bytes) else len(json.dumps(data)) for data in datasets.values())


def charts_zip(specs: list[dict], seconds: float = EXPORT_SECONDS) -> bytes:
    """Every chart as ``<stem>.svg`` and ``<stem>.png`` in one zip file, or ExportError."""
    check(specs)
    deadline = time.monotonic() + seconds
    if not _ONE_AT_A_TIME.acquire(timeout=seconds):
        raise ExportError("The server is busy drawing other charts. Try again in a moment.")
    try:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for place, spec in enumerate(specs):
                stem = file_stem(spec, place)
                svg_text = _svg(spec, place, deadline)
                archive.writestr(f"{stem}.svg", svg_text)
                archive.writestr(f"{stem}.png", _png(svg_text, place, deadline))
        return buffer.getvalue()
    finally:
        _ONE_AT_A_TIME.release()


def _svg(spec: dict, place: int, deadline: float) -> str:
    _in_time(deadline)
    try:
        return svg(spec)
    except ValueError:  # vl-convert's message is a JavaScript stack, not for a learner
        raise ExportError(f"Chart {place + 1} could not be drawn as a file.") from None


def _png(svg_text: str, place: int, deadline: float) -> bytes:
    _in_time(deadline)
    if pixels(svg_text) > MAX_PIXELS:
        raise ExportError(
            f"Chart {place + 1} would be a picture of more than {MAX_PIXELS / 1e6:.0f} million pixels, "
            "too large to save."
        )
    try:
        return png_of(svg_text)
    except ValueError:
        raise ExportError(f"Chart {place + 1} could not be drawn as a picture.") from None


def _in_time(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise ExportError(
            "Drawing these charts took longer than the server allows for one download. Try again in a moment."
        )
