"""A classroom at once: many browser sessions clicking through the Lab on one fresh server.

Starts one server on 127.0.0.1 (with the browser tests' helper, devtools/browser.py) and one
headless Chromium holding ``--sessions`` browser contexts: each is a separate user with its own
Streamlit session. The sessions open the Lab (their starts spread over ``--ramp`` seconds) and
then each takes ``--steps`` actions, cycling through the lesson's presets (preset_1 to preset_4)
and custom settings: the "Gradients zeroed" toggle, the update radio (reassign, then data) and a
learning rate typed in (three values shared between the sessions, so some runs are new and some
come from the cache). Every action changes the configuration.

For every action it records the time from the click (or the key press) to the charts redrawn --
defined as in bench/browser_redraw.py: in the page's clock, the run's script_finished message
arrived, the frontend is idle and every chart was drawn again (or none for a second) -- and any
error: an exception element on the page, an uncaught JavaScript error, a timeout, a lost
connection. Meanwhile a thread samples the server's resident memory (VmRSS of the server and its
children, from /proc) every 0.2 s.

It prints the errors (the target is none), the number of actions, p50 and p95 click-to-redraw
(overall and by kind of action), and the server's memory at start, after the sessions opened the
Lab, at its peak, at the end of the actions and after the sessions closed. It stops by itself
(every action has a timeout; ``--budget`` bounds the whole run, skipped actions are reported)
and stops the server.

    python bench/load.py [--sessions 20] [--steps 12] [--ramp 10] [--budget 1200]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.browser import (  # noqa: E402
    CHROMIUM_ARGS,
    INSTALL_HINT,
    REDRAWN_JS,
    AppServer,
    chromium_path,
    cpu_seconds,
    descendants,
    instrument_js,
    rss_kib,
    vmrss_kib,
)

VIEWPORT = {"width": 1400, "height": 1000}  # a laptop's screen; the page still draws every chart
QUIET_MS = 1000  # a click that changes only some charts: done once none was drawn for this long
ACTION_TIMEOUT_MS = 240_000  # one action, on a machine shared by the server and every session
LOAD_TIMEOUT_MS = 300_000
LEARNING_RATES = ["0.01", "0.03", "0.05"]  # shared between sessions: a mix of new runs and cached ones


@dataclass
class Record:
    session: int
    step: int
    kind: str
    seconds: float | None = None  # click to redrawn; None when the action failed
    error: str | None = None


@dataclass
class Tally:
    records: list[Record] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds used while driving, by whom


def server_and_browser(server_pid: int) -> tuple[list[int], list[int]]:
    """The server's processes, and this script's other descendants: Playwright's driver and Chromium."""
    server = [server_pid, *descendants(server_pid)]
    others = [pid for pid in descendants(os.getpid()) if pid not in server]
    return server, others


def plan(session: int, step: int) -> tuple[str, str, str | None]:
    """The action of one session's step: (kind, widget key, value). Each changes the configuration."""
    cycle, position = divmod(step, 12)
    rate = LEARNING_RATES[(session + cycle) % len(LEARNING_RATES)]
    actions = [
        ("preset", "preset_1", None),
        ("preset", "preset_2", None),
        ("preset", "preset_3", None),
        ("preset", "preset_4", None),
        ("toggle", "zero_grad", None),  # now off: Draft 3
        ("radio", "update", "reassign"),
        ("radio", "update", "data"),
        ("learning rate", "lr", rate),
        ("toggle", "zero_grad", None),  # back on
        ("preset", "preset_4", None),  # the solution at this learning rate
        ("preset", "preset_1", None),
        ("preset", "preset_3", None),
    ]
    return actions[position]


async def perform(page, key: str, value: str | None) -> None:
    """Click the widget ``key`` (a button, a toggle, a radio option) or type ``value`` into it."""
    if key.startswith("preset_"):
        await page.locator(f".st-key-{key} button").first.click()
    elif key == "update":
        option = page.locator(f'.st-key-{key} [data-testid="stRadioOption"]').filter(has_text=value)
        await option.first.click()
    elif value is None:
        await page.locator(f".st-key-{key} label").first.click()
    else:
        field_ = page.locator(f".st-key-{key} input").first
        await field_.fill(value)
        await field_.press("Enter")


async def redrawn(page, mark: float, timeout: float) -> dict:
    handle = await page.wait_for_function(REDRAWN_JS, arg=[mark, QUIET_MS], timeout=timeout, polling=100)
    return await handle.json_value()


async def problems(page, page_errors: list[str]) -> list[str]:
    """What is wrong on the page now: exception elements, JavaScript errors, a lost connection."""
    found = []
    if await page.locator('[data-testid="stException"]').count():
        found.append("exception element on the page")
    state = await page.locator('[data-testid="stApp"]').first.get_attribute("data-test-connection-state")
    if state != "CONNECTED":
        found.append(f"connection state {state}")
    found += [f"page error: {error}" for error in page_errors]
    page_errors.clear()
    return found


async def one_session(number: int, browser, url: str, args, tally: Tally, deadline: float, opened) -> None:
    await asyncio.sleep(number * args.ramp / max(1, args.sessions))
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    await context.add_init_script(instrument_js())
    page = await context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        started = time.perf_counter()
        try:
            await page.goto(f"{url}/Lab", timeout=LOAD_TIMEOUT_MS)
            await redrawn(page, 0, LOAD_TIMEOUT_MS)
            tally.loads.append(time.perf_counter() - started)
        except Exception as error:
            tally.errors.append(f"session {number}: the Lab did not load: {type(error).__name__}: {error}")
            tally.skipped += args.steps
            return
        finally:
            opened()
        for step in range(args.steps):
            if time.monotonic() > deadline:
                tally.skipped += args.steps - step
                break
            kind, key, value = plan(number, step)
            record = Record(number, step, kind)
            try:
                mark = await page.evaluate("performance.now()")
                await perform(page, key, value)
                shown = await redrawn(page, mark, ACTION_TIMEOUT_MS)
                record.seconds = shown["ms"] / 1000
            except Exception as error:
                record.error = f"{type(error).__name__}: {str(error).splitlines()[0]}"
            found = await problems(page, page_errors)
            if found and record.error is None:
                record.error = "; ".join(found)
            if record.error:
                tally.errors.append(f"session {number} step {step} ({kind} {key}): {record.error}")
            tally.records.append(record)
    finally:
        await context.close()


class MemorySampler(threading.Thread):
    """The server's RSS (with its children) every ``every`` seconds, until stopped."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, int]] = []
        self.marks: dict[str, int] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        count, members = 0, [self.pid]
        while not self._stop_event.is_set():
            if count % 25 == 0:  # children are looked up every 5 s; RSS is read every sample
                members = [self.pid, *descendants(self.pid)]
            self.samples.append((time.monotonic(), sum(vmrss_kib(pid) for pid in members)))
            count += 1
            self._stop_event.wait(self.every)

    def mark(self, name: str) -> None:
        self.marks[name] = rss_kib(self.pid)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


async def drive(url: str, executable: str, args, sampler: MemorySampler) -> tuple[Tally, str, float]:
    from playwright.async_api import async_playwright

    tally = Tally()
    opened_count = 0

    def opened() -> None:
        nonlocal opened_count
        opened_count += 1
        if opened_count == args.sessions:
            sampler.mark("all sessions opened the Lab")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        version = browser.version
        started = time.monotonic()
        deadline = started + args.budget
        server_pids, browser_pids = server_and_browser(sampler.pid)
        cpu_before = cpu_seconds(server_pids), cpu_seconds(browser_pids)
        await asyncio.gather(
            *(one_session(n, browser, url, args, tally, deadline, opened) for n in range(args.sessions))
        )
        wall = time.monotonic() - started
        sampler.mark("end of the actions")
        server_pids, browser_pids = server_and_browser(sampler.pid)
        tally.cpu = {
            "server": cpu_seconds(server_pids) - cpu_before[0],
            "browser": cpu_seconds(browser_pids) - cpu_before[1],
            "wall": wall,
        }
        await browser.close()
    return tally, version, wall


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value at least ``share`` of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timing_line(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<28}none"
    return (
        f"{name:<28}n={len(values):<4} p50 {statistics.median(values):6.2f} s   p95 {percentile(values, 0.95):6.2f} s"
        f"   max {max(values):6.2f} s"
    )


def mb(kib: int) -> str:
    return f"{kib / 1024:,.0f} MB"


def report(args, tally: Tally, version: str, wall: float, sampler: MemorySampler) -> None:
    done = [r.seconds for r in tally.records if r.seconds is not None]
    print(
        f"load: {args.sessions} sessions x {args.steps} steps on one fresh server; Chromium {version} (headless), "
        f"{os.cpu_count()} CPUs; {wall:.0f} s of driving"
    )
    print(f"errors: {len(tally.errors)}  (target: 0)")
    for error in tally.errors[:20]:
        print(f"  - {error}")
    if len(tally.errors) > 20:
        print(f"  ... and {len(tally.errors) - 20} more")
    print(f"actions: {len(tally.records)} done, {len(done)} redrawn, {tally.skipped} skipped (time budget)")
    print(timing_line("click -> charts redrawn", done))
    for kind in ("preset", "toggle", "radio", "learning rate"):
        print("  " + timing_line(kind, [r.seconds for r in tally.records if r.kind == kind and r.seconds is not None]))
    print(timing_line("page load (goto -> drawn)", tally.loads))
    cpu, cores = tally.cpu, os.cpu_count() or 1
    if cpu:
        print(
            f"CPU used while driving ({cores} cores): server {cpu['server']:.0f} s in {cpu['wall']:.0f} s "
            f"({cpu['server'] / cpu['wall']:.0%} of one core); Chromium and Playwright's driver "
            f"{cpu['browser']:.0f} s ({cpu['browser'] / cpu['wall']:.0%} of one core)"
        )
    samples = [kib for _, kib in sampler.samples]
    if samples:
        print(
            f"server memory (VmRSS, with children; {len(samples)} samples every {sampler.every} s): "
            f"start {mb(samples[0])}, peak {mb(max(samples))}, end {mb(samples[-1])}"
        )
    for name, kib in sampler.marks.items():
        print(f"  {name:<34}{mb(kib)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="browser sessions at once (default 20)")
    parser.add_argument("--steps", type=int, default=12, help="actions per session (default 12)")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which the sessions start")
    parser.add_argument("--budget", type=float, default=1200.0, help="seconds after which no new action starts")
    args = parser.parse_args()
    executable = chromium_path()
    if executable is None:
        sys.exit(f"No Chromium found: install Debian's package ({INSTALL_HINT}).")

    with AppServer() as server:
        sampler = MemorySampler(server.pid)
        sampler.mark("server up, before any session")
        sampler.start()
        try:
            tally, version, wall = asyncio.run(drive(server.url, executable, args, sampler))
            time.sleep(2)  # the sessions' websockets are closed: let the server drop them
            sampler.mark("sessions closed (+2 s)")
        finally:
            sampler.stop()
    report(args, tally, version, wall, sampler)


if __name__ == "__main__":
    main()
