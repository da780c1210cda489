"""Compare: several configurations on the same axes, buggy beside fixed."""

import pandas as pd
import streamlit as st

from core import charts, explain
from core.data import least_squares
from core.drafts import VARIANTS
from ui import layout, runs, settings

LAB = "lab"  # the option that stands for the Lab's current settings
CHOICES, LOG_X = "compare", "cmp_log_x"  # widget keys, also URL parameters
DEFAULT_CHOICES = ["3", "4"]  # buggy beside fixed

layout.setup("Compare", ":material/compare_arrows:")
data = layout.sidebar()
best = least_squares(data)

st.title("Compare drafts")
st.markdown(
    "Pick two or more configurations: lesson drafts, other rows of the lesson's bug table, or the Lab's "
    "current settings. Their runs share the axes below."
)

labels = {key: label for key, (label, _) in VARIANTS.items()} | {LAB: "Lab settings"}
chosen = st.multiselect(
    "Configurations",
    options=list(labels),
    default=DEFAULT_CHOICES,
    format_func=labels.get,
    key=CHOICES,
    bind="query-params",
    persist_state="session",
)
log_x = st.toggle("Log-scale iteration axis", value=True, key=LOG_X, bind="query-params", persist_state="session")


def config_for(choice: str):
    if choice == LAB:
        return settings.current(data.key).config
    return VARIANTS[choice][1].with_changes(dataset=data.key)


if len(chosen) < 2:
    st.info("Pick at least two configurations to compare.")
    st.stop()

compared: list[charts.LabeledRun] = []
for choice in chosen:
    config = config_for(choice)
    if config is None:
        st.warning("The Lab's settings are not valid right now; fix them in the Lab to compare them.")
        continue
    compared.append((labels[choice], runs.run(config, data, labels[choice])))

table = pd.DataFrame(
    {
        "configuration": label,
        "outcome": explain.summary(result),
        "behaviour": str(explain.behaviour(result, best)),
        "iterations run": result.outcome.iterations_run,
        "final m": result.outcome.final_m,
        "final b": result.outcome.final_b,
        "final loss": result.outcome.final_loss,
    }
    for label, result in compared
)
st.subheader("Outcomes")
st.dataframe(table, hide_index=True)

st.subheader("On the same axes")
left, right = st.columns(2)
left.altair_chart(charts.fit_chart(data, compared))
right.altair_chart(charts.loss_chart(compared, log_x=log_x))
left, right = st.columns(2)
left.altair_chart(charts.parameter_chart(compared, "m", log_x=log_x))
right.altair_chart(charts.parameter_chart(compared, "b", log_x=log_x))
