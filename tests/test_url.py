"""A link's query parameters: every value a widget cannot hold is refused or left at the default,
before any widget reads the URL, and the page stays usable. Data a link names that is not loaded
is said to be gone, never replaced."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import ROOT
from core.lesson.drafts import LoopConfig
from tests.test_pages import open_page, texts
from ui import url

WIDGETS = {  # AppTest's element type: the kinds a widget of that type may be bound as
    "toggle": {url.SWITCH},
    "number_input": {"number"},
    "slider": {"number"},
    "radio": {url.CHOICE},
    "button_group": {url.CHOICE},
    "selectbox": {url.CHOICE},
    "multiselect": {url.CHOICES},
}


def kind_name(kind: object) -> str:
    return "number" if isinstance(kind, url.Number) else str(kind)


def bound_widgets(at) -> dict[str, tuple[str, object]]:
    """Every widget on the page bound to the URL: its parameter, its type and its element."""
    return {
        element.proto.query_param_key: (kind, element)
        for kind in WIDGETS
        for element in at.get(kind)
        if element.proto.query_param_key
    }


def test_the_table_names_every_bound_widget_with_its_kind():
    found = {}
    for page, query in [
        ("app_pages/2_Lab.py", {}),
        ("app_pages/2_Lab.py", {"view": "Printed output"}),
        ("app_pages/2_Lab.py", {"view": "Accumulation", "zero_grad": "false", "nudge": "true"}),
        ("app_pages/2_Lab.py", {"optimizer": "true"}),  # the optimizer's choice shows with torch.optim only
        ("app_pages/3_Compare.py", {"compare": ["Draft 4 (solution)", "custom"]}),
        ("app_pages/3_Compare.py", {"compare": ["Draft 4 (solution)", "custom"], "c_optimizer": "true"}),
        ("app_pages/5_Convergence.py", {"cv_iterations": "100"}),
    ]:
        found |= bound_widgets(open_page(page, **query))
    assert set(found) == set(url.KINDS)
    for key, (widget, element) in found.items():
        assert kind_name(url.KINDS[key]) in WIDGETS[widget], key
        kind = url.KINDS[key]
        if isinstance(kind, url.Number) and kind.widget_bounds and widget == "number_input":
            assert (element.proto.min, element.proto.max) == kind.bounds  # the widget's own bounds, copied


def test_the_loop_settings_come_from_loop_configs_fields():
    names = {field for field in LoopConfig.__dataclass_fields__ if field != "dataset"}
    assert set(url.loop_kinds()) == names | {"loop"}


HOSTILE_NUMBERS = ["inf", "-inf", "nan", "1e400", "9" * 100_000, "1.5", "0x10", "1_0", " 12", "١٢", "12abc", "1e15.5"]


@pytest.mark.parametrize("text", HOSTILE_NUMBERS)
def test_a_number_no_widget_can_hold_is_refused_with_a_message(text):
    for key in ("iterations", "c_iterations", "first", "at"):
        drop, message = url.verdict(key, text)
        assert drop and message.endswith("so it was left out and the page uses the default.")
        assert len(message) < 300  # the value quoted back is shortened
    drop, message = url.verdict("lr", text)
    assert drop == (text != "1.5") and (message is None) == (text == "1.5")


@pytest.mark.parametrize(("key", "text"), [("iterations", "0"), ("iterations", "1e15"), ("lr", "-1"), ("lr", "1e-320")])
def test_a_number_the_widget_holds_goes_to_it_for_the_loops_own_check(key, text):
    assert url.verdict(key, text) == (False, None)


def test_the_widgets_own_bounds_are_refused_here_rather_than_silently_reset():
    assert url.verdict("first", "100") == (False, None)
    drop, message = url.verdict("first", "101")
    assert drop and message.startswith("The number of iterations to print must be a whole number between 0 and 100;")


@pytest.mark.parametrize(("key", "text"), [("no_grad", "maybe"), ("present", ""), ("view", ""), ("update", "")])
def test_switches_and_empty_values_get_the_default_quietly(key, text):
    assert url.verdict(key, text) == (True, None)


LEFT_ALONE = [("no_grad", "FALSE"), ("view", "Loss landscape"), ("compare", ""), ("x", "inf")]


@pytest.mark.parametrize(("key", "text"), LEFT_ALONE)
def test_good_values_choices_and_unknown_parameters_are_left_alone(key, text):
    assert url.verdict(key, text) == (False, None)


# --- through the pages ------------------------------------------------------------------------

LINKS = [  # the links, and more of their kind
    ("app_pages/2_Lab.py", {"iterations": "inf"}, "The iterations must be a whole number between 1 and 100,000"),
    ("app_pages/2_Lab.py", {"iterations": "1e400"}, "'1e400' is not"),
    ("app_pages/2_Lab.py", {"iterations": "9" * 100_000}, "'99999999999999999999999999999…' is not"),
    ("app_pages/2_Lab.py", {"iterations": "1.5"}, "'1.5' is not"),
    ("app_pages/2_Lab.py", {"lr": "1e400"}, "The learning rate must be a number between 1e-06 and 100"),
    ("app_pages/2_Lab.py", {"first": "inf", "view": "Printed output"}, "The number of iterations to print"),
    ("app_pages/2_Lab.py", {"at": "1e400"}, "The iteration to show must be"),
    ("app_pages/3_Compare.py", {"compare": ["Draft 4 (solution)", "custom"], "c_iterations": "inf"}, "'inf' is not"),
]


def shown(at) -> str:
    return texts(at.warning).replace("\\", "")


@pytest.mark.parametrize(("page", "query", "message"), LINKS, ids=[str(list(q.items()))[:40] for _, q, _ in LINKS])
def test_a_hostile_link_opens_the_page_with_a_message_and_the_default(page, query, message):
    at = open_page(page, **query)
    assert not at.exception
    assert message in shown(at)
    assert at.get("vega_lite_chart") or at.code  # the page still shows a run: of the defaults
    assert not set(query) - {"compare", "view"} & set(at.query_params)  # the refused value is out of the URL
    at.run()  # the message was for the link: the next action no longer shows it
    assert message not in shown(at) and not at.exception


def test_an_empty_view_is_the_default_view():
    at = open_page("app_pages/2_Lab.py", view="")
    assert at.session_state["view"] == "Charts" and len(at.get("vega_lite_chart")) >= 2


def test_a_value_out_of_the_loops_range_still_gets_the_loops_own_message():
    at = open_page("app_pages/2_Lab.py", lr="1e-320")
    assert "The learning rate must be between" in texts(at.error) and "Nothing was run" in texts(at.error)


# --- data a link names that is not here --------------------------------------------------------


@pytest.mark.parametrize(
    "page", ["app_pages/0_Home.py", "app_pages/2_Lab.py", "app_pages/3_Compare.py", "app_pages/1_Lesson.py"]
)
def test_a_link_to_data_not_loaded_says_so_and_shows_nothing_else(page):
    at = open_page(page, dataset="your data", iterations="300")
    assert not at.exception
    assert "The data to show here is not loaded" in shown(at) and "another session" in shown(at)
    assert not at.get("vega_lite_chart") and not at.code and not at.metric  # no result on other data
    assert [link.proto.page for link in at.get("page_link") if link.proto.label == "Upload your data again"] == ["Data"]
    at.button(key="data_gone_builtin").click().run()
    assert "not loaded" not in shown(at) and not at.exception
    if page == "app_pages/2_Lab.py":
        assert "for i in range(300):" in at.code[0].value  # the link's other settings, on the lesson's data


def test_the_data_page_says_so_and_offers_the_upload_right_there():
    at = open_page("app_pages/4_Data.py", dataset="someone else's data")
    assert "asked for “someone else's data”: data this app does not have" in shown(at)
    assert at.get("file_uploader")
    sample = (ROOT / "data" / "sample_upload.csv").read_bytes()
    at.get("file_uploader")[0].upload("sample.csv", sample)
    at.run()
    next(button for button in at.button if button.label == "Use this data").click().run()
    assert "not loaded" not in shown(at) and at.session_state["dataset"].startswith("csv:")


NUMBERISH = st.from_regex(r"\A[+-]?[0-9]{0,400}(\.[0-9]{0,5})?([eE][+-]?[0-9]{1,4})?\Z")


@settings(max_examples=400, deadline=None)
@given(key=st.sampled_from(sorted(url.KINDS)), text=st.one_of(st.text(), NUMBERISH))
def test_a_number_kept_in_the_url_is_one_its_widget_reads_without_error(key, text):
    drop, message = url.verdict(key, text)
    kind = url.KINDS[key]
    if drop or not isinstance(kind, url.Number):
        assert message is None or isinstance(kind, url.Number)
        return
    value = float(text)  # what Streamlit does, then int() for a whole number
    assert math.isfinite(value) and len(text) <= url.LONGEST_NUMBER
    if kind.whole:
        assert value == int(value) and abs(int(value)) <= url.LARGEST_WHOLE
