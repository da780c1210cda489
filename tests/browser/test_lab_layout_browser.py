"""The Lab's effect beside its switch, in a real Chromium: on a 1400×900 laptop after every switch
and preset, and on a 1280×720 projector in presenter mode from a prepared link.

"Inside the viewport" is measured with getBoundingClientRect against the window's inner size:
Streamlit scrolls inside its own main container, so the page itself never scrolls. A test
collects every element outside, with its box, before failing, so one run says all there is to
fix. Each test saves screenshots of the viewport, as the user sees it, under
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing: pip install -r requirements-dev.txt"
)

from core.lesson.drafts import LESSON_DRAFTS, Update  # noqa: E402
from devtools.browser import FRAME_JS, AppPage  # noqa: E402
from tests.browser.test_pages_browser import assert_healthy  # noqa: E402

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1400, "height": 900}
PROJECTOR = {"width": 1280, "height": 720}
SLACK_PX = 1  # sub-pixel rounding of the boxes
TOP_PART_PX = 200  # of the chosen view's chart: its title and the top of its plot, at least
PRESETS = [f"preset_{key}" for key in LESSON_DRAFTS]
TOGGLES = ("optimizer", "no_grad", "zero_grad", "loop")

# The Lab's effect and a control, in the viewport's coordinates. The effect's column is the
# outermost column holding both an alert and a chart (the settings' column holds no chart); its
# first alert is the outcome line, its charts are the chosen view's.
PLACES_JS = r"""
(control) => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
  };
  const main = document.querySelector('[data-testid="stMain"]');
  const columns = [...main.querySelectorAll('[data-testid="stColumn"]')].filter(
    (c) => c.querySelector('[data-testid="stAlert"]') && c.querySelector('[data-testid="stVegaLiteChart"]'));
  const effects = columns.find((c) => !columns.some((other) => other !== c && other.contains(c)));
  const outcome = effects ? effects.querySelector('[data-testid="stAlert"]') : null;
  const charts = effects ? [...effects.querySelectorAll('[data-testid="stVegaLiteChart"]')] : [];
  const used = control ? main.querySelector(`.st-key-${control}`) : null;
  return {
    viewport: {width: window.innerWidth, height: window.innerHeight},
    control: used && box(used),
    outcome: outcome && {...box(outcome), text: outcome.innerText.trim()},
    charts: charts.map((c, i) => {
      const title = c.querySelector('.role-title-text');  // an SVG chart's; a canvas has no text to read
      return {
        ...box(c),
        name: `chart ${i + 1}` + (title ? ` "${title.textContent}"` : ''),
        stale: !!c.closest('[data-stale="true"]'),
        drawn: !!c.querySelector(':scope > canvas, :scope > svg'),
      };
    }),
  };
}
"""

# The innermost elements under ``selectors`` whose text is cut: a text clipped by its box (with an
# ellipsis or without), or a text ending in "…".
TRUNCATED_JS = r"""
(selectors) => {
  const cut = new Map();
  for (const selector of selectors) {
    for (const root of document.querySelectorAll(selector)) {
      for (const el of [root, ...root.querySelectorAll('*')]) {
        const style = getComputedStyle(el);
        const text = el.innerText ? el.innerText.trim() : '';
        if (!text || style.visibility === 'hidden' || !el.getClientRects().length) continue;
        const clips = style.textOverflow === 'ellipsis' || ['hidden', 'clip'].includes(style.overflowX);
        if ((clips && el.scrollWidth > el.clientWidth + 1) || text.endsWith('…')) {
          cut.set(el, {selector, tag: el.tagName.toLowerCase(), text: text.slice(0, 80),
                       scrollWidth: el.scrollWidth, clientWidth: el.clientWidth});
        }
      }
    }
  }
  const all = [...cut.keys()];
  return all.filter((el) => !all.some((other) => other !== el && el.contains(other))).map((el) => cut.get(el));
}
"""


def where(box: dict) -> str:
    return f"(left {box['left']:.0f}, top {box['top']:.0f}, right {box['right']:.0f}, bottom {box['bottom']:.0f})"


def outside(box: dict, viewport: dict) -> str | None:
    """How ``box`` sticks out of the viewport, in words; None when it is wholly inside."""
    over = {
        "above": -box["top"],
        "left": -box["left"],
        "below": box["bottom"] - viewport["height"],
        "right": box["right"] - viewport["width"],
    }
    sides = [f"{px:.0f} px {side}" for side, px in over.items() if px > SLACK_PX]
    return ", ".join(sides) or None


def in_sight(name: str, box: dict | None, viewport: dict) -> str | None:
    """Why the element ``name`` is not wholly in sight, in words; None when it is."""
    if box is None:
        return f"{name} is not on the page"
    how = outside(box, viewport)
    return None if how is None else f"{name} {where(box)} is outside {screen(viewport)}: {how}"


def screen(viewport: dict) -> str:
    return f"the {viewport['width']}×{viewport['height']} viewport"


def places(app: AppPage, control: str | None = None) -> dict:
    return app.page.evaluate(PLACES_JS, control)


def effect_problems(app: AppPage, step: str, control: str) -> list[str]:
    """What of the switch just used, the outcome line and two fresh charts is not wholly in view."""
    seen = places(app, control)
    viewport = seen["viewport"]
    named = {f"the control {control!r}": seen["control"], "the outcome line": seen["outcome"]}
    problems = [f"after {step}: {why}" for name, box in named.items() if (why := in_sight(name, box, viewport))]
    fresh = [chart for chart in seen["charts"] if chart["drawn"] and not chart["stale"]]
    shown = [chart for chart in fresh if outside(chart, viewport) is None]
    if len(shown) < 2:
        cut = "; ".join(f"{c['name']} {where(c)}: {outside(c, viewport) or 'inside'}" for c in fresh[:4])
        problems.append(
            f"after {step}: {len(shown)} of the run's {len(fresh)} fresh charts wholly inside {screen(viewport)} "
            f"(2 wanted; {len(seen['charts']) - len(fresh)} stale or undrawn). First charts: {cut}"
        )
    return problems


def use(app: AppPage, control: str, option: str | None) -> str:
    """Flip a toggle, pick a radio option or press a preset, as a user does; the step in words."""
    if control in TOGGLES:
        before = app.is_on(control)
        app.toggle(control)
        assert app.is_on(control) != before, f"clicking the label of {control!r} did not flip it"
        return f"switching {control} {'off' if before else 'on'}"
    if option is not None:
        app.choose(control, option)
        assert app.chosen(control).startswith(option), app.chosen(control)
        return f"choosing {control} {option!r}"
    app.click(f".st-key-{control} button")
    active = app.page.locator(f'.st-key-{control} [data-testid="stBaseButton-primary"]')
    assert active.count() == 1, f"the preset {control!r} is not shown as the active one once pressed"
    return f"pressing {control}"


# Every switch, every option of the update and every preset, once each; each step changes the
# configuration from the one before.
STEPS = [
    ("zero_grad", None),  # Draft 3's settings: a prepared run
    ("no_grad", None),  # in place outside no_grad: raises at the first update
    ("update", Update.REASSIGN.value),  # raises at the second iteration
    ("update", Update.DATA.value),  # runs: a new 10,000-iteration run
    ("update", Update.IN_PLACE.value),
    ("loop", None),  # a single step
    ("optimizer", None),  # the no_grad switch and the update's options are disabled from here
    *((preset, None) for preset in PRESETS),
]
SCREENSHOT_AFTER = {1: "raised", 3: "data-update", 7: "draft-1", 10: "solution"}


def test_on_a_laptop_every_switch_shows_its_effect_beside_it(open_app):
    app = open_app(LAPTOP).open("/Lab")
    problems = effect_problems(app, "opening the Lab", PRESETS[3])
    for number, (control, option) in enumerate(STEPS):
        step = use(app, control, option)
        problems += effect_problems(app, step, control)
        assert_healthy(app)
        if number in SCREENSHOT_AFTER:
            app.viewport_screenshot(f"lab-layout-1400x900-{number:02d}-{SCREENSHOT_AFTER[number]}")
    assert not problems, "\n".join(problems)


# Where each wrapped part of a line of the Lab's Python starts, in characters from the code's left edge.
WRAPPED_PARTS_JS = r"""
() => {
  const code = document.querySelector('[data-testid="stCode"] code.language-python');
  const probe = document.createElement('i');  // not a line's span: measured as plain text
  probe.textContent = '0'.repeat(10);
  code.appendChild(probe);
  const ch = probe.getBoundingClientRect().width / 10;
  probe.remove();
  const left = code.getBoundingClientRect().left;
  const parts = [];
  for (const line of code.children) {
    const range = document.createRange();
    range.selectNodeContents(line);
    const rows = new Map();  // each row of the line, by its top: where its first character starts
    for (const box of range.getClientRects()) {
      if (box.width < 1) continue;
      const top = Math.round(box.top);
      rows.set(top, Math.min(rows.has(top) ? rows.get(top) : Infinity, box.left));
    }
    [...rows.entries()].sort((a, b) => a[0] - b[0]).slice(1).forEach(([, start]) =>
      parts.push({line: line.textContent.trim().slice(0, 50), column: (start - left) / ch}));
  }
  return parts;
}
"""
DEEPEST_STATEMENT = 8  # the columns the lesson's code indents a statement by, at most (inside the loop's no_grad)


def test_on_a_laptop_a_wrapped_line_of_code_never_starts_where_a_statement_would(open_app):
    """A long line wraps in the Lab's code column; its wrapped parts hang deeper than any statement."""
    app = open_app(LAPTOP).open("/Lab")
    app.page.evaluate(FRAME_JS)
    parts = app.page.evaluate(WRAPPED_PARTS_JS)
    assert parts, "no line of the Lab's code wraps at 1400x900: this test no longer checks anything"
    shallow = [part for part in parts if part["column"] < DEEPEST_STATEMENT + 1]
    assert not shallow, "wrapped parts that read as statements: " + "; ".join(
        f"{part['line']!r} continues at column {part['column']:.1f}" for part in shallow
    )


# Each Python block on the page: its source lines, and the rows of text it is drawn in.
CODE_ROWS_JS = r"""
() => [...document.querySelectorAll('[data-testid="stCode"] code.language-python')].map((code) => ({
  lines: code.textContent.replace(/\n$/, '').split('\n').length,
  rows: code.getBoundingClientRect().height / parseFloat(getComputedStyle(code).lineHeight),
}))
"""


def test_the_lessons_unwrapped_code_draws_one_row_a_line(open_app):
    """A block that scrolls rather than wraps keeps its tokens inline: one source line, one row."""
    app = open_app(LAPTOP).open("/Lesson")
    app.page.evaluate(FRAME_JS)
    blocks = app.page.evaluate(CODE_ROWS_JS)
    assert blocks, "the Lesson shows no Python"
    assert all(block["rows"] <= block["lines"] + 0.5 for block in blocks), blocks


def test_on_a_laptop_no_value_or_chart_title_in_a_half_width_column_is_cut_short(open_app):
    """The final values with their distances from the optimum, and the nudge's two charts side by side."""
    app = open_app(LAPTOP).open("/Lab?view=Accumulation&zero_grad=false&nudge=true")
    app.page.evaluate(FRAME_JS)
    problems = [
        f"text cut short in a final value: {cut['text']!r} ({cut['scrollWidth']} px in {cut['clientWidth']} px)"
        for cut in app.page.evaluate(TRUNCATED_JS, ['[data-testid="stMetric"]'])
    ]
    texts = app.chart_texts()
    assert any("twin" in text for text in texts), f"the nudge's charts are not drawn as SVG text: {texts[:10]}"
    problems += [f"chart text cut short: {text!r}" for text in texts if text.endswith("…")]
    assert_healthy(app)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "link",
    [
        "/Lab?present=true&view=Loss+landscape&no_grad=false&update=reassign&zero_grad=false&loop=false",
        "/Lab?present=true&view=Charts&zero_grad=false",
    ],
    ids=["landscape", "charts"],
)
def test_a_prepared_link_opens_on_a_projector_with_the_view_and_outcome_in_sight(open_app, link: str):
    app = open_app(PROJECTOR).open(link)
    name = f"lab-present-1280x720-{'charts' if 'Charts' in link else 'landscape'}"
    app.viewport_screenshot(name)
    problems = arrival_problems(app)
    if "Charts" in link and app.page.locator(".st-key-play").count() != 1:
        problems.append("the step-through's Play toggle is missing from a 10,000-iteration run")
    # The settings fold away in presenter mode: open them, as the instructor does, to read their labels.
    app.page.locator('[data-testid="stExpander"] summary').first.click()
    app.page.locator(f".st-key-{PRESETS[0]}").first.wait_for(state="visible")
    app.page.evaluate(FRAME_JS)
    app.viewport_screenshot(f"{name}-settings-open")
    labels = [f".st-key-{key} button" for key in PRESETS] + [f".st-key-{key} label" for key in (*TOGGLES, "play")]
    for cut in app.page.evaluate(TRUNCATED_JS, labels):
        problems.append(
            f"text cut short in {cut['selector']}, its <{cut['tag']}>: {cut['text']!r} "
            f"(scrollWidth {cut['scrollWidth']} px, clientWidth {cut['clientWidth']} px)"
        )
    assert_healthy(app)
    assert not problems, "\n".join(problems)


def arrival_problems(app: AppPage) -> list[str]:
    """What a class would miss on arrival: the outcome line, the top of the chosen view, a closed sidebar."""
    seen = places(app)
    viewport = seen["viewport"]
    outcome = in_sight("the outcome line", seen["outcome"], viewport)
    problems = [outcome] if outcome else []
    if not seen["charts"]:
        problems.append("the chosen view draws no chart")
    else:
        chart = seen["charts"][0]
        in_view = min(chart["bottom"], viewport["height"]) - max(chart["top"], 0)
        if chart["top"] < -SLACK_PX or in_view < min(TOP_PART_PX, chart["bottom"] - chart["top"]):
            problems.append(
                f"the chosen view's first chart, {chart['name']} {where(chart)}, shows {in_view:.0f} px inside "
                f"{screen(viewport)} (its top {TOP_PART_PX} px wanted)"
            )
    sidebar = app.page.locator('[data-testid="stSidebar"]')
    if sidebar.count() and sidebar.first.get_attribute("data-collapsed") != "true":
        problems.append("the sidebar is open on arrival in presenter mode")
    return problems
