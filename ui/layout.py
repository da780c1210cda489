"""What every page shares: page setup and the sidebar's dataset choice."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import TYPE_CHECKING, Literal, NamedTuple

import streamlit as st

from ui import theme
from ui.text import plain

if TYPE_CHECKING:
    from core.lesson.data import Dataset

DATASET = "dataset"  # widget key and URL parameter
PRESENT = "present"  # widget key and URL parameter: presenter mode
USER_DATASET = "user_dataset"  # session key: the dataset a user loaded on the Data page


class AppPage(NamedTuple):
    """One page of the app: its script, its name in the navigation, the URL it answers to, its icon."""

    script: str
    title: str
    url_path: str  # "/Lab"; empty for Home, at "/"
    icon: str


# Every page, in the navigation's order. The URLs are the ones the pages directory gave them, so
# every link made before (a class's bookmarks, the README's) still opens the same page.
PAGES = [
    AppPage("app_pages/0_Home.py", "Home", "", ":material/home:"),
    AppPage("app_pages/1_Lesson.py", "Lesson", "Lesson", ":material/menu_book:"),
    AppPage("app_pages/2_Lab.py", "Lab", "Lab", ":material/science:"),
    AppPage("app_pages/3_Compare.py", "Compare", "Compare", ":material/compare_arrows:"),
    AppPage("app_pages/4_Data.py", "Your data", "Data", ":material/upload_file:"),
    AppPage("app_pages/5_Convergence.py", "Why it is slow", "Convergence", ":material/speed:"),
    AppPage("app_pages/6_Draft.py", "Your draft", "Draft", ":material/edit_note:"),
]


def page(title: str, icon: str, heading: str, introduction: str, *, upload_here: bool = False) -> Dataset:
    """A page's start: set-up, its heading and introduction, the shared sidebar; returns the dataset.

    The heading and introduction come first, before anything that imports numpy or reads data: on a
    fresh server they are the first paint. Presenter mode leaves the introduction out: the class
    hears it from the instructor. When the data the page should show is not loaded (see
    ``sidebar``), the page says so and stops there, unless it is the page to upload it again
    (``upload_here``).
    """
    setup(title, icon)
    st.html(PAGE_CSS)  # our own constant style sheet; Streamlit puts a style-only block outside the layout
    st.title(heading)
    if not presenter_asked():
        st.markdown(introduction)
    from ui import url  # numpy, through the lesson's settings: after the heading is out

    url.sanitise()  # before any widget reads the URL
    reconnect_quietly()
    dataset = sidebar()
    for message in url.refusals():
        st.warning(plain(message))
    if st.session_state.get(DATA_GONE):
        data_gone_notice(st.session_state[DATA_GONE], stop=not upload_here)
    return dataset


def setup(title: str, icon: str) -> None:
    """Page title, icon, and a wide layout for charts side by side."""
    # A projector wants all its width for the lesson: presenter mode opens with the sidebar folded.
    sidebar: Literal["collapsed", "auto"] = "collapsed" if presenter_asked() else "auto"
    st.set_page_config(
        page_title=f"{title} · Gradient Descent Drafts", page_icon=icon, layout="wide", initial_sidebar_state=sidebar
    )


# Short names: a bound widget writes the name it shows into the URL (?dataset=problem+data).
SHORT_NAMES = {"solution": "solution data", "problem": "problem data"}
USER_NAME = "your data"


def dataset_options() -> dict[str, str]:
    """The datasets a user can pick now (key to short name): the lesson's two, and their own."""
    options = dict(SHORT_NAMES)
    user = st.session_state.get(USER_DATASET)
    if user is not None:
        options[user.key] = USER_NAME
    return options


def sidebar() -> Dataset:
    """The shared sidebar; returns the dataset every page fits on."""
    from core.lesson.data import DEFAULT_DATASET  # numpy: after the page's heading is out

    options = dataset_options()
    # Read before the list is made: Streamlit drops a name it does not offer from the URL unseen.
    named = st.query_params.get(DATASET, "")
    if named not in ("", *options.values()) or st.session_state.get(DATASET) not in (None, *options):
        # A link naming data this session does not hold (an upload stays in the session that made
        # it; a restart ends every session), or this session's choice gone: never swap in other data.
        st.session_state[DATA_GONE] = named or USER_NAME
        st.session_state[DATASET] = DEFAULT_DATASET
    key = st.sidebar.selectbox(
        "Dataset",
        options=list(options),
        format_func=options.__getitem__,  # every option is a key of options
        key=DATASET,
        bind="query-params",
        persist_state="session",
        on_change=data_chosen,
    )
    dataset = current_dataset(key)
    st.sidebar.caption(f"{plain(dataset.title)}: {len(dataset):,} points.")
    st.sidebar.toggle(
        "Presenter mode",
        key=PRESENT,
        bind="query-params",
        persist_state="session",
        help="For a projector: larger code and charts, fewer explanations. Step with the arrow keys.",
    )
    if presenting():
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)  # our own constant style sheet, never user text
    theme.theme_choice([page.url_path for page in PAGES], holds_upload=USER_DATASET in st.session_state)
    return dataset


DATA_GONE = "data_gone"  # session: the name of data a page should show and cannot, until the user chooses


def data_chosen() -> None:
    """The user chose data (in the sidebar, on the notice, or by uploading): the notice has done its work."""
    st.session_state.pop(DATA_GONE, None)


def data_gone_notice(named: str, *, stop: bool) -> None:
    """Say that the data a link or this session named is not loaded, offer the upload, and show nothing else."""
    whose = (
        "data uploaded in another session or before the server restarted (an upload stays with the session "
        "that made it)"
        if named == USER_NAME
        else "data this app does not have"
    )
    with st.container(border=True):
        st.warning(
            f"**The data to show here is not loaded.** This page was asked for “{plain(named[:40])}”: "
            f"{whose}. Nothing is shown in its place, so no result on other data passes for a result on yours."
        )
        choices = st.container(horizontal=True, vertical_alignment="center")
        choices.page_link("app_pages/4_Data.py", label="Upload your data again", icon=":material/upload_file:")
        choices.button("Continue with the lesson's data", key="data_gone_builtin", on_click=data_chosen)
    if stop:
        st.stop()


def spoken(text: str) -> None:
    """``text`` for screen readers only (a chart's words): in the page where it is read, not drawn."""
    if text:
        st.html(f'<p class="gdd-spoken">{html.escape(text)}</p>')


def presenter_asked() -> bool:
    """Whether presenter mode is on, before its switch is drawn: on a first run only the URL says so."""
    if PRESENT in st.session_state:
        return presenting()
    return st.query_params.get(PRESENT) == "true"


def presenting() -> bool:
    """Whether presenter mode is on."""
    return bool(st.session_state.get(PRESENT, False))


# Less empty space above the heading, so a page's controls and their effect fit one laptop screen;
# the step-through's five values in one compact row. Then what the theme cannot set:
# - a focus ring a keyboard user sees on every control (Streamlit marks a focused switch with a
#   faint grey only), in a blue that stands 3:1 off both themes' backgrounds;
# - the step buttons' words kept for screen readers but not drawn (their chevrons show them);
# - on a narrow screen (a phone, or a laptop at 200% zoom) the Lab's two columns one above the
#   other, the step-through's controls and values still in rows, the presets compact, and no
#   value cut short.
PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; }
/* With the sidebar folded (a phone, a zoomed page, presenter mode) Streamlit's header bar turns opaque
   to hold the button that unfolds it: room for it above the heading, which it would cover. */
.stApp:has(header [data-testid="stExpandSidebarButton"]) [data-testid="stMainBlockContainer"] { padding-top: 3.75rem; }
[data-testid="stMain"] h1 { font-size: 2.2rem; padding-top: 0.25rem; }
/* The outcome line: its verdict, then the why a size smaller, in a box no taller than it needs. */
[class*="st-key-outcome_line"] [data-testid="stAlertContainer"] { padding: 0.45rem 0.9rem; }
[class*="st-key-outcome_line"] [data-testid="stMarkdownContainer"] p { margin-bottom: 0.1rem; line-height: 1.4; }
[class*="st-key-outcome_line"] [data-testid="stMarkdownContainer"] p + p { font-size: 0.875rem; line-height: 1.35; }
.st-key-step_values [data-testid="stMetricValue"] { font-size: 1.15rem; }
/* A value's second line ("+0.3622 from least squares") wraps in a narrow column rather than ending in "…". */
[data-testid="stMetric"] div:has(> [data-testid="stMetricDeltaDescription"]) { flex-wrap: wrap; row-gap: 0.15rem; }
[data-testid="stMetricDeltaDescription"], [data-testid="stMetricDeltaDescription"] * {
  white-space: normal; overflow: visible; text-overflow: clip;
}

button:focus-visible, a:focus-visible, [role="tab"]:focus-visible,
label:has(input:focus-visible), [data-baseweb="select"]:has(input:focus-visible),
div:has(> div > input[type="range"]:focus-visible) {
  outline: 3px solid #2f72e4 !important; outline-offset: 2px;
}

/* Code sits on a dark ground in both themes (.streamlit/config.toml): its plain text light too, and
   inline code in a caption drawn as the caption's own text (a dark box faded with it reads 4.4:1). */
[data-testid="stCode"] pre { color: #e8e6e3; }
/* Python in a narrow column wraps its long lines: each wrapped part hangs 12 characters in, deeper
   than any statement of the lesson's code (8 at most), so a wrapped comment never reads as a new
   statement at the left margin. A wrapping block draws each line as a span of token spans (one that
   does not wrap lists the token spans themselves, which must stay inline). */
[data-testid="stCode"] code.language-python > span:has(> span) {
  display: block; padding-left: 12ch; text-indent: -12ch;
}

/* The dark theme's red is light enough to read as text on the dark ground, too light under white
   text: a primary button there (the active preset) and a chosen chip in Compare get dark text (6.4:1). */
html[data-gdd-theme="dark"] [data-testid="stBaseButton-primary"],
html[data-gdd-theme="dark"] [data-testid="stBaseButton-primary"] *,
html[data-gdd-theme="dark"] [data-testid="stMultiSelectTagsContainer"] [data-tag] * { color: #0e1117 !important; }
[data-testid="stCaptionContainer"] code { background: none; color: inherit; padding: 0; }

.st-key-step_back button [data-testid="stMarkdownContainer"],
.st-key-step_forward button [data-testid="stMarkdownContainer"],
[data-testid="stElementContainer"]:has(> * .gdd-spoken), [data-testid="stElementContainer"]:has(> .gdd-spoken) {
  position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
}

@media (max-width: 1000px) {
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] .st-key-lab_effects) { flex-wrap: wrap; }
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] .st-key-lab_effects) > [data-testid="stColumn"] {
    min-width: 100%;
  }
  .st-key-step_values [data-testid="stMetricValue"] div { overflow: visible; text-overflow: clip; }
}
@media (max-width: 640px) {
  .st-key-step_controls [data-testid="stHorizontalBlock"] { flex-wrap: nowrap; gap: 0.5rem; }
  .st-key-step_controls [data-testid="stColumn"] { min-width: 0 !important; width: auto !important; flex: 0 0 auto; }
  .st-key-step_controls [data-testid="stColumn"]:last-child { flex: 1 1 auto; }
  .st-key-step_values [data-testid="stHorizontalBlock"] { flex-flow: row wrap; gap: 0.25rem 0.75rem; }
  .st-key-step_values [data-testid="stColumn"] { min-width: 28% !important; width: auto !important; flex: 1 1 28%; }
  .st-key-step_values [data-testid="stMetricValue"] { font-size: 1rem; }
  [data-testid="stMain"] [data-testid="stMetric"] label { margin-bottom: 0; }
  [class*="st-key-"][class*="preset_"] button { min-height: 2rem; padding: 0.1rem 0.55rem; }
  [class*="st-key-"][class*="preset_"] button p { font-size: 0.85rem; }
  [data-testid="stLayoutWrapper"]:has(> div > [class*="st-key-"][class*="preset_"]) > div { gap: 0.3rem; }
  [data-testid="stMain"] pre, [data-testid="stMain"] [data-testid="stCode"] { max-width: 100%; }
}
</style>"""

# Larger type for a projector; charts are made taller by chart_view.
PRESENTER_CSS = """<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p { font-size: 1.3rem; }
[data-testid="stMain"] [data-testid="stCode"] code { font-size: 1.15rem; }
[data-testid="stMain"] h1 { font-size: 2.3rem; }
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 2.6rem; }
[data-testid="stMain"] .st-key-step_values [data-testid="stMetricValue"],
[data-testid="stMain"] .st-key-step_values [data-testid="stMetricValue"] p { font-size: 1.6rem; }
[data-testid="stMain"] .st-key-step_values [data-testid="stMarkdownContainer"] p { font-size: 1.15rem; }
[data-testid="stMain"] [data-testid="stButtonGroup"] p { font-size: 1.05rem; }
[data-testid="stMain"] [class*="st-key-outcome_line"] [data-testid="stMarkdownContainer"] p + p { font-size: 1.05rem; }
</style>"""


def current_dataset(key: str | None) -> Dataset:
    """The dataset behind an option key."""
    from core.lesson.data import (  # numpy: after the page's heading is out
        BUILTIN_DATASETS,
        DEFAULT_DATASET,
        load_builtin,
    )

    user = st.session_state.get(USER_DATASET)
    if user is not None and key == user.key:
        return user
    return load_builtin(key if key in BUILTIN_DATASETS else DEFAULT_DATASET)


# --- after a server restart (deploy/README.md) ----------------------------------------------------
# Streamlit's frontend reconnects by itself but reruns the page only if it has a timed fragment;
# otherwise it keeps showing the last run, made by a server that may be gone. While it
# reconnects, a small notice stands in for Streamlit's "server is not responding" modal (hidden
# only while the page is reconnecting; an error that ends the connection for good still shows).
RECONNECT_CSS = """<style>
[data-testid="stApp"]:is([data-test-connection-state="PINGING_SERVER"],
  [data-test-connection-state="CONNECTING"])::after {
  content: "Reconnecting to the server. The page will come back by itself.";
  position: fixed; top: 0.6rem; left: 50%; transform: translateX(-50%); z-index: 1000200;
  padding: 0.35rem 0.9rem; border-radius: 0.5rem; font-size: 0.95rem;
  background: #f0f2f6; color: #31333f; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.15);
}
body:has([data-testid="stApp"]:is([data-test-connection-state="PINGING_SERVER"],
  [data-test-connection-state="CONNECTING"])) > [data-testid="stDialog"] { display: none; }
/* Once reconnected, Streamlit closes its modal a frame after showing the page connected: not even a flash. */
@keyframes gdd-appear-late { from, to { visibility: hidden; } }
body > [data-testid="stDialog"] { animation: gdd-appear-late 0.4s; }
</style>"""


def reconnect_quietly() -> None:
    """Rerun the page after a reconnect, so it shows what this server makes of its URL; a calm notice meanwhile."""
    st.html(RECONNECT_CSS)  # style only: Streamlit puts it outside the page's layout
    _rerun_after_reconnect()


# A timedelta, not "1h": Streamlit parses a string with pandas, a quarter second to import before the first paint.
@st.fragment(run_every=timedelta(hours=1))
def _rerun_after_reconnect() -> None:
    """Draws nothing. A page with a timed fragment is one the frontend reruns in full when it reconnects."""
