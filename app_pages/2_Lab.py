"""Lab: switch each bug on or off and see what the real PyTorch loop does, iteration by iteration.

A change and its effect share one screen: the switches, the numbers and the code that ran on
the left; the outcome, the step-through and the charts of that run on the right. A run not
seen before is drawn live as it goes.
"""

import streamlit as st

from ui import layout

data = layout.page(
    "Lab",
    ":material/science:",
    "Lab",
    "Switch a bug on or off and see at once what the real PyTorch loop does with exactly these settings.",
)

# After the page's first paint: these bring in pandas, Altair and the runs' worker processes.
from ui import panels, runs, step, views  # noqa: E402
from ui.lab_views import FIRST, LIVE_VIEWS, show_view, view_choice  # noqa: E402
from ui.settings import SettingsForm  # noqa: E402

LAST_VALID = "lab_last_valid"  # session key: the last configuration whose settings were valid
FORM = SettingsForm()
presenting = layout.presenting()

# In presenter mode the settings fold away above the code: a class watches the effect, and the
# instructor opens them. Otherwise the presets run above both columns.
if presenting:
    controls, effects = st.columns([1, 1.2], gap="medium")
    settings = controls.expander("Settings")
    presets, switches = settings.container(), settings.container()
else:
    presets = st.container()  # filled once the switches have read their values (from the URL too)
    controls, effects = st.columns([1, 1.2], gap="medium")
    switches = controls.container()
with switches:
    controls_top = st.container()  # which draft these settings are, once they are read
    FORM.number_settings(FORM.bug_toggles())
chosen = FORM.current(data.key)
with presets:
    FORM.preset_buttons(chosen.config)
with controls_top:
    FORM.preset_caption(chosen.config)

config = chosen.config or st.session_state.get(LAST_VALID)
shown = config is not None and config.dataset == data.key
if chosen.problem:
    # A link can carry a bad value into a new session: then there is no earlier run to show.
    after = "the run shown is of the last settings that ran." if shown else "change it above to run the loop."
    with controls:
        st.error(f"{chosen.problem} Nothing was run for that value; {after}")
if not shown:
    st.stop()
st.session_state[LAST_VALID] = config

# Tighter spacing on the right: the outcome and two charts of the run fit a laptop's screen.
with effects.container(key="lab_effects", gap="small"):
    outcome_line = st.container()  # the progress of a new run, then its outcome in one line
    stepping = st.container(gap="small")  # the step-through, once the run is known
    view, log_x = view_choice()
    view_area = st.empty()

with controls:
    panels.code_panel(config, data)
    with st.container(horizontal=True, gap="small"):
        views.script_download(config, data, int(st.session_state.get(FIRST, 5)))
        views.notebook_download(config, data, int(st.session_state.get(FIRST, 5)))
    views.edit_link(config)


def draw_live(partial) -> None:
    """A run in progress: what it has done so far, in the chosen view."""
    with view_area.container():
        show_view(view, partial, data, None, log_x=log_x)


live = draw_live if view in LIVE_VIEWS else None
result = runs.run(config, data, on_frame=live, progress=outcome_line)
# A single step says what the same code does looped: the run "Loop it" then shows, already cached.
looped_config = None if config.loops else FORM.looped(config)
looped = runs.run(looped_config, data, "the same code, looped", progress=outcome_line) if looped_config else None
with outcome_line:
    panels.outcome_line(result, data, looped)
    if looped_config is not None:
        FORM.loop_button(looped_config.iterations)
with stepping:
    at = step.scrubber(len(result.trajectory))
    if at is not None and len(result.trajectory):
        views.values_at(result, at)
with view_area.container():
    show_view(view, result, data, at, log_x=log_x)
with controls:
    panels.outcome_details(result, data)
