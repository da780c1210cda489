"""Charts drawn outside the server's interpreter: its one interpreter answers every learner's clicks.

Turning a run into the five specs of the Lab's charts costs a tenth of a second or more of
Python, and every session of a server shares one interpreter (one thread at a time). When a
class starts new runs at once, their charts and their live frames kept that interpreter busy,
and every other learner's click on a run seen before waited behind them (a 50-session load:
cached clicks p95 2.2 to 2.9 s, against 0.36 s with no new runs). So charts are drawn in
drawing processes (``core.serve.drawer``), below the server's priority, and the server only sends the
call and reads back the spec.

``DrawingPool.draw(chart, args, options)`` returns what ``spec.draw`` returns in-process, the
same spec: the pickled call is drawn by the same functions. While no drawing process is ready
(the first seconds of a server), or if one fails or takes too long, the server draws it itself.
"""

from __future__ import annotations

import collections
import concurrent.futures
import threading
from collections.abc import Callable

from core.charts.spec import Drawn, draw
from core.serve.processes import Child, WorkerPool, cores, count_setting

DRAWERS_VARIABLE = "DRAFTS_DRAWERS"  # environment: drawing processes (default: one per four cores)
DRAW_TIMEOUT_S = 60.0  # then the server draws it itself: a stuck drawer must not hold a page


def drawer_count() -> int:
    """How many drawing processes to start: ``DRAFTS_DRAWERS``, else one per four cores (at least one)."""
    return count_setting(DRAWERS_VARIABLE, 0, lambda: max(1, cores() // 4))


class _Call(concurrent.futures.Future):
    """One chart to draw: a future of its ``Drawn``, as a run's ``Job`` is of its result."""

    def __init__(self, chart: Callable, args: tuple, options: dict) -> None:
        super().__init__()
        self.chart, self.args, self.options = chart, args, options


class DrawingFailed(RuntimeError):
    """A drawing process could not draw a call (it died, or the chart function raised there)."""


class _Drawer(Child):
    """A drawing process: one call at a time."""

    module = "core.serve.drawer"

    def _handle(self, call: _Call) -> None:
        if not call.set_running_or_notify_cancel():  # the page gave up waiting and drew it itself
            return
        connection = self._live_connection()
        try:
            connection.send((call.chart, call.args, call.options))
        except (EOFError, OSError) as error:  # the drawer died while idle
            self.process = None
            call.set_exception(DrawingFailed(f"the drawing process ended: {error}"))
            return
        except Exception as error:  # not picklable (a lambda, say): nothing was sent
            call.set_exception(DrawingFailed(f"this chart cannot be sent to a drawing process: {error!r}"))
            return
        try:
            kind, payload = connection.recv()
        except (EOFError, OSError):  # it died drawing (killed, out of memory)
            self.process = None
            call.set_exception(DrawingFailed(f"the drawing process {self.pid} ended while drawing"))
            return
        if kind == "drawn":
            call.set_result(payload)
        else:  # "failed": the drawer's traceback
            call.set_exception(DrawingFailed(payload))


class DrawingPool:
    """Drawing processes that take chart calls in the order they come; none when ``drawers`` is 0."""

    def __init__(self, drawers: int | None = None) -> None:
        count = drawer_count() if drawers is None else drawers
        self.pool = WorkerPool(count, child=_Drawer) if count else None
        self.counts: collections.Counter[str] = collections.Counter()  # calls drawn "away" and "here"
        self._lock = threading.Lock()

    def ready(self) -> bool:
        """Whether a drawing process has started (imported Altair and drawn its first chart)."""
        return self.pool is not None and any(drawer.ready.is_set() for drawer in self.pool.workers)

    def draw(self, chart: Callable, args: tuple, options: dict, timeout: float = DRAW_TIMEOUT_S) -> Drawn:
        """``spec.draw(chart, args, options)``: in a drawing process if one is ready, else here."""
        if self.pool is not None and self.ready():
            call = _Call(chart, args, options)
            self.pool.submit(call, first=False)
            try:
                result = call.result(timeout)
            except (DrawingFailed, concurrent.futures.TimeoutError):
                call.cancel()  # still queued: no drawer takes it now
            else:
                self._count("away")
                return result
        self._count("here")
        return draw(chart, args, options)

    def _count(self, where: str) -> None:
        with self._lock:
            self.counts[where] += 1
