"""What every page shares: page setup and the sidebar's dataset choice."""

from __future__ import annotations

import streamlit as st

from core.data import BUILTIN_DATASETS, DEFAULT_DATASET, Dataset, load_builtin

DATASET = "dataset"  # widget key and URL parameter
USER_DATASET = "user_dataset"  # session key: the dataset a user loaded on the Data page


PAGES = [
    ("streamlit_app.py", "Home", ":material/home:"),
    ("pages/1_Lesson.py", "Lesson", ":material/menu_book:"),
    ("pages/2_Lab.py", "Lab", ":material/science:"),
    ("pages/3_Compare.py", "Compare", ":material/compare_arrows:"),
    ("pages/4_Data.py", "Your data", ":material/upload_file:"),
]


def setup(title: str, icon: str) -> None:
    """Page title, icon and a wide layout for charts side by side."""
    st.set_page_config(page_title=f"{title} · Gradient Descent Drafts", page_icon=icon, layout="wide")


def dataset_options() -> dict[str, str]:
    """The datasets a user can pick now: the lesson's two, and their own if they loaded one."""
    options = dict(BUILTIN_DATASETS)
    user = st.session_state.get(USER_DATASET)
    if user is not None:
        options[user.key] = user.title
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
    st.sidebar.caption("Fit `sleep = m * screentime + b` by gradient descent with PyTorch autograd.")
    return current_dataset(key)


def current_dataset(key: str | None) -> Dataset:
    """The dataset behind an option key."""
    user = st.session_state.get(USER_DATASET)
    if user is not None and key == user.key:
        return user
    return load_builtin(key if key in BUILTIN_DATASETS else DEFAULT_DATASET)
