"""Your data: upload or paste a CSV file, pick the x and y columns, and fit your own line.

Everything the file brings (its name, its column names, its cells) is the user's text: shown as
text (``plain``), on one line and short (``single_line``) wherever it names something.
"""

import streamlit as st

from ui import layout

data = layout.page(
    "Your data",
    ":material/upload_file:",
    "Your data",
    "Fit a line to your own numbers. Upload a CSV file or paste CSV text with a header row naming the "
    "columns (commas, semicolons or tabs), pick the x and y columns, and "
    "every page then uses your data. The lesson's datasets stay one click away.",
    upload_here=True,
)

# After the page's first paint: pandas and Altair.
import pandas as pd  # noqa: E402

from core import charts  # noqa: E402
from core.ingest.upload import MAX_BYTES, MAX_NAME, CsvTable, DataError, dataset_from_table, parse_csv  # noqa: E402
from core.lesson.data import Dataset, least_squares  # noqa: E402
from core.lesson.text import single_line  # noqa: E402
from ui import chart_view  # noqa: E402
from ui.text import plain  # noqa: E402

UPLOAD, PASTE = "upload", "paste"  # widget keys
PENDING = "data_pending"  # session: (raw bytes, source name) of the file being looked at
ERROR = "data_error"  # session: the last refusal, shown until the user acts again
X_COLUMN, Y_COLUMN, X_LABEL, Y_LABEL = "x_column", "y_column", "x_label", "y_label"
LABEL_CHARACTERS = 40  # an axis name typed here


# A resource, not data: the parsed table is immutable (read-only arrays) and safe to share.
@st.cache_resource(max_entries=8, show_spinner="Reading the file...")
def parsed(raw: bytes) -> CsvTable:
    return parse_csv(raw)


def upper_first(text: str) -> str:
    """A sentence start; str.capitalize would lower-case a file name."""
    return text[:1].upper() + text[1:]


def take(raw: bytes, source: str) -> None:
    """Look at a new file: keep it if it parses, else keep what the user had and say why."""
    try:
        parsed(raw)
    except DataError as error:
        st.session_state[ERROR] = f"{upper_first(source)} could not be used. {error}"
        return
    st.session_state[ERROR] = None
    st.session_state[PENDING] = (raw, source)
    for key in (X_COLUMN, Y_COLUMN, X_LABEL, Y_LABEL):
        st.session_state.pop(key, None)


def on_upload() -> None:
    upload = st.session_state.get(UPLOAD)
    if upload is not None:
        take(upload.getvalue(), f"the file '{single_line(upload.name, MAX_NAME)}'")


def on_paste() -> None:
    text = st.session_state.get(PASTE, "")
    take(text.encode("utf-8"), "the pasted text")


def activate(table: CsvTable, source: str) -> None:
    """Make the chosen columns the dataset every page uses."""
    state = st.session_state
    try:
        dataset = dataset_from_table(
            table,
            state[X_COLUMN],
            state[Y_COLUMN],
            title=f"Your data ({source.removeprefix('the ')})",
            x_label=single_line(state[X_LABEL], LABEL_CHARACTERS) or state[X_COLUMN],
            y_label=single_line(state[Y_LABEL], LABEL_CHARACTERS) or state[Y_COLUMN],
        )
    except DataError as error:
        state[ERROR] = str(error)
        return
    state[ERROR] = None
    state[layout.USER_DATASET] = dataset
    state[layout.DATASET] = dataset.key
    layout.data_chosen()


def use_builtin(key: str) -> None:
    st.session_state[layout.DATASET] = key
    layout.data_chosen()


def fitted_line(data: Dataset) -> None:
    """The user's points with their least-squares line, and the way on to fit it by gradient descent."""
    chart_view.show(charts.fit_chart, data, [], best=True)
    best = least_squares(data)
    st.caption(
        f"The least-squares line: m = {best.m:.4g}, b = {best.b:.4g} (RMSE {best.rmse:.4g}). "
        "It is where gradient descent should end up."
    )
    st.page_link("app_pages/2_Lab.py", label="Fit it by gradient descent in the Lab", icon=":material/science:")


st.markdown(
    f"**In use now:** {plain(data.title)}: {len(data):,} points; x = {plain(data.x_label)}, y = {plain(data.y_label)}."
)
if data.key.startswith("csv:"):
    st.button("Back to the lesson's data", on_click=use_builtin, args=("solution",))

upload_column, paste_column = st.columns(2, gap="large")
with upload_column:
    st.file_uploader("Upload a CSV file", type=["csv", "txt", "tsv"], key=UPLOAD, on_change=on_upload)
with paste_column:
    st.text_area("Or paste CSV text", key=PASTE, height=140, placeholder="hours,score\n1.5,52\n2.0,58\n...")
    st.button("Read the pasted text", key="read_paste", on_click=on_paste)
st.caption(f"A file or pasted text of at most {MAX_BYTES // 2**20} MB.")

if st.session_state.get(ERROR):
    st.error(plain(st.session_state[ERROR]))

pending = st.session_state.get(PENDING)
if pending is None:
    st.caption("Try it with `data/sample_upload.csv` from the project: hours studied against exam score.")
    st.stop()

raw, source = pending
table = parsed(raw)
st.subheader(plain(f"{upper_first(source)}: {table.rows:,} rows"))
for note in table.notes:
    st.info(plain(note))
preview = pd.DataFrame({name: table.values[name][:8] for name in table.numeric})
st.dataframe(preview, hide_index=True)
st.caption(f"Number columns: {len(table.numeric)} of {len(table.columns)}; the first 8 rows are shown.")

choose = st.columns(4)
choose[0].selectbox("x column", table.numeric, index=0, key=X_COLUMN)
choose[1].selectbox("y column", table.numeric, index=1, key=Y_COLUMN)
choose[2].text_input("x axis name", key=X_LABEL, placeholder=st.session_state[X_COLUMN], max_chars=LABEL_CHARACTERS)
choose[3].text_input("y axis name", key=Y_LABEL, placeholder=st.session_state[Y_COLUMN], max_chars=LABEL_CHARACTERS)
st.button("Use this data", type="primary", on_click=activate, args=(table, source))
if data.key.startswith("csv:"):
    fitted_line(data)
