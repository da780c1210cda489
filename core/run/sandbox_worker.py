"""The sandbox worker: one process for one learner's draft, started fresh for it and never reused.

``python -m core.run.sandbox_worker FD`` talks over the socket ``FD`` in JSON (never pickle: what
comes back from a process that ran a stranger's code is read as plain data):

- from the worker: ``{"kind": "ready"}`` once torch is imported and warm;
- to the worker: one request ``{"code", "x", "y", "catalogue": {key: code}, "prefix", "cpu_seconds",
  "memory_bytes"}``;
- from the worker: ``{"kind": "catalogue", "runs": {key: record}}``, the catalogue's drafts run
  for their first ``prefix`` iterations while the process is still trusted; then
  ``{"kind": "confined", "missing": [...]}`` once the process layer holds; ``{"kind": "frame",
  "rows": [...]}`` while the draft runs; ``{"kind": "done", "record": {...}}`` at the end.

Past its CPU seconds the kernel signals the process (SIGXCPU), which ends the draft's run there as
stopped, with what it recorded; two seconds later the kernel kills it, should the draft go on.
"""

from __future__ import annotations

import json
import signal
import sys
from multiprocessing.connection import Connection

import numpy as np
import torch

from core.run import confine, sandbox

WARM_UP = """
import torch
m = torch.tensor([0.0], requires_grad=True)
for optimizer in (torch.optim.SGD([m], lr=0.1, momentum=0.9), torch.optim.Adam([m], lr=0.1)):
    loss = torch.sqrt(torch.mean((m * torch.from_numpy(screentime) - torch.from_numpy(sleep)) ** 2))
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
"""


def _send(connection: Connection, message: dict) -> None:
    connection.send_bytes(json.dumps(message, allow_nan=True).encode())


def _out_of_time(signum: int, frame: object) -> None:
    raise sandbox.TimeLimit


def serve(connection: Connection) -> None:
    """Warm up, answer ready, run the one request, confined, and end."""
    torch.set_num_threads(1)
    sample = np.linspace(1.0, 2.0, 5)
    sandbox.run_draft(WARM_UP, sample, sample)  # what a first optimizer.step() imports, before the limits
    _send(connection, {"kind": "ready"})
    try:
        request = json.loads(connection.recv_bytes())
    except EOFError:  # the server never sent one (it is shutting down)
        return
    x, y = np.asarray(request["x"], dtype=np.float64), np.asarray(request["y"], dtype=np.float64)
    prefix = int(request["prefix"])
    runs = {key: sandbox.run_draft(code, x, y, max_rows=prefix).as_json() for key, code in request["catalogue"].items()}
    _send(connection, {"kind": "catalogue", "runs": runs})
    signal.signal(signal.SIGXCPU, _out_of_time)
    missing = confine.confine(int(request["cpu_seconds"]), int(request["memory_bytes"]))
    _send(connection, {"kind": "confined", "missing": missing})
    record = sandbox.run_draft(
        request["code"], x, y, on_frame=lambda rows: _send(connection, {"kind": "frame", "rows": rows})
    )
    _send(connection, {"kind": "done", "record": record.as_json()})


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])))
