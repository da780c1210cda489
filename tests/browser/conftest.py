"""Fixtures for the browser tests: one fresh app server and one headless Chromium per test session.

The tests skip, saying what to install, where Chromium or the playwright package is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devtools.browser import CHROMIUM_ARGS, INSTALL_HINT, AppPage, AppServer, chromium_path, new_context

FIRST_VISITS = "test_a_page_opened_by_deep_link"  # these must be each page's first visit on the fresh server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the deep-link tests before any other browser test, whatever the files' order; nothing else moves."""
    here = Path(__file__).resolve().parent
    slots = [index for index, item in enumerate(items) if here in Path(item.path).resolve().parents]
    ordered = sorted((items[index] for index in slots), key=lambda item: not item.name.startswith(FIRST_VISITS))
    for index, item in zip(slots, ordered, strict=True):
        items[index] = item


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip(f"no Chromium found: install Debian's package ({INSTALL_HINT}) to run the browser tests")
    return path


@pytest.fixture(scope="session")
def browser(chromium_executable: str) -> Iterator[object]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is missing: pip install -r requirements-dev.txt"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def app_server(browser: object) -> Iterator[AppServer]:
    """A server started for this test session only (after the browser, so a skip costs no start)."""
    with AppServer() as server:
        yield server


@pytest.fixture
def open_app(browser, app_server: AppServer) -> Iterator[Callable[..., AppPage]]:
    """Opens a new user: a fresh browser context (its own session) and a page in it, closed after the test.

    ``new_user(viewport)`` gives the user a screen of that size (default: devtools.browser.VIEWPORT);
    other keywords are the context's options (``color_scheme="dark"``, ``device_scale_factor=2``).
    """
    contexts = []

    def new_user(viewport: dict[str, int] | None = None, **options: object) -> AppPage:
        context = new_context(browser, viewport=viewport, **options)
        contexts.append(context)
        return AppPage(context.new_page(), app_server.url, app_server)

    yield new_user
    for context in contexts:
        context.close()
