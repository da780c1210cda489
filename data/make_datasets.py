"""Regenerate the lesson's two datasets as CSV files, exactly as the lesson's recipe makes them.

Run from anywhere: ``python data/make_datasets.py``. Floats are written with ``repr`` (the
shortest text that round-trips), so reading a file back gives the recipe's arrays to the bit.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def lesson_recipe() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The lesson's generator: screentime and the two versions of sleep (problem, solution)."""
    rng = np.random.default_rng(123)
    screentime = rng.uniform(low=4, high=12, size=500)
    base = np.clip(-0.8 * screentime + 10.5 + rng.normal(loc=0, scale=1.5, size=500), 0, 24)
    return {"problem": (screentime, base), "solution": (screentime, base + 1)}


def write_csv(path: Path, screentime: np.ndarray, sleep: np.ndarray) -> None:
    """Write two float64 columns with round-trip precision."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["screentime", "sleep"])
        writer.writerows((repr(float(x)), repr(float(y))) for x, y in zip(screentime, sleep, strict=True))


def main() -> None:
    for name, (screentime, sleep) in lesson_recipe().items():
        write_csv(HERE / f"{name}.csv", screentime, sleep)
        print(f"wrote {HERE / f'{name}.csv'} ({len(screentime)} rows)")


if __name__ == "__main__":
    main()
