"""The Lab on a phone (390×844) and on a laptop at 200% zoom: nothing wider than the screen, nothing cut short.

At 200% zoom a 1400×900 screen lays the page out in 700×450 CSS pixels, drawn at twice the
density: a 700×450 viewport with a device scale factor of 2 is exactly that.
"""

from __future__ import annotations

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing: pip install -r requirements-dev.txt"
)

from devtools.browser import FRAME_JS  # noqa: E402
from tests.browser.test_lab_layout_browser import TRUNCATED_JS  # noqa: E402
from tests.browser.test_pages_browser import assert_healthy  # noqa: E402

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ZOOMED = {"width": 700, "height": 450}

# How far the page and Streamlit's scrolling main area reach past the screen's width, and what
# sticks out (an element inside a box that scrolls on its own, such as code, does not count).
OVERFLOW_JS = r"""
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const scrolls = (el) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  const clipped = (el) => { for (let p = el.parentElement; p && p !== main; p = p.parentElement) {
    if (scrolls(p)) return true; } return false; };
  const wide = [...main.querySelectorAll('*')].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width && box.right > window.innerWidth + 1 && !clipped(el);
  }).slice(0, 5).map((el) => `${el.tagName.toLowerCase()}[data-testid=${el.dataset.testid || ''}] ` +
                              `${(el.innerText || '').trim().slice(0, 40)}`);
  return {page: document.documentElement.scrollWidth - window.innerWidth,
          main: main.scrollWidth - main.clientWidth, wide};
}
"""
# The labels and values a learner must read whole: presets, switches, the step-through.
WHOLE = [
    '[class*="st-key-preset_"] button',
    ".st-key-no_grad label",
    ".st-key-zero_grad label",
    ".st-key-loop label",
    ".st-key-play label",
    ".st-key-step_values",
    '[data-testid="stAlert"]',
]


def overflow_problems(app) -> list[str]:
    app.page.evaluate(FRAME_JS)
    found = app.page.evaluate(OVERFLOW_JS)
    problems = []
    if found["page"] > 0 or found["main"] > 0:
        problems.append(f"the page scrolls sideways: {found['page']} px (page), {found['main']} px (main)")
    problems += [f"wider than the screen: {what}" for what in found["wide"]]
    return problems


def cut_problems(app) -> list[str]:
    return [f"cut short: {cut['selector']} {cut['text']!r}" for cut in app.page.evaluate(TRUNCATED_JS, WHOLE)]


@pytest.mark.parametrize("view", ["Charts", "Printed output", "Inside the tensors"])
def test_the_lab_on_a_phone_has_no_sideways_scroll(open_app, view):
    app = open_app(PHONE).open(f"/Lab?view={view.replace(' ', '+')}&at=3")
    app.viewport_screenshot(f"phone-lab-{view.split()[0].lower()}")
    problems = overflow_problems(app) + cut_problems(app)
    assert_healthy(app)
    assert not problems, "\n".join(problems)


def test_the_lab_at_200_percent_zoom_cuts_no_value_or_label(open_app):
    app = open_app(ZOOMED, device_scale_factor=2).open("/Lab?zero_grad=false&at=7")
    app.viewport_screenshot("zoom-200-lab")
    problems = overflow_problems(app) + cut_problems(app)
    assert_healthy(app)
    assert not problems, "\n".join(problems)


LAPTOP = {"width": 1400, "height": 900}
# Every page with charts, and the Lab's chart views: a chart's words (legends, titles, labels)
# are drawn as SVG text, and Vega ends one that does not fit its limit in "…".
CHART_PAGES = [
    "/",
    "/Lab",
    "/Lab?view=Loss+landscape&zero_grad=false",
    "/Lab?view=Accumulation&zero_grad=false",
    "/Compare",
    "/Convergence",
]


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_no_chart_words_are_cut_short_on_any_page(open_app, size: str):
    problems = []
    app = open_app(LAPTOP if size == "laptop" else PHONE)
    for path in CHART_PAGES:
        app.open(path)
        texts = app.chart_texts()
        assert texts, f"{path}: no chart drawn as SVG text"
        problems += [f"{path}: {text!r}" for text in texts if text.endswith("…")]
        assert_healthy(app)
    assert not problems, "chart words cut short at " + size + ":\n" + "\n".join(problems)
