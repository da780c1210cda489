"""Runs of the engine in worker processes: every core at work, torch imported once a worker.

A page asks ``RunService.job(config, data)`` for a run and gets a ``Job``: the cached result
of a configuration seen before, the job already under way for it (identical configurations
asked for at once run once), or a new one. While a job runs, the worker sends what has run
so far every ``FRAME_SECONDS`` (``Job.snapshot()``), and ``Job.stop()`` reaches the worker and
ends its loop at the next iteration. The result is what ``engine.run`` returns in-process,
pickled across the process boundary unchanged.

The server process itself never imports torch: the workers do, each once, at start
(``core.run.worker`` is a worker's side of the exchange).
"""

from __future__ import annotations

import collections
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

import numpy as np

from core import ROOT
from core.lesson.data import BUILTIN_DATASETS, Dataset
from core.lesson.drafts import LoopConfig
from core.lesson.results import COLUMNS, Outcome, RunResult, Status, rows_array, trajectory_table

WORKERS_VARIABLE = "DRAFTS_WORKERS"  # environment: worker processes (default: one per core)
RESPAWN_PAUSE_S = 1.0  # before starting again a worker that died as it started
CACHE_ENTRIES = 64  # finished runs kept, so a classroom's server keeps flat memory


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def count_setting(variable: str, least: int, default: Callable[[], int]) -> int:
    """A number of processes to start: the environment's ``variable`` (``least`` or more), else ``default()``."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return default()
    count = int(value)
    if count < least:
        raise ValueError(f"{variable} must be {least} or more, not {value!r}")
    return count


def worker_count() -> int:
    """How many worker processes to start: ``DRAFTS_WORKERS``, else one per core."""
    return count_setting(WORKERS_VARIABLE, 1, cores)


class Job:
    """One run of one configuration, in a worker: its frames so far, then its result."""

    def __init__(self, config: LoopConfig, data: Dataset) -> None:
        self.config, self.data = config, data
        self.result: RunResult | None = None
        self.failure: str | None = None  # the worker's traceback, when the engine itself failed
        self.stopped = False
        self.waiters = 0  # sessions drawing this job; with none left it stops
        self.kept = False  # run to the end even when no session draws it (a prepared preset)
        self._chunks: list[np.ndarray] = []  # the rows so far: an array a frame, joined when read
        self._count = 0
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._stop: Callable[[], None] | None = None

    @classmethod
    def finished(cls, result: RunResult, data: Dataset) -> Job:
        """A job whose result is already known (a cached run)."""
        job = cls(result.config, data)
        job._finish(result=result)
        return job

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the job to end; whether it has."""
        return self._done.wait(timeout)

    def iterations_done(self) -> int:
        return len(self.result.trajectory) if self.result is not None else self._count

    def snapshot(self) -> RunResult:
        """What has run so far, as a result whose outcome is RUNNING (the result itself once done)."""
        if self.result is not None:
            return self.result
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

    def _add_rows(self, rows: list) -> None:
        chunk = rows_array(rows)
        with self._lock:
            self._chunks.append(chunk)
            self._count += len(chunk)

    def _finish(self, result: RunResult | None = None, failure: str | None = None) -> None:
        self.result, self.failure = result, failure
        self._done.set()


class Child:
    """A child process (``python -m MODULE FD``) and the thread that feeds it work from its pool's queue.

    A plain subprocess rather than multiprocessing's: Streamlit runs each page as the module
    ``__main__``, which multiprocessing would import again in every process it starts. The
    child sends ``("ready", pid)`` once it has imported what it needs; a subclass says what
    one piece of work is (``_handle``).
    """

    module = ""  # what ``python -m`` runs in the child

    def __init__(self, pool: WorkerPool, number: int) -> None:
        self.pool, self.number = pool, number
        self.thread = threading.Thread(target=self._feed, name=f"{self.module} {number}", daemon=True)
        self.process: subprocess.Popen | None = None
        self.pid: int | None = None
        self.ready = threading.Event()

    def start(self) -> None:
        self.thread.start()

    def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, str(theirs.fileno())],
            cwd=ROOT,
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.connection = Connection(ours.detach())
        kind, self.pid = self.connection.recv()  # ("ready", pid) once its imports are done
        self.ready.set()

    def _feed(self) -> None:
        self._ensure_alive()  # warm before the first piece of work comes
        while True:
            work = self.pool.queue_get()
            self._ensure_alive()  # it may have died while idle
            self._handle(work)

    def _ensure_alive(self) -> None:
        while self.process is None or self.process.poll() is not None:
            self.ready.clear()
            try:
                self._spawn()
            except (EOFError, OSError):  # it died starting (or the server is shutting down): try again
                self.process = None
                time.sleep(RESPAWN_PAUSE_S)

    def _handle(self, work) -> None:
        raise NotImplementedError


class _Worker(Child):
    """A worker process of runs (``core.run.worker``): one job at a time."""

    module = "core.run.worker"

    def __init__(self, pool: WorkerPool, number: int) -> None:
        super().__init__(pool, number)
        self.jobs = 0

    def _handle(self, job: Job) -> None:
        if job.stopped:  # stopped (or left by every session) before a worker was free
            job._finish(result=_empty(job.config, Status.STOPPED))
        else:
            self._run_on_a_live_worker(job)
        self.pool.finished(job)

    def _run_on_a_live_worker(self, job: Job) -> None:
        """Run ``job``; a worker found dead before the job started is replaced and the job sent again."""
        for attempt in range(2):
            try:
                self._exchange(job)
                return
            except (EOFError, OSError):  # the worker died (killed, out of memory)
                pid, self.process = self.pid, None
                if attempt or job.iterations_done():  # it died running this job: say so
                    job._finish(failure=f"the worker process {pid} running this configuration ended unexpectedly")
                    return
                self._ensure_alive()

    def _exchange(self, job: Job) -> None:
        """Send ``job`` to the worker and take its frames, then its result."""
        self.jobs += 1
        number, connection = self.jobs, self.connection
        job._stop = lambda: _send_quietly(connection, ("stop", number))
        data = None if job.data.key in BUILTIN_DATASETS else job.data  # a worker reads the lesson's own
        connection.send(("run", number, job.config, data))
        while True:
            kind, payload = connection.recv()
            if kind == "frame":
                job._add_rows(payload)
                continue
            job._finish(result=payload) if kind == "done" else job._finish(failure=payload)
            return


def _send_quietly(connection: Connection, message: tuple) -> None:
    """Send, unless the worker is gone: then there is nothing left to stop."""
    with contextlib.suppress(OSError):
        connection.send(message)


def _empty(config: LoopConfig, status: Status) -> RunResult:
    """A run that never started."""
    frame = trajectory_table(np.empty((0, len(COLUMNS))))
    return RunResult(config=config, trajectory=frame, outcome=Outcome(status, 0, config.m0, config.b0))


class WorkerPool:
    """Child processes that take work in the order it comes: runs (``_Worker``, the default), or another ``Child``."""

    def __init__(self, workers: int | None = None, child: type[Child] = _Worker) -> None:
        self._queue: collections.deque = collections.deque()
        self._ready = threading.Condition()
        self._on_finished: list[Callable[[Job], None]] = []
        self.workers = [child(self, number) for number in range(workers or worker_count())]
        for worker in self.workers:
            worker.start()

    def submit(self, job, *, first: bool = True):
        """Queue ``job``: first (a learner waits for it) or last (prepared in the background)."""
        with self._ready:
            self._queue.appendleft(job) if first else self._queue.append(job)
            self._ready.notify()
        return job

    def queue_get(self):
        with self._ready:
            self._ready.wait_for(lambda: self._queue)
            return self._queue.popleft()

    def when_finished(self, callback: Callable[[Job], None]) -> None:
        """Call ``callback`` with every job that ends (finished, stopped or failed)."""
        self._on_finished.append(callback)

    def finished(self, job: Job) -> None:
        for callback in self._on_finished:
            callback(job)

    def wait_ready(self, timeout: float) -> bool:
        """Whether every worker has started (done its imports) within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        return all(worker.ready.wait(max(0.0, deadline - time.monotonic())) for worker in self.workers)


class RunService:
    """Runs by configuration: cached when finished, shared while running, else started in the pool."""

    def __init__(self, pool: WorkerPool, entries: int = CACHE_ENTRIES) -> None:
        self.pool = pool
        self.entries = entries
        self._cache: collections.OrderedDict[LoopConfig, RunResult] = collections.OrderedDict()
        self._running: dict[LoopConfig, Job] = {}
        self._lock = threading.Lock()
        pool.when_finished(self._keep)

    def cached(self, config: LoopConfig) -> RunResult | None:
        with self._lock:
            result = self._cache.get(config)
            if result is not None:
                self._cache.move_to_end(config)
            return result

    def job(self, config: LoopConfig, data: Dataset) -> Job:
        """The job for ``config``: finished if cached, the running one if under way, else a new one."""
        with self._lock:
            if config in self._cache:
                self._cache.move_to_end(config)
                return Job.finished(self._cache[config], data)
            job = self._running.get(config)
            if job is None or job.stopped:
                job = self._running[config] = Job(config, data)
                self.pool.submit(job)
            job.waiters += 1
            return job

    def prepare(self, config: LoopConfig, data: Dataset) -> None:
        """Run ``config`` in the background, after every job a learner waits for, and cache it."""
        with self._lock:
            if config in self._cache or config in self._running:
                return
            job = self._running[config] = Job(config, data)
            job.kept = True
            self.pool.submit(job, first=False)

    def _keep(self, job: Job) -> None:
        """A finished run is cached; a stopped or failed one is not (it did not run to its end)."""
        with self._lock:
            if self._running.get(job.config) is job:
                del self._running[job.config]
            if job.result is None or job.result.outcome.status is Status.STOPPED:
                return
            self._cache[job.config] = job.result
            while len(self._cache) > self.entries:
                self._cache.popitem(last=False)
