"""Child processes that take work from a queue: the machinery the run workers and the drawers share.

A ``WorkerPool`` starts ``count`` children of one ``Child`` class, each fed by a thread of the
server from the pool's one queue, in the order work comes (a learner's first, background work
last). A child that dies is started again before its next piece of work.
"""

from __future__ import annotations

import collections
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from core import ROOT

RESPAWN_PAUSE_S = 1.0  # before starting again a child that died as it started
READY_TIMEOUT_S = 180.0  # a child that has not said it is ready by then is stopped and started again


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
        self.connection: Connection | None = None
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
        if not self.connection.poll(READY_TIMEOUT_S):  # hung in its imports: never wait for it forever
            self.process.kill()
            raise OSError(f"{self.module} did not start within {READY_TIMEOUT_S:.0f} s")
        _ready, self.pid = self.connection.recv()  # ("ready", pid) once its imports are done
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

    def _live_connection(self) -> Connection:
        """The connection to a child that has started (``_feed`` starts one before handing it work)."""
        assert self.connection is not None, "a child is handed work only once it has started"
        return self.connection

    def _handle(self, work: Any) -> None:
        raise NotImplementedError


class WorkerPool:
    """``count`` child processes of the class ``child`` that take work in the order it comes."""

    def __init__(self, count: int, child: type[Child]) -> None:
        self._queue: collections.deque = collections.deque()
        self._ready = threading.Condition()
        self.workers = [child(self, number) for number in range(count)]
        for worker in self.workers:
            worker.start()

    def submit(self, work: Any, *, first: bool = True) -> None:
        """Queue ``work``: first (a learner waits for it) or last (prepared in the background)."""
        with self._ready:
            if first:
                self._queue.appendleft(work)
            else:
                self._queue.append(work)
            self._ready.notify()

    def queue_get(self) -> Any:
        with self._ready:
            self._ready.wait_for(lambda: self._queue)
            return self._queue.popleft()

    def wait_ready(self, timeout: float) -> bool:
        """Whether every child has started (done its imports) within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        return all(worker.ready.wait(max(0.0, deadline - time.monotonic())) for worker in self.workers)
