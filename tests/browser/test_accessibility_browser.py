"""Accessibility in a real Chromium: axe-core on every page and Lab view, in light and dark, and the Lab
driven from the keyboard alone.

axe-core is fetched by ``python3 devtools/axe.py`` (CI runs it); without it the axe tests skip,
saying so. A test fails on any serious or critical violation and lists them all, each with the
elements it names, so one run says all there is to fix.
"""

from __future__ import annotations

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing: pip install -r requirements-dev.txt"
)

from devtools import axe  # noqa: E402
from devtools.browser import FRAME_JS, AppPage  # noqa: E402
from tests.browser.test_pages_browser import assert_healthy  # noqa: E402

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
ZOOMED = {"width": 700, "height": 450}  # a 1400×900 screen at 200% zoom: the same CSS pixels

# Every page, every Lab view, presenter mode; the Lab and Home in the dark theme too.
PAGES = {
    "home": "/",
    "lesson": "/Lesson",
    "lab": "/Lab",
    "lab-landscape": "/Lab?view=Loss+landscape",
    "lab-tensors": "/Lab?view=Inside+the+tensors",
    "lab-accumulation": "/Lab?view=Accumulation&zero_grad=false",
    "lab-printed": "/Lab?view=Printed+output",
    "lab-raised": "/Lab?no_grad=false&update=reassign",
    "compare": "/Compare",
    "data": "/Data",
    "why-slow": "/Convergence",
    "lab-present": "/Lab?present=true",
    "lesson-present": "/Lesson?present=true",
}
DARK = {
    "home-dark": "/",
    "lab-dark": "/Lab",
    "compare-dark": "/Compare",
    "lab-tensors-dark": "/Lab?view=Inside+the+tensors",
}


@pytest.fixture(scope="module")
def axe_script() -> str:
    text = axe.script()
    if text is None:
        pytest.skip(f"axe-core is not fetched: run `{axe.FETCH_HINT}` to run the accessibility tests")
    return text


def shown_whole(app: AppPage, path: str) -> None:
    """What a learner sees once they act on the page: the Lesson's results show after a prediction."""
    if path.startswith("/Lesson"):
        app.click('.st-key-predict_3 [data-testid="stRadioOption"] >> nth=1')
        app.click('.st-key-ask_3_settles [data-testid="stRadioOption"] >> nth=1')


def report(found: list[dict]) -> str:
    lines = [f"{axe.count_nodes(found)} elements in {len(found)} serious or critical rules:"]
    for violation in found:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:8]:
            lines.append(f"    {node['target']}: {node['summary']}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(PAGES) + list(DARK))
def test_no_serious_or_critical_axe_violation(open_app, axe_script: str, name: str):
    path = PAGES.get(name) or DARK[name]
    app = open_app(LAPTOP, color_scheme="dark" if name in DARK else "light").open(path)
    shown_whole(app, path)
    assert_healthy(app)
    found = axe.blocking(axe.violations(app.page, axe_script))
    app.viewport_screenshot(f"axe-{name}")
    assert not found, report(found)


# --- the keyboard alone ---------------------------------------------------------------------------

FOCUSED_JS = r"""
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const keyed = el.closest('[class*="st-key-"]');
  const key = keyed ? [...keyed.classList].find((c) => c.startsWith('st-key-')).slice(7) : null;
  // A ring is an outline of 2 px or more: Streamlit's own marks (a grey background, a faint shadow) are not.
  // A switch's or a slider's ring is drawn on what shows it, around its visually hidden input.
  const ring = (e) => {
    const s = getComputedStyle(e);
    return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
  };
  const drawn = [el, el.parentElement, el.parentElement && el.parentElement.parentElement, el.closest('label')];
  return {key, tag: el.tagName.toLowerCase(), role: el.getAttribute('role'), name: el.getAttribute('aria-label'),
          text: (el.innerText || '').trim().slice(0, 40), ring: drawn.filter(Boolean).some(ring)};
}
"""
MAX_TABS = 80
# Measured (Streamlit's skip link, then the presets; 42 presses to the slider before): one more
# stop on the way, a help icon say, fails the test and shows in its counts.
MAX_TO_PRESET = 5
MAX_TO_SLIDER = 30  # one more since the code panel links to the Your draft page


def tab_to(app: AppPage, key: str, role: str | None = None) -> int:
    """Press Tab until focus is in the widget ``key`` (on an element of ``role``, if given); the presses."""
    for presses in range(1, MAX_TABS + 1):
        app.page.keyboard.press("Tab")
        focused = app.page.evaluate(FOCUSED_JS)
        if focused and focused["key"] == key and (role is None or focused["role"] == role):
            return presses
    raise AssertionError(f"{MAX_TABS} Tab presses never reached {key!r}")


def focus_ring(app: AppPage) -> bool:
    app.page.evaluate(FRAME_JS)
    return app.page.evaluate(FOCUSED_JS)["ring"]


def slider_value(app: AppPage) -> int:
    return int(app.page.locator(".st-key-at input[type=range]").first.input_value())


def test_the_lab_from_the_keyboard_alone(open_app):
    app = open_app(LAPTOP).open("/Lab")
    app.page.locator("body").focus()  # Tab from the top, as a keyboard user arrives
    app.page.keyboard.press("Tab")
    # Streamlit's own skip link, the first stop: past the sidebar's links and settings, to the page.
    assert app.page.evaluate("document.activeElement.innerText") == "Skip to main content"
    app.page.keyboard.press("Enter")
    presses = {"preset": 1 + tab_to(app, "preset_3")}
    problems = [] if focus_ring(app) else ["no visible focus ring on a preset button"]
    app.act(lambda: app.page.keyboard.press("Enter"))  # Draft 3: gradients never zeroed
    assert app.page.locator('.st-key-preset_3 [data-testid="stBaseButton-primary"]').count() == 1
    assert not app.is_on("zero_grad"), "Enter on the Draft 3 preset did not choose its settings"

    presses["zero_grad switch"] = tab_to(app, "zero_grad")
    problems += [] if focus_ring(app) else ["no visible focus ring on a bug switch"]
    app.act(lambda: app.page.keyboard.press("Space"))  # the bug fixed: the solution
    assert app.is_on("zero_grad"), "Space on the focused switch did not flip it"

    presses["next button"] = tab_to(app, "step_forward")
    problems += [] if focus_ring(app) else ["no visible focus ring on the Next iteration button"]
    app.act(lambda: app.page.keyboard.press("Enter"))
    assert slider_value(app) == 1, "Enter on Next iteration did not step the run"
    presses["slider"] = tab_to(app, "at")
    problems += [] if focus_ring(app) else ["no visible focus ring on the iteration slider"]
    app.act(lambda: app.page.keyboard.press("ArrowRight"))
    assert slider_value(app) == 2, "the Right arrow on the focused slider did not step the run"
    assert_healthy(app)
    app.viewport_screenshot("keyboard-slider-focused")
    # A short path: no help icon in between (the counts say where it grew).
    assert presses["preset"] <= MAX_TO_PRESET and sum(presses.values()) <= MAX_TO_SLIDER, presses
    assert not problems, "\n".join(problems)


def test_the_step_buttons_have_names(open_app):
    app = open_app(LAPTOP).open("/Lab?iterations=300")
    for name in ("Previous iteration", "Next iteration", "Play"):
        assert (
            app.page.get_by_role("button", name=name, exact=True).count()
            + app.page.get_by_role("switch", name=name, exact=True).count()
            == 1
        ), f"no control named {name!r}"


BACKGROUND_JS = "getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor"


def is_dark(app: AppPage) -> bool:
    red, green, blue = (int(part) for part in app.page.evaluate(BACKGROUND_JS).strip("rgba()").split(",")[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue < 128


def test_the_sidebars_theme_choice_holds_across_pages(open_app):
    app = open_app(LAPTOP).open("/Lab")
    assert not is_dark(app)
    app.page.locator(".st-key-theme button", has_text="Dark").click()  # the page reloads once, dark
    app.page.wait_for_function(f"() => {{ const [r, g, b] = {BACKGROUND_JS}.match(/\\d+/g); return r < 60; }}")
    app.wait_idle()
    assert is_dark(app) and "theme=Dark" in app.page.url
    app.page.locator('[data-testid="stSidebar"] a', has_text="Compare").click()  # a page switch in the app
    app.page.wait_for_url("**/Compare*")
    app.wait_idle()
    app.page.evaluate(FRAME_JS)
    assert is_dark(app), "the theme chosen on the Lab was lost on the way to Compare"
    assert_healthy(app)
