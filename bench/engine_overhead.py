"""How much the engine's watching costs: the bare lesson loop against ``engine.run``.

Both run the solution (10,000 iterations on the worked solution data) in this one process,
alternating, so drift in the machine's speed hits both alike. Prints each side's median and
the median of the pairwise ratios. Target: engine / bare at most 1.05.

    python bench/engine_overhead.py [--pairs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.lesson.data import load_builtin  # noqa: E402
from core.lesson.drafts import SOLUTION  # noqa: E402
from core.run import engine  # noqa: E402


def bare_lesson_loop(screentime, sleep, iterations: int = 10_000) -> tuple[float, float]:
    """Exactly the lesson's fixed loop, nothing recorded."""
    m = torch.tensor([0], requires_grad=True, dtype=torch.float32)
    b = torch.tensor([0], requires_grad=True, dtype=torch.float32)
    x = torch.from_numpy(screentime)
    y = torch.from_numpy(sleep)
    for i in range(iterations):
        yhat = m * x + b
        loss = torch.sqrt(torch.mean((yhat - y) ** 2))  # root mean square error
        loss.backward()  # reverse-mode differentiation
        with torch.no_grad():
            m -= 0.02 * m.grad
            b -= 0.02 * b.grad
        m.grad = None  # zero out the gradients
        b.grad = None
    return m.item(), b.item()


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - start, value


def spread(name: str, times: list[float]) -> str:
    """One side's median, with its range so a noisy machine shows."""
    median = statistics.median(times)
    return f"{name:<18}median {median:.3f} s  (min {min(times):.3f}, max {max(times):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7, help="alternating pairs to time (at least 5)")
    pairs = max(5, parser.parse_args().pairs)
    data = load_builtin("solution")
    screentime, sleep = data.x.copy(), data.y.copy()
    bare_lesson_loop(screentime, sleep)  # warm-up: first calls pay for lazy initialisation
    engine.run(SOLUTION)
    bare_times, engine_times = [], []
    for _ in range(pairs):
        bare_s, bare_mb = timed(bare_lesson_loop, screentime, sleep)
        engine_s, result = timed(engine.run, SOLUTION)
        assert bare_mb == (result.outcome.final_m, result.outcome.final_b), "engine and bare loop disagree"
        bare_times.append(bare_s)
        engine_times.append(engine_s)
    ratios = [e / b for e, b in zip(engine_times, bare_times, strict=True)]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {pairs} alternating pairs of 10,000 iterations"
    )
    print(spread("bare lesson loop", bare_times))
    print(spread("engine.run", engine_times))
    print(f"engine / bare     median ratio {statistics.median(ratios):.3f}  (target <= 1.05)")


if __name__ == "__main__":
    main()
