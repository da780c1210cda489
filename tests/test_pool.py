"""The run pool: worker processes give exactly what the engine gives in-process, live frames,
Stop, one run for identical requests, and a new worker when one dies."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest

from core.lesson.data import BUILTIN_DATASETS, load_builtin
from core.lesson.drafts import LESSON_DRAFTS, SOLUTION, VARIANTS
from core.lesson.results import COLUMNS, Status
from core.run import engine
from core.run import worker as worker_module
from core.serve.jobs import Job, RunFailed
from core.serve.service import RunService

WAIT_S = 300  # workers import torch on a shared 2-core machine


@pytest.fixture(scope="module")
def service():
    runs = RunService(workers=2)
    assert runs.pool.wait_ready(WAIT_S)
    return runs


def finished(runs: RunService, config, data):
    job = runs.job(config, data)
    assert job.wait(WAIT_S), f"{config} did not finish"
    job.release()
    return job


def assert_same_run(ours, theirs) -> None:
    pd.testing.assert_frame_equal(ours.trajectory, theirs.trajectory, check_exact=True)
    assert ours.outcome == theirs.outcome
    assert ours.facts == theirs.facts
    assert ours.graphs == theirs.graphs
    assert ours.config == theirs.config


CONFIGS = [
    pytest.param(draft.config.with_changes(dataset=key), id=f"{name}-{key}")
    for key in BUILTIN_DATASETS
    for name, draft in LESSON_DRAFTS.items()
] + [pytest.param(config.with_changes(iterations=50), id=f"{name}-50") for name, (_, config) in VARIANTS.items()]


@pytest.mark.parametrize("config", CONFIGS)
def test_a_worker_returns_the_engines_result_bit_for_bit(service, run, config):
    """Draft 3 is chaotic: a last-bit difference would show. The solution is pinned exactly."""
    job = finished(service, config, load_builtin(config.dataset))
    assert job.exception() is None
    assert_same_run(job.result(), engine.run(config) if config.iterations <= 50 else run(config))


def test_identical_requests_share_one_run_and_a_finished_one_is_cached(service):
    config = SOLUTION.with_changes(iterations=3_000, lr=0.011)
    data = load_builtin(config.dataset)
    first, second = service.job(config, data), service.job(config, data)
    assert first is second
    assert first.wait(WAIT_S)
    first.release()
    second.release()
    assert service.cached(config) is first.result()
    assert service.job(config, data).result() is first.result()


def test_frames_arrive_while_a_long_run_goes_and_stop_ends_it_in_the_worker(service):
    config = SOLUTION.with_changes(iterations=100_000, lr=0.013)
    job = service.job(config, load_builtin(config.dataset))
    while not job.iterations_done():
        assert not job.wait(0.1)
    partial = job.snapshot()
    assert partial.outcome.status is Status.RUNNING and len(partial.trajectory) > 0
    assert partial.trajectory["iteration"].tolist() == list(range(len(partial.trajectory)))
    job.release()  # the only session drawing it leaves: it stops
    assert job.wait(WAIT_S)
    assert job.result().outcome.status is Status.STOPPED
    assert 0 < job.result().outcome.iterations_run < config.iterations
    assert service.cached(config) is None  # a stopped run is never cached


def test_a_worker_that_dies_is_reported_and_replaced(service):
    config = SOLUTION.with_changes(iterations=100_000, lr=0.017)
    job = service.job(config, load_builtin(config.dataset))
    while not job.iterations_done():
        assert not job.wait(0.1)
    for worker in service.pool.workers:  # whichever of them runs it
        os.kill(worker.pid, signal.SIGKILL)
    assert job.wait(WAIT_S)
    job.release()
    with pytest.raises(RunFailed, match="ended unexpectedly"):
        job.result()
    again = finished(service, SOLUTION.with_changes(iterations=20), load_builtin("solution"))
    assert again.result().outcome.status is Status.FINISHED


def test_workers_run_below_the_server_so_clicks_get_a_core_first(service):
    server = os.getpriority(os.PRIO_PROCESS, 0)
    finished(service, SOLUTION.with_changes(iterations=30), load_builtin("solution"))
    alive = [w for w in service.pool.workers if w.process is not None and w.process.poll() is None]
    assert alive  # a worker killed by an earlier test is started again only when a job needs it
    for worker in alive:
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == min(server + worker_module.WORKER_NICENESS, 19)


def test_a_snapshot_joins_the_frames_rows_into_the_table_the_rows_make():
    config = SOLUTION.with_changes(iterations=1_000)
    job = Job(config, load_builtin(config.dataset))
    empty = job.snapshot()
    assert len(empty.trajectory) == 0 and (empty.outcome.final_m, empty.outcome.final_b) == (config.m0, config.b0)
    assert list(empty.trajectory.dtypes) == ["int64"] + ["float64"] * (len(COLUMNS) - 1)
    rows = [(i, 0.1 * i, -1 / (i + 3), float("nan") if i == 0 else 2.0**-i, float("inf"), 1e300 * i) for i in range(40)]
    for start, end in ((0, 7), (7, 8), (8, 8), (8, 31)):  # frames of any size, a snapshot after each
        job.add_rows(rows[start:end])
        snapshot = job.snapshot()
        expected = pd.DataFrame(rows[:end], columns=COLUMNS).astype({"iteration": "int64"})
        pd.testing.assert_frame_equal(snapshot.trajectory, expected, check_exact=True)
        assert job.iterations_done() == snapshot.outcome.iterations_run == end
        assert (snapshot.outcome.final_m, snapshot.outcome.final_b) == rows[end - 1][1:3]
    job.add_rows(rows[31:])
    pd.testing.assert_frame_equal(job.snapshot().trajectory, pd.DataFrame(rows, columns=COLUMNS), check_exact=True)
