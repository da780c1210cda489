"""Runs told apart without colour: on the Compare page, where runs can lie on one another, each run's
line gets its own dash (the first solid), so a line drawn over another still shows both.

The chart functions here are the usual ones with the dashes added afterwards, layer by layer, as
``nudge_chart`` dashes its twin: the series and landscape charts draw run k in layers named
``series-k`` and ``path-k``; the fit chart draws every run in one layer, ``fits``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import altair as alt

from core.charts.common import RUN_DASHES, LabeledRun
from core.charts.fit import fit_chart
from core.charts.landscape import landscape_chart
from core.charts.series import loss_chart, parameter_chart

_RUN_LAYER = re.compile(r"^(?:series|path)-(\d+)$")


def dash(index: int) -> list[int]:
    """The dash of the run at ``index`` (the pattern repeats after the last)."""
    return RUN_DASHES[index % len(RUN_DASHES)]


def run_dash(labels: Sequence[str]) -> alt.StrokeDash:
    """A dash by the ``run`` field, one a label in the given order.

    Its legend merges with the colour's (the same field, title and place): one legend whose
    symbols are short lines in each run's colour and dash, so the dash tells the runs apart
    there too. The colour's own symbols would be dots, taken from the hover points' layers.
    """
    # Long enough to show a dash whole (a 10 px symbol shows [7, 3] as a solid bar), thin as a line.
    stroke: dict[str, Any] = {"symbolType": "stroke", "symbolSize": 400, "symbolStrokeWidth": 2}
    legend = alt.Legend(orient="top", **stroke) if len(labels) > 1 else None
    scale = alt.Scale(domain=list(labels), range=[dash(k) for k in range(len(labels))])
    return alt.StrokeDash("run:N", title="run", scale=scale, legend=legend)


def runs_apart(chart: alt.LayerChart, labels: Sequence[str]) -> alt.LayerChart:
    """``chart`` with each run's line dashed its own way, the legend showing each dash."""
    chart = chart.copy(deep=True)
    layers = []
    for layer in chart.layer:
        name = layer.name if isinstance(layer.name, str) else ""
        mark = layer.mark.to_dict() if hasattr(layer.mark, "to_dict") else {"type": layer.mark}
        # A run's line layer holds that run's rows only: dashed by its run, it gets the run's own dash.
        if (_RUN_LAYER.match(name) and mark["type"] == "line") or name == "fits":
            layer = layer.encode(strokeDash=run_dash(labels))
        layers.append(layer)
    chart.layer = layers
    return chart


def _labels(runs: Sequence[LabeledRun]) -> list[str]:
    return [label for label, _ in runs]


def fit_chart_apart(dataset, runs: Sequence[LabeledRun], **options) -> alt.LayerChart:
    """``fit_chart`` with each run's line its own dash."""
    return runs_apart(fit_chart(dataset, runs, **options), _labels(runs))


def loss_chart_apart(runs: Sequence[LabeledRun], **options) -> alt.LayerChart:
    """``loss_chart`` with each run's line its own dash."""
    return runs_apart(loss_chart(runs, **options), _labels(runs))


def parameter_chart_apart(runs: Sequence[LabeledRun], parameter: str, **options) -> alt.LayerChart:
    """``parameter_chart`` with each run's line its own dash."""
    return runs_apart(parameter_chart(runs, parameter, **options), _labels(runs))


def landscape_chart_apart(dataset, runs: Sequence[LabeledRun], **options) -> alt.LayerChart:
    """``landscape_chart`` with each run's path its own dash."""
    return runs_apart(landscape_chart(dataset, runs, **options), _labels(runs))
