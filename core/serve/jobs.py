"""Runs of the engine in worker processes, one ``Job`` each: torch imported once a worker.

A ``Job`` is a ``concurrent.futures.Future`` of the run's ``RunResult`` that also holds what has
run so far: while it runs, its worker sends the rows recorded since the last frame every
``FRAME_SECONDS`` (``Job.snapshot()``), and ``Job.stop()`` reaches the worker and ends its loop at
the next iteration. The result is what ``engine.run`` returns in-process, pickled across the
process boundary unchanged; a failure of the engine itself (a bug of ours, or a worker that
died) is the future's exception, ``RunFailed``.

The server process itself never imports torch: the workers do, each once, at start
(``core.run.worker`` is a worker's side of the exchange).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection

import numpy as np

from core.lesson.data import BUILTIN_DATASETS, Dataset
from core.lesson.drafts import LoopConfig
from core.lesson.results import COLUMNS, Outcome, RunResult, Status, rows_array, trajectory_table
from core.serve.processes import Child, cores, count_setting

WORKERS_VARIABLE = "DRAFTS_WORKERS"  # environment: worker processes (default: one per core)


def worker_count() -> int:
    """How many worker processes to start: ``DRAFTS_WORKERS``, else one per core."""
    return count_setting(WORKERS_VARIABLE, 1, cores)


class RunFailed(RuntimeError):
    """The engine itself failed in a worker (a bug of ours, or the worker died): never a lesson outcome."""


class Job(concurrent.futures.Future):
    """One run of one configuration, in a worker: its rows so far, then its result."""

    def __init__(self, config: LoopConfig, data: Dataset) -> None:
        super().__init__()
        self.config, self.data = config, data
        self.stopped = False
        self.waiters = 0  # sessions drawing this job; with none left it stops
        self.kept = False  # run to the end even when no session draws it (a prepared preset)
        self._chunks: list[np.ndarray] = []  # the rows so far: an array a frame, joined when read
        self._count = 0
        self._lock = threading.Lock()
        self._stop: Callable[[], None] | None = None

    @classmethod
    def known(cls, result: RunResult, data: Dataset) -> Job:
        """A job whose result is already known (a cached run)."""
        job = cls(result.config, data)
        job.set_result(result)
        return job

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the job to end; whether it has."""
        concurrent.futures.wait([self], timeout)
        return self.done()

    def finished_result(self) -> RunResult | None:
        """The result, once the job has ended with one (None while it runs, or if it failed)."""
        if self.done() and self.exception() is None:
            return self.result()
        return None

    def iterations_done(self) -> int:
        result = self.finished_result()
        return len(result.trajectory) if result is not None else self._count

    def snapshot(self) -> RunResult:
        """What has run so far, as a result whose outcome is RUNNING (the result itself once done)."""
        result = self.finished_result()
        if result is not None:
            return result
        values = self._values_so_far()
        final_m, final_b = (values[-1, 1], values[-1, 2]) if len(values) else (self.config.m0, self.config.b0)
        outcome = Outcome(Status.RUNNING, len(values), final_m=float(final_m), final_b=float(final_b))
        return RunResult(config=self.config, trajectory=trajectory_table(values), outcome=outcome)

    def _values_so_far(self) -> np.ndarray:
        """Every row so far as one array, kept joined: the next frame joins only the rows sent since.

        A frame of a long run read its 100,000 rows as tuples again each time (about 0.1 s of
        the server's interpreter a frame); an array a frame, joined, takes a few milliseconds.
        """
        with self._lock:
            if len(self._chunks) != 1:
                self._chunks = [np.concatenate(self._chunks) if self._chunks else np.empty((0, len(COLUMNS)))]
            return self._chunks[0]

    def stop(self) -> None:
        """End the run at its next iteration; its result is what it did until then."""
        self.stopped = True
        if self._stop is not None and not self.done():
            self._stop()

    def release(self) -> None:
        """One session stops drawing this job; the last one to leave stops it."""
        with self._lock:
            self.waiters -= 1
            orphaned = self.waiters <= 0
        if orphaned and not self.kept and not self.done():
            self.stop()

    def stopped_by(self, stop: Callable[[], None]) -> None:
        """What ``stop()`` calls to reach the worker running this job."""
        self._stop = stop

    def add_rows(self, rows: list) -> None:
        """Rows of the trajectory a frame brought."""
        chunk = rows_array(rows)
        with self._lock:
            self._chunks.append(chunk)
            self._count += len(chunk)


class RunWorker(Child):
    """A worker process of runs (``core.run.worker``): one job at a time."""

    module = "core.run.worker"

    def __init__(self, pool, number: int) -> None:
        super().__init__(pool, number)
        self.jobs = 0

    def _handle(self, job: Job) -> None:
        if job.stopped:  # stopped (or left by every session) before a worker was free
            job.set_result(_empty(job.config, Status.STOPPED))
            return
        for retry in (False, True):
            try:
                self._exchange(job)
                return
            except (EOFError, OSError):  # the worker died (killed, out of memory)
                pid, self.process = self.pid, None
                if retry or job.iterations_done():  # it died running this job, not before it: say so
                    job.set_exception(
                        RunFailed(f"the worker process {pid} running this configuration ended unexpectedly")
                    )
                    return
                self._ensure_alive()  # it died idle: the job goes to a new worker

    def _exchange(self, job: Job) -> None:
        """Send ``job`` to the worker, take its frames as they come, then its result."""
        connection = self._live_connection()
        self.jobs += 1
        number = self.jobs
        job.stopped_by(lambda: _send_quietly(connection, ("stop", number)))
        data = None if job.data.key in BUILTIN_DATASETS else job.data  # a worker reads the lesson's own
        connection.send(("run", number, job.config, data))
        kind, payload = connection.recv()
        while kind == "frame":
            job.add_rows(payload)
            kind, payload = connection.recv()
        if kind == "done":
            job.set_result(payload)
        else:  # "failed": the worker's traceback
            job.set_exception(RunFailed(payload))


def _send_quietly(connection: Connection, message: tuple) -> None:
    """Send, unless the worker is gone: then there is nothing left to stop."""
    with contextlib.suppress(OSError):
        connection.send(message)


def _empty(config: LoopConfig, status: Status) -> RunResult:
    """A run that never started."""
    frame = trajectory_table(np.empty((0, len(COLUMNS))))
    return RunResult(config=config, trajectory=frame, outcome=Outcome(status, 0, config.m0, config.b0))
