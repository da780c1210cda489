"""The specs the pages hand Streamlit carry exactly the data Altair's own conversion would.

``core.charts.spec.specified`` converts each chart's DataFrames to Arrow column by column instead
of through Altair's list of records; the browser must see the same spec and the same values.
"""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from core import charts
from core.charts import spec as chart_spec
from core.lesson.data import Dataset, load_builtin
from core.lesson.drafts import DRAFTS

SOLUTION_DATA = load_builtin("solution")


def _through_altair(chart: alt.TopLevelMixin) -> dict:
    """The spec and its datasets as Altair's default conversion gives them (records, named by place)."""
    with alt.data_transformers.enable("default"):
        return chart_spec._named_by_position(chart.to_dict(validate=False))


def _through_arrow(chart: alt.TopLevelMixin) -> dict:
    """The spec the pages send, its Arrow datasets read back as records."""
    spec = chart_spec.specified(chart)
    spec["datasets"] = {
        name: pa.ipc.open_stream(data).read_all().to_pylist() for name, data in spec["datasets"].items()
    }
    return spec


def _assert_same(chart: alt.TopLevelMixin) -> None:
    expected, sent = _through_altair(chart), _through_arrow(chart)
    assert sent.pop("datasets") == expected.pop("datasets", {})
    assert json.dumps(sent, sort_keys=True) == json.dumps(expected, sort_keys=True)


CHARTS = {
    "fit": lambda runs, at: charts.fit_chart(SOLUTION_DATA, runs, at_iteration=at),
    "loss": lambda runs, at: charts.loss_chart(runs, log_x=True, at_iteration=at),
    "m": lambda runs, at: charts.parameter_chart(runs, "m", at_iteration=at),
    "gradients": lambda runs, at: charts.gradient_chart(runs, log_x=True, at_iteration=at),
    "landscape": lambda runs, at: charts.landscape_chart(SOLUTION_DATA, runs, at_iteration=at),
}


@pytest.mark.parametrize("draft", sorted(DRAFTS))
@pytest.mark.parametrize("kind", sorted(CHARTS))
@pytest.mark.parametrize("at", [None, 3])
def test_every_chart_of_every_draft_carries_altairs_values(run, draft, kind, at):
    result = run(DRAFTS[draft])
    _assert_same(CHARTS[kind]([("this run", result)], at))


def test_two_runs_on_one_chart_carry_altairs_values(run):
    runs = [("Draft 3", run(DRAFTS["3"])), ("Draft 4", run(DRAFTS["4"]))]
    for kind, chart in CHARTS.items():
        _assert_same(chart(runs, 2))


def test_values_that_are_not_finite_are_sent_as_null_as_altair_sends_them():
    frame = pd.DataFrame({"x": [1.0, np.nan, np.inf, -np.inf, 2.0], "n": [1, 2, 3, 4, 5], "s": list("abcde")})
    chart = alt.Chart(frame).mark_point().encode(x="x:Q", y="n:Q", color="s:N")
    _assert_same(chart)
    records = _through_arrow(chart)["datasets"]["dataset_0"]
    assert [row["x"] for row in records] == [1.0, None, None, None, 2.0]


def test_frames_of_other_kinds_take_altairs_own_path():
    frame = pd.DataFrame({"when": pd.to_datetime(["2026-01-01", "2026-01-02"]), "y": [1.0, 2.0]})
    _assert_same(alt.Chart(frame).mark_line().encode(x="when:T", y="y:Q"))


def test_a_huge_dataset_chart_still_converts():
    data = Dataset(key="huge", title="huge", x=np.array([1e37, 2e37, 3e37]), y=np.array([1.0, 2.0, 3.0]))
    _assert_same(charts.fit_chart(data, []))
