"""The verdict said first, in a real Chromium on a 1400×900 laptop: the outcome line's words and colour.

The outcome line is the first alert of the Lab's effects column. Its colour is read from the
page (Streamlit's alert kind, and the box's computed background), not from the script: green
only for a loop that settled on the line.
"""

from __future__ import annotations

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing: pip install -r requirements-dev.txt"
)

from tests.browser.test_lab_layout_browser import LAPTOP  # noqa: E402
from tests.browser.test_pages_browser import assert_healthy  # noqa: E402

pytestmark = pytest.mark.browser

# The outcome line: the effects column's first alert, its kind (Streamlit's test id of its content),
# its words, its background colour, and whether it is in the viewport.
OUTCOME_JS = r"""
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const columns = [...main.querySelectorAll('[data-testid="stColumn"]')].filter(
    (c) => c.querySelector('[data-testid="stAlert"]') && c.querySelector('[data-testid="stVegaLiteChart"]'));
  const effects = columns.find((c) => !columns.some((other) => other !== c && other.contains(c)));
  const alert = effects && effects.querySelector('[data-testid="stAlert"]');
  if (!alert) return null;
  const content = alert.querySelector('[data-testid^="stAlertContent"]');
  const box = alert.getBoundingClientRect();
  const painted = [alert, ...alert.querySelectorAll('*')].map((el) => getComputedStyle(el).backgroundColor)
    .find((colour) => colour && colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent');
  return {
    kind: content ? content.dataset.testid.replace('stAlertContent', '').toLowerCase() : null,
    text: alert.innerText.trim(),
    background: painted || null,
    inside: box.top >= 0 && box.bottom <= window.innerHeight,
  };
}
"""


def outcome(app) -> dict:
    line = app.page.evaluate(OUTCOME_JS)
    assert line is not None, f"no outcome line beside the charts: {app.describe()}"
    return line


def greenish(rgb: str | None) -> bool:
    """Whether a computed colour ``rgb(r, g, b[, a])`` is a green: its green above its red and its blue
    (Streamlit's success box is a pale green, rgb(241, 251, 246) on the light theme)."""
    if not rgb:
        return False
    r, g, b = (float(part) for part in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return g > r and g > b


def test_draft_3_is_not_green_and_names_oscillation_the_solution_is_green(open_app):
    app = open_app(LAPTOP).open("/Lab")
    solution = outcome(app)
    assert solution["kind"] == "success" and greenish(solution["background"]), solution
    assert solution["text"].startswith("Converged: loss (RMSE) 1.437, within 0.1%") and solution["inside"], solution

    app.click(".st-key-preset_3 button")
    draft_3 = outcome(app)
    assert draft_3["kind"] == "warning" and not greenish(draft_3["background"]), draft_3
    assert draft_3["text"].startswith("Oscillating, never settling"), draft_3
    assert "Gradients are never zeroed" in draft_3["text"] and draft_3["inside"], draft_3
    app.viewport_screenshot("verdict-1400x900-draft-3")
    assert_healthy(app)


def test_draft_1_says_what_its_loop_raises_and_offers_the_loop(open_app):
    app = open_app(LAPTOP).open("/Lab")
    app.click(".st-key-preset_1 button")
    step = outcome(app)
    assert step["kind"] == "info" and step["text"].startswith("One step, no loop"), step
    assert "Looped, this code raises TypeError at iteration 1" in step["text"], step
    app.viewport_screenshot("verdict-1400x900-draft-1")

    app.click(".st-key-loop_it button")
    looped = outcome(app)
    assert looped["kind"] == "error" and looped["text"].startswith("TypeError raised at iteration 1"), looped
    captions = app.page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').all_inner_texts()
    assert any("Draft 1, looped (10,000 iterations)" in caption for caption in captions), captions
    app.viewport_screenshot("verdict-1400x900-draft-1-looped")
    assert_healthy(app)
