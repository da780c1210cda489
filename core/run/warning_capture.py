"""Record the warnings a thread emits, without disturbing other threads.

``warnings.catch_warnings`` swaps module-wide state on entry and puts it back on exit, so two
runs in two threads (two browser sessions of one server) would steal or lose each other's
warnings. Here the swap happens once while any recording is under way, and each warning goes
to the recorder of the thread that emitted it.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator

_lock = threading.Lock()
_local = threading.local()
_active = 0
_saved: contextlib.AbstractContextManager | None = None


def _route(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` while recording: to this thread's recorder, else as before."""
    sink = getattr(_local, "sink", None)
    if sink is None:
        _original_showwarning(message, category, filename, lineno, file, line)
    else:
        sink.append(warnings.WarningMessage(message, category, filename, lineno, file, line))


_original_showwarning = warnings.showwarning


@contextlib.contextmanager
def recording() -> Iterator[list[warnings.WarningMessage]]:
    """Collect every warning this thread emits inside the block, each time it is emitted."""
    global _active, _saved, _original_showwarning
    sink: list[warnings.WarningMessage] = []
    with _lock:
        if _active == 0:
            _saved = warnings.catch_warnings()
            _saved.__enter__()
            _original_showwarning = warnings.showwarning
            # "always": the lesson's warning comes every iteration and every run, not once.
            warnings.simplefilter("always")
            warnings.showwarning = _route
        _active += 1
    outer = getattr(_local, "sink", None)
    _local.sink = sink
    try:
        yield sink
    finally:
        _local.sink = outer
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                _saved.__exit__(None, None, None)
                _saved = None
