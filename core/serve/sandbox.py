"""Run a learner's draft in a sandbox worker of its own, and read back what it did as plain data.

Each draft gets a fresh process (``python -m core.run.sandbox_worker``), never reused: whatever a
stranger's code did to its process ends with it. One process is kept started and warm ahead of
the next draft (importing torch takes a second or two), and at most ``SANDBOXES`` drafts run at
once on the server; another waits its turn. What comes back is JSON read with a size limit,
never pickle. The server ends a sandbox that runs past ``WALL_SECONDS``; the kernel ends one past
its CPU seconds; either way the learner is told which limit it met.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import numpy as np

from core import ROOT
from core.serve.processes import cores

CPU_SECONDS = 20  # of CPU time for a draft: a loop that never ends is stopped with a message
WALL_SECONDS = 40  # a draft that sleeps or waits is ended too
MEMORY_BYTES = 1 << 30  # address space a draft may add to the worker's (torch.ones(2 * 10**9) needs 8 GB)
MAX_MESSAGE = 64 << 20  # bytes of one message from a sandbox (100,000 rows are about 12 MB of JSON)
READY_SECONDS = 120.0
SANDBOXES = max(1, cores())  # drafts running at once


class SandboxFailed(Exception):
    """The sandbox process ended without an answer: which limit it met, in words."""


def _signal_words(code: int | None) -> str:
    if code == -signal.SIGXCPU or code == -signal.SIGKILL:
        return f"Your draft used its {CPU_SECONDS} seconds of computing time and was stopped (an endless loop?)."
    if code == -signal.SIGXFSZ:
        return "Your draft tried to write a file, which the sandbox refuses."
    if code == -signal.SIGSEGV:
        return "Your draft's process crashed (a segmentation fault), perhaps from recursion too deep."
    return f"Your draft's process ended unexpectedly (exit {code})."


@dataclass
class DraftAnswer:
    """What a sandbox said: the catalogue's runs, then the draft's frames and its record."""

    runs: dict[str, dict] = field(default_factory=dict)
    rows: list[list[float]] = field(default_factory=list)
    record: dict | None = None
    missing: list[str] = field(default_factory=list)  # process layers this machine could not apply
    failure: str | None = None  # the process met a limit or died: in words


class _Sandbox:
    """One started sandbox process, waiting for its one request."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "core.run.sandbox_worker", str(theirs.fileno())],
            cwd=ROOT,
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # a file would meet the sandbox's no-file-growth limit
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1"},
        )
        theirs.close()
        self.connection = Connection(ours.detach())
        self.ready = threading.Event()
        self.error: str | None = None
        threading.Thread(target=self._wait_ready, daemon=True, name="sandbox start").start()

    def _wait_ready(self) -> None:
        try:
            if (
                self.connection.poll(READY_SECONDS)
                and json.loads(self.connection.recv_bytes(MAX_MESSAGE))["kind"] == "ready"
            ):
                self.ready.set()
                return
        except (EOFError, OSError, ValueError):
            pass
        self.error = "The sandbox did not start."
        self.process.kill()
        self.ready.set()

    def run(self, request: dict, on_rows: Callable[[list[list[float]]], None] | None) -> DraftAnswer:
        self.ready.wait(READY_SECONDS)
        answer = DraftAnswer()
        if self.error is not None:
            answer.failure = self.error
            return answer
        timed_out = threading.Event()

        def end() -> None:
            timed_out.set()
            self.process.kill()

        timer = threading.Timer(WALL_SECONDS, end)
        timer.start()
        try:
            self.connection.send_bytes(json.dumps(request).encode())
            while answer.record is None:
                self._read(answer, on_rows)
        except (EOFError, OSError, ValueError):
            code = self.process.wait()
            answer.failure = _signal_words(code)
            if timed_out.is_set():
                answer.failure = f"Your draft ran for more than {WALL_SECONDS} seconds and was stopped."
        finally:
            timer.cancel()
            self.process.kill()
            self.process.wait()
            self.connection.close()
        return answer

    def _read(self, answer: DraftAnswer, on_rows: Callable[[list[list[float]]], None] | None) -> None:
        message = json.loads(self.connection.recv_bytes(MAX_MESSAGE))
        kind = message.get("kind")
        if kind == "catalogue":
            answer.runs = dict(message["runs"])
        elif kind == "confined":
            answer.missing = [str(m) for m in message["missing"]]
        elif kind == "frame":
            answer.rows.extend(_rows(message["rows"]))
            if on_rows is not None:
                on_rows(answer.rows)
        elif kind == "done":
            record = dict(message["record"])
            record["rows"] = _rows(record["rows"])
            answer.rows = record["rows"]
            answer.record = record


def _rows(rows: object) -> list[list[float]]:
    """Rows from a sandbox, checked to be what they claim: lists of six numbers."""
    table = np.asarray(rows, dtype=np.float64)
    if table.size == 0:
        return []
    if table.ndim != 2 or table.shape[1] != 6:
        raise ValueError("a sandbox sent rows of the wrong shape")
    return table.tolist()


class SandboxService:
    """The server's sandboxes: one warm and waiting, at most ``SANDBOXES`` running."""

    def __init__(self, running: int = SANDBOXES, keep_spare: bool = True, cpu_seconds: int = CPU_SECONDS) -> None:
        self.keep_spare = keep_spare  # the command line runs one draft: no spare to start
        self.cpu_seconds = cpu_seconds
        self._lock = threading.Lock()
        self._turns = threading.Semaphore(running)
        self._spare: _Sandbox | None = None

    def _take(self) -> _Sandbox:
        with self._lock:
            sandbox = self._spare if self._spare is not None and self._spare.process.poll() is None else _Sandbox()
            self._spare = _Sandbox() if self.keep_spare else None  # the next draft's, warming while this one runs
            return sandbox

    def run(
        self,
        code: str,
        x: np.ndarray,
        y: np.ndarray,
        catalogue: dict[str, str],
        prefix: int,
        on_rows: Callable[[list[list[float]]], None] | None = None,
    ) -> DraftAnswer:
        """Run ``code`` on the data in a fresh sandbox (the catalogue's drafts first, for ``prefix`` iterations)."""
        request = {
            "code": code,
            "x": np.asarray(x, dtype=np.float64).tolist(),
            "y": np.asarray(y, dtype=np.float64).tolist(),
            "catalogue": catalogue,
            "prefix": prefix,
            "cpu_seconds": self.cpu_seconds,
            "memory_bytes": MEMORY_BYTES,
        }
        with self._turns:
            return self._take().run(request, on_rows)
