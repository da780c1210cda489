"""Browser tests of the Lab's teaching views: stepping through a run, the loss landscape, the
tensors and their autograd graph, and presenter mode. Each saves a screenshot."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from core.charts import HEIGHT
from core.cli import arguments, main
from core.lesson.drafts import SOLUTION
from tests.browser.test_pages_browser import assert_charts_drawn, assert_healthy
from ui.chart_view import PRESENTER_SCALE

pytestmark = pytest.mark.browser


def axis_label_px(app) -> float:
    """The font size Vega drew the first chart's first axis label at."""
    label = app.page.locator('[data-testid="stVegaLiteChart"] .role-axis-label text').first
    return float(label.get_attribute("font-size").removesuffix("px"))


def slider_value(app) -> int:
    return int(app.page.locator(".st-key-at input[type=range]").first.input_value())


def test_stepping_through_a_run_moves_every_view(open_app):
    app = open_app().open("/Lab?zero_grad=false&at=5")
    assert slider_value(app) == 5
    assert "at iteration 5" in " ".join(app.chart_texts())
    app.act(lambda: app.page.keyboard.press("ArrowRight"))
    assert slider_value(app) == 6
    assert "at iteration 6" in " ".join(app.chart_texts())
    assert app.page.get_by_text("At iteration 6, before its update", exact=False).count() == 1
    app.click(".st-key-step_back button")
    assert slider_value(app) == 5
    assert_healthy(app)
    assert_charts_drawn(app, 5)
    app.screenshot("e-lab-step-through")


def test_play_moves_on_by_itself(open_app):
    app = open_app().open("/Lab?iterations=200")
    app.toggle("play")
    app.page.wait_for_function(
        "() => Number(document.querySelector('.st-key-at input[type=range]').value) >= 3", timeout=60_000
    )
    assert_healthy(app)


def test_the_loss_landscape_draws_the_path_to_the_minimum(open_app):
    app = open_app().open("/Lab?view=Loss+landscape&at=20")
    assert_charts_drawn(app, 1)  # thousands of cells: vega-embed may draw it on a canvas, so no text to read
    assert app.page.get_by_text("the star is the least-squares minimum").count() == 1
    assert_healthy(app)
    app.screenshot("f-lab-loss-landscape")


def test_inside_the_tensors_draws_the_autograd_graph(open_app):
    app = open_app().open("/Lab?view=Inside+the+tensors&no_grad=false&update=reassign&iterations=2")
    graphs = app.page.locator('[data-testid="stGraphVizChart"] svg')
    graphs.first.wait_for(timeout=30_000)
    drawn = " ".join(graphs.nth(i).text_content() or "" for i in range(graphs.count()))
    assert "AccumulateGrad" in drawn and "SubBackward0" in drawn
    assert_healthy(app)
    app.screenshot("g-lab-inside-the-tensors")


def test_presenter_mode_enlarges_and_keeps_stepping_on_the_keyboard(open_app):
    plain = open_app().open("/Lab")
    plain_height = plain.page.locator('[data-testid="stVegaLiteChart"]').first.bounding_box()["height"]
    app = open_app().open("/Lab?present=true&zero_grad=false")
    assert app.is_on("present")
    assert app.page.get_by_text("Switch each of the lesson's bugs on or off.").count() == 0
    height = app.page.locator('[data-testid="stVegaLiteChart"]').first.bounding_box()["height"]
    # The plot alone grows by (PRESENTER_SCALE - 1) * HEIGHT; larger text adds to that.
    assert height - plain_height >= 0.9 * (PRESENTER_SCALE - 1) * HEIGHT
    # Axis labels as the browser drew them: larger on a projector than Streamlit's theme sets them.
    assert axis_label_px(app) >= 16 > axis_label_px(plain)
    app.act(lambda: app.page.keyboard.press("ArrowRight"))
    assert slider_value(app) == 1
    assert_healthy(app)
    app.screenshot("h-lab-presenter-mode")


def test_the_charts_and_the_code_download_as_files_that_work(open_app, tmp_path, capsys):
    app = open_app().open("/Lab?zero_grad=false&iterations=300&at=3")
    charts_zip = app.download("save_charts", tmp_path / "charts.zip")  # drawn on the server when clicked
    with zipfile.ZipFile(charts_zip) as archive:
        names = archive.namelist()
        assert len(names) == 10 and sum(name.endswith(".svg") for name in names) == 5, names
        fit = archive.read("1-fitted-line-on-the-data.svg").decode()
        assert "at iteration 3" in fit and "screentime" in fit
        assert archive.read("5-gradients-m-grad-b-grad-over-iterations.png")[:4] == b"\x89PNG"

    script = app.download("download_script", tmp_path / "gradient_descent_draft.py")
    # The script runs on its own, from an empty folder, and prints what the command line prints.
    completed = subprocess.run(
        [sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300
    )
    status = main(arguments(SOLUTION.with_changes(zero_grad=False, iterations=300), 5))
    assert (completed.returncode, completed.stdout) == (status, capsys.readouterr().out)
    assert_healthy(app)
