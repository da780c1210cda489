"""Drawing processes: a chart drawn away from the server is exactly the chart drawn in it, and
the server draws it itself whenever a drawing process cannot (not started, dead, not sendable)."""

from __future__ import annotations

import dataclasses
import os
import signal

import pytest

from core import charts
from core.charts.spec import draw
from core.lesson.data import load_builtin
from core.lesson.drafts import LESSON_DRAFTS, SOLUTION
from core.lesson.results import Outcome, Status
from core.serve import drawer, drawing
from ui.panels import grid_charts

WAIT_S = 120  # a drawing process imports Altair and pandas on a shared 2-core machine
DATA = load_builtin("solution")


@pytest.fixture(scope="module")
def pool():
    drawers = drawing.DrawingPool(1)
    assert drawers.pool.wait_ready(WAIT_S), "the drawing process did not start"
    assert drawers.ready()
    return drawers


def draws_away(pool: drawing.DrawingPool, chart, args, options) -> drawing.Drawn:
    """``pool.draw`` of a call that must be drawn in the drawing process, not here."""
    before = pool.counts["away"]
    result = pool.draw(chart, args, options)
    assert pool.counts["away"] == before + 1, "drawn in the server, not in the drawing process"
    return result


@pytest.mark.parametrize("name", sorted(LESSON_DRAFTS))
def test_the_labs_charts_drawn_away_are_the_charts_drawn_here(pool, run, name):
    runs = [("this run", run(LESSON_DRAFTS[name].config))]
    for chart, args, options in grid_charts(runs, DATA, log_x=True, at_iteration=1):
        assert draws_away(pool, chart, args, options) == draw(chart, args, options)


def test_a_live_frame_drawn_away_is_the_frame_drawn_here(pool, run):
    result = run(SOLUTION)
    head = result.trajectory.head(120)
    last = head.iloc[-1]
    running = dataclasses.replace(
        result, trajectory=head, outcome=Outcome(Status.RUNNING, len(head), final_m=last["m"], final_b=last["b"])
    )
    call = (charts.loss_chart, ([("this run", running)],), {"log_x": True})
    away = draws_away(pool, *call)
    assert away == draw(*call)
    assert "120" in away.words  # the words speak of the iterations run so far


def test_a_chart_that_raises_raises_here_as_it_would_have(pool, run):
    runs = [("this run", run(SOLUTION))]
    with pytest.raises(ValueError, match="parameter must be one of"):
        pool.draw(charts.parameter_chart, (runs, "z"), {})


def test_a_call_that_cannot_be_sent_is_drawn_here(pool):
    before = dict(pool.counts)
    result = pool.draw(lambda data: charts.fit_chart(data, []), (DATA,), {})
    assert result.spec == draw(charts.fit_chart, (DATA, []), {}).spec
    assert pool.counts["here"] == before.get("here", 0) + 1


def test_a_drawing_process_that_dies_is_replaced(pool, run):
    (killed,) = (drawer_process.pid for drawer_process in pool.pool.workers)
    os.kill(killed, signal.SIGKILL)
    call = (charts.parameter_chart, ([("this run", run(SOLUTION))], "b"), {})
    # Here if the call reached it before it ended, away in a new process otherwise: the same chart.
    assert pool.draw(*call) == draw(*call)
    assert draws_away(pool, *call) == draw(*call)  # by now in a new drawing process
    (replacement,) = pool.pool.workers
    assert replacement.pid != killed


def test_drawing_runs_below_the_server(pool):
    server = os.getpriority(os.PRIO_PROCESS, 0)
    pool.draw(charts.fit_chart, (DATA, []), {})
    (child,) = pool.pool.workers
    assert os.getpriority(os.PRIO_PROCESS, child.pid) == min(server + drawer.DRAWER_NICENESS, 19)


def test_without_drawing_processes_the_server_draws_every_chart():
    pool = drawing.DrawingPool(0)
    call = (charts.fit_chart, (DATA, []), {})
    assert pool.draw(*call) == draw(*call)
    assert pool.counts == {"here": 1}


@pytest.mark.parametrize(("value", "count"), [("", None), ("3", 3), ("0", 0)])
def test_the_number_of_drawing_processes_comes_from_the_environment(monkeypatch, value, count):
    monkeypatch.setenv(drawing.DRAWERS_VARIABLE, value)
    expected = max(1, drawing.cores() // 4) if count is None else count
    assert drawing.drawer_count() == expected


def test_a_negative_number_of_drawing_processes_is_refused(monkeypatch):
    monkeypatch.setenv(drawing.DRAWERS_VARIABLE, "-1")
    with pytest.raises(ValueError, match="0 or more"):
        drawing.drawer_count()
