"""How fast the Lab redraws and paints in a real Chromium, each figure beside the floor it is held to.

Starts its own servers (with the browser tests' helper, devtools/browser.py) and prints medians
over repetitions that alternate with their floors, so drift in a shared machine's speed hits both.
The clicks are timed once the Lab's server has finished its background work (the lesson's presets,
computed at its first visit), so that work does not weigh on them:

(a) the floor: a trivial Streamlit app, written to a temporary folder at run time (one toggle, one
    small chart whose data follow it, the project's own .streamlit/config.toml), served by its own
    server; its toggle -> chart redrawn is timed exactly as the Lab's;
(b) seen before: a click on the Lab's "Gradients zeroed" toggle -> charts redrawn, flipping between
    two 10,000-iteration configurations that have both run already, so the run is a cached redraw;
    each click alternates with one on the floor's toggle. Target: at most 1.25 x the floor;
(f) the Lab's charts alone: an app whose script draws exactly the five chart specs the Lab draws for
    those two configurations (built by the project's own chart code, in the Lab's right-hand column)
    under one toggle, and nothing else. Its toggle -> charts redrawn is timed in the same turns: what
    Streamlit and Vega need for the Lab's charts whatever else the page holds;
(c) new configuration: each repetition types an initial m never used before and presses Enter (a
    10,000-iteration run not in the cache), and times the Enter -> first live frame (the first chart
    drawn by the new run while it runs: not stale) and -> final (the run's charts done). Each
    alternates with (e) timed in this process. Targets: first live frame within 0.5 s; final within
    the bare loop + 0.3 s;
(d) fresh-server first paint: a freshly started server per visit and a new browser context (nothing
    cached: a first visit); from the request of a page (the navigation's start, in the page's clock)
    to its title (the main area's h1) painted, for Home, Lab and Compare, for the floor app, and for
    a heading-only app (its script writes st.title and nothing else: the framework's own first
    paint, which Home is set beside), and for a page of a heading-only app with pages (the same
    script as pages/2_Lab.py, visited at /Lab: a page other than the first starts its run later,
    whatever it holds; Lab and Compare are set beside it); with when the server's first script run
    began (its new_session message). Target: within 1 s;
(e) the bare loop: 10,000 iterations of the lesson's loop (bench/engine_overhead.py's
    bare_lesson_loop) on copies of the worked solution data, in this process, on one thread as the
    app's worker processes run it.

"Charts redrawn" is measured in the page's own clock (performance.now()) by a script installed in
the page before the app's own, so Python's polling adds nothing to the figures. It is the latest
of: the server's script_finished message for the run the click started reaching the page; the
frontend showing it is idle (no run, no element still loading its code); every chart on the page
drawn again after the click -- given a new canvas or svg by vega-embed, or repainted in place
(Streamlit swaps the data of a chart whose spec did not change; vega's repaint starts with
clearRect on its canvas, or changes the svg's elements). The clock starts at the click's
pointerdown (or the Enter's keydown). A click that leaves some charts unchanged counts as redrawn once no chart has been
drawn for a second (the figure is still the time of the last drawing); the script says so when
that happens.

Each timed action on the Lab is also split by the websocket frames' arrival times (Playwright's
events, mapped onto the page's clock by a round-trip calibration just before the click): the rerun
request sent by the page, the server's new_session (the run started) and script_finished (the run
ended). After script_finished the remaining time is the browser's: decoding, layout and vega. It
also counts the websocket payload bytes received during the page load and each timed click (after
the websocket's own decompression). Each frame is one ForwardMsg protobuf; chart messages are the
deltas carrying a vega-lite chart element in full, and "by reference" counts ref_hash frames:
messages the browser already holds in its message cache, which the server names instead of resending.

    python bench/browser_redraw.py [--repeats 5] [--paints 2] [--quick] [--app DIR]

``--quick`` is a short run (3 repetitions, one fresh-server visit a page) to check that it works.
``--app`` serves another checkout (a git worktree of an older commit, say) with this script's
own measuring code, so that two versions can be timed in turns on the same machine.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import torch  # noqa: E402
from engine_overhead import bare_lesson_loop  # noqa: E402

from core.lesson.data import load_builtin  # noqa: E402
from devtools.browser import (  # noqa: E402
    CHROMIUM_ARGS,
    INSTALL_HINT,
    AppPage,
    AppServer,
    chromium_path,
    cpu_seconds,
    descendants,
    new_context,
)

FLOOR_RATIO = 1.25  # a cached redraw: at most this many times the floor app's
FIRST_FRAME_TARGET_S = 0.5
FINAL_MARGIN_S = 0.3  # a new configuration's final redraw: at most the bare loop plus this
FIRST_PAINT_TARGET_S = 1.0
TOGGLE = "zero_grad"  # both of its positions run 10,000 iterations at the solution's other settings
FLOOR_TOGGLE = "shift"
FIRST_PAINT_TIMEOUT_MS = 60_000
PAGES = {"Home": "/", "Lab": "/Lab", "Compare": "/Compare"}
SETTLE_TIMEOUT_S = 180  # the presets: 10 runs of up to 10,000 iterations on the server's workers

FLOOR_APP = '''"""The floor: the least a Streamlit page can do for a toggle -> chart redrawn."""

import pandas as pd
import streamlit as st

st.title("Floor")
shifted = st.toggle("Shift the line", key="shift")
x = range(50)
data = pd.DataFrame({"x": x, "y": [v * v / 50 + (5 if shifted else 0) for v in x]})
axis = {"type": "quantitative"}
spec = {"mark": "line", "encoding": {"x": {"field": "x", **axis}, "y": {"field": "y", **axis}}}
st.vega_lite_chart(data, spec, width="stretch")
'''

# (f): the Lab's five charts and nothing else, their specs written by the benchmark (five_charts.pickle).
CHARTS_APP = '''"""The Lab's charts alone: the same five specs under one toggle, laid out as the Lab lays them out."""

import pickle
from pathlib import Path

import streamlit as st


@st.cache_resource
def specs() -> dict:
    return pickle.loads(Path(__file__).with_name("five_charts.pickle").read_bytes())


zeroed = st.toggle("Gradients zeroed", value=True, key="shift")
fit, loss, m, b, gradients = specs()[zeroed]
_, effects = st.columns([1, 1.2], gap="medium")
with effects:
    for pair in ((fit, loss), (m, b)):
        for column, spec in zip(st.columns(2), pair):
            column.vega_lite_chart(spec, width="stretch")
    st.vega_lite_chart(gradients, width="stretch")
'''


def write_lab_chart_specs(folder: Path) -> None:
    """The five chart specs the Lab draws (at iteration 0, log axis) for both positions of TOGGLE."""
    import logging
    import pickle

    import streamlit.runtime.caching.cache_data_api as cache_data_api

    # Importing the app's chart code outside a Streamlit server: its caches say they keep to memory.
    logging.getLogger(cache_data_api.__name__).setLevel(logging.ERROR)
    from core.charts.spec import specified
    from core.lesson.drafts import SOLUTION
    from core.run import engine
    from ui.panels import grid_charts

    data = load_builtin("solution")
    specs = {}
    for zeroed in (True, False):
        runs = [("this run", engine.run(SOLUTION.with_changes(zero_grad=zeroed), data))]
        calls = grid_charts(runs, data, log_x=True, at_iteration=0)  # exactly what the Lab's chart grid draws
        specs[zeroed] = [specified(chart(*args, **options)) for chart, args, options in calls]
    (folder / "five_charts.pickle").write_bytes(pickle.dumps(specs))


# The first paint's floor: a page that writes its heading before anything else (the floor app
# above imports pandas first, as most apps do).
HEADING_APP = '''"""The first paint's floor: a heading, written at once."""

import streamlit as st

st.title("Heading")
'''

# Every chart drawing (INSTRUMENT_JS sets chart.__gddPaintAt) logged with whether the chart was
# stale then: the first drawing after a click that is not stale is the new run's first frame.
PAINT_LOG_JS = r"""
(() => {
  if (window.__gddPaintLog) return;
  const log = (window.__gddPaintLog = []);
  Object.defineProperty(HTMLElement.prototype, '__gddPaintAt', {
    configurable: true,
    get() { return this.__gddLastPaintAt; },
    set(t) {
      this.__gddLastPaintAt = t;
      log.push([t, !!this.closest('[data-stale="true"]')]);
      if (log.length > 2000) log.shift();
    },
  });
})();
"""
FIRST_FRESH_PAINT_JS = "(t0) => (window.__gddPaintLog.find(([t, stale]) => t >= t0 && !stale) || [null])[0]"

# When the main area's first h1 was painted: seen in the DOM, then the frame that drew it done.
HEADING_JS = r"""
(() => {
  if (window.__gddHeading) return;
  const heading = (window.__gddHeading = {at: -1});
  new MutationObserver((records, observer) => {
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    if (!h1 || !h1.textContent.trim()) return;
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => { heading.at = performance.now(); }, 0));
  }).observe(document, {subtree: true, childList: true, characterData: true});
})();
"""


class FrameLog:
    """Every websocket frame the page receives, with its arrival time in this process's clock."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, bytes]] = []
        self.sent: list[float] = []  # when the page sent each message (a rerun request is one)

    def attach(self, page) -> None:
        def watch(ws) -> None:
            ws.on("framereceived", self._received)
            ws.on("framesent", lambda _payload: self.sent.append(time.perf_counter()))

        page.on("websocket", watch)

    def _received(self, payload: bytes | str) -> None:
        data = payload if isinstance(payload, bytes) else payload.encode()
        self.frames.append((time.perf_counter(), data))

    def mark(self) -> int:
        return len(self.frames)

    def summary(self, start: int, end: int | None = None) -> dict[str, float]:
        """Frames and bytes in ``frames[start:end]``, in total and for chart messages, and when the run ended."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        totals = {"frames": 0, "bytes": 0, "chart_msgs": 0, "chart_bytes": 0, "refs": 0}
        totals |= {"first_at": math.nan, "finished_at": math.nan}
        for arrived, payload in self.frames[start:end]:
            totals["frames"] += 1
            totals["bytes"] += len(payload)
            try:
                message = ForwardMsg.FromString(payload)
            except Exception:  # not a ForwardMsg: counted in the totals only
                continue
            kind = message.WhichOneof("type")
            if kind == "new_session" and math.isnan(totals["first_at"]):
                totals["first_at"] = arrived
            if kind == "ref_hash":
                totals["refs"] += 1
            elif kind == "script_finished" and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                totals["finished_at"] = arrived
            elif kind == "delta" and message.delta.new_element.WhichOneof("type") == "vega_lite_chart":
                totals["chart_msgs"] += 1
                totals["chart_bytes"] += len(payload)
        return totals


def clock_offset(page) -> float:
    """This process's perf_counter minus the page's performance.now(), in seconds (best of 3 round trips)."""
    best = (math.inf, 0.0)
    for _ in range(3):
        before = time.perf_counter()
        now = page.evaluate("performance.now()") / 1000
        after = time.perf_counter()
        best = min(best, (after - before, (before + after) / 2 - now))
    return best[1]


class BareLoop:
    """The lesson's bare loop, 10,000 iterations in this process on one thread, as a worker runs it."""

    def __init__(self) -> None:
        torch.set_num_threads(1)  # as core.run.worker does: the lesson's tensors are too small to split
        data = load_builtin("solution")
        self.screentime, self.sleep = data.x.copy(), data.y.copy()
        bare_lesson_loop(self.screentime, self.sleep)  # warm-up: first calls pay for lazy initialisation

    def seconds(self) -> float:
        start = time.perf_counter()
        bare_lesson_loop(self.screentime, self.sleep)
        return time.perf_counter() - start


def timed(app: AppPage, frames: FrameLog, action: Callable[[], dict], what: str) -> dict[str, float | dict]:
    """Do ``action`` (an AppPage action); seconds from its click or key press to each step of its rerun,
    and the frames received.

    ``request``: the page sent the rerun request; ``started``: the server's new_session arrived;
    ``finished``: its script_finished arrived; ``first``: the first chart drawn that is not stale;
    ``redrawn``: the charts were drawn (page clock).
    """
    offset = clock_offset(app.page)
    start, sent = frames.mark(), len(frames.sent)
    shown = action()
    if not shown["all"]:
        print(f"note: {what} redrew {shown['redrawn']} of {shown['charts']} charts")
    sizes = frames.summary(start)
    clicked = shown["t0"] / 1000 + offset
    request = frames.sent[sent] - clicked if len(frames.sent) > sent else math.nan
    first = app.page.evaluate(FIRST_FRESH_PAINT_JS, shown["t0"])
    return {
        "request": request,
        "started": sizes["first_at"] - clicked,
        "finished": sizes["finished_at"] - clicked,
        "first": (first - shown["t0"]) / 1000 if first is not None else math.nan,
        "redrawn": shown["ms"] / 1000,
        "sizes": sizes,
    }


def first_paint(browser, root: Path, script: str, path: str) -> tuple[float, float]:
    """Seconds from the request of ``path`` on a server started just now to the page's h1 painted,
    and to its first script run's start (the server's new_session reaching the page)."""
    with AppServer(root=root, script=script) as server:
        context = new_context(browser)
        context.add_init_script(HEADING_JS)
        try:
            page = context.new_page()
            page.goto(server.url + path, wait_until="commit")
            page.wait_for_function(
                "() => window.__gddHeading && window.__gddHeading.at >= 0", timeout=FIRST_PAINT_TIMEOUT_MS, polling=50
            )
            at, started = page.evaluate("() => [window.__gddHeading.at, window.__gdd.runs[0][0]]")
        finally:
            context.close()
    return at / 1000, started / 1000  # the page's clock starts at the navigation: the request of the page


def open_instrumented(browser, server: AppServer, path: str) -> tuple[AppPage, FrameLog, float]:
    """A new user on ``path`` of ``server``, its frames logged; and seconds from goto to the page shown."""
    context = new_context(browser)
    context.add_init_script(PAINT_LOG_JS)
    page = context.new_page()
    frames = FrameLog()
    frames.attach(page)
    app = AppPage(page, server.url, server)
    started = time.perf_counter()
    app.open(path)
    return app, frames, time.perf_counter() - started


def median(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else float("nan")


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def spread(values: list[float]) -> str:
    return f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def byte_line(name: str, sizes: list[dict[str, int]]) -> str:
    pick = {key: median([s[key] for s in sizes]) for key in ("frames", "bytes", "chart_msgs", "chart_bytes", "refs")}
    return (
        f"{name:<28}{pick['bytes']:>11,.0f} B in {pick['frames']:>4.0f} frames; chart messages "
        f"{pick['chart_bytes']:>10,.0f} B in {pick['chart_msgs']:.0f} (+{pick['refs']:.0f} by reference)"
    )


def step_line(clicks: list[dict]) -> str:
    steps = {step: median([c[step] for c in clicks]) for step in ("request", "started", "finished", "redrawn")}
    return (
        f"      click or Enter -> rerun request sent {steps['request']:.2f} s, -> server's new_session "
        f"{steps['started']:.2f} s, -> script_finished {steps['finished']:.2f} s, -> redrawn {steps['redrawn']:.2f} s"
    )


def measure_first_paints(browser, app_root: Path, floor_root: Path, visits: int) -> dict[str, list[tuple]]:
    """(d): each page's first paint on a fresh server, ``visits`` times, the floor app's in turn."""
    paints: dict[str, list[tuple]] = {name: [] for name in ("floor", "heading", "heading page", *PAGES)}
    for _ in range(visits):
        paints["floor"].append(first_paint(browser, floor_root, "floor_app.py", "/"))
        paints["heading"].append(first_paint(browser, floor_root, "heading_app.py", "/"))
        paints["heading page"].append(first_paint(browser, floor_root / "with_pages", "heading_app.py", "/Lab"))
        for name, path in PAGES.items():
            paints[name].append(first_paint(browser, app_root, "streamlit_app.py", path))
    return paints


def settle(server: AppServer, timeout: float = SETTLE_TIMEOUT_S) -> float:
    """Wait until the server and its workers use under 10 % of a core over a second; seconds waited."""
    started = time.perf_counter()
    used = cpu_seconds([server.pid, *descendants(server.pid)])
    while time.perf_counter() - started < timeout:
        time.sleep(1.0)
        now = cpu_seconds([server.pid, *descendants(server.pid)])
        if now - used < 0.1:
            break
        used = now
    return time.perf_counter() - started


def measure_clicks(browser, app_root: Path, floor_root: Path, bare: BareLoop, repeats: int) -> dict:
    """(a), (b), (c) and (e): the floor's and the Lab's clicks in turns, new configurations beside the bare loop."""
    with (
        AppServer(root=app_root) as server,
        AppServer(root=floor_root, script="floor_app.py") as floor_server,
        AppServer(root=floor_root, script="charts_app.py") as charts_server,
    ):
        lab, lab_frames, load_s = open_instrumented(browser, server, "/Lab")
        load_bytes = lab_frames.summary(0)
        floor, floor_frames, _ = open_instrumented(browser, floor_server, "/")
        alone, alone_frames, _ = open_instrumented(browser, charts_server, "/")
        for app, key in ((lab, TOGGLE), (floor, FLOOR_TOGGLE), (alone, FLOOR_TOGGLE)):
            app.toggle(key)  # warm both positions: each has now run once
            app.toggle(key)
        settled_s = settle(server)
        floors, seen, charts_alone, new, bare_s = [], [], [], [], []
        for _ in range(2 * repeats):
            floors.append(timed(floor, floor_frames, lambda: floor.toggle(FLOOR_TOGGLE), "the floor's toggle"))
            charts_alone.append(timed(alone, alone_frames, lambda: alone.toggle(FLOOR_TOGGLE), "the charts' toggle"))
            seen.append(timed(lab, lab_frames, lambda: lab.toggle(TOGGLE), "a seen-before click"))
        for k in range(repeats):
            bare_s.append(bare.seconds())
            start = f"{0.25 + 0.125 * k:g}"  # an initial m never used before: a new configuration
            new.append(timed(lab, lab_frames, lambda start=start: lab.enter("m0", start), "a new configuration"))
        charts = len(lab.charts())
    return {
        "floor": floors,
        "seen": seen,
        "charts_alone": charts_alone,
        "new": new,
        "bare": bare_s,
        "load_s": load_s,
        "settled_s": settled_s,
        "load_bytes": load_bytes,
        "charts": charts,
    }


def report(version: str, clicks: dict, paints: dict[str, list[float]], loads: tuple[str, str]) -> None:
    floor = [c["redrawn"] for c in clicks["floor"]]
    seen = [c["redrawn"] for c in clicks["seen"]]
    first = [c["first"] for c in clicks["new"]]
    final = [c["redrawn"] for c in clicks["new"]]
    bare = clicks["bare"]
    ratios = [s / f for s, f in zip(seen, floor, strict=True)]
    margins = [f - b for f, b in zip(final, bare, strict=True)]
    print(
        f"Chromium {version} (headless), Python {platform.python_version()}, torch {torch.__version__}, "
        f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) {loads[0]} at start, {loads[1]} at the end"
    )
    print(
        f"Medians over alternating repetitions: {len(seen)} pairs of floor and seen-before clicks, "
        f"{len(final)} new configurations each beside a bare loop, {len(paints['Lab'])} fresh-server visit(s) a page"
    )
    print()
    print(f"(a) floor: trivial app, toggle -> chart redrawn     {median(floor):6.3f} s  {spread(floor)}")
    print(
        f"(b) Lab seen before, click -> {clicks['charts']} charts redrawn   {median(seen):6.3f} s  {spread(seen)}"
        f"\n      / floor: median of pairwise ratios {median(ratios):.2f} (ratio of medians "
        f"{median(seen) / median(floor):.2f})   target <= {FLOOR_RATIO}: {verdict(median(ratios) <= FLOOR_RATIO)}"
    )
    print(step_line(clicks["seen"]))
    alone = [c["redrawn"] for c in clicks["charts_alone"]]
    print(
        f"(f) the Lab's {clicks['charts']} charts alone, toggle -> redrawn {median(alone):6.3f} s  {spread(alone)}"
        f"\n      / floor: median of pairwise ratios {median([a / f for a, f in zip(alone, floor, strict=True)]):.2f}; "
        f"Lab / charts alone: {median([s / a for s, a in zip(seen, alone, strict=True)]):.2f}"
    )
    print(step_line(clicks["charts_alone"]))
    print(
        f"(c) new configuration, Enter -> first live frame    {median(first):6.3f} s  {spread(first)}"
        f"   target <= {FIRST_FRAME_TARGET_S} s: {verdict(median(first) <= FIRST_FRAME_TARGET_S)}"
    )
    print(
        f"    new configuration, Enter -> final redraw        {median(final):6.3f} s  {spread(final)}"
        f"\n      - bare loop: median of pairwise differences {median(margins):+.2f} s   "
        f"target <= +{FINAL_MARGIN_S} s: {verdict(median(margins) <= FINAL_MARGIN_S)}"
    )
    print(step_line(clicks["new"]))
    print(f"(e) bare lesson loop, 10,000 iterations, 1 thread   {median(bare):6.3f} s  {spread(bare)}")
    print("(d) fresh server, new browser context: request -> h1 painted (request -> first script run started)")
    names = {"floor": "floor (trivial app)", "heading": "heading-only app", "heading page": "heading-only, /Lab"}
    for name in ("floor", "heading", "heading page", *PAGES):
        painted, started = [at for at, _ in paints[name]], [run for _, run in paints[name]]
        value = median(painted)
        line = f"      {names.get(name, name):<20}  {value:6.3f} s  {spread(painted)}"
        line += f"  (run started at {median(started):.2f} s)"
        if name in PAGES:
            beside = "heading" if PAGES[name] == "/" else "heading page"
            line += f"  {value / median([at for at, _ in paints[beside]]):.2f} x {names[beside]}"
            line += f"   target <= {FIRST_PAINT_TARGET_S} s: {verdict(value <= FIRST_PAINT_TARGET_S)}"
        print(line)
    print(
        f"    Lab page load on its server (goto -> charts drawn)  {clicks['load_s']:.2f} s; then "
        f"{clicks['settled_s']:.0f} s until the server's background work (presets) was done"
    )
    print("Websocket payload received, ForwardMsg frames (median per event):")
    print("     " + byte_line("Lab page load", [clicks["load_bytes"]]))
    print("     " + byte_line("floor redraw", [c["sizes"] for c in clicks["floor"]]))
    print("     " + byte_line("Lab redraw, seen before", [c["sizes"] for c in clicks["seen"]]))
    print("     " + byte_line("charts alone, redraw", [c["sizes"] for c in clicks["charts_alone"]]))
    print("     " + byte_line("Lab redraw, new config", [c["sizes"] for c in clicks["new"]]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="new configurations; twice as many seen-before pairs")
    parser.add_argument("--paints", type=int, default=2, help="fresh-server visits of each page")
    parser.add_argument("--quick", action="store_true", help="3 repetitions and one fresh-server visit a page")
    parser.add_argument(
        "--app", type=Path, default=ROOT, help="the checkout whose app to serve (an older commit, side by side)"
    )
    options = parser.parse_args()
    repeats, visits = (3, 1) if options.quick else (max(3, options.repeats), max(1, options.paints))
    executable = chromium_path()
    if executable is None:
        sys.exit(f"No Chromium found: install Debian's package ({INSTALL_HINT}).")
    from playwright.sync_api import sync_playwright

    loads = [load_average()]
    bare = BareLoop()
    app_root = options.app.resolve()
    with tempfile.TemporaryDirectory(prefix="floor-app-") as folder, sync_playwright() as playwright:
        floor_root = Path(folder)
        (floor_root / "floor_app.py").write_text(FLOOR_APP)
        (floor_root / "heading_app.py").write_text(HEADING_APP)
        (floor_root / "charts_app.py").write_text(CHARTS_APP)
        write_lab_chart_specs(floor_root)
        (floor_root / "with_pages" / "pages").mkdir(parents=True)
        (floor_root / "with_pages" / "heading_app.py").write_text(HEADING_APP)
        (floor_root / "with_pages" / "pages" / "2_Lab.py").write_text(HEADING_APP)
        if (app_root / ".streamlit").is_dir():  # the framework configured as the app's is
            for root in (floor_root, floor_root / "with_pages"):
                shutil.copytree(app_root / ".streamlit", root / ".streamlit")
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        paints = measure_first_paints(browser, app_root, floor_root, visits)
        clicks = measure_clicks(browser, app_root, floor_root, bare, repeats)
        version = browser.version
        browser.close()
    loads.append(load_average())
    report(version, clicks, paints, (loads[0], loads[1]))


if __name__ == "__main__":
    main()
