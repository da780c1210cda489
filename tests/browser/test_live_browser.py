"""A long run drawn live in a real Chromium: its charts grow while the script still runs, and Stop
leaves the part that ran on the page. Saves screenshots under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing: pip install -r requirements-dev.txt"
)

from devtools.browser import AppPage  # noqa: E402
from tests.browser.test_pages_browser import assert_charts_drawn, assert_healthy  # noqa: E402

pytestmark = pytest.mark.browser

LONG = 100_000  # iterations: tens of seconds on this machine, so the run is seen going
SHORT = 1_000  # the run on the page before it: its charts' iteration axes end at 1,000
LR = 0.0137  # used by no other test, so neither run is in the server's cache
LIVE_TIMEOUT_MS = 60_000

# False until the script is still running and the page shows a frame of the new run: the progress
# text "iteration N of 100,000" with N > 0, and a chart drawn after ``mark`` that is not stale (sent
# by this script run) whose iteration axis reaches past the last run's 1,000 iterations: a chart of
# the new run spans its 100,000 (read from the axis labels of the charts vega draws as SVG; the
# many-point charts are canvases without text).
LIVE_JS = r"""
([mark, total, before]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'running') return false;
  const progress = [...document.querySelectorAll('[data-testid="stProgress"]')].map((p) => p.innerText).join(' ');
  const pattern = new RegExp(`iteration ([\\d,]+) of ${total.toLocaleString('en-US')}`);
  const found = progress.match(pattern);
  const done = found ? Number(found[1].replaceAll(',', '')) : 0;
  const fresh = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].filter(
    (c) => !c.closest('[data-stale="true"]') && (c.__gddPaintAt || -1) >= mark
      && c.querySelector(':scope > canvas, :scope > svg'));
  const labels = fresh.flatMap((c) => [...c.querySelectorAll(':scope > svg .role-axis-label text')])
    .map((t) => t.textContent.trim()).filter((t) => /^[\d,]+$/.test(t)).map((t) => Number(t.replaceAll(',', '')));
  const furthest = Math.max(0, ...labels);
  if (!(done > 0 && done < total && fresh.length && furthest > before)) return false;
  return {done, progress, fresh: fresh.length, furthest};
}
"""


def test_a_long_run_draws_its_charts_while_it_runs_and_stops_with_its_part(open_app):
    app: AppPage = open_app().open(f"/Lab?log_x=false&lr={LR}&iterations={SHORT}")
    assert_charts_drawn(app, 2)
    mark = app.now()
    field = app.page.locator(".st-key-iterations input").first
    field.fill(str(LONG))
    field.press("Enter")
    try:
        live = app.page.wait_for_function(
            LIVE_JS, arg=[mark, LONG, SHORT], timeout=LIVE_TIMEOUT_MS, polling=50
        ).json_value()
    except Exception as error:
        raise AssertionError(f"no live frame of the new run while it ran: {app.describe()}") from error
    assert live["fresh"] >= 1 and live["furthest"] > SHORT, live
    app.viewport_screenshot("live-run-while-running")

    app.click('[class*="st-key-stop_run_"] button')
    stopped = [text for text in app.alerts() if text.startswith("Stopped")]
    assert stopped, f"no 'Stopped after ...' line once Stop was pressed: {app.alerts()}"
    # The outcome line, then its why on a line of its own.
    first_line = stopped[0].strip().splitlines()[0]
    counted = re.fullmatch(r"Stopped after ([\d,]+) of ([\d,]+) iterations\.", first_line)
    assert counted, stopped[0]
    ran, total = (int(group.replace(",", "")) for group in counted.groups())
    assert total == LONG and live["done"] <= ran < LONG, (ran, total, live)
    assert app.page.locator(".st-key-run_to_end button").count() == 1, "no way to run the stopped run to its end"
    assert_charts_drawn(app, 2)
    assert_healthy(app)
    app.viewport_screenshot("live-run-stopped")
