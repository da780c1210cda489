"""Loading a learner's own CSV: every refusal says what is wrong and where; nothing else ever escapes.

Line numbers in messages count every line of the file, the header being line 1.

``data/sample_upload.csv`` is ``sample_upload_text()`` below, written out; regenerate it with
``python -c "from tests.test_upload import sample_upload_text as t; open('data/sample_upload.csv', 'w').write(t())"``
from the project root.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import ROOT
from core.ingest.upload import (
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_MAGNITUDE,
    MAX_NAME,
    MAX_ROWS,
    CsvTable,
    DataError,
    dataset_from_table,
    load_csv,
    parse_csv,
)
from core.lesson.data import Dataset
from core.lesson.drafts import LoopConfig
from core.lesson.text import one_line
from core.run import engine

SAMPLE = ROOT / "data" / "sample_upload.csv"


def sample_upload_text() -> str:
    """Hours studied against exam score for 40 students: a noisy line, score ~ 45 + 4.8 * hours."""
    rng = np.random.default_rng(2024)
    hours = np.round(rng.uniform(0.5, 10.0, size=40), 1)
    score = np.clip(np.round(45 + 4.8 * hours + rng.normal(0, 6, size=40)), 0, 100)
    return "hours_studied,exam_score\n" + "".join(f"{float(h)},{int(s)}\n" for h, s in zip(hours, score, strict=True))


def refusal(raw: bytes | str, **choice: str) -> str:
    """The message load_csv refuses ``raw`` with (text is encoded as UTF-8)."""
    with pytest.raises(DataError) as caught:
        load_csv(raw.encode() if isinstance(raw, str) else raw, **choice)
    return str(caught.value)


def assert_valid(dataset: Dataset) -> None:
    """What every loaded dataset promises: finite, read-only float64 columns of equal length >= 2."""
    assert isinstance(dataset, Dataset)
    for values in (dataset.x, dataset.y):
        assert isinstance(values, np.ndarray) and values.dtype == np.float64 and values.ndim == 1
        assert np.isfinite(values).all()
        assert not values.flags.writeable
    assert len(dataset.x) == len(dataset.y) == len(dataset) >= 2
    assert dataset.x.max() > dataset.x.min()
    assert re.fullmatch(r"csv:[0-9a-f]{16}", dataset.key)


def load_or_refuse(raw: bytes) -> Dataset | None:
    """load_csv's result, checked, or None when it refused with a DataError (anything else fails the test)."""
    try:
        dataset = load_csv(raw)
    except DataError as error:
        assert str(error)
        return None
    assert_valid(dataset)
    return dataset


# --- happy paths ------------------------------------------------------------------------------


def test_comma_file_loads_first_two_number_columns():
    dataset = load_csv(b"hours,score\n1,50\n2,55.5\n3,61\n")
    assert_valid(dataset)
    assert (dataset.x_label, dataset.y_label, dataset.title) == ("hours", "score", "Your data")
    np.testing.assert_array_equal(dataset.x, [1, 2, 3])
    np.testing.assert_array_equal(dataset.y, [50, 55.5, 61])


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_are_detected(delimiter):
    text = f"hours{delimiter}score\n1{delimiter}50\n2{delimiter}55\n"
    table = parse_csv(text.encode())
    assert table.delimiter == delimiter
    assert table.columns == table.numeric == ("hours", "score")


def test_quoted_fields_and_quoted_numbers():
    table = parse_csv(b'"hours, daily","score"\n"1.5","50"\n"2.5", "55"\n')
    assert table.columns == ("hours, daily", "score")
    np.testing.assert_array_equal(table.values["hours, daily"], [1.5, 2.5])


def test_byte_order_mark_is_dropped_from_the_first_name():
    table = parse_csv(b"\xef\xbb\xbfhours,score\n1,50\n2,55\n")
    assert table.columns == ("hours", "score")


def test_crlf_line_endings():
    dataset = load_csv(b"hours,score\r\n1,50\r\n2,55\r\n\r\n")
    np.testing.assert_array_equal(dataset.y, [50, 55])


def test_blank_lines_are_skipped_anywhere_and_line_numbers_stay_the_files():
    table = parse_csv(b"hours,score\n\n1,50\n,\n2,55\n\n\n  \n")
    assert table.rows == 2
    message = refusal("hours,score\n\n1,50\n2,x\n\n3,60\n")
    assert "line 4 ('x')" in message


def test_text_column_is_not_a_number_column():
    table = parse_csv(b"name,hours,score\nAnn,1,50\nBob,2,55\n")
    assert table.columns == ("name", "hours", "score")
    assert table.numeric == ("hours", "score")
    assert load_csv(b"name,hours,score\nAnn,1,50\nBob,2,55\n").x_label == "hours"


def test_choosing_columns():
    raw = b"a,b,c\n1,10,100\n2,20,300\n3,35,200\n"
    dataset = load_csv(raw, x="c", y="a")
    np.testing.assert_array_equal(dataset.x, [100, 300, 200])
    np.testing.assert_array_equal(dataset.y, [1, 2, 3])
    assert load_csv(raw, y="a").x_label == "b"  # x defaults to the first number column that is not y
    assert load_csv(raw, x="b").y_label == "a"


def test_dataset_from_table_title_and_labels():
    table = parse_csv(b"h,s\n1,50\n2,55\n")
    dataset = dataset_from_table(table, "h", "s", title="Study", x_label="hours studied", y_label="exam score")
    assert (dataset.title, dataset.x_label, dataset.y_label) == ("Study", "hours studied", "exam score")
    assert dataset.key == dataset_from_table(table, "h", "s").key  # title and labels are not in the key


def test_arrays_are_read_only():
    dataset = load_csv(b"h,s\n1,50\n2,55\n")
    with pytest.raises(ValueError):
        dataset.x[0] = 3.0


def test_numbers_in_every_plain_form():
    dataset = load_csv(b"h,s\n-1,+2\n.5,3.\n1e3,2E-2\n")
    np.testing.assert_array_equal(dataset.x, [-1, 0.5, 1000])
    np.testing.assert_array_equal(dataset.y, [2, 3, 0.02])


def test_exactly_max_rows_loads():
    assert len(load_csv(b"h,s\n" + b"1,2\n3,4\n" * (MAX_ROWS // 2))) == MAX_ROWS


# --- the key ----------------------------------------------------------------------------------


def test_key_is_stable_for_the_same_data_and_columns():
    raw = b"a,b,c\n1,10,100\n2,20,300\n"
    assert load_csv(raw).key == load_csv(raw).key
    # The same numbers written differently, with other columns and delimiters: the same data.
    assert load_csv(raw).key == load_csv(b"a;b\n1.0;1e1\n2;20.00\n").key


def test_key_changes_with_data_or_columns():
    raw = b"a,b,c\n1,10,100\n2,20,300\n"
    keys = {
        load_csv(raw).key,
        load_csv(raw, x="a", y="c").key,
        load_csv(raw, x="b", y="a").key,
        load_csv(b"a,b\n1,10\n2,21\n").key,
        load_csv(b"x,y\n1,10\n2,20\n").key,  # same numbers, other names
    }
    assert len(keys) == 5


# --- refusals, one by one ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"\n\n", b" \r\n \n", b"\xef\xbb\xbf"])
def test_empty_file(raw):
    assert refusal(raw) == "The file is empty: it has no header row and no data."


@pytest.mark.parametrize("raw", [b"1.5,2\n3,4\n5,6\n", b"1;2\n3;4\n", b"1.5,2,\n3,4,\n"])
def test_no_header_row(raw):
    message = refusal(raw)
    assert "Line 1 of the file is all numbers" in message
    assert "header row" in message and "naming the columns" in message


def test_fewer_than_two_number_columns():
    message = refusal("name,score\nAnn,50\nBob,55\n")
    assert message.startswith("Only one column holds numbers ('score')")
    assert "'name' (line 2: 'Ann')" in message


def test_no_number_columns():
    message = refusal("name,city\nAnn,Oslo\nBob,Rome\n")
    assert message.startswith("No column holds numbers")
    assert "'name' (line 2: 'Ann') and 'city' (line 2: 'Oslo')" in message


@pytest.mark.parametrize("raw", ["score\n1\n2\n3\n", "hours score\n1 50\n2 55\n"])
def test_single_column(raw):
    message = refusal(raw)
    assert "The file has a single column" in message
    assert "commas, semicolons or tabs" in message


def test_text_cells_in_a_number_column_are_named_by_line():
    message = refusal("hours,sleep\n1,7\n2,n/a\n3,6\n4,about 5\n5,7.5\n")
    assert message.startswith("Column 'sleep' holds numbers, but 2 cells are empty or not finite numbers:")
    assert "line 3 ('n/a') and line 5 ('about 5')" in message
    assert "(the header is line 1)" in message


def test_many_bad_cells_are_listed_five_then_counted():
    rows = "".join(f"{i},{'x' if i % 3 == 0 else i}\n" for i in range(1, 31))
    message = refusal("hours,sleep\n" + rows)
    assert "10 cells are empty or not finite numbers" in message
    assert "line 4 ('x'), line 7 ('x'), line 10 ('x'), line 13 ('x'), line 16 ('x') and 5 more" in message


def test_a_column_mostly_of_text_is_a_text_column():
    # The rule: a number column is one where more than half of the filled-in cells look like numbers.
    table = parse_csv(b"id,hours,score\nA1,1,50\n2,2,55\nB3,3,60\n")
    assert table.numeric == ("hours", "score")


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("", "line 3 (empty)"),
        ("nan", "line 3 ('nan', not a finite number)"),
        ("NaN", "line 3 ('NaN', not a finite number)"),
        ("inf", "line 3 ('inf', not a finite number)"),
        ("-inf", "line 3 ('-inf', not a finite number)"),
        ("Infinity", "line 3 ('Infinity', not a finite number)"),
        ("1e999", "line 3 ('1e999', too large)"),
    ],
)
def test_empty_and_non_finite_cells_are_refused(cell, shown):
    message = refusal(f"hours,sleep\n1,7\n2,{cell}\n3,6\n")
    assert message.startswith("Column 'sleep' holds numbers, but one cell is empty or not a finite number:")
    assert shown in message


def test_problems_in_several_columns_are_all_named():
    message = refusal("a,b,c\n1,2,3\nx,5,\n7,y,9\n")
    assert "Column 'a'" in message and "line 3 ('x')" in message
    assert "Column 'b'" in message and "line 4 ('y')" in message
    assert "Column 'c'" in message and "line 3 (empty)" in message


@pytest.mark.parametrize(("raw", "count"), [("hours,score\n", "no data"), ("hours,score\n1,50\n\n", "only 1 row")])
def test_fewer_than_two_rows(raw, count):
    message = refusal(raw)
    assert count in message and "at least 2 rows" in message


def test_more_than_max_rows():
    message = refusal(b"h,s\n" + b"1,2\n" * (MAX_ROWS + 1))
    assert message.startswith("The file has more than 100,000 rows of data")


def test_more_than_max_bytes_is_checked_before_decoding():
    message = refusal(b"\xff" * (MAX_BYTES + 1))  # not UTF-8 either: the size is what is reported
    assert message.startswith("The file is larger than the 5 MB limit (5,242,881 bytes)")


def test_not_utf8_names_the_line_and_says_how_to_save():
    message = refusal("hours,caf\u00e9\n1,2\n3,4\n".encode("latin-1"))
    assert message.startswith("The file is not UTF-8 text: line 1 holds a character")
    assert "CSV UTF-8" in message
    assert "UTF-16" in refusal("hours,score\n1,2\n3,4\n".encode("utf-16"))


def test_duplicate_column_names():
    message = refusal("a,b,a\n1,2,3\n4,5,6\n")
    assert message == (
        "The column name 'a' is used twice in the header row (columns 1 and 3). Give each column its own name."
    )
    assert "used twice" in refusal("a, a\n1,2\n3,4\n")  # spaces around names do not make them different


def test_blank_column_names_become_column_n():
    table = parse_csv(b",b,\n1,2,3\n4,5,6\n")
    assert table.columns == ("column 1", "b", "column 3")
    message = refusal(",b,column 1\n1,2,3\n4,5,6\n")  # the generated name may collide: still refused
    assert "'column 1' is used twice in the header row (columns 1 and 3)" in message


def test_ragged_rows_are_named():
    message = refusal("hours,score\n1,50\n2,55,7\n3\n4,60\n")
    assert message == (
        "The header row names 2 columns, but line 3 has 3 cells and line 4 has 1 cell. "
        "Every line needs one cell per column, separated by commas."
    )


def test_unclosed_quote_is_hinted():
    message = refusal('hours,score\n1,50\n"2,55\n3,60\n')
    assert "line 3 has 1 cell" in message and "never closed" in message


def test_overlong_cell_is_refused():
    message = refusal(b'hours,score\n1,50\n"' + b"9" * 200_000 + b"\n")
    assert message.startswith("Line 3 starts a cell longer than")


def test_comma_decimals_are_refused_with_a_dot_hint():
    message = refusal("hours;score\n1,5;50\n2,5;55\n")
    assert "line 2 ('1,5', comma instead of a dot)" in message
    assert "with a dot for decimals" in message and "7.5, not 7,5" in message


def test_unknown_text_same_and_constant_columns_are_refused():
    raw = b"name,a,b,c\nAnn,5,1,2\nBob,5,2,4\n"
    assert refusal(raw, x="z", y="b") == "The file has no column named 'z'. For x, choose 'a', 'b' or 'c'."
    assert refusal(raw, x="b", y="name").startswith("Column 'name' does not hold numbers, so it cannot be y.")
    assert refusal(raw, x="b", y="b") == "x and y are both column 'b': choose two different columns."
    assert refusal(raw).startswith("Every x (column 'a') is 5.0: a line's slope cannot be fitted")


BAD_FILES = [
    b"",
    b"1,2\n3,4\n",
    b"a\n1\n2\n",
    b"a,b\n1,nan\n2,3\n",
    b"a,b\n1\n",
    b"a,a\n1,2\n3,4\n",
    b"a,b\n1,2,3\n4,5\n",
    b"a;b\n1,5;2\n3;4\n",
    b"a,b\xff\n1,2\n3,4\n",
    b"a,b\n<b>1</b>,2\n3,4\n",
]


@pytest.mark.parametrize("raw", BAD_FILES)
def test_messages_are_plain_words(raw):
    message = refusal(raw)
    assert message[0].isupper() and message.endswith((".", "score"))
    for jargon in ("dtype", "NaN", "Traceback", "Error", "None", "float64"):
        assert jargon not in message


# --- the sample file and the engine -----------------------------------------------------------


def test_sample_file_is_the_generator_output_and_loads():
    assert SAMPLE.read_text() == sample_upload_text()
    dataset = load_csv(SAMPLE.read_bytes())
    assert_valid(dataset)
    assert len(dataset) == 40
    assert (dataset.x_label, dataset.y_label) == ("hours_studied", "exam_score")


def test_engine_runs_on_a_loaded_dataset():
    dataset = load_csv(SAMPLE.read_bytes())
    result = engine.run(LoopConfig(dataset=dataset.key, iterations=50), data=dataset)
    assert result.outcome.status == "finished"
    assert len(result.trajectory) == 50


# --- properties -------------------------------------------------------------------------------

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CELLS = st.one_of(
    st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),  # repr writes nan, inf, 1e+300
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(str),
    st.integers().map(str),
    st.sampled_from(["", " ", '"', '""', "nan", "-inf", "1,5", "1.5", "\r\n", "\ufeff", "a,b", "x"]),
)


@st.composite
def csv_bytes(draw, cells=CELLS) -> bytes:
    """CSV text from arbitrary cells: any delimiter, quoted or not, any line ending, maybe a BOM."""
    rows = draw(st.lists(st.lists(cells, min_size=1, max_size=4), max_size=8))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    quoting = draw(st.sampled_from([None, csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    if quoting is None:
        text = "".join(delimiter.join(row) + ending for row in rows)
    else:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator=ending, quoting=quoting).writerows(rows)
        text = buffer.getvalue()
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return (bom + text).encode("utf-8")


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_load_or_are_refused(raw):
    load_or_refuse(raw)


@FAST
@given(csv_bytes())
def test_any_csv_text_loads_or_is_refused(raw):
    load_or_refuse(raw)


NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ \u00e9", min_size=1, max_size=6).filter(str.strip)
FINITE = st.floats(min_value=-MAX_MAGNITUDE, max_value=MAX_MAGNITUDE)


@settings(max_examples=100, deadline=None)
@given(
    names=st.lists(NAMES, min_size=2, max_size=4, unique_by=str.strip),
    data=st.data(),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_well_formed_tables_load_their_exact_values(names, data, delimiter):
    rows = data.draw(st.lists(st.lists(FINITE, min_size=len(names), max_size=len(names)), min_size=2, max_size=12))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(names)
    writer.writerows([repr(value) for value in row] for row in rows)
    x = np.array([row[0] for row in rows])
    try:
        dataset = load_csv(buffer.getvalue().encode())
    except DataError as error:  # the only refusals a well-formed table may get: x constant, or a line too steep
        assert ("slope cannot be fitted" in str(error)) == (x.min() == x.max()) or "too close together" in str(error)
        return
    assert_valid(dataset)
    np.testing.assert_array_equal(dataset.x, x)
    np.testing.assert_array_equal(dataset.y, [row[1] for row in rows])
    # Names are read onto one line: each run of spaces, breaks or control characters one space.
    assert (dataset.x_label, dataset.y_label) == (one_line(names[0]), one_line(names[1]))


def test_csv_table_is_what_parse_returns():
    table = parse_csv(b"h,s,note\n1,50,ok\n2,55,\n")
    assert isinstance(table, CsvTable)
    assert (table.columns, table.numeric, table.rows) == (("h", "s", "note"), ("h", "s"), 2)
    assert set(table.values) == {"h", "s"}


# --- hostile shapes and names (issue "Hostile input, round two") -------------------------------


def test_the_widest_header_allowed_is_read_and_a_wider_one_refused_at_once():
    header = ",".join(f"c{j}" for j in range(MAX_COLUMNS))
    table = parse_csv(f"{header}\n{','.join(['1'] * MAX_COLUMNS)}\n{','.join(['2'] * MAX_COLUMNS)}\n".encode())
    assert len(table.numeric) == MAX_COLUMNS
    wider = ",".join(f"c{j}" for j in range(40_000))  # 40,000 names took minutes once: a quadratic check
    message = refusal(f"{wider}\n1,2\n3,4\n")
    assert message.startswith("The header row names 40,000 columns; at most 1,000 can be read.")


def test_duplicate_names_among_many_are_found():
    names = [f"c{j}" for j in range(MAX_COLUMNS)]
    names[-1] = "c7"
    assert "'c7' is used twice in the header row (columns 8 and 1,000)" in refusal(",".join(names) + "\n1\n2\n")


def test_a_wrapped_header_cell_keeps_its_words_on_one_line():
    table = parse_csv(b'"Hours\nstudied","exam\r\n score\t(%)",x\\y\n1,50,1\n2,55,2\n')
    assert table.columns == ("Hours studied", "exam score (%)", "x\\y")
    assert table.notes == ()


def test_invisible_and_control_characters_leave_names():
    table = parse_csv("a\u202eb\u200bc,d\x07e\n1,2\n3,4\n".encode())
    assert table.columns == ("abc", "d e")


def test_a_long_name_is_shortened_with_a_note():
    long_name = "x" * 10_240
    table = parse_csv(f"{long_name},{long_name}y,short\n1,2,3\n4,5,6\n".encode())
    first, second, short = table.columns
    assert len(first) == len(second) == MAX_NAME and short == "short"
    assert first.endswith("…") and first != second and second.endswith("(column 2)")
    assert len(table.notes) == 1 and "column 1 (10,240 characters) is now 'xxx" in table.notes[0]
    assert load_csv(f"{long_name},b\n1,2\n3,4\n".encode()).x_label == first


def test_extreme_values_are_refused_at_upload_with_the_line():
    message = refusal("x,y\n0,1.7e308\n1,-1.7e308\n")
    assert message.startswith("Column 'y' holds 1.7e+308 on line 2: numbers to fit must be at most 1e+100 in size")
    assert "Rescale the column" in message


def test_a_line_too_steep_for_float64_is_refused():
    message = refusal("x,y\n0,0\n1e-300,1e50\n")
    assert "too close together for the spread of y" in message


def test_reading_has_a_time_budget():
    with pytest.raises(DataError, match=r"Reading the file took more than 0 s, the limit, so it was stopped"):
        parse_csv(b"h,s\n" + b"1,2\n" * 5_000, seconds=0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=300), min_size=2, max_size=5))
def test_any_header_names_come_out_on_one_line_short_and_distinct(names):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([names, ["1"] * len(names), ["2"] * len(names)])
    try:
        table = parse_csv(buffer.getvalue().encode("utf-8", "surrogatepass"))
    except DataError:
        return
    assert len(set(table.columns)) == len(table.columns)
    for name in table.columns:
        assert len(name) <= MAX_NAME and name == name.strip()
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]", name)


# --- the Data page -----------------------------------------------------------------------------


def data_page_with(name: str, content: bytes):
    """The Data page after uploading ``content`` as ``name`` and pressing "Use this data"."""
    from tests.test_pages import open_page, upload, use_this_data

    return use_this_data(upload(open_page("app_pages/4_Data.py"), name, content))


def test_after_use_this_data_the_page_shows_the_least_squares_line_and_a_way_into_the_lab():
    at = data_page_with("sample.csv", SAMPLE.read_bytes())
    assert not at.exception and not at.error
    spec = at.get("vega_lite_chart")[-1].proto.spec
    assert "least-squares line" in spec and '"title": "hours_studied"' in spec
    assert "The least-squares line: m = " in " ".join(caption.value for caption in at.caption)
    assert [link.proto.page for link in at.get("page_link") if "Lab" in link.proto.label][-1] == "Lab"


HOSTILE_NAME = "[click](javascript:alert(1)) **bold** $\\frac{1}{2}$ :red[RED].csv"
HOSTILE_HEADER = b'"Hours\nstudied","score\n\n    indented",x\\y\n1,50,1\n2,55,2\n4,61,3\n'


def test_a_wrapped_header_and_a_hostile_file_name_are_shown_as_text_on_every_page():
    at = data_page_with(HOSTILE_NAME, HOSTILE_HEADER)
    assert not at.exception and not at.error
    shown = " ".join(str(element.value) for element in [*at.markdown, *at.subheader, *at.caption])
    assert "](javascript" not in shown and "**bold**" not in shown and ":red[" not in shown
    assert "\n\n    " not in shown  # no code block: the name is on one line
    assert '"title": "Hours studied"' in at.get("vega_lite_chart")[-1].proto.spec
    at.query_params["dataset"] = "your data"
    at.switch_page("app_pages/0_Home.py").run().run()
    assert not at.exception
    home = " ".join(str(element.value) for element in at.markdown)
    assert "\\[click\\]\\(javascript\\:alert\\(1\\)\\) \\*\\*bold\\*\\*" in home and "](javascript" not in home


def test_a_ten_kilobyte_column_name_is_shortened_with_a_note_and_charts_stay_short():
    at = data_page_with("long.csv", ("n" * 10_240 + ",y\n1,2\n2,3\n3,5\n").encode())
    assert "shortened" in " ".join(info.value for info in at.info)
    spec = at.get("vega_lite_chart")[-1].proto.spec
    assert "n" * 61 not in spec and "n" * 50 in spec
