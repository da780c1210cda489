"""Charts saved as files: SVG and PNG drawn from the same spec the page draws, bundled in a zip."""

from __future__ import annotations

import io
import re
import struct
import sys
import zipfile

import pytest

from core import charts
from core.charts import export
from core.lesson.data import load_builtin
from core.lesson.drafts import SOLUTION


@pytest.fixture(scope="module")
def specs(run):
    result = run(SOLUTION.with_changes(iterations=300))
    runs = [("this run", result)]
    return [
        charts.fit_chart(load_builtin("solution"), runs, at_iteration=20).to_dict(),
        charts.loss_chart(runs, log_x=True, at_iteration=20).to_dict(),
    ]


def test_svg_draws_the_chart_with_its_title_and_data(specs):
    svg_text = export.svg(specs[1])
    assert svg_text.lstrip().startswith("<svg") and svg_text.rstrip().endswith("</svg>")
    assert "Loss (RMSE) over iterations" in svg_text and "iteration (log scale)" in svg_text
    width = float(re.search(r'<svg[^>]* width="([0-9.]+)"', svg_text).group(1))
    assert width >= export.EXPORT_WIDTH  # the plot's width, then its axis and padding


def test_png_is_a_png_at_twice_the_width(specs):
    png_bytes = export.png(specs[0])
    assert png_bytes[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png_bytes[16:24])  # the IHDR chunk
    assert width >= export.PNG_SCALE * export.EXPORT_WIDTH and height > export.PNG_SCALE * charts.HEIGHT


def test_the_zip_holds_each_chart_as_svg_and_png(specs):
    with zipfile.ZipFile(io.BytesIO(export.charts_zip(specs))) as archive:
        names = archive.namelist()
        assert names == [
            "1-fitted-line-on-the-data.svg",
            "1-fitted-line-on-the-data.png",
            "2-loss-rmse-over-iterations.svg",
            "2-loss-rmse-over-iterations.png",
        ]
        assert "at iteration 20" in archive.read(names[0]).decode()


def test_file_stems_are_safe_names():
    assert export.file_stem({"title": {"text": "Gradients (m.grad, b.grad) over iterations"}}, 4) == (
        "5-gradients-m-grad-b-grad-over-iterations"
    )
    assert export.file_stem({"title": "../../etc/passwd"}, 0) == "1-etc-passwd"
    assert export.file_stem({}, 1) == "2-chart"


# --- the budget (issue "Hostile input, round two") ---------------------------------------------


def test_too_many_or_too_large_charts_are_refused_before_drawing(specs):
    with pytest.raises(export.ExportError, match="at most 12 can be saved"):
        export.check(specs * 7)
    bulky = {**specs[0], "datasets": {"big": [{"x": 1.0}] * 400_000}}
    with pytest.raises(export.ExportError, match=r"Chart 1 holds too much to draw as a file \(\d+\.\d MB"):
        export.charts_zip([bulky])


def test_a_picture_too_large_is_refused(specs):
    tall = {**specs[1], "height": 20_000}
    with pytest.raises(export.ExportError, match="more than 8 million pixels"):
        export.charts_zip([tall])


def test_the_time_budget_and_one_drawing_at_a_time(specs):
    with pytest.raises(export.ExportError, match="took longer than the server allows"):
        export.charts_zip(specs, seconds=0)
    with export._ONE_AT_A_TIME, pytest.raises(export.ExportError, match="busy drawing other charts"):
        export.charts_zip(specs, seconds=0.1)


def test_a_chart_that_cannot_be_drawn_says_so_without_vegas_stack():
    # A line break in a title, which core.charts never writes: Vega-Lite makes it a broken expression.
    title = "Hours\nstudied"
    broken = {"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x", "title": title}}}
    with pytest.raises(export.ExportError) as caught:
        export.charts_zip([broken])
    assert str(caught.value) == "Chart 1 could not be drawn as a file."


def test_no_url_is_fetched():
    spec = {"data": {"url": "http://127.0.0.1:9/data.csv"}, "mark": "point"}
    with pytest.raises(export.ExportError):
        export.charts_zip([spec])


def test_file_stems_stay_short():
    assert len(export.file_stem({"title": "word " * 5_000}, 0)) <= export.MAX_STEM + 2


def test_a_refusal_is_logged_as_one_line_and_said_beside_the_button():
    import logging

    from ui import saving

    attempt = saving.Attempt()

    def refused() -> bytes:
        raise export.ExportError("Too large.")

    with pytest.raises(export.ExportError):
        attempt.draw(refused)
    assert attempt.error_since(float("-inf"), 1) == "Too large."
    assert attempt.error_since(float("inf"), 0) is None  # no drawing since then: nothing to say
    try:
        try:
            attempt.draw(refused)
        except export.ExportError as error:
            raise RuntimeError("Callable execution failed") from error
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "Error executing %s", ("f",), sys.exc_info())
    assert saving.QuietRefusals().filter(record)
    assert record.getMessage() == "Charts not saved: Too large." and record.exc_info is None


def test_a_saved_chart_is_drawn_on_white_whatever_the_pages_theme(specs):
    """The page may be dark; slides and paper are light: the file's first shape is a white ground."""
    dark = {**specs[1], "config": {**specs[1].get("config", {}), "background": "#0e1117"}}
    svg_text = export.svg(dark)
    ground = re.search(r'<rect[^>]*class="background"[^>]*>|<rect[^>]*fill="([^"]+)"', svg_text)
    assert ground is not None and ("white" in ground.group(0) or "#ffffff" in ground.group(0).lower()), ground
