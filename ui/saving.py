"""Saving charts from a page: the export's budget kept, and a failure said beside the button.

The zip is drawn only when the button is clicked, on a thread of Streamlit's own (a deferred
download), while the click also reruns the button's fragment. That rerun waits for the drawing
and, if it failed, says why beside the button. Streamlit logs a failed deferred download with
its traceback; a refusal by the export's budget is expected, so it is logged as one line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from core.charts import export

START_SECONDS = 2.0  # a click's drawing starts within this of the click's rerun, or it never does
STREAMLIT_DOWNLOADS = "streamlit.runtime.backend_operation_handler"  # the logger of a deferred download


class Attempt:
    """One button's last drawing, shared by the thread that draws and the rerun that reports it."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.started = self.finished = float("-inf")
        self.error: str | None = None

    def draw(self, build: Callable[[], bytes]) -> bytes:
        """``build()``, noting when it starts and ends and the ExportError it may raise."""
        with self.changed:
            self.started, self.error = time.monotonic(), None
        try:
            return build()
        except export.ExportError as error:
            self.error = str(error)
            raise
        finally:
            with self.changed:
                self.finished = time.monotonic()
                self.changed.notify_all()

    def error_since(self, since: float, seconds: float) -> str | None:
        """Why the drawing started after ``since`` failed, waiting for it at most ``seconds``; None if it did not."""
        deadline = time.monotonic() + seconds
        with self.changed:
            if not self.changed.wait_for(lambda: self.started >= since, timeout=START_SECONDS):
                return None  # no drawing started: nothing to say
            done = self.changed.wait_for(lambda: self.finished >= self.started, timeout=deadline - time.monotonic())
            return self.error if done else None


class QuietRefusals(logging.Filter):
    """A download refused by the export's budget, logged as one line rather than a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        while error is not None and not isinstance(error, export.ExportError):
            error = error.__cause__
        if error is not None:
            record.msg, record.args = "Charts not saved: %s", (str(error),)
            record.exc_info, record.exc_text = None, None
        return True


def quiet_refusals() -> None:
    """Install QuietRefusals on Streamlit's download logger, once per process."""
    logger = logging.getLogger(STREAMLIT_DOWNLOADS)
    if not any(isinstance(existing, QuietRefusals) for existing in logger.filters):
        logger.addFilter(QuietRefusals())
