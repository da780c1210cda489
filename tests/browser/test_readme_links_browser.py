"""Every link the README names opens its page and view in a real Chromium.

The links are read from README.md itself (``http://localhost:8501/...`` addresses and backquoted
paths such as ``/Lab?no_grad=false``), so a link added there is walked here too. Each must open
the page its path names, unredirected, and every widget its query string names (the widget keys
are the URL parameters) must show the value the link gave it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing: pip install -r requirements-dev.txt"
)

from devtools.browser import ROOT, AppPage  # noqa: E402
from tests.browser.test_pages_browser import assert_healthy  # noqa: E402
from ui.layout import PAGES  # noqa: E402

pytestmark = pytest.mark.browser

ADDRESS = re.compile(r"https?://localhost:8501(/[^\s`)>]*)?")
BACKQUOTED_PATH = re.compile(r"`(/[A-Za-z][\w-]*(?:\?[^`\s]*)?)`")

# What a bound widget shows, found by its key: a switch's state, a radio's or a segmented control's
# chosen option, or an input box's text.
SHOWN_JS = """(key) => {
  const box = document.querySelector(`.st-key-${key}`);
  if (!box) return null;
  const toggle = box.querySelector('input[type="checkbox"]');
  if (toggle) return String(toggle.checked);
  const option = box.querySelector(
    '[data-testid="stRadioOption"]:has(input:checked), [role="radio"][aria-checked="true"]');
  if (option) return option.innerText.split("\\n")[0].trim();
  const input = box.querySelector("input");
  return input ? input.value : box.innerText.trim();
}"""


def readme_links() -> list[str]:
    """The deep links README.md names, each once, in order."""
    text = (ROOT / "README.md").read_text()
    links = [match.group(1) or "/" for match in ADDRESS.finditer(text)]
    links += [match.group(1) for match in BACKQUOTED_PATH.finditer(text)]
    return list(dict.fromkeys(links))


def page_of(path: str):
    """The app's page at ``path`` (its first segment; Home at "/")."""
    name = path.strip("/")
    return next(page for page in PAGES if page.url_path == name)


def test_the_readme_names_links_to_walk():
    links = readme_links()
    assert "/" in links and any("?" in link for link in links), links


@pytest.mark.parametrize("link", readme_links())
def test_a_link_in_the_readme_opens_its_page_and_view(open_app, link: str):
    parts = urlsplit(link)
    page = page_of(parts.path)
    app: AppPage = open_app().open(link)
    assert urlsplit(app.page.url).path == parts.path, f"{link} was redirected to {app.page.url}"
    assert_healthy(app)
    assert app.page.title().startswith(page.title), app.page.title()
    current = app.page.locator('[data-testid="stSidebarNav"] a[aria-current="page"]').all_inner_texts()
    assert current and current[0].strip().endswith(page.title), current
    for key, value in parse_qsl(parts.query):
        assert app.page.evaluate(SHOWN_JS, key) == value, f"{link}: the widget {key!r} does not show {value!r}"
    app.screenshot(f"readme-link-{page.url_path or 'Home'}-{len(parts.query)}")
