"""A Streamlit session without a browser: the websocket protocol the frontend speaks, in Python.

The frontend and the server exchange protobufs over ``/_stcore/stream``: the page sends
``BackMsg``s (a ``rerun_script`` carries the page, the URL's query string and the state of
every widget on the page), the server answers with ``ForwardMsg``s (``new_session`` starts a
script run, ``delta``s add elements at a path, ``script_finished`` ends it). ``Page`` keeps
what a browser tab keeps between runs and builds the messages as Streamlit 1.67's frontend
does (read from its bundle; ``tests/browser/test_load_client.py`` checks it against Chromium):

- a widget's value: what the user set, else the value the server sent with ``set_value``,
  else the element's default; widgets that left the page are forgotten when a run finishes;
- a change to a widget bound to the URL (``query_param_key``) writes the URL at once (its
  default removes the parameter; keys sorted, as the frontend's query-string library does),
  and the server's ``page_info_changed`` replaces it;
- a button click is a ``trigger_value`` sent with that one rerun;
- large elements are cached by hash: the page lists the hashes it holds, the server sends a
  ``ref_hash`` in their place, and a hash unused for more runs than the server's
  ``max_cached_message_age`` is dropped.

``Session`` drives one ``Page`` over a websocket (the ``websockets`` package): open a page,
change a widget by its key, and time each run from the request to ``script_finished``.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}
EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN


def _option(element: Any) -> str | None:
    """A radio's or selectbox's default option: its text, as the frontend sends it."""
    return element.options[element.default] if element.HasField("default") else None


def _number_type(element: Any) -> str:
    return "int_value" if element.data_type == NumberInput.INT else "double_value"


# Widget element -> (its value's field in a WidgetState, value sent by the server, default).
WIDGETS = {
    "checkbox": (lambda e: "bool_value", lambda e: e.value, lambda e: e.default),
    "radio": (lambda e: "string_value", lambda e: e.raw_value, _option),
    "selectbox": (lambda e: "string_value", lambda e: e.raw_value, _option),
    "number_input": (_number_type, lambda e: e.value, lambda e: e.default if e.HasField("default") else None),
    "slider": (lambda e: "double_array_value", lambda e: list(e.value), lambda e: list(e.default)),
    "button_group": (
        lambda e: "string_array_value",
        lambda e: list(e.raw_values),
        lambda e: [e.options[i].content for i in e.default],
    ),
    "text_input": (lambda e: "string_value", lambda e: e.value, lambda e: e.default),
}
BUTTONS = {"button"}  # their state is a trigger, sent once with the click


@dataclass(frozen=True)
class Shown:
    """One element of a finished run, as the tree of the page holds it."""

    path: tuple[int, ...]
    kind: str  # the element's type ("checkbox", "vega_lite_chart", ...), or "block:<type>"
    widget_id: str = ""
    text: str = ""  # an exception's type and message


def js_number(value: float) -> str:
    """A number as JavaScript's String() writes it: 3 for 3.0."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def url_value(value: Any) -> Any:
    """A widget value as the frontend writes it into the URL."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return js_number(value)
    if isinstance(value, list):
        return [url_value(item) for item in value]
    return value


def widget_state(widget_id: str, kind: str, value: Any) -> dict:
    """A WidgetState's fields, as the kwargs of ``widgets.add``."""
    if kind.endswith("_array_value"):
        return {"id": widget_id, kind: {"data": list(value)}}
    return {"id": widget_id, kind: int(value) if kind == "int_value" else value}


@dataclass
class Page:
    """What a browser tab holds for one page: its URL, elements, widget values and message cache."""

    url: str  # http://host:port/Lab?query
    page_hash: str = ""  # the page's script hash, from the server's first run
    query: str = ""
    tree: dict[tuple[int, ...], Shown] = field(default_factory=dict)
    values: dict[str, tuple[str, Any]] = field(default_factory=dict)  # widget id -> (kind, value)
    bindings: dict[str, tuple[str, Any]] = field(default_factory=dict)  # widget id -> (URL parameter, default)
    cache: dict[str, tuple[ForwardMsg, int]] = field(default_factory=dict)  # hash -> (message, run seen)
    runs: int = 0  # runs finished: the cache's clock
    max_age: int = 2
    touched: set[tuple[int, ...]] = field(default_factory=set)
    status: int | None = None  # the last script_finished status

    def __post_init__(self) -> None:
        self.query = urlsplit(self.url).query

    @property
    def page_name(self) -> str:
        return urlsplit(self.url).path.strip("/")

    # --- what the page sends -------------------------------------------------------------------

    def rerun(self, trigger: str | None = None) -> BackMsg:
        """The rerun_script message the frontend sends, with a button ``trigger`` (a widget id) pressed."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        if self.page_hash:
            state.page_script_hash = self.page_hash
        else:
            state.page_name = self.page_name
        for widget_id, (kind, value) in self.values.items():
            if value is not None:
                state.widget_states.widgets.add(**widget_state(widget_id, kind, value))
        if trigger:
            state.widget_states.widgets.add(id=trigger, trigger_value=True)
        state.cached_message_hashes.extend(self.cache)
        base = self.url.split("?", 1)[0]
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url, info.is_embedded, info.color_scheme = base, False, "light"
        return msg

    def widget_id(self, key: str) -> str:
        """The id of the widget with user key ``key`` on the page (ids end with ``-<key>``)."""
        found = [shown.widget_id for shown in self.tree.values() if shown.widget_id.endswith(f"-{key}")]
        if len(found) != 1:
            raise KeyError(f"{len(found)} widgets with key {key!r} on the page")
        return found[0]

    def set(self, key: str, value: Any) -> None:
        """The user changes the widget ``key`` to ``value``; a bound widget writes the URL at once."""
        widget_id = self.widget_id(key)
        kind = self.values[widget_id][0]
        if kind.endswith("_array_value") and not isinstance(value, list):
            value = [value]  # one option of a segmented control, one end of a slider
        self.values[widget_id] = (kind, value)
        if widget_id in self.bindings:
            param, default = self.bindings[widget_id]
            params = {}
            for name, item in parse_qsl(self.query, keep_blank_values=True):
                params.setdefault(name, []).append(item)
            shown = url_value(value)
            if shown == url_value(default):
                params.pop(param, None)
            else:
                params[param] = shown if isinstance(shown, list) else [shown]
            self.query = urlencode(sorted(params.items()), doseq=True)

    # --- what the page receives ----------------------------------------------------------------

    def receive(self, data: bytes) -> ForwardMsg:
        """Take one websocket frame from the server, as the frontend does."""
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if msg.HasField("ref_hash"):
            cached, _ = self.cache[msg.ref_hash]
            self.cache[msg.ref_hash] = (cached, self.runs)
            full = ForwardMsg()
            full.CopyFrom(cached)
            full.metadata.CopyFrom(msg.metadata)
            msg = full
        elif msg.metadata.cacheable:
            self.cache[msg.hash] = (msg, self.runs)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.touched = set()
            self.status = None
            self.page_hash = msg.new_session.page_script_hash or self.page_hash
            if msg.new_session.HasField("config"):
                self.max_age = msg.new_session.config.max_cached_message_age
        elif kind == "navigation" and msg.navigation.page_script_hash:
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta":
            self._delta(msg)
        elif kind == "script_finished":
            self._finished(msg.script_finished)
        return msg

    def _delta(self, msg: ForwardMsg) -> None:
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        if delta.WhichOneof("type") == "add_block":
            shown = Shown(path, "block:" + (delta.add_block.WhichOneof("type") or ""))
        elif delta.WhichOneof("type") == "new_element":
            shown = self._element(path, delta.new_element)
        else:
            return
        if not shown.kind.startswith("block:"):  # an element in a block's place removes the block's content
            self.tree = {key: value for key, value in self.tree.items() if key[: len(path)] != path}
        self.tree[path] = shown
        self.touched.add(path)

    def _element(self, path: tuple[int, ...], element: Any) -> Shown:
        kind = element.WhichOneof("type")
        proto = getattr(element, kind)
        if kind == "exception":
            return Shown(path, kind, text=f"{proto.type}: {proto.message}")
        widget_id = getattr(proto, "id", "") if kind in WIDGETS or kind in BUTTONS else ""
        if kind in WIDGETS:
            value_type, sent, default = (rule(proto) for rule in WIDGETS[kind])
            if proto.set_value or widget_id not in self.values:
                self.values[widget_id] = (value_type, sent if proto.set_value else default)
            if getattr(proto, "query_param_key", ""):
                self.bindings[widget_id] = (proto.query_param_key, default)
        return Shown(path, kind, widget_id)

    def _finished(self, status: int) -> None:
        self.status = status
        if status not in FINISHED:
            return
        # Elements a finished run did not send are stale: the frontend removes them.
        self.tree = {path: shown for path, shown in self.tree.items() if path in self.touched}
        alive = {shown.widget_id for shown in self.tree.values()}
        self.values = {key: value for key, value in self.values.items() if key in alive}
        self.bindings = {key: value for key, value in self.bindings.items() if key in alive}
        self.runs += 1
        self.cache = {key: entry for key, entry in self.cache.items() if self.runs - entry[1] <= self.max_age}

    def elements(self) -> list[Shown]:
        """The elements of the last finished run, in page order."""
        return [self.tree[path] for path in sorted(self.tree)]

    def exceptions(self) -> list[str]:
        return [shown.text for shown in self.elements() if shown.kind == "exception"]


@dataclass
class Run:
    """One script run a session asked for: how long it took and what it left on the page."""

    seconds: float
    status: int | None
    frames: int
    received: int  # payload bytes
    exceptions: list[str]


class SessionError(Exception):
    """A run that did not end: the connection was lost, or it timed out."""


class Session:
    """One user's tab, without a browser: open a page, change widgets by key, time each run."""

    def __init__(self, base_url: str, path: str = "/Lab", timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.page = Page(self.base_url + path)
        self.timeout = timeout
        self.websocket = None
        self.sent: BackMsg | None = None  # the last rerun request

    async def open(self) -> Run:
        """Load the page as a browser would (the page, the health and host-config requests), connect, run."""
        import websockets

        started = time.perf_counter()
        for url in (self.page.url, self.base_url + "/_stcore/health", self.base_url + "/_stcore/host-config"):
            await asyncio.to_thread(self._get, url)
        ws_url = "ws" + self.base_url.removeprefix("http") + "/_stcore/stream"
        # A browser sends no pings of its own; the server's are answered by the library.
        self.websocket = await websockets.connect(
            ws_url, subprotocols=["streamlit"], max_size=None, max_queue=None, ping_interval=None
        )
        return await self._run(None, started)

    def _get(self, url: str) -> None:
        with urllib.request.urlopen(url, timeout=self.timeout) as response:
            response.read()

    async def act(self, key: str, value: Any = None) -> Run:
        """Change the widget ``key`` to ``value`` (or click the button ``key``) and wait for its run."""
        if value is None:
            return await self._run(self.page.widget_id(key), time.perf_counter())
        self.page.set(key, value)
        return await self._run(None, time.perf_counter())

    async def _run(self, trigger: str | None, started: float) -> Run:
        """Send a rerun and read frames until its script_finished."""
        import websockets

        frames = received = 0
        try:
            async with asyncio.timeout(self.timeout):
                self.sent = self.page.rerun(trigger)
                await self.websocket.send(self.sent.SerializeToString())
                while True:
                    data = await self.websocket.recv()
                    frames, received = frames + 1, received + len(data)
                    msg = self.page.receive(data)
                    if msg.WhichOneof("type") == "script_finished" and self.page.status != EARLY:
                        break
        except TimeoutError:
            raise SessionError(f"no script_finished within {self.timeout:.0f} s") from None
        except (websockets.ConnectionClosed, OSError) as error:
            raise SessionError(f"lost connection: {type(error).__name__}: {error}") from None
        seconds = time.perf_counter() - started
        return Run(seconds, self.page.status, frames, received, self.page.exceptions())

    async def close(self) -> None:
        if self.websocket is not None:
            await self.websocket.close()
