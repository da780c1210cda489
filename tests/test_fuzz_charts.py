"""Fuzz: any column names (any Unicode, control characters, line breaks, backslashes, quotes,
kilobytes long) go from an uploaded file through the chart specs into drawn files, and extreme
but valid data through every view's chart. A name breaks nothing and shows as the words it is."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core import charts
from core.charts import export
from core.charts.common import TITLE_LIMIT
from core.ingest.upload import MAX_MAGNITUDE, DataError, load_csv
from core.lesson.data import Dataset, least_squares
from core.lesson.drafts import VARIANTS
from core.run import engine

AWKWARD = st.sampled_from(
    ["Hours\nstudied", "a\\", "\\u12", 'q"uo\\"te', "x\u2028y", "<script>alert(1)</script>", "$\\frac{1}{2}$",
     "{{datum.x}}", "a'b", "\t", "\u202eevil", "😀" * 30, "x" * 10_240]
)  # fmt: skip
NAMES = st.one_of(AWKWARD, st.text(max_size=40), st.text(max_size=8).map(lambda text: text * 1_300))
QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DRAWN = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def uploaded(x_name: str, y_name: str) -> Dataset:
    """The dataset a file with these two column names becomes (or the test is skipped: a refused header)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[x_name, y_name], ["1", "2"], ["2", "3.5"], ["4", "5"]])
    try:
        return load_csv(buffer.getvalue().encode("utf-8", "surrogatepass"))
    except (DataError, UnicodeEncodeError):
        assume(False)


def encodings(spec: object) -> list[dict]:
    """Every dict in a spec that encodes a field (axes, tooltips), wherever it sits."""
    if isinstance(spec, dict):
        own = [spec] if "field" in spec else []
        return own + [found for value in spec.values() for found in encodings(value)]
    if isinstance(spec, list):
        return [found for value in spec for found in encodings(value)]
    return []


@QUICK
@given(x=NAMES, y=NAMES)
def test_any_names_become_short_one_line_titles_safe_in_vega(x, y):
    dataset = Dataset("csv:fuzz", "Your data", np.array([1.0, 2.0, 4.0]), np.array([2.0, 3.5, 5.0]), x, y)
    spec = charts.fit_chart(dataset, [], best=True).to_dict()  # validated against the schema
    json.dumps(spec, allow_nan=False)
    fields = encodings(spec)
    assert {field["field"] for field in fields} <= {"x", "y", "run", "line", "m", "b"}  # the charts' own names
    titles = [field["title"] for field in fields if isinstance(field.get("title"), str)]
    assert len(titles) >= 4
    for title in titles:
        assert len(title) <= TITLE_LIMIT and "\\" not in title and title == title.strip()
        assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in title)


@DRAWN
@given(x=NAMES, y=NAMES)
def test_any_uploaded_names_are_drawn_and_saved_as_files(x, y):
    dataset = uploaded(x, y)
    spec = charts.fit_chart(dataset, [], best=True).to_dict()
    with zipfile.ZipFile(io.BytesIO(export.charts_zip([spec]))) as archive:
        names = archive.namelist()
        assert names == ["1-fitted-line-on-the-data.svg", "1-fitted-line-on-the-data.png"]
        drawn = archive.read(names[0]).decode()
    assert "<script" not in drawn  # a name is text in the drawing, escaped
    assert "least-squares line" in drawn or "Fitted line" in drawn


EXTREMES = [  # valid numbers at the edge of what an upload accepts, and beyond (built directly)
    ([0.0, 1.0], [MAX_MAGNITUDE, -MAX_MAGNITUDE]),
    ([-MAX_MAGNITUDE, MAX_MAGNITUDE], [0.0, 1.0]),
    ([0.0, 1.0], [1.7e308, -1.7e308]),
    ([0.0, 1e-300], [0.0, 1e50]),
    ([0.0, 1.0, 2.0], [1e-300, 0.0, -1e-300]),
]


@pytest.mark.parametrize(("x", "y"), EXTREMES)
def test_every_view_copes_with_extreme_data(x, y):
    data = Dataset("csv:extreme", "Your data", np.array(x), np.array(y), "x", "y")
    configs = [(VARIANTS[key][0], VARIANTS[key][1].with_changes(dataset=data.key, iterations=50)) for key in ("3", "4")]
    runs = [(label, engine.run(config, data)) for label, config in configs]
    least_squares(data)
    specs = [
        charts.fit_chart(data, runs, best=True).to_dict(),
        charts.loss_chart(runs, log_x=True).to_dict(),
        charts.parameter_chart(runs, "m").to_dict(),
        charts.gradient_chart(runs).to_dict(),
        charts.landscape_chart(data, runs).to_dict(),
    ]
    for spec in specs:
        json.dumps(spec, allow_nan=False)


def test_extreme_data_beyond_the_upload_bound_is_refused_there():
    with pytest.raises(DataError, match="at most 1e\\+100 in size"):
        load_csv(b"x,y\n0,1.7e308\n1,-1.7e308\n")
