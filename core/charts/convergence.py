"""Charts of why the loop is slow: the learning-rate sweep, the distance to the optimum, and twins that part.

Plain data in (the tables ``core.measure.convergence`` makes from runs), Altair charts out.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from core.charts.analysis import distance_chart
from core.charts.common import CURSOR_COLOR, HEIGHT, RUN_COLORS, downsample, exact, label_color, layered, sized
from core.measure.verdict import Verdict

# The sweep's verdicts, each its own colour and shape: told apart without colour too.
VERDICT_ORDER = [str(kind) for kind in Verdict if kind is not Verdict.ELSEWHERE]  # the Lab's loops never say it
VERDICT_COLORS = ["#009e73", "#0072b2", "#e69f00", "#d62728", "#7f7f7f", "#56b4e9", "#cc79a7"]
NOT_FINISHED_ABOVE = 1.25  # a run with no final loss is drawn this far above the highest final loss


def sweep_chart(table: pd.DataFrame, limit: float | None, *, loss_words: str = "RMSE") -> alt.LayerChart:
    """Final loss against the learning rate (log axes), coloured by what each run did; the stability limit a rule.

    A run that did not finish (diverged, raised) has no final loss: it is drawn at the top, at
    ``NOT_FINISHED_ABOVE`` times the highest final loss, and its tooltip says so.
    """
    frame = table[["lr", "final_loss", "verdict", "status"]].copy()
    finite = frame["final_loss"][np.isfinite(frame["final_loss"])]
    top = float(finite.max()) * NOT_FINISHED_ABOVE if len(finite) else 1.0
    frame["shown"] = frame["final_loss"].where(np.isfinite(frame["final_loss"]), top)
    verdict = alt.Color(
        "verdict:N",
        scale=alt.Scale(domain=VERDICT_ORDER, range=VERDICT_COLORS),
        # One column of whole names: a row of them is cut on a laptop, and two columns run past a
        # phone's screen (a top legend starts where the plot does, after the axis).
        legend=alt.Legend(orient="top", columns=1, labelLimit=0),
    )
    points = (
        alt.Chart(frame)
        .mark_point(size=90, filled=True)
        .encode(
            x=alt.X("lr:Q", title="learning rate (log scale)", scale=alt.Scale(type="log"), axis=alt.Axis(format="~g")),
            y=alt.Y("shown:Q", title=f"final {loss_words} (log scale)", scale=alt.Scale(type="log")),
            color=verdict,
            shape=alt.Shape("verdict:N", scale=alt.Scale(domain=VERDICT_ORDER), legend=None),
            tooltip=[exact("lr", "learning rate"), exact("final_loss", "final loss"), "verdict:N", "status:N"],
        )
        .properties(name="sweep-points")
    )
    layers = [points]
    if limit is not None:
        rule = pd.DataFrame({"lr": [limit], "words": [f"stability limit {limit:.3g}"]})
        base = alt.Chart(rule).encode(x="lr:Q")
        layers.append(base.mark_rule(color=CURSOR_COLOR, strokeDash=[4, 4]).properties(name="limit"))
        layers.append(
            base.mark_text(align="left", dx=4, dy=-6, color=CURSOR_COLOR)
            .encode(y=alt.value(0), text="words:N")
            .properties(name="limit-words")
        )
    title = alt.TitleParams("Final loss by learning rate", subtitle="at the top: runs that did not finish")
    return layered(*layers, title=title, **sized(HEIGHT + 60))


def distance_to_optimum_chart(distances: Sequence[tuple[str, pd.DataFrame]], near: float) -> alt.LayerChart:
    """Each run's distance to the least-squares (m, b) over iterations, on a log axis (a straight line is
    linear convergence); a rule at ``near``, the distance the iterations are counted to."""
    frames = []
    for label, frame in distances:
        kept = frame[np.isfinite(frame["distance"]) & (frame["distance"] > 0)]
        frames.append(downsample(kept[["iteration", "distance"]]).assign(run=label))
    data = pd.concat(frames, ignore_index=True)
    labels = [label for label, _ in distances]
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("iteration:Q", title="iteration"),
            y=alt.Y("distance:Q", title="distance to the optimum (log scale)", scale=alt.Scale(type="log")),
            color=label_color(labels),
            strokeDash=alt.StrokeDash("run:N", scale=alt.Scale(domain=labels), legend=None),
            tooltip=["run:N", alt.Tooltip("iteration:Q"), exact("distance", "distance")],
        )
        .properties(name="distances")
    )
    rule = (
        alt.Chart(pd.DataFrame({"distance": [near]}))
        .mark_rule(color=CURSOR_COLOR, strokeDash=[4, 4])
        .encode(y="distance:Q")
        .properties(name="near")
    )
    title = alt.TitleParams("Distance to the least-squares (m, b)", subtitle=f"dashed rule: {near:g}")
    return layered(lines, rule, title=title, **sized(HEIGHT + 40))


def twins_chart(distance: pd.DataFrame) -> alt.LayerChart:
    """How far apart the accumulation bug and SGD(momentum=1, dampening=0) are at each iteration (log axis)."""
    chart = distance_chart(distance, log_y=True)
    # Two lines: on a phone one line is cut short.
    return chart.properties(title=["Distance between the accumulation bug", "and SGD(momentum=1, dampening=0)"])


__all__ = ["VERDICT_ORDER", "RUN_COLORS", "distance_to_optimum_chart", "sweep_chart", "twins_chart"]
