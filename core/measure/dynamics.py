"""The mathematics of the loop's update near the least-squares line: which rates can settle, and how fast.

Near the optimum the gradient of either loss is ``H (theta - theta*)``, with ``H`` the loss's
Hessian there (``analysis.hessian_at_optimum``); for the MSE that holds everywhere, so the
loop is a linear map and its spectral radius decides: below 1 it converges, above 1 it diverges,
on 1 it swings for ever. For the RMSE it is the linearisation: it says whether the loop can
settle at the optimum (the stability limit), not what happens far from it.

Each eigenvalue ``lam`` of ``H`` gives one polynomial in the map's eigenvalue ``z``, written
from the update as torch runs it (``buf = beta*buf + grad``, ``theta -= lr*buf``):

- ``.grad`` zeroed every iteration:   ``(z - 1)(z - beta) + lr*lam*z = 0``
- ``.grad`` accumulating (never zeroed), so ``grad`` is the sum of every gradient so far:
  ``(z - 1)**2 (z - beta) + lr*lam*z**2 = 0``

with ``beta`` 0 for plain gradient descent. Adam scales each step by its own running averages:
not a fixed linear map, so none of this applies to it (None throughout).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.lesson.data import Dataset, least_squares
from core.lesson.drafts import Algorithm, LoopConfig, Loss
from core.measure.analysis import hessian_at_optimum

ON_THE_CIRCLE = 1e-9  # |z| within this of 1 is on the unit circle: rounding in np.roots, not growth


@dataclass(frozen=True)
class Mechanism:
    """What the update does with the gradients, as far as its dynamics go."""

    momentum: float | None  # beta of the heavy ball (0: plain gradient descent); None for Adam
    accumulates: bool  # .grad is never zeroed, so each backward() adds to the last

    @property
    def never_settles(self) -> bool:
        """Whether no learning rate makes it settle: a velocity that never fades (accumulating, or momentum 1)."""
        return self.momentum is not None and (self.accumulates or self.momentum >= 1)


def mechanism(config: LoopConfig, accumulates: bool | None = None) -> Mechanism:
    """The mechanism of ``config``'s update; ``accumulates`` as the run recorded it, if known."""
    carried = (not config.zero_grad and config.loops) if accumulates is None else accumulates
    if config.optimizer and config.algorithm is Algorithm.ADAM:
        return Mechanism(momentum=None, accumulates=carried)
    beta = float(config.algorithm.options.get("momentum", 0.0)) if config.optimizer else 0.0
    return Mechanism(momentum=beta, accumulates=carried)


def _polynomial(lr_lam: float, beta: float, accumulates: bool) -> np.ndarray:
    """The coefficients of the map's characteristic polynomial for one eigenvalue (``lr * lam``)."""
    one = np.poly1d([1.0, -1.0])  # z - 1
    lag = np.poly1d([1.0, -beta])  # z - beta
    if accumulates:
        return (one * one * lag + np.poly1d([lr_lam, 0.0, 0.0])).coeffs
    return (one * lag + np.poly1d([lr_lam, 0.0])).coeffs


def spectral_radius(config: LoopConfig, data: Dataset, accumulates: bool | None = None) -> float | None:
    """The largest |eigenvalue| of the update's map at the optimum (exact for the MSE, linearised for the
    RMSE); None for Adam, or for the RMSE on data the line fits exactly (a kink there, no Hessian)."""
    how = mechanism(config, accumulates)
    if how.momentum is None or (config.loss is Loss.RMSE and least_squares(data).rmse == 0):
        return None
    lams = np.linalg.eigvalsh(hessian_at_optimum(data, config.loss, config.center))
    roots = [np.roots(_polynomial(config.lr * lam, how.momentum, how.accumulates)) for lam in lams]
    return float(max(np.max(np.abs(r)) for r in roots))


def settles(config: LoopConfig, data: Dataset, accumulates: bool | None = None) -> bool | None:
    """Whether the loop can settle at the least-squares line (spectral radius below 1); None where unknown."""
    radius = spectral_radius(config, data, accumulates)
    return None if radius is None else radius < 1 - ON_THE_CIRCLE


def grows(config: LoopConfig, data: Dataset, accumulates: bool | None = None) -> bool:
    """Whether the MSE loop's map has an eigenvalue outside the unit circle: it diverges geometrically."""
    radius = spectral_radius(config, data, accumulates) if config.loss is Loss.MSE else None
    return radius is not None and radius > 1 + ON_THE_CIRCLE


def settling_limit(config: LoopConfig, data: Dataset) -> float | None:
    """The largest constant learning rate at which this update settles at the optimum: 2 / lam_max for plain
    gradient descent, 2 (1 + beta) / lam_max for momentum beta; None where no rate settles, or for Adam."""
    how = mechanism(config)
    if how.momentum is None or how.never_settles or (config.loss is Loss.RMSE and least_squares(data).rmse == 0):
        return None
    top = float(np.linalg.eigvalsh(hessian_at_optimum(data, config.loss, config.center))[-1])
    return 2 * (1 + how.momentum) / top
