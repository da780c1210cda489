"""A drawing process (``core.serve.drawing``): imports Altair once, then turns chart calls into specs.

``python -m core.serve.drawer FD`` talks over the socket ``FD`` in pickled messages:

- from the drawer: ``("ready", pid)`` once, after drawing one chart (the first costs several
  times the next: Altair loads its schema), then for each call ``("drawn", Drawn)``, or
  ``("failed", traceback)`` if the chart function raised;
- to the drawer: ``(chart, args, options)``, a chart function of ``core.charts`` (pickled by its
  name) and what it is called with.
"""

from __future__ import annotations

import os
import sys
import traceback
from multiprocessing.connection import Connection

# Added to the drawer's niceness, as much as the run workers': far below the server, which answers
# every learner's clicks. At 5 a drawer drawing live frames on the server's core took enough of it
# to slow a cached redraw (bench/busy_redraw.py: busy / idle 1.03 to 1.47 at 5, 0.96 and 0.98 at 10).
DRAWER_NICENESS = 10


def serve(connection: Connection) -> None:
    """Import the charts once, then draw each call sent, until the server closes the socket."""
    from core import charts
    from core.charts.spec import draw
    from core.lesson.data import load_builtin

    if hasattr(os, "nice"):  # POSIX
        os.nice(DRAWER_NICENESS)
    draw(charts.fit_chart, (load_builtin("solution"), []), {})  # warm: Altair's schema, the first conversion
    connection.send(("ready", os.getpid()))
    while True:
        try:
            chart, args, options = connection.recv()
        except EOFError:  # the server is gone
            return
        try:
            connection.send(("drawn", draw(chart, args, options)))
        except ConnectionError:  # the server is gone (it closed the socket mid-call)
            return
        except Exception:  # the chart function raised: the server draws it itself, and sees why
            connection.send(("failed", traceback.format_exc()))


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])))
