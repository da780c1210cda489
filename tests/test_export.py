"""Charts saved as files: SVG and PNG drawn from the same spec the page draws, bundled in a zip."""

from __future__ import annotations

import io
import re
import struct
import zipfile

import pytest

from core import charts, export
from core.data import load_builtin
from core.drafts import SOLUTION


@pytest.fixture(scope="module")
def specs(run):
    result = run(SOLUTION.with_changes(iterations=300))
    runs = [("this run", result)]
    return [
        charts.fit_chart(load_builtin("solution"), runs, at_iteration=20).to_dict(),
        charts.loss_chart(runs, log_x=True, at_iteration=20).to_dict(),
    ]


def test_svg_draws_the_chart_with_its_title_and_data(specs):
    drawn = export.svg(specs[1])
    assert drawn.lstrip().startswith("<svg") and drawn.rstrip().endswith("</svg>")
    assert "Loss (RMSE) over iterations" in drawn and "iteration (log scale)" in drawn
    width = float(re.search(r'<svg[^>]* width="([0-9.]+)"', drawn).group(1))
    assert width >= export.EXPORT_WIDTH  # the plot's width, then its axis and padding


def test_png_is_a_png_at_twice_the_width(specs):
    drawn = export.png(specs[0])
    assert drawn[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", drawn[16:24])  # the IHDR chunk
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
