"""Measurements on engine results, for the lesson's deeper questions: pure numpy and pandas.

- Where a gradient comes from when ``.grad`` is never zeroed: carried over, or fresh.
- How sensitive a run is to its start: the same settings with ``m`` nudged, and the distance
  between the two runs, iteration by iteration (the solution's runs meet again; Draft 3's drift
  apart).
- How large a learning rate the data allows: the stability limit and the condition number of the
  loss's Hessian at the least-squares line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.lesson.data import Dataset, least_squares
from core.lesson.drafts import Algorithm, LoopConfig, Loss
from core.lesson.results import RunResult

SPLIT_COLUMNS = ["iteration", "m_grad", "m_carried", "m_fresh", "b_grad", "b_carried", "b_fresh"]
DEFAULT_NUDGE = 1e-6


def accumulation_split(trajectory: pd.DataFrame, zeroed: bool) -> pd.DataFrame:
    """Each iteration's ``.grad`` split into what was carried over from before and what backward() added.

    Without zeroing, ``.grad`` before a backward() still holds the previous iteration's value
    (the update reads it but leaves it alone), so carried = the previous ``.grad`` and fresh =
    ``.grad - carried``. Both are float32, like ``.grad`` itself, so that carried + fresh, done in
    float32 as torch accumulates, gives ``.grad`` back exactly. Fresh is what the sum effectively
    added: backward()'s gradient up to the rounding of that float32 sum (half an ulp of ``.grad``).
    With zeroing nothing is carried. NaN where torch held no gradient.
    """
    split = {"iteration": trajectory["iteration"].to_numpy()}
    for name in ("m", "b"):
        grad = trajectory[f"{name}_grad"].to_numpy(dtype=np.float32)
        carried = np.zeros_like(grad)
        if not zeroed and len(grad) > 1:
            carried[1:] = grad[:-1]
        carried[np.isnan(grad)] = np.nan  # no gradient this iteration: nothing to split
        split[f"{name}_grad"], split[f"{name}_carried"] = grad, carried
        split[f"{name}_fresh"] = grad - carried  # float32 - float32: a float32 subtraction
    return pd.DataFrame(split, columns=SPLIT_COLUMNS)


def split_of(result: RunResult) -> pd.DataFrame:
    """``accumulation_split`` of a run, zeroed or not as its configuration says."""
    return accumulation_split(result.trajectory, zeroed=result.config.zero_grad)


def momentum_sentence(config: LoopConfig, parted: int | None = None, apart: tuple[int, float] | None = None) -> str:
    """What never zeroing the gradients does to this loop's update, and how far its likeness to momentum goes.

    ``parted`` is the first iteration at which the run and its twin ``torch.optim.SGD(momentum=1,
    dampening=0)`` recorded different (m, b), and ``apart`` (iterations, distance) how far apart they
    ended, both measured by the caller; without them nothing is said of where they part.
    """
    if config.optimizer and config.algorithm is not Algorithm.SGD:
        return (
            "Never zeroing the gradients hands the optimizer the sum of all the gradients so far instead of each "
            f"fresh one, and {config.algorithm.words} builds its steps on that sum: not the momentum-1 likeness of "
            "the hand-written loop."
        )
    words = (
        "Never zeroing the gradients makes every step use the sum of all the gradients so far: a velocity that "
        "never decays, so the parameters coast past the minimum and swing back again and again. In exact "
        "arithmetic that is momentum with a coefficient of 1 and no dampening, PyTorch's "
        "`torch.optim.SGD(momentum=1, dampening=0)`. In floats the two round differently (`m -= lr*m.grad` rounds "
        "twice, the optimizer's `add_(buf, alpha=-lr)` once)"
    )
    if parted is None:
        return f"{words}." if apart is None else f"{words}, yet here they recorded the same (m, b) throughout."
    words += f", so on these settings they part at iteration {parted:,}"
    if apart is not None:
        iterations, gap = apart
        words += f" and are {gap:.2g} apart in (m, b) after {iterations:,} iterations"
    return f"{words}."


def hessian_at_optimum(data: Dataset, loss: Loss = Loss.RMSE, center: bool = False) -> np.ndarray:
    """The Hessian of the loss over the loop's (m, b) at the least-squares line.

    The MSE's is ``2 * [[mean(x**2), mean(x)], [mean(x), 1]]`` everywhere. RMSE = sqrt(MSE) and the
    gradient of the MSE vanishes at its minimum, so there the RMSE's is the MSE's divided by
    ``2 * RMSE``. With x centred the loop's x is ``x - mean(x)``, so ``mean(x)`` is 0 in it.
    """
    x = np.asarray(data.x, dtype=np.float64)
    if center:
        x = x - x.mean()
    moments = np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    return 2 * moments if loss is Loss.MSE else moments / least_squares(data).rmse


def stability_limit(data: Dataset, loss: Loss = Loss.RMSE, center: bool = False) -> float | None:
    """The largest learning rate at which gradient descent settles on the least-squares line: 2 / the
    Hessian's largest eigenvalue. None for the RMSE when the line fits exactly (a kink there, no Hessian)."""
    if loss is Loss.RMSE and least_squares(data).rmse == 0:
        return None
    # Loss(loss) is a lookup by value, which mypy checks against the members' __new__ (python/mypy#10573).
    hessian = hessian_at_optimum(data, Loss(loss), center)  # type: ignore[call-arg]
    return float(2 / np.linalg.eigvalsh(hessian)[-1])


def limit_for(config: LoopConfig, data: Dataset) -> float | None:
    """``stability_limit`` for the loop ``config`` writes; None where plain gradient descent's limit does not
    apply: momentum and Adam (which scale their steps otherwise) and gradients never zeroed."""
    plain = not config.optimizer or config.algorithm is Algorithm.SGD
    return stability_limit(data, config.loss, config.center) if plain and config.zero_grad else None


def condition_number(data: Dataset, center: bool = False) -> float | None:
    """How much more the loss curves across its valley than along it: the Hessian's eigenvalue ratio
    (the same for the RMSE and the MSE: their Hessians at the optimum differ by a factor)."""
    if least_squares(data).rmse == 0:
        return None
    low, high = np.linalg.eigvalsh(hessian_at_optimum(data, center=center))
    return float(high / low)


def nudged(config: LoopConfig, epsilon: float = DEFAULT_NUDGE) -> LoopConfig:
    """The same settings with the initial ``m`` moved by ``epsilon``."""
    return config.with_changes(m0=config.m0 + epsilon)


def distance(a: RunResult, b: RunResult) -> pd.DataFrame:
    """The distance between two runs' (m, b) at each iteration both recorded (values before its update)."""
    both = a.trajectory[["iteration", "m", "b"]].merge(
        b.trajectory[["iteration", "m", "b"]], on="iteration", suffixes=("_a", "_b")
    )
    gap = np.hypot(both["m_a"] - both["m_b"], both["b_a"] - both["b_b"])
    return pd.DataFrame({"iteration": both["iteration"], "distance": gap.to_numpy()})
