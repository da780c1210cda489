"""AppTest over every page: runs without exception, and each Lab toggle changes the outcome as
the lesson says. Widgets are found by key."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from core import ROOT
from core.charts import HEIGHT
from core.measure.verdict import Verdict
from ui.chart_view import PRESENTER_FONTS, PRESENTER_SCALE

PAGES = [
    "app_pages/0_Home.py",
    "app_pages/1_Lesson.py",
    "app_pages/2_Lab.py",
    "app_pages/3_Compare.py",
    "app_pages/4_Data.py",
]
TIMEOUT = 120  # a first 10,000-iteration run takes seconds on a shared 2-core machine


def open_page(page: str, **query: str | list[str]) -> AppTest:
    """A fresh session on ``page``, opened with the given URL query parameters.

    The app is run from its entry point, whose st.navigation runs the page (as a browser's URL would).
    """
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    return at.switch_page(page).run()


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def code_blocks(at: AppTest) -> str:
    return "\n".join(block.value for block in at.code)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_exception(page):
    at = open_page(page)
    assert not at.exception
    assert at.title


def test_lab_opens_on_the_solution():
    at = open_page("app_pages/2_Lab.py", view="Printed output")
    assert "**Converged**: loss (RMSE)" in texts(at.success)
    assert "(m, b) = (-0.7550320029258728, 11.24125862121582)" in code_blocks(at)
    assert "iteration 0: (m, b) = (0.0, 0.0), (m.grad, b.grad) = (-6.635, -0.917), loss = 5.659" in code_blocks(at)
    assert not at.error


def test_update_outside_no_grad_by_reassignment_raises_torchs_type_error_at_iteration_1():
    at = open_page("app_pages/2_Lab.py", iterations="50")
    at.toggle(key="no_grad").set_value(False)
    at.radio(key="update").set_value("reassign").run()
    assert "TypeError" in texts(at.error) and "iteration 1" in texts(at.error)
    assert "TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'" in code_blocks(at)
    assert "UserWarning at iteration 1" in texts(at.warning)
    assert "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed" in code_blocks(at)
    assert "m = m - 0.02*m.grad" in code_blocks(at)


def test_in_place_update_outside_no_grad_raises_at_the_first_update():
    at = open_page("app_pages/2_Lab.py", iterations="50")
    at.toggle(key="no_grad").set_value(False).run()
    assert "**RuntimeError raised** at iteration 0" in texts(at.error)
    assert "a leaf Variable that requires grad is being used in an in-place operation." in code_blocks(at)


def test_reassignment_inside_no_grad_fails_at_the_next_backward():
    at = open_page("app_pages/2_Lab.py", iterations="50")
    at.radio(key="update").set_value("reassign").run()
    assert "raised** at iteration 1, in `loss.backward()`" in texts(at.error)


def test_gradients_not_zeroed_finish_but_m_swings():
    at = open_page("app_pages/2_Lab.py")
    at.toggle(key="zero_grad").set_value(False).run()
    # Not green: the loop never settles, and the outcome line says so first.
    assert not at.success and not at.error and "**Oscillating, never settling**" in texts(at.warning)
    assert "swing past the minimum and back" in texts(at.markdown)
    assert "# missing here: m.grad = None" in code_blocks(at)


def test_one_step_stops_after_one_iteration():
    at = open_page("app_pages/2_Lab.py")
    at.toggle(key="loop").set_value(False).run()
    assert "**One step**, no loop" in texts(at.info) and "Looped for 10,000 iterations" in texts(at.info)
    assert "\nfor i in range" not in at.code[0].value
    at.button(key="loop_it").click().run()  # one click loops the same code
    assert at.toggle(key="loop").value is True and "\nfor i in range" in at.code[0].value


def test_draft_1s_step_says_what_its_loop_raises_and_loops_keeping_its_name():
    at = open_page("app_pages/2_Lab.py")
    at.button(key="preset_1").click().run()
    assert "Looped, this code raises TypeError at iteration 1" in texts(at.info)
    at.button(key="loop_it").click().run()
    assert "**Draft 1, looped** (10,000 iterations)" in texts(at.caption)
    assert "**TypeError raised** at iteration 1" in texts(at.error)


def test_draft_presets_set_the_toggles():
    at = open_page("app_pages/2_Lab.py")
    at.button(key="preset_1").click().run()
    assert at.toggle(key="no_grad").value is False
    assert at.radio(key="update").value == "reassign"
    assert at.toggle(key="zero_grad").value is False
    assert at.toggle(key="loop").value is False
    assert "not a leaf: autograd recorded the operation that made it" in texts(at.markdown)
    at.button(key="preset_4").click().run()
    assert (at.toggle(key="no_grad").value, at.radio(key="update").value) == (True, "in-place")
    assert at.toggle(key="loop").value is True and at.number_input(key="iterations").value == 10_000


@pytest.mark.parametrize(("key", "value", "complaint"), [("lr", 500.0, "learning rate"), ("m0", 1e6, "initial m")])
def test_a_value_out_of_range_is_refused_and_the_last_run_stays(key, value, complaint):
    at = open_page("app_pages/2_Lab.py", iterations="40")
    at.number_input(key=key).set_value(value).run()
    assert f"The {complaint} must be between" in texts(at.error)
    assert "Nothing was run for that value" in texts(at.error)
    assert at.number_input(key=key).value == value  # refused, not clamped: the user's value stays
    assert "for i in range(40):" in at.code[0].value  # the last valid settings are still shown


def test_a_link_with_a_value_out_of_range_says_what_to_change_and_runs_nothing():
    at = open_page("app_pages/2_Lab.py", lr="-1")
    assert not at.exception
    assert "The learning rate must be between" in texts(at.error)
    assert "change it above to run the loop" in texts(at.error)
    assert "last settings that ran" not in texts(at.error)  # this new session has none
    assert not at.code  # nothing ran, so no code of a run is shown
    at.number_input(key="lr").set_value(0.02).run()
    assert not at.error and "for i in range(10_000):" in at.code[0].value


def test_url_parameters_open_those_settings():
    query = {"no_grad": "false", "update": "data", "zero_grad": "false", "iterations": "30", "lr": "0.05"}
    at = open_page("app_pages/2_Lab.py", **query)
    assert at.toggle(key="no_grad").value is False
    assert at.radio(key="update").value == "data"
    assert at.toggle(key="zero_grad").value is False
    assert at.number_input(key="iterations").value == 30
    assert at.number_input(key="lr").value == 0.05
    assert "for i in range(30):" in at.code[0].value and "m.data = m - 0.05*m.grad" in at.code[0].value


def url_value(value: object) -> str:
    """A widget value as the URL writes it."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_settings_round_trip_through_the_url():
    """Widget values set by clicks, written under their keys, reopen the same view."""
    at = open_page("app_pages/2_Lab.py")
    at.button(key="preset_3").click().run()
    at.radio(key="update").set_value("data")
    at.number_input(key="iterations").set_value(300)
    at.number_input(key="lr").set_value(0.01).run()
    keys = ["no_grad", "update", "zero_grad", "loop", "iterations", "lr", "m0", "b0"]
    query = {key: url_value(at.session_state[key]) for key in keys}
    assert query["zero_grad"] == "false" and query["update"] == "data"
    again = open_page("app_pages/2_Lab.py", **query)
    assert [again.session_state[key] for key in keys] == [at.session_state[key] for key in keys]
    assert again.code[0].value == at.code[0].value and "for i in range(300):" in at.code[0].value


def test_compare_shows_buggy_beside_fixed_by_default():
    at = open_page("app_pages/3_Compare.py")
    table = at.dataframe[0].value
    assert table["configuration"].tolist() == ["Draft 3", "Draft 4 (solution)"]
    assert table["verdict"].tolist() == ["oscillating", "converged"]
    assert "Draft 3: **Oscillating, never settling**" in texts(at.warning)
    assert "Draft 4 \\(solution\\): **Converged**" in texts(at.success)
    assert len(at.get("vega_lite_chart")) == 5  # fitted lines, loss, m, b, and the loss landscape


def test_compare_custom_configuration_from_the_url():
    at = open_page("app_pages/3_Compare.py", compare=["Draft 4 (solution)", "custom"], c_no_grad="false")
    table = at.dataframe[0].value
    assert table["outcome"].tolist()[1] == "RuntimeError at iteration 0 (update)"


def answer_draft_1(at: AppTest, prediction: str) -> AppTest:
    """Draft 1's prediction and its two sharper questions, answered as a learner would."""
    at.radio(key="predict_1").set_value(prediction)
    at.radio(key="ask_1_still_leaf").set_value("Yes, still a leaf")
    return at.radio(key="ask_1_next_iteration").set_value("TypeError").run()


def test_lesson_grades_draft_1_by_the_code_as_written():
    """One step runs; a learner who predicts an error hears that it comes once the step is looped."""
    at = answer_draft_1(open_page("app_pages/1_Lesson.py"), Verdict.RAISED)
    assert not at.exception and "Not quite" not in texts(at.info)
    assert "Not as written: the code is a single step, and it runs" in texts(at.info)
    assert "the next iteration raises TypeError (at iteration 1)" in texts(at.info)
    # The sharper questions: a wrong answer explained by torch's own facts, a right one confirmed.
    assert "Not quite: the answer is “No, no longer a leaf”. After the update, torch reported `m.is_leaf` = False" in (
        texts(at.warning)
    )
    assert "Right. Looped, iteration 1 raised TypeError" in texts(at.success)


def test_lesson_asks_for_predictions_before_showing_the_result():
    at = open_page("app_pages/1_Lesson.py")
    assert len(at.info) == 5 and not at.success and not at.error
    at.radio(key="predict_1").set_value(Verdict.ONE_STEP).run()
    assert len(at.info) == 5 and not at.error  # Draft 1's sharper questions still wait
    at = answer_draft_1(at, Verdict.ONE_STEP)
    assert "Right: it stops after one step." in texts(at.success)
    assert "not a leaf: autograd recorded the operation that made it" in texts(at.markdown)
    assert "TypeError" in texts(at.error)  # what a second iteration of Draft 1 does
    at.radio(key="predict_3").set_value(Verdict.CONVERGED)
    at.radio(key="ask_3_settles").set_value("Yes, it settles on the best line").run()
    assert "Not quite: you said it settles on the best line; it swings without settling." in texts(at.warning)
    assert "Not quite: the answer is “No, it never settles”. Over its last 1,000 iterations" in texts(at.warning)
    waiting = [info for info in at.info if "Make your predictions" in info.value]
    assert len(waiting) == 3  # drafts 2 and 4 and the idiomatic draft still wait for a prediction
    # Draft 3 loops: the lesson's printed first iterations, and a link into the Lab with its settings.
    assert "iteration 0: (m, b) = (0.0, 0.0), (m.grad, b.grad) = (-6.635, -0.917), loss = 5.659" in code_blocks(at)
    links = [link for link in at.get("page_link") if "Draft 3" in link.proto.label]
    assert links and links[0].proto.query_string == "zero_grad=false"


def test_lesson_check_is_scored_from_the_runs():
    at = open_page("app_pages/1_Lesson.py")
    at.radio(key="ask_check_safe_update").set_value("m.data = m - lr*m.grad")
    at.radio(key="ask_check_zeroing").set_value("`backward()` replaces the old gradient").run()
    assert "Score: 1 of 2" in texts(at.markdown)
    assert "Right. `m -= lr*m.grad` raised RuntimeError at iteration 0" in texts(at.success)
    assert "their sum" in texts(at.warning)


SAMPLE = (ROOT / "data" / "sample_upload.csv").read_bytes()


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.get("file_uploader")[0].upload(name, content)
    return at.run()


def use_this_data(at: AppTest) -> AppTest:
    next(button for button in at.button if button.label == "Use this data").click()
    return at.run()


def test_an_uploaded_file_becomes_the_dataset_of_every_page():
    at = open_page("app_pages/4_Data.py")
    use_this_data(upload(at, "sample.csv", SAMPLE))
    assert not at.exception and not at.error
    assert at.session_state["dataset"].startswith("csv:")
    assert "Your data \\(file 'sample\\.csv'\\)" in texts(at.markdown)
    at.query_params["dataset"] = "your data"  # the browser carries the bound choice to the next page
    # AppTest applies a bound URL value on the run after a page switch (a real browser does it
    # at once; the browser test checks that), hence the second run.
    at.switch_page("app_pages/2_Lab.py").run().run()
    assert not at.exception
    assert at.selectbox(key="dataset").value == at.session_state["dataset"]
    assert "**Converged**: loss (RMSE)" in texts(at.success)
    assert "(m, b) = (-0.7550320029258728, 11.24125862121582)" not in code_blocks(at)  # not the lesson's data
    # The code names the arrays after the file's columns, and the script carries the data.
    assert "x = torch.from_numpy(hours_studied)\ny = torch.from_numpy(exam_score)" in code_blocks(at)
    assert "download_script" in [button.key for button in at.get("download_button")]
    assert "file 'sample\\.csv'" in texts(at.sidebar.caption)
    # The theme switch reloads the page, which an upload does not survive: said beside it beforehand.
    assert "reload does not keep your uploaded data" in texts(at.sidebar.caption)


def test_the_theme_switch_warns_of_nothing_while_the_lessons_data_is_all_there_is():
    at = open_page("app_pages/2_Lab.py")
    assert "uploaded data" not in texts(at.sidebar.caption)


BAD_FILES = [
    ("empty.csv", b"", "The file is empty"),
    ("numbers.csv", b"1,2\n3,4\n5,6\n", "no header row"),
    ("one.csv", b"a,b\n1,2\n", "only 1 row of data"),
    ("text.csv", b"a,b\n1,2\n3,x\n4,5\n", "line 3"),
    ("nan.csv", b"a,b\n1,2\n3,nan\n4,5\n", "not a finite number"),
    ("flat.csv", b"a,b\n5,2\n5,3\n5,4\n", "slope cannot be fitted"),
    ("latin1.csv", "a,b\n1,2\n3,4\n\xe9,5\n".encode("latin-1"), "not UTF-8"),
    ("twice.csv", b"a,a\n1,2\n3,4\n", "used twice"),
    ("single.csv", b"a\n1\n2\n", "single column"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_a_bad_file_is_refused_with_a_message_and_the_previous_dataset_stays(name, content, message):
    at = open_page("app_pages/4_Data.py")
    use_this_data(upload(at, "sample.csv", SAMPLE))
    active = at.session_state["dataset"]
    upload(at, name, content)
    if message == "slope cannot be fitted":  # a file that parses, whose chosen x is constant
        use_this_data(at)
    assert not at.exception
    shown = texts(at.error).replace("\\", "")
    assert message in shown
    assert at.session_state["dataset"] == active
    at.run()  # the message stays until the user acts
    assert message in texts(at.error).replace("\\", "")


def test_pasted_text_is_read_and_a_bad_paste_keeps_the_lessons_data():
    at = open_page("app_pages/4_Data.py")
    at.text_area(key="paste").set_value("x;y\n1;2\n2;4.5\n3;5.5\n")
    at.button(key="read_paste").click().run()
    assert "The pasted text: 3 rows" in texts(at.subheader).replace("\\", "")
    at.text_area(key="paste").set_value("x;y\n1;2\n")
    at.button(key="read_paste").click().run()
    assert "only 1 row of data" in texts(at.error).replace("\\", "")
    assert at.session_state["dataset"] == "solution"


def test_user_text_is_shown_as_text_not_markup():
    at = open_page("app_pages/4_Data.py")
    hostile = b"<b>[x](javascript:alert(1))</b>,$y$\n1,2\n2,3\n3,5\n"
    use_this_data(upload(at, "<img src=x>.csv", hostile))
    assert not at.exception
    shown = texts(at.markdown) + texts(at.subheader)
    assert "<b>" not in shown.replace("\\<b\\>", "") and "](javascript" not in shown


def chart_specs(at: AppTest) -> list[str]:
    return [chart.proto.spec for chart in at.get("vega_lite_chart")]


def chart_data(at: AppTest, index: int) -> str:
    """The datasets the browser receives for the chart at ``index``, as text."""
    import pyarrow as pa

    tables = [
        pa.ipc.open_stream(dataset.data.data).read_all() for dataset in at.get("vega_lite_chart")[index].proto.datasets
    ]
    return "\n".join(table.to_pandas().to_csv(index=False) for table in tables)


def test_the_scrubber_moves_every_view_to_iteration_k():
    at = open_page("app_pages/2_Lab.py", zero_grad="false", at="7")
    assert at.slider(key="at").value == 7
    assert [metric.label for metric in at.metric][-5:] == ["m", "b", "m.grad", "b.grad", "loss"]
    assert "**At iteration 7**, before its update (the charts' tooltips give every digit):" in texts(at.markdown)
    specs = chart_specs(at)
    assert len(specs) == 5 and all('"cursor' in spec for spec in specs[1:])
    assert "at iteration 7" in chart_data(at, 0)
    at.button(key="step_forward").click().run()
    assert at.slider(key="at").value == 8 and "at iteration 8" in chart_data(at, 0)
    at.button(key="step_back").click().run()
    at.button(key="step_back").click().run()
    assert at.slider(key="at").value == 6
    at.segmented_control(key="view").set_value("Loss landscape").run()
    assert "(m, b) at iteration 6" in chart_specs(at)[0]


def test_play_frames_spend_time_early():
    from ui.step import frames

    played = frames(10_000)
    assert played[0] == 0 and played[-1] == 9_999
    assert list(played[:10]) == list(range(10))  # every one of the first iterations
    assert len(played) <= 50 and played[-2] > 5_000  # the rest in ever larger jumps


def test_inside_the_tensors_shows_the_graph_and_facts_of_draft_1():
    at = open_page("app_pages/2_Lab.py", view="Inside the tensors", no_grad="false", update="reassign", iterations="2")
    dots = [graph.proto.spec for graph in at.get("graphviz_chart")]
    assert dots and all("AccumulateGrad" in dot for dot in dots)
    assert any("SubBackward0" in dot for dot in dots)  # m after the update: a grad_fn of its own
    table = at.table[0].value
    assert "SubBackward0" in table.to_string() and "what it means" in table.columns


def test_inside_the_tensors_says_which_iteration_its_table_shows():
    at = open_page("app_pages/2_Lab.py", view="Inside the tensors", update="data", iterations="10", at="3")
    assert not at.exception
    assert (
        "This table shows iteration 2, the last recorded before 3: tensor facts are recorded at iterations 0, 1, 2, 9."
        in (texts(at.caption))
    )
    shown = texts(at.markdown)
    assert (
        "keeps the tensor `m` and replaces its data: it works, but autograd never sees the change), "
        "`m` is still a leaf that requires grad"
    ) in shown
    assert "It sits in new memory" in shown


def test_the_step_through_moves_the_graph_the_printout_and_the_nudge():
    at = open_page(
        "app_pages/2_Lab.py", view="Inside the tensors", no_grad="false", update="reassign", iterations="2", at="1"
    )
    assert "**Iteration 1: the loss**" in texts(at.markdown)
    assert "Iteration 1's graph reaches back past this iteration's `m*x`, through `SubBackward0`" in texts(at.markdown)
    at = open_page("app_pages/2_Lab.py", view="Inside the tensors", at="500")
    assert "Iteration 100's graph, the last recorded before 500" in texts(at.caption)
    at = open_page("app_pages/2_Lab.py", view="Printed output", at="500")
    assert "... (iterations 0 to 495 printed too, not shown here)" in code_blocks(at)
    at = open_page(
        "app_pages/2_Lab.py", view="Accumulation", zero_grad="false", at="100", nudge="true", nudge_by="1e-05"
    )
    assert not at.exception and at.number_input(key="nudge_by").value == 1e-05
    assert "At iteration 100 the run and its twin are" in texts(at.markdown)


def test_accumulation_view_splits_the_gradient():
    at = open_page("app_pages/2_Lab.py", view="Accumulation", zero_grad="false", at="1")
    shown = texts(at.markdown)
    assert "= carried over -6.63531 + fresh -5.85496" in shown  # the solution's first two gradients
    assert "momentum" in shown
    at.toggle(key="nudge").set_value(True).run()
    assert not at.exception and len(chart_specs(at)) == 3  # split, the two runs, their distance


def test_the_sgd_draft_ends_where_the_solution_does():
    at = open_page("app_pages/2_Lab.py", view="Printed output")
    at.button(key="preset_sgd").click().run()
    assert at.toggle(key="optimizer").value is True
    assert "optimizer.step()" in at.code[0].value
    assert "(m, b) = (-0.7550320029258728, 11.24125862121582)" in code_blocks(at)


def test_presenter_mode_hides_explanations_and_enlarges():
    plain_view = open_page("app_pages/2_Lab.py")
    presented = open_page("app_pages/2_Lab.py", present="true")
    assert presented.toggle(key="present").value is True
    intro = "Switch a bug on or off and see at once"
    assert intro in texts(plain_view.markdown) and intro not in texts(presented.markdown)
    assert any("font-size" in block.value for block in presented.markdown)
    assert not any("font-size" in block.value for block in plain_view.markdown)
    assert presented.get("expander")  # settings folded away
    tall = HEIGHT * PRESENTER_SCALE
    assert (
        json.loads(chart_specs(presented)[0])["height"]
        == tall
        == json.loads(chart_specs(plain_view)[0])["height"] * 1.6
    )
    # Text read from the back of a room: every chart's axes, legends and titles are set larger.
    for spec in map(json.loads, chart_specs(presented)):
        assert spec["config"]["axis"]["labelFontSize"] == PRESENTER_FONTS["axis"]["labelFontSize"] >= 16
        assert spec["config"]["legend"]["labelFontSize"] >= 16 and spec["config"]["title"]["fontSize"] >= 18
    assert all("labelFontSize" not in json.dumps(spec) for spec in chart_specs(plain_view))


def test_compare_draws_every_path_on_one_landscape():
    at = open_page("app_pages/3_Compare.py")
    landscape = chart_specs(at)[-1]
    assert "Draft 3" in landscape and "Draft 4 (solution)" in landscape and "minimum" in landscape


def test_a_new_run_keeps_each_charts_spec_and_sends_only_new_data():
    """The browser then swaps the data into the charts on the page instead of building them anew."""
    at = open_page("app_pages/2_Lab.py", iterations="200")
    before = at.get("vega_lite_chart")
    at.toggle(key="zero_grad").set_value(False).run()
    at.button(key="step_forward").click().run()  # the scrubber moves too
    after = at.get("vega_lite_chart")
    assert len(before) == len(after) == 5
    for old, new in zip(before, after, strict=True):
        assert old.proto.spec == new.proto.spec
        assert [d.name for d in old.proto.datasets] == [d.name for d in new.proto.datasets]
    changed = [
        o.data.data != n.data.data
        for old, new in zip(before, after, strict=True)
        for o, n in zip(old.proto.datasets, new.proto.datasets, strict=True)
    ]
    assert sum(changed) >= 9  # every run's line, hover points and cursor, and the fit's lines


@pytest.mark.parametrize(
    ("page", "query", "key"),
    [
        ("app_pages/2_Lab.py", {}, "save_charts"),
        ("app_pages/2_Lab.py", {"view": "Loss landscape"}, "save_landscape"),
        ("app_pages/2_Lab.py", {"view": "Accumulation", "zero_grad": "false"}, "save_accumulation_charts"),
        ("app_pages/3_Compare.py", {}, "save_compare_charts"),
    ],
)
def test_every_view_of_charts_offers_to_save_them(page, query, key):
    at = open_page(page, **query)
    assert not at.exception
    assert key in [button.key for button in at.get("download_button")]


def test_the_labs_loss_and_centring_run_through_the_engine_and_the_code():
    at = open_page("app_pages/2_Lab.py", loss="mse", center="true", iterations="1000", view="Printed output")
    assert not at.exception
    code = at.code[0].value
    assert "torch.mean((yhat - y)**2)" in code and "sqrt" not in code.split("for i in")[1].split("\n")[2]
    assert "mean()" in code  # x centred: the code subtracts its mean
    assert at.radio(key="loss").value == "mse" and at.toggle(key="center").value is True
    assert "(m, b) = (-0.755" in code_blocks(at)  # centred: within 1,000 iterations of the least-squares line
