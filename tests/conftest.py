"""Shared fixtures: cached engine runs. (The project root is on sys.path by pytest's pythonpath setting.)"""

from __future__ import annotations

import functools

import pytest

from core.lesson.drafts import LoopConfig
from core.run import engine


@functools.cache
def _cached_run(config: LoopConfig) -> engine.RunResult:
    return engine.run(config)


@pytest.fixture(scope="session")
def run():
    """engine.run, cached for the session: 10,000 iterations take seconds, and runs are pure."""
    return _cached_run
