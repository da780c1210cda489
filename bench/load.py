"""A classroom at once: many sessions working through the Lab on one fresh server.

Starts one server on 127.0.0.1 (devtools/browser.py's AppServer) and ``--sessions`` users. By
default each user is a headless session speaking Streamlit's own websocket protocol
(devtools/headless.py: the BackMsg / ForwardMsg protobufs over ``/_stcore/stream``, checked
against Chromium by tests/browser/test_load_client.py), so the figures are the server's, not
those of twenty browsers sharing its cores. ``--browser`` drives a handful of Chromium sessions
instead, timing each click to the charts redrawn (as bench/browser_redraw.py does).

Each session opens the Lab (the starts spread over ``--ramp`` seconds), then takes ``--steps``
actions, each after a pause of ``--think`` seconds on average (half to one and a half times it):
a cycle of lesson presets, a toggle, views, a step through the run and one configuration nobody
ran before (a number of iterations of its own). A warm-up session first takes every action of
the cycle but the new configuration, once and untimed, as an instructor would before class: so
"cached" kinds of action find their run in the cache, as in a class following one lesson.

Every action is timed from the rerun request to the server's ``script_finished`` (headless) or
to the charts redrawn (browser). An error is an exception element on the page, a lost
connection or a run that did not finish within ``--timeout`` seconds. Meanwhile a thread samples
the server's resident memory (VmRSS of the server and its children, from /proc) every 0.2 s.

It prints the errors (the target is none), p50 and p95 by kind of action, the server's memory
and the CPU each process used while the sessions ran, and what the rest of the machine used
meanwhile. It stops by itself: every action has a timeout, ``--budget`` bounds the whole run.

A user whose connection is lost, or whose run did not end in time, takes no more actions: the
rest of its actions count as skipped.

    python bench/load.py [--sessions 50] [--steps 10] [--think 3] [--ramp 10] [--timeout 120]
                         [--budget 900] [--cached-only]
    python bench/load.py --browser [--sessions 5]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
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
from devtools.headless import Session, SessionError  # noqa: E402

OPEN = "open Lab"
NEW = "new configuration"
CACHED = ("cached preset", "cached toggle", "view change", "step")
KINDS = (OPEN, *CACHED, NEW)
CYCLE = 10  # actions in plan()'s cycle
QUIET_MS = 1000  # browser: a click that changes only some charts is done once none was drawn for this long


@dataclass(frozen=True)
class Action:
    kind: str
    key: str  # the widget's key
    value: object = None  # None: click the button; else the value to give the widget


def plan(session: int, step: int) -> Action:
    """A session's ``step``-th action: a cycle through the lesson, each changing what the Lab shows."""
    cycle, position = divmod(step, CYCLE)
    return [
        Action("cached preset", "preset_3"),
        Action("view change", "view", "Printed output"),
        Action("cached preset", "preset_1"),
        Action("cached preset", "preset_4"),
        Action("step", "step_forward"),
        Action("view change", "view", "Charts"),
        Action(NEW, "iterations", 3_000 + 10 * session + cycle),  # each session's own; the next preset resets it
        Action("cached preset", "preset_2"),
        Action("cached preset", "preset_sgd"),
        Action("cached toggle", "zero_grad", False),
    ][position]


@dataclass
class Record:
    session: int
    kind: str
    seconds: float | None = None  # None when the action failed
    error: str | None = None


@dataclass
class Tally:
    records: list[Record] = field(default_factory=list)
    warm_up: list[tuple[Action, float]] = field(default_factory=list)
    skipped: int = 0

    def errors(self) -> list[str]:
        return [f"session {r.session} ({r.kind}): {r.error}" for r in self.records if r.error]


# --- the two kinds of user ------------------------------------------------------------------------


class HeadlessUser:
    """A session over the websocket protocol: times from the rerun request to script_finished."""

    def __init__(self, url: str, args) -> None:
        self.session = Session(url, "/Lab", timeout=args.timeout)

    async def open(self) -> float:
        return self._checked(await self.session.open())

    async def do(self, action: Action) -> float:
        return self._checked(await self.session.act(action.key, action.value))

    @staticmethod
    def _checked(run) -> float:
        if run.exceptions:
            raise AssertionError(f"exception element on the page: {run.exceptions[0]}")
        return run.seconds

    async def close(self) -> None:
        await self.session.close()


class BrowserUser:
    """A Chromium context (one user): times from the click to the charts redrawn, in the page's clock."""

    def __init__(self, url: str, args, browser) -> None:
        self.url, self.args, self.browser = url, args, browser
        self.errors: list[str] = []
        self.context = None

    async def open(self) -> float:
        self.context = await self.browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(self.args.timeout * 1000)
        await self.context.add_init_script(instrument_js())
        self.page = await self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        started = time.perf_counter()
        await self.page.goto(f"{self.url}/Lab", timeout=self.args.timeout * 1000)
        await self._redrawn(0)
        await self._check()
        return time.perf_counter() - started

    async def do(self, action: Action) -> float:
        mark = await self.page.evaluate("performance.now()")
        await self._perform(action)
        shown = await self._redrawn(mark)
        await self._check()
        return shown["ms"] / 1000

    async def _perform(self, action: Action) -> None:
        widget = self.page.locator(f".st-key-{action.key}")
        if action.value is None:
            await widget.locator("button").first.click()
        elif isinstance(action.value, bool):
            if await widget.locator("input").first.is_checked() != action.value:
                await widget.locator("label").first.click()
        elif isinstance(action.value, str):  # an option of a segmented control
            await widget.locator("button").filter(has_text=action.value).first.click()
        else:
            field_ = widget.locator("input").first
            await field_.fill(str(action.value))
            await field_.press("Enter")

    async def _redrawn(self, mark: float) -> dict:
        handle = await self.page.wait_for_function(
            REDRAWN_JS, arg=[mark, QUIET_MS], timeout=self.args.timeout * 1000, polling=100
        )
        return await handle.json_value()

    async def _check(self) -> None:
        """Exception elements, JavaScript errors or a lost connection on the page now."""
        found = [f"page error: {error}" for error in self.errors]
        self.errors.clear()
        if await self.page.locator('[data-testid="stException"]').count():
            found.append("exception element on the page")
        state = await self.page.locator('[data-testid="stApp"]').first.get_attribute("data-test-connection-state")
        if state != "CONNECTED":
            found.append(f"connection state {state}")
        if found:
            raise AssertionError("; ".join(found))

    async def close(self) -> None:
        if self.context is not None:
            await self.context.close()


# --- driving --------------------------------------------------------------------------------------


async def warm_up(url: str, args, tally: Tally) -> None:
    """One headless session takes every action of the cycle but the new configuration, untimed in the figures."""
    user = HeadlessUser(url, args)
    await user.open()
    for step in range(CYCLE):
        action = plan(0, step)
        if action.kind != NEW:
            tally.warm_up.append((action, await user.do(action)))
    await user.close()


async def one_session(number: int, user, args, tally: Tally, deadline: float) -> None:
    rng = random.Random(number)
    await asyncio.sleep(number * args.ramp / max(1, args.sessions))
    try:
        record = Record(number, OPEN)
        tally.records.append(record)
        try:
            record.seconds = await user.open()
        except Exception as error:  # whatever stops a user is recorded as its error
            record.error = describe(error)
            tally.skipped += args.steps
            return
        for step in range(args.steps):
            await asyncio.sleep(args.think * rng.uniform(0.5, 1.5))
            if time.monotonic() > deadline:
                tally.skipped += args.steps - step
                break
            action = plan(number, step)
            if args.cached_only and action.kind == NEW:
                continue
            record = Record(number, action.kind)
            tally.records.append(record)
            try:
                record.seconds = await user.do(action)
            except SessionError as error:  # the connection is lost, or a run never ended: no more actions
                record.error = describe(error)
                tally.skipped += args.steps - step - 1
                break
            except Exception as error:  # an exception element, a widget not on the page, a browser timeout
                record.error = describe(error)
    finally:
        await user.close()


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


async def drive(url: str, args, tally: Tally, cpu: CpuMeter) -> str:
    """Every session at once, the CPU they cost measured; returns what drove them."""
    deadline = time.monotonic() + args.budget
    cpu.start()
    if not args.browser:
        users = [HeadlessUser(url, args) for _ in range(args.sessions)]
        await asyncio.gather(*(one_session(n, user, args, tally, deadline) for n, user in enumerate(users)))
        cpu.stop()
        return "headless sessions (Streamlit's websocket protocol)"
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        users = [BrowserUser(url, args, browser) for _ in range(args.sessions)]
        await asyncio.gather(*(one_session(n, user, args, tally, deadline) for n, user in enumerate(users)))
        cpu.stop()  # while Chromium's processes still exist to be counted
        version = browser.version
        await browser.close()
    return f"Chromium {version} sessions (headless browser contexts)"


# --- measuring ------------------------------------------------------------------------------------


class MemorySampler(threading.Thread):
    """The server's RSS (with its children) every ``every`` seconds, until stopped."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[int] = []
        self.marks: dict[str, int] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        count, members = 0, [self.pid]
        while not self._stop_event.is_set():
            if count % 25 == 0:  # children are looked up every 5 s; RSS is read every sample
                members = [self.pid, *descendants(self.pid)]
            self.samples.append(sum(vmrss_kib(pid) for pid in members))
            count += 1
            self._stop_event.wait(self.every)

    def mark(self, name: str) -> None:
        self.marks[name] = rss_kib(self.pid)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy since boot, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def label(pid: int, server_pid: int) -> str:
    if pid == server_pid:
        return "server (streamlit run)"
    try:
        words = [word.decode(errors="replace") for word in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]
    except OSError:
        return "(exited)"
    command = " ".join([Path(words[0]).name, *words[1:]]).strip()
    for part in ("resource_tracker", "forkserver", "spawn"):  # multiprocessing's own processes
        if f"multiprocessing.{part}" in command:
            return f"{Path(words[0]).name}: multiprocessing {part.replace('spawn', 'worker')}"
    return command[:60]


class CpuMeter:
    """CPU seconds used between start() and stop(): by each server process, by this script and its children
    (the load client, or Chromium and Playwright's driver), and by everything else on the machine."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def _read(self) -> dict[str, float]:
        server = [self.server_pid, *descendants(self.server_pid)]
        figures = {label(pid, self.server_pid) + f" [pid {pid}]": cpu_seconds([pid]) for pid in server}
        own = [os.getpid(), *(pid for pid in descendants(os.getpid()) if pid not in server)]
        figures["this script and its children"] = cpu_seconds(own)
        figures["machine"] = machine_busy_seconds()
        return figures

    def start(self) -> None:
        self.before, self.started = self._read(), time.monotonic()

    def stop(self) -> None:
        after, self.wall = self._read(), time.monotonic() - self.started
        self.used = {name: value - self.before.get(name, 0.0) for name, value in after.items()}


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value at least ``share`` of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timing_line(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<38}none"
    return (
        f"  {name:<38}n={len(values):<5} p50 {statistics.median(values):6.2f} s   "
        f"p95 {percentile(values, 0.95):6.2f} s   max {max(values):6.2f} s"
    )


def mb(kib: int) -> str:
    return f"{kib / 1024:,.0f} MB"


def report(args, who: str, tally: Tally, cpu: CpuMeter, sampler: MemorySampler, load: tuple) -> None:
    done = [r for r in tally.records if r.seconds is not None]
    print(
        f"load: {args.sessions} {who} x {args.steps} actions{' (cached only)' * args.cached_only}, "
        f"think {args.think:g} s (x0.5-1.5), "
        f"ramp {args.ramp:g} s; one server on 127.0.0.1; {os.cpu_count()} CPUs; "
        f"load average before the server started {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min)"
    )
    errors = tally.errors()
    print(f"errors: {len(errors)}  (target: 0)")
    for error in errors[:20]:
        print(f"  - {error}")
    if len(errors) > 20:
        print(f"  ... and {len(errors) - 20} more")
    print(f"actions: {len(tally.records)} done, {len(done)} finished, {tally.skipped} skipped (time budget or errors)")
    print("time to the run's end" + (" and the charts redrawn" if args.browser else " (script_finished)") + ":")
    for kind in KINDS:
        print(timing_line(kind, [r.seconds for r in done if r.kind == kind]))
    print(timing_line("all cached actions (target p95 2 s)", [r.seconds for r in done if r.kind in CACHED]))
    print(timing_line("warm-up, first run of each", [seconds for _, seconds in tally.warm_up]))
    print(f"CPU used while the sessions ran ({cpu.wall:.0f} s, {os.cpu_count()} cores), share of one core:")
    for name, seconds in cpu.used.items():
        if name == "machine":
            rest = seconds - sum(value for key, value in cpu.used.items() if key != "machine")
            print(f"  {'everything else on this machine':<58}{rest:7.0f} s {rest / cpu.wall:5.0%}")
        else:
            print(f"  {name:<58}{seconds:7.0f} s {seconds / cpu.wall:5.0%}")
    if sampler.samples:
        print(
            f"server memory (VmRSS with children, {len(sampler.samples)} samples every {sampler.every} s): "
            f"peak {mb(max(sampler.samples))}"
        )
    for name, kib in sampler.marks.items():
        print(f"  {name:<40}{mb(kib)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=None, help="users at once (default 50; 5 with --browser)")
    parser.add_argument("--steps", type=int, default=10, help="actions per session after opening the Lab")
    parser.add_argument("--think", type=float, default=3.0, help="mean seconds between a session's actions")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which the sessions start")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds an action may take")
    parser.add_argument("--budget", type=float, default=900.0, help="seconds after which no new action starts")
    parser.add_argument("--cached-only", action="store_true", help="leave out the new configurations")
    parser.add_argument("--browser", action="store_true", help="Chromium sessions instead of headless ones")
    args = parser.parse_args()
    args.sessions = args.sessions or (5 if args.browser else 50)
    if args.browser:
        args.chromium = chromium_path()
        if args.chromium is None:
            sys.exit(f"No Chromium found: install Debian's package ({INSTALL_HINT}).")

    load = os.getloadavg()
    tally = Tally()
    with AppServer() as server:
        sampler = MemorySampler(server.pid)
        sampler.mark("server up, before any session")
        sampler.start()
        cpu = CpuMeter(server.pid)
        try:
            asyncio.run(warm_up(server.url, args, tally))
            sampler.mark("after the warm-up session")
            who = asyncio.run(drive(server.url, args, tally, cpu))
            sampler.mark("end of the actions")
            time.sleep(2)  # the sessions' websockets are closed: let the server drop them
            sampler.mark("sessions closed (+2 s)")
        finally:
            sampler.stop()
    report(args, who, tally, cpu, sampler, load)


if __name__ == "__main__":
    main()
