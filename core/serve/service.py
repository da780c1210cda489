"""Runs by configuration, for every session of a server: cached when finished, shared while running.

A page asks ``RunService.job(config, data)`` for a run and gets a ``Job``: the cached result of
a configuration seen before, the job already under way for it (identical configurations asked
for at once run once), or a new one queued for the worker processes.
"""

from __future__ import annotations

import collections
import threading

from core.lesson.data import Dataset
from core.lesson.drafts import LoopConfig
from core.lesson.results import RunResult, Status
from core.serve.jobs import Job, RunWorker, worker_count
from core.serve.processes import WorkerPool

CACHE_ENTRIES = 64  # finished runs kept, so a classroom's server keeps flat memory


class RunService:
    """Runs by configuration: cached when finished, shared while running, else started in the pool."""

    def __init__(self, workers: int | None = None, entries: int = CACHE_ENTRIES) -> None:
        self.pool = WorkerPool(workers or worker_count(), child=RunWorker)
        self.entries = entries
        self._cache: collections.OrderedDict[LoopConfig, RunResult] = collections.OrderedDict()
        self._running: dict[LoopConfig, Job] = {}
        self._lock = threading.Lock()

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
                return Job.known(self._cache[config], data)
            job = self._running.get(config)
            if job is None or job.stopped:
                job = self._start(config, data, prepared=False)
            job.waiters += 1
            return job

    def prepare(self, config: LoopConfig, data: Dataset) -> None:
        """Run ``config`` in the background, after every job a learner waits for, and cache it."""
        with self._lock:
            if config not in self._cache and config not in self._running:
                self._start(config, data, prepared=True)

    def _start(self, config: LoopConfig, data: Dataset, prepared: bool) -> Job:
        """A new job for ``config``, queued (its end kept by ``_keep``); called with the lock held.

        A prepared job runs to its end even when no session draws it, after every job a learner waits for.
        """
        job = self._running[config] = Job(config, data)
        job.kept = prepared
        # Future's callbacks are typed for any Future; this one is only ever handed this job, so it closes over it.
        job.add_done_callback(lambda _done: self._keep(job))
        self.pool.submit(job, first=not prepared)
        return job

    def _keep(self, job: Job) -> None:
        """A finished run is cached; a stopped or failed one is not (it did not run to its end)."""
        result = job.finished_result()
        with self._lock:
            if self._running.get(job.config) is job:
                del self._running[job.config]
            if result is None or result.outcome.status is Status.STOPPED:
                return
            self._cache[job.config] = result
            while len(self._cache) > self.entries:
                self._cache.popitem(last=False)
