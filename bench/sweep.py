"""A learning-rate sweep against the bare loop: 20 runs of 1,000 iterations through the engine, beside
20,000 iterations of the lesson's loop written bare, alternating in one process; medians printed.

    python bench/sweep.py [--repetitions N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from engine_overhead import bare_lesson_loop  # noqa: E402  (the floor: the lesson's loop, bare)

from core.lesson.data import load_builtin  # noqa: E402
from core.lesson.drafts import SOLUTION  # noqa: E402
from core.measure import convergence  # noqa: E402
from core.run import engine

POINTS, ITERATIONS = 20, 1_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_builtin("solution")
    x, y = np.array(data.x), np.array(data.y)
    rates = convergence.sweep_rates(points=POINTS)
    config = SOLUTION.with_changes(iterations=ITERATIONS)
    sweeps, floors = [], []
    for _ in range(args.repetitions):
        start = time.perf_counter()
        convergence.sweep(config, data, rates, engine.run)
        sweeps.append(time.perf_counter() - start)
        start = time.perf_counter()
        bare_lesson_loop(x, y, POINTS * ITERATIONS)
        floors.append(time.perf_counter() - start)
    sweep, floor = statistics.median(sweeps), statistics.median(floors)
    print(f"sweep of {POINTS} runs x {ITERATIONS:,} iterations (engine, one process): median {sweep:.2f} s")
    print(f"bare loop, {POINTS * ITERATIONS:,} iterations:                      median {floor:.2f} s")
    print(f"ratio: {sweep / floor:.2f} (the page spreads the runs over the worker processes besides)")


if __name__ == "__main__":
    main()
