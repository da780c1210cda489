"""The pages in a real Chromium against a fresh server: deep links, a bug switched on in the Lab,
shared links, and a user's own data.

Widgets are found by their keys (Streamlit gives each keyed widget's container the class
``st-key-<key>``) and everything else by Streamlit's data-testids. Each test saves a screenshot
under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing: pip install -r requirements-dev.txt"
)

from core.lesson.drafts import VARIANTS  # noqa: E402
from devtools.browser import ROOT, AppPage  # noqa: E402

pytestmark = pytest.mark.browser

ERROR = re.compile(r"\b(TypeError|RuntimeError)\b")
SAMPLE_CSV = ROOT / "data" / "sample_upload.csv"
SAMPLE_X = "hours_studied"  # the sample file's first column: the x axis title once it is in use
USER_DATASET = "your data"  # the sidebar's name for an uploaded dataset
LAB_SETTINGS = ("no_grad", "update", "zero_grad", "loop", "iterations", "lr", "m0", "b0")


def assert_charts_drawn(app: AppPage, at_least: int) -> None:
    charts = app.charts()
    assert len(charts) >= at_least, f"expected at least {at_least} charts, found {len(charts)}"
    for chart in charts:
        assert chart["tag"] in ("canvas", "svg") and chart["width"] > 0 and chart["height"] > 0, chart
        assert chart["inked"], f"a chart drew nothing: {chart}"


def assert_healthy(app: AppPage) -> None:
    assert app.exceptions() == [], f"the page shows an exception{app.server_log()}"
    assert app.errors == [], f"the page's JavaScript raised: {app.errors}"


def sidebar_link(app: AppPage, page: str) -> dict:
    """Switch pages through the sidebar, as a user does: the session (and an upload) stays."""
    link = app.page.locator(f'[data-testid="stSidebarNav"] a[data-testid="stSidebarNavLink"][href$="{page}"]').first
    return app.act(link.click)


def dataset_choice(app: AppPage) -> str:
    return app.value("dataset")


def lab_settings(app: AppPage) -> dict[str, object]:
    """The Lab's loop settings as the widgets show them."""
    state: dict[str, object] = {}
    for key in LAB_SETTINGS:
        if key == "update":
            state[key] = app.chosen(key)
        elif app.page.locator(f'.st-key-{key} input[role="switch"]').count():
            state[key] = app.is_on(key)
        else:
            state[key] = app.value(key)
    return state


def outcome(app: AppPage) -> dict[str, list[str]]:
    """What a run showed: the boxes, the code blocks, the texts drawn in SVG charts, the tables' cells."""
    tables = '[data-testid="stMain"] [data-testid="stDataFrame"]'
    if app.page.locator(tables).count():  # the grid writes its cells into the DOM a moment after it draws
        app.page.locator(f'{tables} [role="gridcell"]').first.wait_for(state="attached")
    cells = app.page.locator(f'{tables} [role="gridcell"]')
    return {
        "alerts": app.alerts(),
        "code": app.codes(),
        "chart texts": app.chart_texts(),
        "cells": cells.all_inner_texts(),
    }


def query(app: AppPage) -> dict[str, list[str]]:
    return parse_qs(urlsplit(app.page.url).query)


def path_and_query(app: AppPage) -> str:
    parts = urlsplit(app.page.url)
    return f"{parts.path}?{parts.query}"


# (a) Keep this test first: on the fresh server, each page's first visit is this deep link.
@pytest.mark.parametrize(
    ("path", "key", "charts"),
    [
        ("/Lab", "no_grad", 5),
        ("/Compare", "compare", 4),
        ("/Lesson", "predict_1", 0),
        ("/Data", "upload", 0),
        ("/", None, 1),
    ],
    ids=["Lab", "Compare", "Lesson", "Data", "Home"],
)
def test_a_page_opened_by_deep_link_runs_and_draws_its_charts(open_app, path: str, key: str | None, charts: int):
    app = open_app().open(path)
    assert urlsplit(app.page.url).path == path, "the deep link was redirected"
    if key is not None:
        assert app.page.locator(f".st-key-{key}").count() == 1, f"the page at {path} has no widget {key!r}"
    assert_healthy(app)
    assert_charts_drawn(app, charts)
    if path == "/Lesson":
        # A draft's results, charts included, show once the learner has made a prediction.
        app.click('.st-key-predict_3 [data-testid="stRadioOption"] >> nth=1')
        app.click('.st-key-ask_3_settles [data-testid="stRadioOption"] >> nth=1')
        assert_healthy(app)
        assert_charts_drawn(app, 2)
    app.screenshot(f"a-deep-link-{path.strip('/') or 'Home'}")


# (b)
def test_lab_switching_a_bug_on_changes_the_outcome_and_the_charts(open_app):
    app = open_app().open("/Lab")
    assert app.is_on("no_grad")
    assert not any(ERROR.search(text) for text in app.alerts()), "the solution should not raise"
    solution_charts = app.fingerprints()

    redraw = app.toggle("no_grad")  # the update now runs outside torch.no_grad()
    assert not app.is_on("no_grad")
    assert query(app).get("no_grad") == ["false"]
    raised = [match.group() for text in app.alerts() if (match := ERROR.search(text))]
    assert raised, f"no TypeError or RuntimeError shown: {app.alerts()}"
    assert_healthy(app)
    assert_charts_drawn(app, 5)
    assert redraw["redrawn"] >= 1, redraw
    buggy_charts = app.fingerprints()
    assert all(a != b for a, b in zip(solution_charts, buggy_charts, strict=False)), "a chart did not change"
    # The charts mark where the run failed, naming the same error as the outcome.
    assert any(raised[0] in text for text in app.chart_texts()), app.chart_texts()
    app.screenshot("b-lab-update-outside-no-grad")

    app.toggle("no_grad")  # back to the solution: a configuration seen before
    assert app.is_on("no_grad")
    assert not any(ERROR.search(text) for text in app.alerts())
    assert_healthy(app)
    assert app.fingerprints() == solution_charts, "the solution's charts look different the second time"


# (c)
def test_a_shared_lab_link_opens_the_same_settings_and_outcome(open_app):
    link = "/Lab?no_grad=false&update=reassign&iterations=50"
    shared = open_app().open(link)
    settings = lab_settings(shared)
    assert settings["no_grad"] is False and settings["update"] == "reassign" and settings["iterations"] == "50"
    assert settings["zero_grad"] is True and settings["loop"] is True
    seen = outcome(shared)
    assert any("TypeError" in text for text in seen["alerts"]), seen["alerts"]
    assert_healthy(shared)
    shared.screenshot("c-lab-shared-link")

    # A new session sets the same by hand; the URL the app writes then opens it again.
    by_hand = shared.open("/Lab")
    by_hand.toggle("no_grad")
    by_hand.choose("update", "reassign")
    by_hand.enter("iterations", 50)
    assert lab_settings(by_hand) == settings
    assert outcome(by_hand) == seen
    params = query(by_hand)
    assert params.get("no_grad") == ["false"] and params.get("update") == ["reassign"]
    assert params.get("iterations") == ["50"]
    assert_healthy(by_hand)
    reopened = by_hand.open(path_and_query(by_hand))
    assert lab_settings(reopened) == settings
    assert outcome(reopened) == seen
    assert_healthy(reopened)


def compare_choices(app: AppPage) -> list[str]:
    tags = app.page.locator('.st-key-compare [data-testid="stMultiSelectTagsContainer"] [data-tag]')
    return [tag.get_attribute("aria-label") for tag in tags.all()]


def test_a_shared_compare_link_opens_the_same_choices_and_outcome(open_app):
    labels = [VARIANTS["4"][0], VARIANTS["1-loop"][0]]  # the page's default choices, but Draft 3 is replaced
    link = "/Compare?" + urlencode([("compare", label) for label in labels] + [("cmp_log_x", "false")])
    shared = open_app().open(link)
    assert compare_choices(shared) == labels
    assert not shared.is_on("cmp_log_x")
    seen = outcome(shared)
    assert any(ERROR.search(cell) for cell in seen["cells"]), f"Draft 1 looped should raise: {seen['cells']}"
    assert_healthy(shared)
    assert_charts_drawn(shared, 4)
    shared.screenshot("c-compare-shared-link")

    by_hand = shared.open("/Compare")  # a new session
    for label in compare_choices(by_hand):
        if label not in labels:
            by_hand.click(f'.st-key-compare button[aria-label="Remove {label}"]')
    for label in labels:
        if label in compare_choices(by_hand):
            continue
        option = by_hand.page.locator('[role="option"]').filter(has_text=re.compile(f"^{re.escape(label)}$"))

        def pick(option=option) -> None:
            by_hand.page.locator(".st-key-compare input").first.click()
            option.first.click()
            by_hand.page.keyboard.press("Escape")

        by_hand.act(pick)
    by_hand.toggle("cmp_log_x")
    assert compare_choices(by_hand) == labels
    assert query(by_hand).get("compare") == labels
    assert outcome(by_hand) == seen
    assert_healthy(by_hand)
    reopened = by_hand.open(path_and_query(by_hand))
    assert compare_choices(reopened) == labels and not reopened.is_on("cmp_log_x")
    assert outcome(reopened) == seen
    assert_healthy(reopened)


def test_settings_survive_moving_between_pages(open_app):
    app = open_app().open("/Lab")
    app.toggle("zero_grad")
    app.enter("lr", 0.03)
    lab = lab_settings(app)
    assert lab["zero_grad"] is False and lab["lr"] == "0.03"
    lab_outcome = outcome(app)

    sidebar_link(app, "Compare")
    app.toggle("cmp_log_x")
    compare = compare_choices(app)
    sidebar_link(app, "Lab")
    assert lab_settings(app) == lab
    after = outcome(app)
    assert (after["alerts"], after["code"]) == (lab_outcome["alerts"], lab_outcome["code"])  # the same run
    # The same chart texts: drawn afresh now, after data swaps before, so Vega orders them differently.
    assert sorted(after["chart texts"]) == sorted(lab_outcome["chart texts"])
    assert query(app).get("zero_grad") == ["false"] and query(app).get("lr") == ["0.03"]  # a link to share
    sidebar_link(app, "Compare")
    assert compare_choices(app) == compare and not app.is_on("cmp_log_x")
    assert query(app).get("cmp_log_x") == ["false"]
    assert_healthy(app)


# (d)
def test_uploaded_data_is_used_and_a_bad_file_is_refused_naming_the_line(open_app, tmp_path: Path):
    app = open_app().open("/Data")
    upload = app.page.locator('.st-key-upload input[type="file"]')
    app.act(lambda: upload.set_input_files(str(SAMPLE_CSV)))
    assert app.page.locator(".st-key-x_column").count() == 1, "no column choice after a good upload"
    assert not [text for text in app.alerts() if "could not be used" in text]
    app.act(lambda: app.page.get_by_role("button", name="Use this data").click())
    assert dataset_choice(app) == USER_DATASET
    assert_healthy(app)
    app.screenshot("d-data-uploaded")

    sidebar_link(app, "Lab")
    assert dataset_choice(app) == USER_DATASET
    assert SAMPLE_X in app.chart_texts(), "the Lab's fit chart is not drawn on the uploaded data"
    assert app.alerts(), "the Lab shows no outcome"
    assert_healthy(app)
    assert_charts_drawn(app, 5)
    app.screenshot("d-lab-on-uploaded-data")

    bad = tmp_path / "bad_scores.csv"
    bad.write_text("hours_studied,exam_score\n1.5,52\n2.0,58\nabout 3,60\n4.5,71\n5.0,75\n")
    sidebar_link(app, "Data")
    app.act(lambda: app.page.locator('.st-key-upload input[type="file"]').set_input_files(str(bad)))
    refusals = [text for text in app.alerts() if "bad_scores.csv" in text]
    assert refusals, f"no error names the bad file: {app.alerts()}"
    assert "line 4" in refusals[0], refusals[0]
    assert dataset_choice(app) == USER_DATASET
    assert SAMPLE_CSV.name in app.page.locator('[data-testid="stSidebar"]').inner_text()
    assert_healthy(app)
    app.screenshot("d-data-bad-file-refused")

    sidebar_link(app, "Lab")  # the previous upload is still the data in use
    assert dataset_choice(app) == USER_DATASET
    assert SAMPLE_X in app.chart_texts()
    assert_healthy(app)
