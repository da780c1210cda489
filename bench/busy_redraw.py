"""A learner's cached redraw while another learner's long run goes on, against the same on an idle server.

Runs execute in the server's worker processes, so one learner's 100,000-iteration loop should
not slow another learner's redraw of a configuration seen before. Two headless sessions
(Streamlit's own websocket protocol, devtools/headless.py) open the Lab on one fresh server:
the first toggles between two cached configurations, timing each toggle to its script's end;
the second starts a long run, in turns with idle rounds. Prints both medians and their ratio.
Target: busy / idle at most 1.3.

    python bench/busy_redraw.py [--toggles 12] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.browser import AppServer  # noqa: E402
from devtools.headless import Session  # noqa: E402

LONG_RUN = 100_000


async def toggles(session: Session, count: int) -> list[float]:
    """Flip zeroing off and on ``count`` times: both configurations cached after the first pair."""
    times = []
    for k in range(count):
        run = await session.act("zero_grad", k % 2 == 0)
        assert not run.exceptions, run.exceptions
        times.append(run.seconds)
    return times


async def measure(url: str, count: int, rounds: int) -> tuple[list[float], list[float]]:
    learner, other = Session(url), Session(url, timeout=600)
    await learner.open()
    await other.open()
    await toggles(learner, 2)  # warm: both configurations now cached
    idle, busy = [], []
    for round_number in range(rounds):
        idle += await toggles(learner, count)
        # A configuration no one has run: a learning rate of its own per round, set with the length.
        other.page.set("lr", 0.0201 + round_number * 1e-4)
        long_run = asyncio.create_task(other.act("iterations", LONG_RUN))
        await asyncio.sleep(1.0)  # the run is under way in a worker
        busy += await toggles(learner, count)
        still_running = not long_run.done()
        await long_run
        if not still_running:
            print(f"round {round_number}: the long run ended before the busy toggles did", file=sys.stderr)
    await learner.close()
    await other.close()
    return idle, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toggles", type=int, default=12, help="toggles timed per round and state")
    parser.add_argument("--rounds", type=int, default=3, help="alternating idle and busy rounds")
    args = parser.parse_args()
    with AppServer() as server:
        idle, busy = asyncio.run(measure(server.url, args.toggles, args.rounds))
    idle_median, busy_median = statistics.median(idle), statistics.median(busy)
    print(f"cached redraw, idle server   median {idle_median:.3f} s  (min {min(idle):.3f}, max {max(idle):.3f})")
    print(f"cached redraw, during a run  median {busy_median:.3f} s  (min {min(busy):.3f}, max {max(busy):.3f})")
    print(f"busy / idle                  {busy_median / idle_median:.2f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
