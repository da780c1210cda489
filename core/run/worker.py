"""A worker process of the run pool (``core.serve.jobs``): imports torch once, then runs what it is sent.

``python -m core.run.worker FD`` talks over the socket ``FD`` in pickled messages:

- to the worker: ``("run", number, config, data)`` (data None: the built-in dataset the
  configuration names) and ``("stop", number)``, which ends run ``number`` at its next frame;
- from the worker: ``("ready", pid)`` once, then for each run ``("frame", rows)`` every
  ``FRAME_SECONDS`` with the trajectory rows recorded since the last frame, and at the end
  ``("done", result)``, or ``("failed", traceback)`` if the engine itself failed.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from multiprocessing.connection import Connection

from core.lesson.results import FRAME_SECONDS

FIRST_FRAME_SECONDS = 0.1  # the first sooner: something new on the page within half a second of a click


class _Frames:
    """A run's on_step: sends the rows recorded since the last frame, and reads any Stop."""

    def __init__(self, connection: Connection, number: int) -> None:
        self.connection, self.number = connection, number
        self.rows: list[tuple] = []  # the engine appends the trajectory's rows here as it goes
        self.sent = 0
        self.next_frame = time.perf_counter() + FIRST_FRAME_SECONDS

    def on_step(self, iteration: int, total: int) -> bool:
        """Called after every iteration: a clock read, unless a frame is due."""
        now = time.perf_counter()
        if now < self.next_frame:
            return False
        self.next_frame = now + FRAME_SECONDS
        self.connection.send(("frame", self.rows[self.sent :]))
        self.sent = len(self.rows)
        return self._stop_requested()

    def _stop_requested(self) -> bool:
        stop = False
        while self.connection.poll():
            kind, number, *_ = self.connection.recv()
            stop = stop or (kind == "stop" and number == self.number)
        return stop


WORKER_NICENESS = 10  # added to the worker's niceness: the scheduler favours the server's process


def serve(connection: Connection) -> None:
    """Import torch once, then run each configuration sent, until the server closes the socket."""
    import torch

    from core.lesson.data import load_builtin
    from core.run import engine

    torch.set_num_threads(1)  # one worker a core: the lesson's tensors are too small to split anyway
    # Below the server: when every core runs a loop, the server, which answers every learner's
    # clicks, still gets a core the moment it needs one (a cached redraw takes a tenth of a second).
    if hasattr(os, "nice"):  # POSIX
        os.nice(WORKER_NICENESS)
    engine.warm_up()
    connection.send(("ready", os.getpid()))
    while True:
        try:
            kind, number, *request = connection.recv()
        except EOFError:  # the server is gone
            return
        if kind != "run":
            continue  # a Stop that came after its run ended
        config, data = request
        frames = _Frames(connection, number)
        try:
            data = load_builtin(config.dataset) if data is None else data
            result = engine.run(config, data, on_step=frames.on_step, rows=frames.rows)
            connection.send(("done", result))
        except ConnectionError:  # the server is gone (it closed the socket mid-run): nothing left to do
            return
        except Exception:  # a bug of ours, not a lesson outcome: the page reports it
            connection.send(("failed", traceback.format_exc()))


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])))
