"""Why it is slow: the learning rate, the shape of the loss, and optimizers, each on real runs."""

import streamlit as st

from ui import layout

data = layout.page(
    "Why it is slow",
    ":material/speed:",
    "Why it is slow",
    "The solution needs 10,000 iterations, and a learning rate of 0.05 misbehaves. Here is why, on real runs of "
    "the loop: how far the learning rate can go, the shape of the loss, and what `torch.optim` does about it.",
)
# After the page's first paint: these bring in pandas, Altair and the runs' worker processes.
import pandas as pd  # noqa: E402

from core import charts  # noqa: E402
from core.code import source  # noqa: E402
from core.lesson.data import least_squares  # noqa: E402
from core.lesson.drafts import DRAFTS, SOLUTION, Algorithm, Loss  # noqa: E402
from core.lesson.text import figure  # noqa: E402
from core.measure import analysis, convergence  # noqa: E402
from ui import chart_view, runs, views  # noqa: E402
from ui.settings import BOUND  # noqa: E402

OPTIMIZERS = (Algorithm.SGD, Algorithm.MOMENTUM, Algorithm.ADAM)
OPTIMIZER_ITERATIONS = 1_000
TWIN_ITERATIONS = 200

best = least_squares(data)
left, middle, right = st.columns(3)
loss = Loss(
    left.radio(
        "Loss",
        [loss.value for loss in Loss],  # the option itself is the URL value
        captions=[loss.words for loss in Loss],
        key="cv_loss",
        horizontal=True,
        **BOUND,
    )
)
center = middle.toggle("Centre x (subtract its mean)", value=False, key="cv_center", **BOUND)
iterations = right.number_input(
    "Iterations per sweep run", min_value=100, max_value=5_000, value=1_000, step=100, key="cv_iterations", **BOUND
)
base = SOLUTION.with_changes(loss=loss, center=center, dataset=data.key)

st.header("The learning rate")
sweep_config = base.with_changes(iterations=int(iterations))
configs = convergence.sweep_configs(sweep_config, convergence.sweep_rates())
service = runs.service()
for config in configs:  # queued at once: every worker takes a share, the page draws them in order
    service.prepare(config, data)
limit = analysis.limit_for(sweep_config, data)
sweep_area, progress = st.empty(), st.container()
done = []
for config in configs:
    done.append(runs.run(config, data, f"the loop at learning rate {config.lr:g}", progress=progress))
    table = convergence.sweep_table(done, data)
    with sweep_area.container():
        chart_view.show(charts.sweep_chart, table, limit, loss_words="RMSE")
st.markdown(convergence.sweep_summary(table, limit))
st.caption(convergence.why_rmse_oscillates(data, center))

st.header("The shape of the loss")
pair = [("x as it is", base.with_changes(center=False)), ("x centred", base.with_changes(center=True))]
measured = [(label, runs.run(config, data, label)) for label, config in pair]
distances = [(label, convergence.distance_to_optimum(result, best)) for label, result in measured]
chart_view.show(charts.distance_to_optimum_chart, distances, convergence.NEAR)
for column, (label, result) in zip(st.columns(2), measured, strict=True):
    found = convergence.convergence(result, best)
    column.metric(f"Iterations to within {convergence.NEAR:g}, {label}", convergence.within_words(result, found))
    column.caption(
        f"Condition number {analysis.condition_number(data, result.config.center):,.1f}; final distance "
        f"{figure(found.final_distance)}.{convergence.rate_words(found)}"
    )

st.header("Optimizers side by side")
compared = [
    (algorithm.words, runs.run(cfg, data, algorithm.words))
    for algorithm in OPTIMIZERS
    for cfg in [base.with_changes(optimizer=True, algorithm=algorithm, iterations=OPTIMIZER_ITERATIONS)]
]
landscape_column, loss_column = st.columns(2)
with landscape_column:
    views.loss_landscape(compared, data, None)
with loss_column:
    chart_view.show(charts.loss_chart, compared, log_x=True)
st.dataframe(
    pd.DataFrame(
        {
            "optimizer": label,
            "final m": result.outcome.final_m,
            "final b": result.outcome.final_b,
            "final RMSE": result.outcome.final_loss,
            "distance to the optimum": convergence.convergence(result, best).final_distance,
        }
        for label, result in compared
    ),
    hide_index=True,
)
for label, result in compared:
    with st.expander(f"The code: {label}"):
        st.code(source.render(result.config), language="python", wrap_lines=True)  # no sideways scroll

st.header("Momentum that never fades: the accumulation bug")
draft_3 = DRAFTS["3"].with_changes(iterations=TWIN_ITERATIONS, dataset=data.key, loss=loss, center=center)
twin = convergence.momentum_twin(draft_3)
bug, fading = runs.run(draft_3, data, "Draft 3"), runs.run(twin, data, "SGD(momentum=1)")
parted = convergence.first_difference(bug, fading)
gaps = analysis.distance(bug, fading)
ended = (int(gaps["iteration"].iloc[-1]) + 1, float(gaps["distance"].iloc[-1])) if len(gaps) else None
st.markdown(analysis.momentum_sentence(draft_3, parted, ended))
chart_view.show(charts.twins_chart, gaps)
code_left, code_right = st.columns(2)
code_left.code(source.render(draft_3), language="python", wrap_lines=True)
code_right.code(source.render(twin), language="python", wrap_lines=True)
