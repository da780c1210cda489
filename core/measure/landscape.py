"""The loss landscape: the RMSE of every line ``m*x + b`` over a window of (m, b).

The grid is computed from a handful of statistics of the data, so its cost is independent of the
number of points: a 400x400 grid over 100,000 points costs one pass over the data and then only
arithmetic on the grid. The statistics are centred, which writes the mean square error as a sum
of three non-negative terms and keeps it accurate near the minimum (see ``_Moments``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from core.lesson.data import Dataset, least_squares
from core.lesson.results import RunResult

Range = tuple[float, float]

DEFAULT_STEPS = 60  # cells per axis: a smooth heatmap, and 3,600 rect marks are cheap to send
MARGIN = 0.1  # of the window's width on each side, so no path runs along the edge
# A window around a single point needs some width: at least this much, or this share of the point's size.
MIN_HALF_WIDTH = 0.5
MIN_RELATIVE_HALF_WIDTH = 0.1
WIDEST = 1e300  # a window's ends at most this far out: padded, it stays far from float64's limit


@dataclass(frozen=True, eq=False)
class Grid:
    """The RMSE on a grid: ``rmse[i, j]`` is the error of the line with slope ``m[i]`` and intercept ``b[j]``."""

    m: np.ndarray
    b: np.ndarray
    rmse: np.ndarray

    def __post_init__(self) -> None:
        if self.rmse.shape != (len(self.m), len(self.b)):
            raise ValueError(f"rmse has shape {self.rmse.shape}, expected {(len(self.m), len(self.b))}")

    @property
    def m_range(self) -> Range:
        """The first and last m of the grid."""
        return float(self.m[0]), float(self.m[-1])

    @property
    def b_range(self) -> Range:
        """The first and last b of the grid."""
        return float(self.b[0]), float(self.b[-1])


@dataclass(frozen=True)
class _Moments:
    """What the mean square error depends on: MSE(m, b) = vxx*(m - slope)**2 + rest + (m*x_mean + b - y_mean)**2.

    With x = x_mean + dx and y = y_mean + dy the residual is (m*dx - dy) + (m*x_mean + b - y_mean), and
    the mean of dx and dy is zero, so the cross term vanishes. The first part, mean((m*dx - dy)**2),
    is a parabola in m with its minimum ``rest`` at ``slope``: every term is non-negative, so no
    large sums cancel (as they would in sum(y**2) - 2*m*sum(x*y) + ...) and the square root never
    sees a negative number.
    """

    x_mean: float
    y_mean: float
    vxx: float
    slope: float
    rest: float


def _moments(dataset: Dataset) -> _Moments:
    """The centred statistics of the data, in float64: one pass over the points."""
    if len(dataset) == 0:
        raise ValueError("the dataset has no points: there is no landscape to compute")
    x, y = np.asarray(dataset.x, dtype=np.float64), np.asarray(dataset.y, dtype=np.float64)
    x_mean, y_mean = float(x.mean()), float(y.mean())
    dx, dy = x - x_mean, y - y_mean
    vxx = float(np.mean(dx * dx))
    # All x equal: the slope does not change the error's shape, and any slope is as good as 0.
    slope = float(np.mean(dx * dy)) / vxx if vxx > 0 else 0.0
    rest = float(np.mean((dy - slope * dx) ** 2))  # computed directly: the smallest term stays exact
    return _Moments(x_mean=x_mean, y_mean=y_mean, vxx=vxx, slope=slope, rest=rest)


def rmse_grid(dataset: Dataset, m_range: Range, b_range: Range, steps: int = DEFAULT_STEPS) -> Grid:
    """The RMSE on a ``steps`` x ``steps`` grid spanning ``m_range`` and ``b_range`` (ends included)."""
    if steps < 2:
        raise ValueError(f"steps must be at least 2, not {steps}")
    for name, (low, high) in (("m_range", m_range), ("b_range", b_range)):
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"{name} must be two finite numbers, low < high, not {(low, high)}")
    m = np.linspace(m_range[0], m_range[1], steps)
    b = np.linspace(b_range[0], b_range[1], steps)
    # Data near the float64 limit overflows to inf (or nan), as core.lesson.data.rmse does: a value, not an error.
    with np.errstate(over="ignore", invalid="ignore"):
        moments = _moments(dataset)
        # Broadcasting: the m terms as a column, the offset as a (steps, steps) table; no loop over cells.
        m_column = m[:, None]
        offset = m_column * moments.x_mean + b[None, :] - moments.y_mean
        mse = moments.vxx * (m_column - moments.slope) ** 2 + moments.rest + offset**2
    # A sum of non-negative terms, but clamp anyway so a sqrt of a round-off never yields NaN.
    return Grid(m=m, b=b, rmse=np.sqrt(np.maximum(mse, 0.0)))


def extent(dataset: Dataset, runs: Iterable[RunResult], margin: float = MARGIN) -> tuple[Range, Range]:
    """A window of (m, b) holding every run's finite path, its start and the least-squares minimum."""
    best = least_squares(dataset)
    ms, bs = [best.m], [best.b]
    for result in runs:
        ms.append(result.config.m0)
        bs.append(result.config.b0)
        frame = result.trajectory
        if len(frame):
            m, b = frame["m"].to_numpy(dtype=np.float64), frame["b"].to_numpy(dtype=np.float64)
            # A point with either coordinate inf or NaN cannot be drawn: drop the pair.
            finite = np.isfinite(m) & np.isfinite(b)
            ms.extend(m[finite])
            bs.extend(b[finite])
    return _padded(ms, margin), _padded(bs, margin)


def _padded(values: Sequence[float], margin: float) -> Range:
    """The range of ``values`` widened by ``margin`` of its width each way, never narrower than a minimum.

    Values that are not finite are left out, and the window stays within ``WIDEST`` either way:
    data near the float64 limit would otherwise make a window (or its grid's steps) infinite.
    """
    finite = np.asarray(values, dtype=np.float64)
    finite = np.clip(finite[np.isfinite(finite)], -WIDEST, WIDEST)
    if finite.size == 0:
        return -MIN_HALF_WIDTH, MIN_HALF_WIDTH
    low, high = float(finite.min()), float(finite.max())
    pad = margin * (high - low)
    centre = (low + high) / 2
    # A single point (a one-step run that started at the minimum) still gets a window around it.
    floor = max(MIN_HALF_WIDTH, MIN_RELATIVE_HALF_WIDTH * abs(centre))
    low, high = low - pad, high + pad
    if high - low < 2 * floor:
        low, high = centre - floor, centre + floor
    return low, high
