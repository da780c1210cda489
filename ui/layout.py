"""What every page shares: page setup and the sidebar's dataset choice."""

from __future__ import annotations

import streamlit as st

from core.data import BUILTIN_DATASETS, DEFAULT_DATASET, Dataset, load_builtin
from ui.text import plain

DATASET = "dataset"  # widget key and URL parameter
PRESENT = "present"  # widget key and URL parameter: presenter mode
USER_DATASET = "user_dataset"  # session key: the dataset a user loaded on the Data page


PAGES = [
    ("streamlit_app.py", "Home", ":material/home:"),
    ("pages/1_Lesson.py", "Lesson", ":material/menu_book:"),
    ("pages/2_Lab.py", "Lab", ":material/science:"),
    ("pages/3_Compare.py", "Compare", ":material/compare_arrows:"),
    ("pages/4_Data.py", "Your data", ":material/upload_file:"),
]


def page(title: str, icon: str, heading: str, introduction: str) -> Dataset:
    """A page's start: set-up, the shared sidebar, its heading and introduction; returns the dataset.

    Presenter mode leaves the introduction out: the class hears it from the instructor.
    """
    setup(title, icon)
    dataset = sidebar()
    st.title(heading)
    if not presenting():
        st.markdown(introduction)
    return dataset


def setup(title: str, icon: str) -> None:
    """Page title, icon and a wide layout for charts side by side."""
    st.set_page_config(page_title=f"{title} · Gradient Descent Drafts", page_icon=icon, layout="wide")


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
    for path, label, icon in PAGES:
        st.sidebar.page_link(path, label=label, icon=icon)
    st.sidebar.divider()
    options = dataset_options()
    if st.session_state.get(DATASET) not in (None, *options):
        # A link naming data this session does not hold (an upload is never in a URL).
        st.session_state[DATASET] = DEFAULT_DATASET
        st.sidebar.info("That link named data that is not loaded here; showing the lesson's data instead.")
    key = st.sidebar.selectbox(
        "Dataset",
        options=list(options),
        format_func=options.get,
        key=DATASET,
        bind="query-params",
        persist_state="session",
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
    return dataset


def presenting() -> bool:
    """Whether presenter mode is on."""
    return bool(st.session_state.get(PRESENT, False))


# Larger type for a projector; charts are made taller by chart_view.
PRESENTER_CSS = """<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p { font-size: 1.3rem; }
[data-testid="stMain"] [data-testid="stCode"] code { font-size: 1.15rem; }
[data-testid="stMain"] h1 { font-size: 3rem; }
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 2.6rem; }
</style>"""


def current_dataset(key: str | None) -> Dataset:
    """The dataset behind an option key."""
    user = st.session_state.get(USER_DATASET)
    if user is not None and key == user.key:
        return user
    return load_builtin(key if key in BUILTIN_DATASETS else DEFAULT_DATASET)
