"""How fast the Lab redraws after a click, in a real Chromium against a fresh server.

Starts its own server (with the browser tests' helper, devtools/browser.py), opens the Lab
and measures, with medians over the repetitions:

(i)   seen before: from a click on the "Gradients zeroed" toggle to the charts redrawn, flipping
      between two 10,000-iteration configurations that have both run once already (after one
      warm-up flip each way), so the run comes from the cache;
(ii)  new: from a click on the same toggle to the charts redrawn, for a 10,000-iteration
      configuration never run before: each repetition first types a new initial m (that run is
      not timed), then clicks the toggle, and only the click is timed;
(iii) bytes: the websocket frames the page receives during the page load and between each timed
      click and its redraw, as payload bytes (after the websocket's own decompression). Each frame
      is one ForwardMsg protobuf; chart messages are the deltas carrying a vega-lite chart element
      in full, and "by reference" counts ref_hash frames: messages the browser already holds in its
      message cache, which the server names instead of resending.

"Charts redrawn" is measured in the page's own clock (performance.now()) by a script installed in
the page before the app's own, so Python's polling adds nothing to the figures. It is the latest
of: the server's script_finished message for the run the click started reaching the page; the
frontend showing it is idle (no run, no element still loading its code); every chart on the page
drawn again after the click -- given a new canvas or svg by vega-embed, or repainted in place
(Streamlit swaps the data of a chart whose spec did not change; vega's repaint starts with
clearRect on its canvas, or changes the svg's elements). The clock starts at the click's
pointerdown. A click that leaves some charts unchanged counts as redrawn once no chart has been
drawn for a second (the figure is still the time of the last drawing); the script says so when
that happens.

Each timed click is also split by the websocket frames' arrival times (Playwright's events, mapped
onto the page's clock by a round-trip calibration just before the click): the rerun request sent
by the page, the server's new_session (the run started) and script_finished (the run ended).
After script_finished the remaining time is the browser's: decoding, layout and vega.

For comparison it times the bare lesson loop (bench/engine_overhead.py's bare_lesson_loop) on
copies of the worked solution data in this process, before the server starts. Targets: a
seen-before redraw under 0.3 s; a new configuration under the bare loop + 0.5 s.

    python bench/browser_redraw.py [--repeats 5] [--app DIR]

``--app`` serves another checkout (a git worktree of an older commit, say) with this script's
own measuring code, so that two versions can be timed in turns on the same machine.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine_overhead import bare_lesson_loop  # noqa: E402

from core.data import load_builtin  # noqa: E402
from devtools.browser import (  # noqa: E402
    CHROMIUM_ARGS,
    INSTALL_HINT,
    AppPage,
    AppServer,
    chromium_path,
    new_context,
)

SEEN_TARGET_S = 0.3
NEW_MARGIN_S = 0.5
TOGGLE = "zero_grad"  # both of its positions run 10,000 iterations at the solution's other settings


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


def bare_loop_seconds(repeats: int) -> list[float]:
    """The bare lesson loop's time for 10,000 iterations, after one warm-up run."""
    data = load_builtin("solution")
    screentime, sleep = data.x.copy(), data.y.copy()
    bare_lesson_loop(screentime, sleep)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        bare_lesson_loop(screentime, sleep)
        times.append(time.perf_counter() - start)
    return times


def timed_click(app: AppPage, frames: FrameLog) -> dict[str, float | dict]:
    """Click the toggle; seconds from the click to each step of its rerun, and the frames received.

    ``request``: the page sent the rerun request; ``started``: the server's new_session arrived;
    ``finished``: its script_finished arrived; ``redrawn``: the charts were drawn (page clock).
    """
    offset = clock_offset(app.page)
    start, sent = frames.mark(), len(frames.sent)
    shown = app.toggle(TOGGLE)
    if not shown["all"]:
        print(f"note: a click redrew {shown['redrawn']} of {shown['charts']} charts")
    sizes = frames.summary(start)
    clicked = shown["t0"] / 1000 + offset
    request = frames.sent[sent] - clicked if len(frames.sent) > sent else math.nan
    return {
        "request": request,
        "started": sizes["first_at"] - clicked,
        "finished": sizes["finished_at"] - clicked,
        "redrawn": shown["ms"] / 1000,
        "sizes": sizes,
    }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(value: float, target: float) -> str:
    return "met" if value < target else "MISSED"


def spread(values: list[float]) -> str:
    return f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"


def byte_line(name: str, sizes: list[dict[str, int]]) -> str:
    pick = {key: median([s[key] for s in sizes]) for key in ("frames", "bytes", "chart_msgs", "chart_bytes", "refs")}
    return (
        f"{name:<28}{pick['bytes']:>11,.0f} B in {pick['frames']:>4.0f} frames; chart messages "
        f"{pick['chart_bytes']:>10,.0f} B in {pick['chart_msgs']:.0f} (+{pick['refs']:.0f} by reference)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed clicks of each kind (at least 3)")
    parser.add_argument(
        "--app", type=Path, default=ROOT, help="the checkout whose app to serve (an older commit, side by side)"
    )
    options = parser.parse_args()
    repeats = max(3, options.repeats)
    executable = chromium_path()
    if executable is None:
        sys.exit(f"No Chromium found: install Debian's package ({INSTALL_HINT}).")
    from playwright.sync_api import sync_playwright

    bare = bare_loop_seconds(repeats)  # before the server starts: this process has the machine to itself
    seen: list[dict] = []
    new: list[dict] = []
    with AppServer(root=options.app.resolve()) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = new_context(browser).new_page()
        frames = FrameLog()
        frames.attach(page)
        app = AppPage(page, server.url, server)
        started = time.perf_counter()
        app.open("/Lab")
        load_s = time.perf_counter() - started
        load_bytes = frames.summary(0)

        app.toggle(TOGGLE)  # warm both positions: each has now run once
        app.toggle(TOGGLE)
        seen = [timed_click(app, frames) for _ in range(2 * repeats)]
        for k in range(repeats):
            app.enter("m0", f"{0.25 + 0.125 * k:g}")  # a start never used before: this run is not timed
            new.append(timed_click(app, frames))
        charts = len(app.charts())
        version = browser.version
        browser.close()

    bare_s = median(bare)
    print(
        f"Lab redraws in Chromium {version} (headless), Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{charts} charts on the page; medians of {len(seen)} seen-before and {len(new)} new clicks"
    )
    print(f"bare lesson loop, 10,000 iterations   {bare_s:6.2f} s  {spread(bare)}")
    print(f"page load (goto to charts drawn)      {load_s:6.2f} s  (fresh server: imports and a 10,000-iteration run)")
    targets = {
        "(i)  seen before": (seen, SEEN_TARGET_S, f"{SEEN_TARGET_S:.2f} s"),
        "(ii) new config ": (
            new,
            bare_s + NEW_MARGIN_S,
            f"{bare_s + NEW_MARGIN_S:.2f} s (bare loop + {NEW_MARGIN_S} s)",
        ),
    }
    for name, (clicks, target, target_text) in targets.items():
        total = [c["redrawn"] for c in clicks]
        print(
            f"{name}: click -> charts redrawn {median(total):6.2f} s  {spread(total)}"
            f"   target < {target_text}: {verdict(median(total), target)}"
        )
        steps = {step: median([c[step] for c in clicks]) for step in ("request", "started", "finished")}
        print(
            f"      click -> rerun request sent {steps['request']:.2f} s, -> server's new_session "
            f"{steps['started']:.2f} s, -> script_finished {steps['finished']:.2f} s, -> redrawn {median(total):.2f} s"
        )
    print("(iii) websocket payload received, ForwardMsg frames (median per event):")
    print("     " + byte_line("page load", [load_bytes]))
    print("     " + byte_line("redraw, seen before", [c["sizes"] for c in seen]))
    print("     " + byte_line("redraw, new config", [c["sizes"] for c in new]))


if __name__ == "__main__":
    main()
