"""Why the loop converges slowly, or not at all: measured on runs, pure numpy and pandas.

- The learning-rate sweep: the same loop at a log range of rates, one real engine run each,
  and what each run did (its final loss and behaviour), beside the data's stability limit.
- Conditioning: each iteration's distance to the least-squares line, the linear rate at which
  it shrinks (a straight line on a log axis), and how many iterations it takes to come within
  a tolerance of the optimum, with x centred or not.
- Where two runs part: the first iteration whose recorded (m, b) differ (SGD with momentum 1
  and no dampening against the accumulation bug, equal in exact arithmetic only).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.lesson.data import Dataset, FittedLine
from core.lesson.drafts import LR_RANGE, Algorithm, ConfigError, LoopConfig, Loss
from core.lesson.results import RunResult, Status
from core.measure import analysis
from core.measure.verdict import Verdict, verdict

SWEEP_RANGE = (1e-4, 1.0)  # the sweep's default learning rates, from the issue
SWEEP_POINTS = 20
MAX_SWEEP_POINTS = 40  # each point is a run: a bound keeps a sweep a classroom's server can afford
NEAR = 1e-3  # "within NEAR of the optimum": the distance in (m, b) the conditioning view counts to
RATE_FLOOR = 1e-5  # distances below this are float32 rounding, not convergence: left out of the rate
SWEEP_COLUMNS = ["lr", "final_loss", "verdict", "status", "iterations_run"]


def sweep_rates(low: float = SWEEP_RANGE[0], high: float = SWEEP_RANGE[1], points: int = SWEEP_POINTS) -> list[float]:
    """``points`` learning rates evenly spaced on a log axis from ``low`` to ``high``, each to 3 significant digits
    (so a rate reads as a person would type it, and the same sweep hits the same cached runs)."""
    if isinstance(points, bool) or not isinstance(points, int) or not 2 <= points <= MAX_SWEEP_POINTS:
        raise ConfigError(f"A sweep takes between 2 and {MAX_SWEEP_POINTS} learning rates, not {points!r}.")
    for bound in (low, high):
        if not (isinstance(bound, int | float) and math.isfinite(bound) and LR_RANGE[0] <= bound <= LR_RANGE[1]):
            raise ConfigError(f"A sweep's learning rates must be between {LR_RANGE[0]:g} and {LR_RANGE[1]:g}.")
    if not low < high:
        raise ConfigError(f"A sweep goes from a lower to a higher learning rate, not from {low:g} to {high:g}.")
    rates = np.logspace(math.log10(low), math.log10(high), points)
    return [float(f"{rate:.3g}") for rate in rates]


def sweep_configs(config: LoopConfig, rates: list[float]) -> list[LoopConfig]:
    """``config`` at each learning rate: the runs a sweep is made of."""
    return [config.with_changes(lr=rate) for rate in rates]


def sweep_row(result: RunResult, data: Dataset) -> dict:
    """One point of a sweep: the run's learning rate, its final RMSE (NaN if it did not finish) and verdict."""
    outcome = result.outcome
    return {
        "lr": result.config.lr,
        "final_loss": math.nan if outcome.final_loss is None else outcome.final_loss,
        "verdict": str(verdict(result, data)),
        "status": str(outcome.status),
        "iterations_run": outcome.iterations_run,
    }


def sweep_table(results: list[RunResult], data: Dataset) -> pd.DataFrame:
    """The sweep's points so far, one row a run, in order of learning rate."""
    rows = [sweep_row(result, data) for result in results]
    return pd.DataFrame(rows, columns=SWEEP_COLUMNS).sort_values("lr", ignore_index=True)


def sweep(config: LoopConfig, data: Dataset, rates: list[float], run: Callable[..., RunResult]) -> pd.DataFrame:
    """Run ``config`` at each of ``rates`` with ``run(config, data)`` (the engine, or a cached pool) and tabulate."""
    return sweep_table([run(each, data) for each in sweep_configs(config, rates)], data)


@dataclass(frozen=True)
class Convergence:
    """How fast a run closed in on the least-squares line, measured on its trajectory."""

    rate: float | None  # the distance's factor per iteration, fitted on a log axis (None: too few points)
    within: int | None  # the first iteration from which the run stays within NEAR of the optimum
    final_distance: float  # at the run's final (m, b)


def distance_to_optimum(result: RunResult, best: FittedLine) -> pd.DataFrame:
    """Each iteration's distance from (m, b) to the least-squares (m, b), in the original coordinates."""
    trajectory = result.trajectory
    gap = np.hypot(trajectory["m"].to_numpy() - best.m, trajectory["b"].to_numpy() - best.b)
    return pd.DataFrame({"iteration": trajectory["iteration"].to_numpy(), "distance": gap})


def linear_rate(distances: pd.DataFrame) -> float | None:
    """The factor by which the distance shrinks each iteration, from a straight-line fit of its log.

    Fitted over the second half of the iterations whose distance is above float32's rounding
    (``RATE_FLOOR``) and ten times the closest the run came (where it stopped shrinking): the first
    iterations go where the start sends them, not at the final rate.
    """
    finite = distances[np.isfinite(distances["distance"])]
    if finite.empty:
        return None
    # Above float32's floor, and well above the closest the run came: where the distance still shrinks.
    floor = max(RATE_FLOOR, 10 * float(finite["distance"].min()))
    usable = finite[finite["distance"] > floor]
    tail = usable.iloc[len(usable) // 2 :]
    if len(tail) < 3:
        return None
    slope = np.polyfit(tail["iteration"].to_numpy(float), np.log(tail["distance"].to_numpy()), 1)[0]
    return float(math.exp(slope))


def iterations_to_within(distances: pd.DataFrame, final_distance: float, tolerance: float = NEAR) -> int | None:
    """The first iteration from which the run stays within ``tolerance`` of the optimum to its end; None if
    it never does (the final (m, b), after the last update, must be within too)."""
    if not final_distance <= tolerance:
        return None
    outside = np.flatnonzero(~(distances["distance"].to_numpy() <= tolerance))
    if len(outside) == 0:
        return 0
    return int(distances["iteration"].iloc[outside[-1]]) + 1


def convergence(result: RunResult, best: FittedLine, tolerance: float = NEAR) -> Convergence:
    """The run's rate of convergence, iterations to within ``tolerance`` and final distance."""
    distances = distance_to_optimum(result, best)
    outcome = result.outcome
    final = float(np.hypot(outcome.final_m - best.m, outcome.final_b - best.b))
    return Convergence(linear_rate(distances), iterations_to_within(distances, final, tolerance), final)


def within_words(result: RunResult, found: Convergence) -> str:
    """How many iterations the run took to come within ``NEAR`` of the optimum, or why it never did."""
    if found.within is not None:
        return f"{found.within:,}"
    if result.outcome.status == Status.DIVERGED:
        return f"never: diverged at iteration {result.outcome.stopped_at:,}"
    if found.rate is not None and found.rate > 1:
        return "never: the distance grows"
    return f"not within {result.config.iterations:,}"


def rate_words(found: Convergence) -> str:
    """The fitted rate of the distance in words: it shrank, or grew, by a factor an iteration."""
    if found.rate is None:
        return ""
    moved = "shrank" if found.rate < 1 else "grew"
    return f" The distance {moved} by a factor of {found.rate:.5f} an iteration."


def predicted_rate(config: LoopConfig, data: Dataset) -> float | None:
    """Plain gradient descent's rate near the optimum: the largest ``|1 - lr * eigenvalue|`` of the Hessian.

    None where it does not apply (momentum, Adam, gradients never zeroed; see ``analysis.limit_for``).
    """
    if analysis.limit_for(config, data) is None:
        return None
    eigenvalues = np.linalg.eigvalsh(analysis.hessian_at_optimum(data, config.loss, config.center))
    return float(np.max(np.abs(1 - config.lr * eigenvalues)))


def first_difference(a: RunResult, b: RunResult) -> int | None:
    """The first iteration at which two runs recorded different (m, b); None if they agree throughout."""
    both = a.trajectory[["iteration", "m", "b"]].merge(
        b.trajectory[["iteration", "m", "b"]], on="iteration", suffixes=("_a", "_b")
    )
    differ = (both["m_a"] != both["m_b"]) | (both["b_a"] != both["b_b"])
    return int(both["iteration"][differ].iloc[0]) if differ.any() else None


def momentum_twin(config: LoopConfig) -> LoopConfig:
    """The accumulation bug's twin in exact arithmetic: ``torch.optim.SGD(momentum=1, dampening=0)``, zeroing
    its gradients, with ``config``'s settings (``config`` being a loop that never zeroes them)."""
    return config.with_changes(optimizer=True, algorithm=Algorithm.MOMENTUM_1, zero_grad=True)


def why_rmse_oscillates(data: Dataset, center: bool = False) -> str:
    """Why above its stability limit the RMSE loop bounces while the MSE loop blows up, with this data's numbers
    (and x centred or not, as the loop has it)."""
    rmse_limit = analysis.stability_limit(data, Loss.RMSE, center)
    mse_limit = analysis.stability_limit(data, Loss.MSE, center)
    words = f"{rmse_limit:.3g}" if rmse_limit is not None else "none (the line fits exactly)"
    centred = " with x centred" if center else ""
    return (
        f"Above the stability limit (here{centred} {words} for the RMSE, {mse_limit:.3g} for the MSE) each step "
        "overshoots the minimum by more than it started from. The MSE's gradient grows with the distance from the "
        "minimum, so the overshoots grow too, without end: the loss overflows and the run diverges. The RMSE's "
        "gradient is the MSE's divided by twice the RMSE, which grows just as fast, so however far the line is, "
        f"the gradient is never longer than {gradient_bound(data, center):.3g} on this data: the steps stay "
        "bounded, and the loop keeps bouncing around the minimum instead of blowing up."
    )


def gradient_bound(data: Dataset, center: bool = False) -> float:
    """The most the RMSE's gradient over (m, b) can measure, anywhere: ``sqrt(mean(x**2) + 1)`` (Cauchy-Schwarz),
    with the loop's x (``x - mean(x)`` when centred)."""
    x = np.asarray(data.x, dtype=np.float64)
    if center:
        x = x - x.mean()
    return float(math.sqrt(np.mean(x * x) + 1))


def sweep_summary(table: pd.DataFrame, limit: float | None) -> str:
    """What the sweep's runs did, in words, from their rows: which rates converged, and what happened above."""
    if table.empty:
        return "No run of the sweep has finished yet."
    parts = [f"{len(table)} runs, learning rates {table.lr.min():g} to {table.lr.max():g}."]
    converged = table[table.verdict == Verdict.CONVERGED]
    if len(converged):
        fastest = converged.lr.max()
        parts.append(f"{len(converged)} reached the least-squares line; the largest rate that did is {fastest:g}.")
    else:
        parts.append("None reached the least-squares line in these iterations.")
    for kind in (Verdict.DESCENDING, Verdict.OSCILLATING, Verdict.DIVERGED, Verdict.RAISED):
        rates = table.lr[table.verdict == kind]
        if len(rates):
            runs = "1 run" if len(rates) == 1 else f"{len(rates)} runs"
            parts.append(f"{str(kind).capitalize()}: {runs}, from learning rate {rates.min():g}.")
    if limit is not None:
        above = table[table.lr > limit]
        parts.append(f"The stability limit is {limit:.3g}: {len(above)} of the rates are above it.")
    return " ".join(parts)
