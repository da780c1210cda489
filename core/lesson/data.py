"""The lesson's datasets: the two built-in recipes, stored as CSV files in ``data/``.

A user's own CSV data is read and checked by ``core.ingest.upload``, which builds the same ``Dataset``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import ROOT

DATA_DIR = ROOT / "data"

# The worked solution's printed tables and final answer were made on `sleep = base + 1`.
DEFAULT_DATASET = "solution"
BUILTIN_DATASETS = {
    "solution": "Worked solution data (sleep = base + 1)",
    "problem": "Problem statement data (sleep = base)",
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Paired float64 samples to fit ``y = m*x + b`` on, with the names to show for them."""

    key: str
    title: str
    x: np.ndarray
    y: np.ndarray
    x_label: str = "screentime"
    y_label: str = "sleep"

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class FittedLine:
    """A straight line ``y = m*x + b`` fitted to a dataset, and its root mean square error on it."""

    m: float
    b: float
    rmse: float


def read_float_columns(path: Path) -> tuple[list[str], np.ndarray]:
    """Read a two-column CSV of floats written with round-trip precision."""
    with path.open() as handle:
        header = handle.readline().strip().split(",")
    return header, np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)


@functools.cache
def load_builtin(name: str) -> Dataset:
    """One of the lesson's datasets by name ('solution' or 'problem'), read from ``data/``."""
    if name not in BUILTIN_DATASETS:
        raise KeyError(f"unknown dataset {name!r}; choose one of {sorted(BUILTIN_DATASETS)}")
    header, values = read_float_columns(DATA_DIR / f"{name}.csv")
    x, y = values[:, 0].copy(), values[:, 1].copy()
    # Shared by every run through the cache: nobody may write into them.
    x.setflags(write=False)
    y.setflags(write=False)
    return Dataset(key=name, title=BUILTIN_DATASETS[name], x=x, y=y, x_label=header[0], y_label=header[1])


def rmse(dataset: Dataset, m: float, b: float) -> float:
    """Root mean square error of the line ``m*x + b`` on the dataset, in float64."""
    residual = m * dataset.x + b - dataset.y
    return float(np.sqrt(np.mean(residual**2)))


@functools.lru_cache(maxsize=64)
def least_squares(dataset: Dataset) -> FittedLine:
    """The exact minimiser of the RMSE: where gradient descent should end up."""
    design = np.column_stack([dataset.x, np.ones_like(dataset.x)])
    (m, b), *_ = np.linalg.lstsq(design, dataset.y, rcond=None)
    return FittedLine(m=float(m), b=float(b), rmse=rmse(dataset, float(m), float(b)))
