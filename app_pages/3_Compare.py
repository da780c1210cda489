"""Compare: several configurations on the same axes, buggy beside fixed."""

import streamlit as st

from ui import layout

data = layout.page(
    "Compare",
    ":material/compare_arrows:",
    "Compare drafts",
    "Pick two or more configurations: lesson drafts, other rows of the lesson's bug table, or a custom one "
    "you set up here. Their runs share the axes below.",
)
# After the page's first paint: these bring in pandas, Altair and the runs' worker processes.
import pandas as pd  # noqa: E402

from core import charts  # noqa: E402
from core.charts import apart  # noqa: E402
from core.lesson.drafts import VARIANTS  # noqa: E402
from core.measure import verdict  # noqa: E402
from core.words import explain  # noqa: E402
from ui import chart_view, panels, runs, views  # noqa: E402
from ui.settings import BOUND, SettingsForm  # noqa: E402

CUSTOM = "custom"  # the option that stands for the configuration set up on this page
FORM = SettingsForm("c_")  # its widgets: keys (and URL parameters) c_no_grad, c_update, ...
CHOICES, LOG_X = "compare", "cmp_log_x"  # widget keys, also URL parameters
DEFAULT_CHOICES = ["3", "4"]  # buggy beside fixed

labels = {key: label for key, (label, _) in VARIANTS.items()} | {CUSTOM: "custom"}
chosen = st.multiselect(
    "Configurations",
    options=list(labels),
    default=DEFAULT_CHOICES,
    format_func=labels.get,
    key=CHOICES,
    **BOUND,
)
log_x = st.toggle("Log-scale iteration axis", value=True, key=LOG_X, **BOUND)

if CUSTOM in chosen:
    with st.expander("Custom configuration", expanded=True):
        FORM.preset_buttons()
        FORM.number_settings(FORM.bug_toggles())

if len(chosen) < 2:
    st.info("Pick at least two configurations to compare.")
    st.stop()

compared: list[charts.LabeledRun] = []
shown: dict = {}  # configuration -> the label it is first shown under
for choice in chosen:
    if choice == CUSTOM:
        custom = FORM.current(data.key)
        if custom.problem:
            st.error(f"The custom configuration is not run: {custom.problem}")
            continue
        config = custom.config
    else:
        config = VARIANTS[choice][1].with_changes(dataset=data.key)
    # A configuration shown twice (a custom one set up as Draft 4, say) would be one line over
    # the other: the second says which it is the same as.
    label = labels[choice] if config not in shown else f"{labels[choice]} (same as {shown[config]})"
    shown.setdefault(config, labels[choice])
    compared.append((label, runs.run(config, data, label)))

st.subheader("Outcomes")
# Each run's verdict in its own column, coloured by it, before the table and the charts.
for number, (column, (label, result)) in enumerate(zip(st.columns(len(compared)), compared, strict=True)):
    with column:
        panels.outcome_line(result, data, label=label, key=f"_compare_{number}")
st.dataframe(
    pd.DataFrame(
        {
            "configuration": label,
            "outcome": explain.summary(result),
            "verdict": str(verdict.verdict(result, data)),
            "iterations run": result.outcome.iterations_run,
            "final m": result.outcome.final_m,
            "final b": result.outcome.final_b,
            "final loss": result.outcome.final_loss,
        }
        for label, result in compared
    ),
    hide_index=True,
)

st.subheader("On the same axes")
left, right = st.columns(2)
# Each run's line its own dash as well as its own colour: runs that agree lie on one another.
with left:
    fit = chart_view.show(apart.fit_chart_apart, data, compared)
with right:
    loss = chart_view.show(apart.loss_chart_apart, compared, log_x=log_x)
left, right = st.columns(2)
with left:
    m_chart = chart_view.show(apart.parameter_chart_apart, compared, "m", log_x=log_x)
with right:
    b_chart = chart_view.show(apart.parameter_chart_apart, compared, "b", log_x=log_x)

st.subheader("On the loss landscape")
landscape = views.loss_landscape(compared, data, None, chart=apart.landscape_chart_apart)
chart_view.save_button([fit, loss, m_chart, b_chart, landscape], key="save_compare_charts")
