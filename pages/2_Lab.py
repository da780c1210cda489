"""Lab: switch each bug on or off and see what the real PyTorch loop does."""

import streamlit as st

from ui import layout, panels, runs, settings

LAST_VALID = "lab_last_valid"  # session key: the last configuration whose settings were valid
FIRST, LOG_X, AT = "first", "log_x", "at"  # widget keys, also URL parameters

layout.setup("Lab", ":material/science:")
data = layout.sidebar()

st.title("Lab")
st.markdown(
    "Switch each of the lesson's bugs on or off. Every change runs the real PyTorch loop for exactly "
    "these settings and shows what happened. Start from a draft, then change one thing at a time."
)

with st.container(border=True):
    st.markdown("**Start from a lesson draft**")
    settings.preset_buttons()
    toggles, numbers = st.columns([1, 1.3], gap="large")
    with toggles:
        loop = settings.bug_toggles()
    with numbers:
        settings.number_settings(loop)

chosen = settings.current(data.key)
config = chosen.config or st.session_state.get(LAST_VALID)
if chosen.problem:
    st.error(f"{chosen.problem} Nothing was run for that value; below are the last settings that ran.")
if config is None or config.dataset != data.key:
    st.stop()
st.session_state[LAST_VALID] = config

result = runs.run(config, data)
code_column, outcome_column = st.columns([3, 2], gap="large")
with code_column:
    st.subheader("The code that ran")
    panels.code_panel(config)
with outcome_column:
    st.subheader("What happened")
    panels.outcome_panel(result, data)

st.subheader("The first iterations, as the lesson prints them")
count = st.number_input(
    "How many iterations to print", min_value=0, max_value=100, value=5, key=FIRST, bind="query-params"
)
panels.printed_iterations(result, int(count))

st.subheader("Charts")
view = st.columns([1, 3])
log_x = view[0].toggle("Log-scale iteration axis", key=LOG_X, bind="query-params", help="Most of the action is early.")
rows = len(result.trajectory)
at = None
if rows > 1:
    if st.session_state.get(AT, 0) > rows - 1:
        st.session_state[AT] = rows - 1  # a shorter run than the last one: stay on its last iteration
    at = view[1].slider("Line at iteration", 0, rows - 1, value=rows - 1, key=AT, bind="query-params")
panels.chart_grid([("this run", result)], data, log_x=log_x, at_iteration=at)
