"""Lab: switch each bug on or off and see what the real PyTorch loop does, iteration by iteration."""

import streamlit as st

from ui import chart_view, layout, panels, runs, step, views
from ui.settings import SettingsForm

LAST_VALID = "lab_last_valid"  # session key: the last configuration whose settings were valid
FIRST, LOG_X, VIEW = "first", "log_x", "view"  # widget keys, also URL parameters
VIEWS = ["Charts", "Loss landscape", "Inside the tensors", "Accumulation", "Printed output"]
FORM = SettingsForm()

data = layout.page(
    "Lab",
    ":material/science:",
    "Lab",
    "Switch each of the lesson's bugs on or off. Every change runs the real PyTorch loop for exactly "
    "these settings and shows what happened. Start from a draft, then change one thing at a time.",
)
presenting = layout.presenting()
if not presenting:
    st.page_link("pages/4_Data.py", label="Fit your own data instead", icon=":material/upload_file:")

with st.expander("Settings") if presenting else st.container(border=True):
    st.markdown("**Start from a lesson draft**")
    FORM.preset_buttons()
    toggles, numbers = st.columns([1, 1.3], gap="large")
    with toggles:
        loop = FORM.bug_toggles()
    with numbers:
        FORM.number_settings(loop)

chosen = FORM.current(data.key)
config = chosen.config or st.session_state.get(LAST_VALID)
shown = config is not None and config.dataset == data.key
if chosen.problem:
    # A link can carry a bad value into a new session: then there is no earlier run to show.
    after = "below are the last settings that ran." if shown else "change it above to run the loop."
    st.error(f"{chosen.problem} Nothing was run for that value; {after}")
if not shown:
    st.stop()
st.session_state[LAST_VALID] = config

result = runs.run(config, data)
st.subheader("The code that ran")
panels.code_panel(config)
views.script_download(config, int(st.session_state.get(FIRST, 5)))
st.subheader("What happened")
panels.outcome_panel(result, data)

st.subheader("Step through the run")
rows = len(result.trajectory)
at = step.scrubber(rows)
if at is not None and rows:
    views.values_at(result, at)

view = st.segmented_control(
    "View", VIEWS, default=VIEWS[0], key=VIEW, bind="query-params", persist_state="session", required=True
)
log_x = False
if view in ("Charts", "Accumulation"):
    log_x = st.toggle(
        "Log-scale iteration axis", value=True, key=LOG_X, bind="query-params", help="Most of the action is early."
    )
if view == "Charts":
    panels.chart_grid([("this run", result)], data, log_x=log_x, at_iteration=at)
elif view == "Loss landscape":
    landscape = views.loss_landscape([("this run", result)], data, at)
    chart_view.save_button([landscape], key="save_landscape")
elif view == "Inside the tensors":
    views.tensor_inspector(result, at or 0)
    st.markdown("**The autograd graph**")
    views.autograd_graphs(result)
elif view == "Accumulation":
    views.accumulation(result, data, at or 0, log_x=log_x)
else:
    count = st.number_input(
        "How many iterations to print", min_value=0, max_value=100, value=5, key=FIRST, bind="query-params"
    )
    panels.printed_iterations(result, int(count))
    views.trajectory_download(result)
