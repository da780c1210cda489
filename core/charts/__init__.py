"""Charts of engine results: plain data in, Altair charts out.

Every chart takes a sequence of labelled runs, so one function serves the Lab page (one run) and
the Compare page (several). The modules: ``common`` (sizes, colours, downsampling, the encodings
and layers charts share), ``axis`` (the iteration axis, the cursor and failure marks), ``series``
(a parameter, the loss or the gradients over iterations), ``analysis`` (accumulated gradients,
nudged twins), ``fit`` (the fitted line over the data), ``landscape`` (the loss landscape) and
``convergence`` (the learning-rate sweep, the distance to the optimum); ``describe`` (each chart in
words, for screen readers), ``spec`` (the specs handed to the browser) and ``export`` (SVG and PNG
files). Imports ``core.words``, ``core.measure`` and ``core.lesson``, never torch.
"""

from core.charts.analysis import NUDGED_DASH, accumulation_chart, distance_chart, nudge_chart
from core.charts.axis import axis_title
from core.charts.common import (
    FAILURE_COLOR,
    HEIGHT,
    HOVER_POINTS,
    KEEP_FIRST,
    MAX_POINTS,
    SCATTER_POINTS,
    STOPPED_COLOR,
    LabeledRun,
    downsample,
)
from core.charts.convergence import distance_to_optimum_chart, sweep_chart, twins_chart
from core.charts.fit import fit_chart
from core.charts.landscape import LANDSCAPE_HEIGHT, landscape_chart
from core.charts.series import gradient_chart, loss_chart, parameter_chart

__all__ = [
    "FAILURE_COLOR",
    "HEIGHT",
    "HOVER_POINTS",
    "KEEP_FIRST",
    "LANDSCAPE_HEIGHT",
    "MAX_POINTS",
    "NUDGED_DASH",
    "SCATTER_POINTS",
    "STOPPED_COLOR",
    "LabeledRun",
    "accumulation_chart",
    "axis_title",
    "distance_chart",
    "distance_to_optimum_chart",
    "downsample",
    "fit_chart",
    "gradient_chart",
    "landscape_chart",
    "loss_chart",
    "nudge_chart",
    "parameter_chart",
    "sweep_chart",
    "twins_chart",
]
