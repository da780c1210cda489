"""A fresh app server and a headless Chromium, for the browser tests and the browser benchmarks.

Nothing here imports pytest, so the scripts in ``bench/`` can use it too. The waits rely on the
app's own signals, never on the pages' texts or layout:

- the server's websocket messages: every script run starts with a ``new_session`` message and
  ends with a ``script_finished`` one (read in the page from the protobuf's top-level fields);
- what Streamlit's frontend puts in the DOM: ``[data-testid="stApp"]`` carries
  ``data-test-script-state`` (``running``, ``notRunning``, ...) and
  ``data-test-connection-state``; an element whose code is still loading shows as
  ``[data-testid="stSkeleton"]``; each chart is a ``[data-testid="stVegaLiteChart"]`` whose
  ``canvas`` or ``svg`` child is replaced when vega-embed draws a new spec, or repainted in place
  when Streamlit only swaps the data of an unchanged spec.

``INSTRUMENT_JS`` (installed in every page before the app's own scripts) timestamps all of these
in the page's own clock, with every click and key press; the waits read those timestamps, so a
figure does not depend on how often Python polls. The frontend's state alone is not enough: a
quick rerun can go from running to not running within one render, leaving no trace in the DOM.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path

import psutil

from core import ROOT

ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"

DEBIAN_CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = "apt-get install chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Only 127.0.0.1 is reachable: every other host name fails to resolve (the frontend asks for web
    # fonts and icons). Done in the browser rather than by routing requests through Playwright,
    # which would cost a round trip to Python for each of a page's 140 requests and disable caching.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# Tall, because Streamlit scrolls inside its own container: a full-page screenshot is one viewport.
VIEWPORT = {"width": 1400, "height": 2400}
MAX_SCREENSHOT_HEIGHT = 12_000

PR_SET_PDEATHSIG = 1  # prctl option: the signal a child gets when its parent dies
COLD_START_S = 90  # a fresh server imports torch, streamlit and altair on 2 cores
PAGE_TIMEOUT_MS = 120_000  # first visit: the script's imports, a 10,000-iteration run, the frontend's chunks
ACTION_TIMEOUT_MS = 30_000  # finding and clicking an element that is already on the page


def chromium_path() -> str | None:
    """The Chromium to drive: the one on PATH, else Debian's; None when neither is installed."""
    found = shutil.which("chromium")
    if found:
        return found
    return DEBIAN_CHROMIUM if os.path.exists(DEBIAN_CHROMIUM) else None


def _die_with_parent() -> None:
    """In the server's process, before it starts: ask Linux to stop it if this process dies first."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """``streamlit run streamlit_app.py`` in its own process group, on 127.0.0.1 and a free port.

    ``script`` runs another entry point under ``root`` instead (a benchmark's own small app, say).
    """

    def __init__(self, root: Path = ROOT, port: int | None = None, script: str = "streamlit_app.py") -> None:
        self.root = root
        self.script = script  # the app's entry point, relative to root
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="app-server-", suffix=".log", delete=False)  # noqa: SIM115

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not started"
        return self.process.pid

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            self.script,
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={self.port}",
            # The pages may be edited while a run is going on: serve what was there at start.
            "--server.fileWatcherType=none",
            "--browser.gatherUsageStats=false",
        ]

    def start(self, timeout: float = COLD_START_S) -> AppServer:
        """Start the server and wait until ``/_stcore/health`` answers ``ok``."""
        self.process = subprocess.Popen(
            self.command(),
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches any child too
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                problem = f"the app server exited with code {self.process.returncode}:\n{self.log_tail()}"
                self.stop()
                raise RuntimeError(problem)
            if self._healthy():
                return self
            time.sleep(0.2)
        problem = f"the app server did not answer /_stcore/health within {timeout:.0f} s:\n{self.log_tail()}"
        self.stop()
        raise RuntimeError(problem)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                return response.status == 200 and response.read().strip() == b"ok"
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server's whole process group (politely, then by force) and remove its log."""
        if self.process is not None and self.process.poll() is None:
            for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, sig)
                try:
                    self.process.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if not self._log.closed:
            self._log.close()
            Path(self._log.name).unlink(missing_ok=True)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output (empty once the server is stopped)."""
        if self._log.closed:
            return ""
        self._log.flush()
        text = Path(self._log.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def vmrss_kib(pid: int) -> int:
    """Resident memory of one process in KiB (0 once it is gone)."""
    with contextlib.suppress(psutil.Error):
        return psutil.Process(pid).memory_info().rss // 1024
    return 0


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system) used so far by the given processes and by their children that have
    exited and been waited for; a process that is gone counts 0."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    return sum(vmrss_kib(member) for member in [pid, *descendants(pid)])


def descendants(pid: int) -> list[int]:
    """The pids of a process's children, grandchildren and so on (none once it is gone)."""
    with contextlib.suppress(psutil.Error):
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    return []


# --- in the page ------------------------------------------------------------------------------

INSTRUMENT_JS = r"""
(() => {
  if (window.__gdd) return;
  const g = (window.__gdd = {
    runs: [],  // [started at, finished at or -1, how it finished]: from the server's messages
    states: [],  // [at, data-test-script-state]: what the frontend shows
    inputs: [],  // when each click or key press began (the last 100)
    lastIdleAt: -1, paints: 0, lastPaintAt: -1,
  });
  const input = () => { g.inputs.push(performance.now()); if (g.inputs.length > 100) g.inputs.shift(); };
  addEventListener('pointerdown', input, true);
  addEventListener('keydown', input, true);

  // The server's messages are ForwardMsg protobufs; only two top-level fields matter here:
  // new_session starts every script run, script_finished ends it (2: ended early for a rerun).
  const NEW_SESSION = __NEW_SESSION__, SCRIPT_FINISHED = __SCRIPT_FINISHED__;
  const scan = (data) => {
    const bytes = new Uint8Array(data);
    let i = 0;
    const varint = () => {
      let value = 0, scale = 1, byte;
      do { byte = bytes[i++]; value += (byte & 0x7f) * scale; scale *= 128; } while (byte & 0x80 && i < bytes.length);
      return value;
    };
    const t = performance.now();
    while (i < bytes.length) {
      const tag = varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) {
        const value = varint();
        const run = g.runs[g.runs.length - 1];
        if (field === SCRIPT_FINISHED && run && run[1] < 0) { run[1] = t; run[2] = value; }
      } else if (wire === 2) {
        const length = varint();
        if (field === NEW_SESSION) g.runs.push([t, -1, -1]);
        i += length;
      } else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return;
    }
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (event.data instanceof ArrayBuffer) { try { scan(event.data); } catch (e) { /* not ours to break */ } }
      });
    }
  };

  let current = null;
  const enter = (state, t) => {
    if (state === current) return;
    current = state;
    g.states.push([t, state]);
    if (state === 'notRunning') g.lastIdleAt = t;
  };
  // A chart counts as drawn when vega-embed gives it a new canvas or svg, when vega repaints its
  // canvas (each repaint starts with clearRect; the time is taken once the drawing is done), or when
  // vega changes its svg in place: Streamlit swaps the data of a view whose spec did not change.
  const CHART = '[data-testid="stVegaLiteChart"]';
  const drawn = (chart) => {
    const t = performance.now();
    chart.__gddPaintAt = t;
    g.paints += 1;
    g.lastPaintAt = t;
  };
  const clearRect = CanvasRenderingContext2D.prototype.clearRect;
  CanvasRenderingContext2D.prototype.clearRect = function (...args) {
    const canvas = this.canvas;
    if (canvas && !canvas.__gddQueued) {
      canvas.__gddQueued = true;
      queueMicrotask(() => {  // vega draws the whole scene synchronously after clearing
        canvas.__gddQueued = false;
        const chart = canvas.parentElement && canvas.parentElement.closest(CHART);
        if (chart) drawn(chart);
      });
    }
    return clearRect.apply(this, args);
  };
  new MutationObserver((records) => {
    const charts = new Set();
    for (const r of records) {
      if (r.type === 'attributes' && r.attributeName === 'data-test-script-state') {
        enter(r.target.getAttribute('data-test-script-state'), performance.now());
        continue;
      }
      const target = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (!target) continue;
      if (target.matches(CHART)) {
        const tags = [...r.addedNodes].map((node) => node.nodeName.toLowerCase());
        if (tags.includes('canvas') || tags.includes('svg')) charts.add(target);
        continue;
      }
      const svg = target.closest(CHART + ' > svg');
      if (svg) charts.add(svg.parentElement);
    }
    charts.forEach(drawn);
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();
"""


def instrument_js() -> str:
    """INSTRUMENT_JS with the field numbers of the installed Streamlit's ForwardMsg."""
    try:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        fields = ForwardMsg.DESCRIPTOR.fields_by_name
        numbers = fields["new_session"].number, fields["script_finished"].number
    except (ImportError, KeyError):
        numbers = 4, 6  # Streamlit 1.67's
    return INSTRUMENT_JS.replace("__NEW_SESSION__", str(numbers[0])).replace("__SCRIPT_FINISHED__", str(numbers[1]))


# Given the page time just before an action (0 for a page load): false until the script run the
# action caused has finished (the server said so) and the page shows its result; then
# {t0, ms, runMs, charts, redrawn, all}, where ms runs from t0 (the first click or key press after
# the mark, else the mark) to whichever came last: the end of the run, the frontend going idle, or
# the last chart drawn (a new canvas/svg, a canvas repaint or an svg changed in place).
# "Shows its result": the frontend is idle, no element is still loading its code, every chart has
# a canvas or svg, and either every chart was drawn anew after the action or, when some charts did
# not change, nothing was drawn for `quiet` ms.
REDRAWN_JS = r"""
([mark, quiet]) => {
  const g = window.__gdd;
  if (!g) return false;
  const first = g.inputs.find((t) => t >= mark);  // an action may click, then press Escape: time the click
  const t0 = first === undefined ? mark : first;
  const runs = g.runs.filter(([started]) => started >= t0);
  const last = runs[runs.length - 1];
  if (!last || last[1] < 0 || last[2] === 2) return false;  // no run yet, still running, or superseded
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  if (!charts.every((c) => c.querySelector(':scope > canvas, :scope > svg'))) return false;
  const fresh = charts.map((c) => c.__gddPaintAt || -1).filter((t) => t >= t0);
  const end = Math.max(last[1], g.lastIdleAt >= t0 ? g.lastIdleAt : -1, ...fresh);
  const all = fresh.length === charts.length;
  if (!all && performance.now() - end < quiet) return false;
  return {t0, ms: end - t0, runMs: last[1] - t0, charts: charts.length, redrawn: fresh.length, all};
}
"""


# The texts vega wrote into the charts drawn as SVG (a chart of many points is drawn on a canvas).
CHART_TEXTS_JS = r"""
() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] > svg text')].map((t) => t.textContent)
"""

STATE_JS = r"""
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const count = (selector) => document.querySelectorAll(selector).length;
  const main = document.querySelector('[data-testid="stMain"]');
  return {
    script: app && app.getAttribute('data-test-script-state'),
    connection: app && app.getAttribute('data-test-connection-state'),
    runs: window.__gdd ? window.__gdd.runs.map((r) => r.map(Math.round).join('/')).slice(-6) : null,
    states: window.__gdd ? window.__gdd.states.map(([t, s]) => `${s}@${Math.round(t)}`).slice(-6) : null,
    skeletons: count('[data-testid="stSkeleton"]'),
    charts: count('[data-testid="stVegaLiteChart"]'),
    drawn: count('[data-testid="stVegaLiteChart"] > canvas, [data-testid="stVegaLiteChart"] > svg'),
    exceptions: [...document.querySelectorAll('[data-testid="stException"]')].map((e) => e.innerText.slice(0, 300)),
    main: main ? main.innerText.slice(0, 300) : null,
  };
}
"""

SCROLL_HEIGHT_JS = r"""
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const sidebar = document.querySelector('[data-testid="stSidebarContent"]');
  return Math.max(main ? main.scrollHeight : 0, sidebar ? sidebar.scrollHeight : 0,
                  document.documentElement.scrollHeight);
}
"""

# Whether each chart drew something: a canvas with pixels of more than one colour, or an SVG with marks.
CHARTS_DRAWN_JS = r"""
() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map((c) => {
  const drawn = c.querySelector(':scope > canvas, :scope > svg');
  if (!drawn) return {tag: null, width: 0, height: 0, inked: false};
  const box = drawn.getBoundingClientRect();
  let inked = false;
  if (drawn.nodeName.toLowerCase() === 'canvas') {
    const pixels = drawn.getContext('2d').getImageData(0, 0, drawn.width, drawn.height).data;
    for (let i = 4; i < pixels.length && !inked; i += 4) {
      inked = pixels[i] !== pixels[0] || pixels[i + 1] !== pixels[1] || pixels[i + 2] !== pixels[2];
    }
  } else {
    inked = drawn.querySelectorAll('path[d]:not([d=""]), text, circle, rect').length > 0;
  }
  return {tag: drawn.nodeName.toLowerCase(), width: box.width, height: box.height, inked};
})
"""

# One short string per chart for what it shows: a hash of a canvas's pixels, or of an SVG's shapes and texts.
CHART_FINGERPRINTS_JS = r"""
() => {
  const hash = (text) => {
    let h = 2166136261;
    for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619); }
    return (h >>> 0).toString(16) + ':' + text.length;
  };
  return [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map((c) => {
    const drawn = c.querySelector(':scope > canvas, :scope > svg');
    if (!drawn) return null;
    if (drawn.nodeName.toLowerCase() === 'canvas') return 'canvas ' + hash(drawn.toDataURL());
    const parts = [...drawn.querySelectorAll('path, text')].map((e) => e.getAttribute('d') || e.textContent);
    return 'svg ' + hash(parts.join('|'));
  });
}
"""

FRAME_JS = "() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))"


def new_context(browser, viewport: dict[str, int] | None = None, **options):
    """A browser context (one user, one session) whose pages are instrumented; VIEWPORT unless ``viewport``."""
    context = browser.new_context(viewport=viewport or VIEWPORT, **options)
    context.add_init_script(instrument_js())
    return context


class AppPage:
    """One Playwright page (sync API) on the app, with waits on the app's own signals."""

    def __init__(self, page, base_url: str, server: AppServer | None = None) -> None:
        self.page = page
        self.base_url = base_url
        self.server = server  # for its log in failure messages
        self.errors: list[str] = []  # uncaught exceptions in the page's JavaScript
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.set_default_timeout(ACTION_TIMEOUT_MS)

    def open(self, path: str, timeout: float = PAGE_TIMEOUT_MS) -> AppPage:
        """Load ``path`` (a new session) and wait until the app is idle and its charts are drawn."""
        self.page.goto(self.base_url + path)
        self.wait_idle(timeout)
        return self

    def wait_idle(self, timeout: float = PAGE_TIMEOUT_MS) -> dict:
        """Wait for the page's first script run to be shown, its charts drawn."""
        shown = self._wait(REDRAWN_JS, [0, 1000], timeout, "the page's script run and its charts")
        self.page.evaluate(FRAME_JS)
        return shown

    def _wait(self, predicate: str, arg: object, timeout: float, what: str) -> object:
        """Wait until ``predicate`` returns something truthy; on a timeout, say what the page looked like."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            return self.page.wait_for_function(predicate, arg=arg, timeout=timeout, polling=50).json_value()
        except PlaywrightTimeout:
            raise AssertionError(
                f"timed out after {timeout / 1000:.0f} s waiting for {what}: {self.describe()}"
            ) from None

    def describe(self) -> str:
        """The app's state as the DOM shows it, for a failure message."""
        try:
            state = self.page.evaluate(STATE_JS)
        except Exception as error:  # the page itself may be gone
            return f"(the page could not be read: {error})"
        return f"{self.page.url} {state} page errors: {self.errors}{self.server_log()}"

    def server_log(self) -> str:
        """The end of the server's log when it holds a traceback (the page itself hides exception details)."""
        if self.server is None:
            return ""
        tail = self.server.log_tail(60)
        return f"\n--- server log ---\n{tail}" if "Traceback" in tail else ""

    def now(self) -> float:
        """The page's clock (performance.now(), in ms): the origin of the redraw times."""
        return self.page.evaluate("performance.now()")

    def act(self, action, timeout: float = PAGE_TIMEOUT_MS, quiet_ms: float = 1000) -> dict:
        """Do ``action`` (it must make the app rerun) and wait until its rerun ran and its charts are drawn.

        Returns REDRAWN_JS's figures: ``ms`` from the click or key press to the redraw, and so on.
        """
        mark = self.now()
        action()
        return self._wait(REDRAWN_JS, [mark, quiet_ms], timeout, "the rerun after an action and its charts")

    def click(self, selector: str, **options) -> dict:
        return self.act(lambda: self.page.locator(selector).first.click(), **options)

    def download(self, key: str, destination: Path, timeout: float = 120_000) -> Path:
        """Click the download button with widget key ``key`` and save the file it gives at ``destination``.

        The file is made on the server when clicked. Once (of many runs, on a cold machine) a
        second download of a page never came; a user would click again, so the test does too,
        once, and warns with what the page showed. A second silent click fails the test, saying
        what the button showed (Streamlit puts a download's error under its button), and the
        server's traceback if it logged one (``describe``).
        """
        first = self._try_download(key, destination, timeout)
        if first is None:
            return destination
        second = self._try_download(key, destination, timeout)
        if second is not None:
            raise AssertionError(f"no download from {key!r} after two clicks:\n{first}\n{second}")
        warnings.warn(f"the first click on {key!r} gave no download, the second did:\n{first}", stacklevel=2)
        return destination

    def _try_download(self, key: str, destination: Path, timeout: float) -> str | None:
        """None when a click on ``key`` saved a file at ``destination``, else what the page showed."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            with self.page.expect_download(timeout=timeout) as saving:
                self.page.locator(f".st-key-{key} button").first.click()
        except PlaywrightTimeout:
            shown = self.page.locator(f".st-key-{key} [data-testid=stDownloadButtonError]").all_text_contents()
            return f"nothing within {timeout / 1000:.0f} s; under the button: {shown}; {self.describe()}"
        saving.value.save_as(destination)
        return None

    def toggle(self, key: str, **options) -> dict:
        """Flip the toggle with widget key ``key`` by clicking it, as a user does."""
        return self.click(f".st-key-{key} label", **options)

    def is_on(self, key: str) -> bool:
        return self.page.locator(f".st-key-{key} input").first.is_checked()

    def choose(self, key: str, option: str, **options) -> dict:
        """Pick the radio option of ``key`` whose text is ``option``."""
        radio = self.page.locator(f'.st-key-{key} [data-testid="stRadioOption"]').filter(has_text=option)
        return self.act(lambda: radio.first.click(), **options)

    def chosen(self, key: str) -> str:
        """The text of the radio option of ``key`` that is selected."""
        return self.page.locator(f'.st-key-{key} [data-testid="stRadioOption"][data-selected="true"]').inner_text()

    def enter(self, key: str, value: object, **options) -> dict:
        """Type ``value`` into the text or number input of ``key`` and press Enter."""
        field = self.page.locator(f".st-key-{key} input").first

        def type_it() -> None:
            field.fill(str(value))
            field.press("Enter")

        return self.act(type_it, **options)

    def value(self, key: str) -> str:
        return self.page.locator(f".st-key-{key} input").first.input_value()

    def exceptions(self) -> list[str]:
        return self.page.locator('[data-testid="stException"]').all_inner_texts()

    def alerts(self) -> list[str]:
        """The texts of the success, info, warning and error boxes in the main area."""
        return self.page.locator('[data-testid="stMain"] [data-testid="stAlert"]').all_inner_texts()

    def codes(self) -> list[str]:
        return self.page.locator('[data-testid="stMain"] [data-testid="stCode"]').all_inner_texts()

    def charts(self) -> list[dict]:
        return self.page.evaluate(CHARTS_DRAWN_JS)

    def chart_texts(self) -> list[str]:
        return self.page.evaluate(CHART_TEXTS_JS)

    def fingerprints(self) -> list[str | None]:
        return self.page.evaluate(CHART_FINGERPRINTS_JS)

    def viewport_screenshot(self, name: str) -> Path:
        """A screenshot of what the viewport shows, as the user sees it: no resizing, no scrolling."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def screenshot(self, name: str) -> Path:
        """A screenshot of the whole page, the viewport grown for the moment to the page's scroll height."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        size = dict(self.page.viewport_size or VIEWPORT)
        height = min(MAX_SCREENSHOT_HEIGHT, max(size["height"], int(self.page.evaluate(SCROLL_HEIGHT_JS))))
        if height > size["height"]:
            self.page.set_viewport_size({"width": size["width"], "height": height})
            self.page.evaluate(FRAME_JS)
        try:
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            if height > size["height"]:
                self.page.set_viewport_size(size)
        return path


# Every binary websocket frame the page sends and receives, base64-encoded and in order, for
# devtools/headless.py to decode (installed with add_init_script, after INSTRUMENT_JS or alone).
WIRE_JS = r"""
(() => {
  if (window.__gddWire) return;
  const wire = (window.__gddWire = {sent: [], received: []});
  const encode = (data) => {
    const bytes = data instanceof ArrayBuffer
      ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(text);
  };
  const Native = window.WebSocket;
  const send = Native.prototype.send;
  Native.prototype.send = function (data) {
    if (typeof data !== 'string') wire.sent.push(encode(data));
    return send.call(this, data);
  };
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (event.data instanceof ArrayBuffer) wire.received.push(encode(event.data));
      });
    }
  };
})();
"""


def take_frames(page) -> tuple[list[bytes], list[bytes]]:
    """The websocket frames a page with WIRE_JS sent and received since the last call: (sent, received)."""
    import base64

    wire = page.evaluate(
        "() => { const w = window.__gddWire; const out = {...w}; w.sent = []; w.received = []; return out; }"
    )
    return [base64.b64decode(item) for item in wire["sent"]], [base64.b64decode(item) for item in wire["received"]]
