"""The load test's headless client (devtools/headless.py) against Chromium: the same actions on the Lab,
the same rerun requests sent (page, URL, every widget's value) and the same elements shown after each run."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.proto.BackMsg_pb2 import BackMsg

from devtools.browser import WIRE_JS, AppPage, new_context, take_frames
from devtools.headless import Page, Session

pytestmark = pytest.mark.browser

START = "/Lab?lr=0.03"
# (widget key, value): None clicks the button; a bool sets a toggle; a string picks a segmented
# control's option; a number is typed into a number input. The same keys bench/load.py uses.
ACTIONS = [
    ("preset_2", None),
    ("zero_grad", True),
    ("view", "Printed output"),
    ("preset_4", None),
    ("step_forward", None),
    ("iterations", 2_500),  # a configuration of its own: a real run
    ("view", "Charts"),
    ("zero_grad", False),
]


class Loop:
    """An asyncio loop in a thread of its own, for the headless session beside Playwright's sync API."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 180):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def loop() -> Iterator[Loop]:
    running = Loop()
    yield running
    running.close()


def do(app: AppPage, key: str, value: object) -> None:
    """What a user does in the browser for one action."""
    if value is None:
        app.click(f".st-key-{key} button")
    elif isinstance(value, bool):
        if app.is_on(key) != value:
            app.toggle(key)
    elif isinstance(value, str):
        app.click(f'.st-key-{key} button:has-text("{value}")')
    else:
        app.enter(key, value)


def request(msg: BackMsg) -> dict:
    """What a rerun request says: its page, its URL and each widget's value (not the browser's clock or cache)."""
    state = msg.rerun_script
    widgets = {w.id: MessageToDict(w, preserving_proto_field_name=True) for w in state.widget_states.widgets}
    return {
        "page": state.page_script_hash or state.page_name,
        "query": state.query_string,
        "widgets": {key: {k: v for k, v in value.items() if k != "id"} for key, value in widgets.items()},
    }


def last_rerun(frames: list[bytes]) -> BackMsg:
    reruns = []
    for data in frames:
        msg = BackMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "rerun_script":
            reruns.append(msg)
    assert len(reruns) == 1, f"the browser sent {len(reruns)} rerun requests for one action"
    return reruns[0]


def test_the_headless_client_sends_and_shows_what_chromium_does(browser, app_server, loop) -> None:
    context = new_context(browser)
    context.add_init_script(WIRE_JS)
    app = AppPage(context.new_page(), app_server.url, app_server)
    seen = Page(app_server.url + START)  # the browser's frames, decoded as the headless client decodes its own
    session = Session(app_server.url, START)
    try:
        app.open(START)
        loop.run(session.open())
        for key, value in [("open", None), *ACTIONS]:
            if key != "open":
                do(app, key, value)
                run = loop.run(session.act(key, value))
                assert run.status == 0 and not run.exceptions, (key, value, run)
            sent, received = take_frames(app.page)
            for data in received:
                seen.receive(data)
            assert request(session.sent) == request(last_rerun(sent)), f"rerun request after {key}={value!r}"
            assert session.page.elements() == seen.elements(), f"elements after {key}={value!r}"
            assert urlsplit(app.page.url).query == session.page.query, f"URL after {key}={value!r}"
        assert not app.exceptions()
    finally:
        loop.run(session.close())
        context.close()
