"""AppTest of the "Why it is slow" page: the sweep, the conditioning pair, the optimizers and the twins,
its settings from the URL, and a bad URL value refused with a message."""

from __future__ import annotations

import pytest

from tests.test_pages import code_blocks, open_page, texts

PAGE = "app_pages/5_Convergence.py"


@pytest.fixture(scope="module")
def opened():
    return open_page(PAGE, cv_iterations="200")


def test_the_page_runs_and_shows_each_part(opened):
    at = opened
    assert not at.exception and not at.error
    assert [header.value for header in at.header] == [
        "The learning rate",
        "The shape of the loss",
        "Optimizers side by side",
        "Momentum that never fades: the accumulation bug",
    ]
    assert "20 runs, learning rates 0.0001 to 1." in texts(at.markdown)
    assert "The stability limit is 0.0407" in texts(at.markdown)
    assert "part at iteration 5 and are" in texts(at.markdown)  # Draft 3 and its momentum twin part there
    assert "torch.optim.Adam([m, b], lr=0.02)" in code_blocks(at)
    assert "momentum=1, dampening=0" in code_blocks(at)


def test_centring_counts_far_fewer_iterations(opened):
    within = {metric.label: metric.value for metric in opened.metric}
    assert within["Iterations to within 0.001, x as it is"] == "9,711"
    assert within["Iterations to within 0.001, x centred"] == "748"


def test_the_mse_from_the_url_diverges_above_its_limit():
    at = open_page(PAGE, cv_iterations="200", cv_loss="mse")
    assert not at.exception
    assert (
        "Diverged:" in texts(at.markdown)
        and "part at iteration 2 " in texts(at.markdown)
        and "The stability limit is 0.0142" in texts(at.markdown)
    )
    # x as it is, the MSE at the page's rate diverges: never within reach, and its distance grew.
    within = {metric.label: metric.value for metric in at.metric}
    assert within["Iterations to within 0.001, x as it is"] == "never: diverged at iteration 142"
    assert "The distance grew by a factor of 1.82253 an iteration" in texts(at.caption)
    assert "shrank by a factor of 1.82253" not in texts(at.caption)


def test_a_bad_url_value_gives_a_message_not_a_traceback():
    at = open_page(PAGE, cv_iterations="1e9")
    assert not at.exception
    assert "The sweep's iterations must be a whole number between 100 and 5,000" in texts(at.warning)
