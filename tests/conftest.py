"""Shared fixtures: the project root on sys.path and cached engine runs."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import functools  # noqa: E402

import pytest  # noqa: E402

from core import engine  # noqa: E402
from core.drafts import LoopConfig  # noqa: E402


@functools.cache
def _cached_run(config: LoopConfig) -> engine.RunResult:
    return engine.run(config)


@pytest.fixture(scope="session")
def run():
    """engine.run, cached for the session: 10,000 iterations take seconds, and runs are pure."""
    return _cached_run
