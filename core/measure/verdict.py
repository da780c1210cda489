"""What a run did, in one word and one sentence: the verdict, derived from its trajectory and the mathematics.

The trajectory says where the run went: its distance to the least-squares line at each
iteration, its loss above the best line's, whether the loss still falls. The mathematics
(``core.measure.dynamics``) says where it can go: for the MSE the loop is a linear map whose spectral
radius decides between converging, swinging for ever and diverging; for the RMSE the same
map, linearised at the optimum, says whether the loop can settle there at all. Where the two
could disagree (a short run of a loop that diverges slowly) the mathematics names the verdict
and the trajectory gives the numbers. Every number a verdict says is the run's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from core.lesson import text
from core.lesson.data import Dataset, FittedLine, least_squares
from core.lesson.drafts import LoopConfig, Loss
from core.lesson.results import RunResult, Statement, Status
from core.measure import dynamics

CONVERGED_WITHIN = 1e-3  # the loss within 0.1% of the best line's loss (in the run's own loss)
TAIL_SHARE, MIN_TAIL = 0.10, 10  # the tail measured: this share of the iterations, at least this many
FALLING_SHARE = 0.9  # a loss that fell at this share of the tail's steps is still descending
GROWTH = 100  # a distance this many times the start's (and the optimum's size) and still growing: diverged
FLAT = 1e-6  # a loss whose tail spread is this small a share of it has stopped moving
ENVELOPE_FALL = 0.95  # the top of the loss's swings this much lower at the tail's end: still descending


class Verdict(StrEnum):
    """What a run did, in one word (as ``python -m core --explain`` prints it), with its tone and phrase."""

    tone: str
    phrase: str

    CONVERGED = "converged", "success", "settles on the best line"
    DESCENDING = "descending", "warning", "is still descending"
    OSCILLATING = "oscillating", "warning", "swings without settling"
    DIVERGED = "diverged", "error", "diverges"
    RAISED = "raised", "error", "raises an error"
    ONE_STEP = "one step", "info", "stops after one step"
    STOPPED = "stopped", "warning", "was stopped"
    # Only a learner's own draft (``seen``): a loop that stops moving where its own loss, not the RMSE, is least.
    ELSEWHERE = "settled elsewhere", "warning", "settles, but not on the best line"

    def __new__(cls, value: str, tone: str, phrase: str) -> Verdict:
        member = str.__new__(cls, value)
        member._value_ = value
        member.tone, member.phrase = tone, phrase
        return member


@dataclass(frozen=True)
class Measured:
    """A finished loop's course, measured on its trajectory (the final values after the last update last)."""

    distance: np.ndarray  # each recorded (m, b)'s distance to the least-squares (m, b), then the final's
    excess: np.ndarray  # each recorded loss above the best line's, as a share of it, then the final's
    tail: int  # how many of the last values are measured: the tail
    best_loss: float  # the best line's loss, in the run's own loss (the RMSE, or the MSE)
    optimum_size: float  # |(m, b)| of the least-squares line: the scale a growing distance is set against

    @property
    def final_excess(self) -> float:
        return float(self.excess[-1])

    @property
    def closest(self) -> int:
        """The iteration at which the run came closest to the least-squares line (the final one counts last)."""
        finite = np.where(np.isfinite(self.distance), self.distance, np.inf)
        return int(np.argmin(finite))

    def falling(self) -> bool:
        """Whether the loss still falls over the tail: at nearly every step, or (momentum's way, up and down)
        with the top of its swings clearly lower in the tail's last quarter than in its first."""
        tail = self.excess[-self.tail :]
        steps = np.diff(tail)
        if len(steps) == 0:
            return False
        if np.mean(steps < 0) >= FALLING_SHARE and tail[-1] < tail[0]:
            return True
        quarter = max(1, len(tail) // 4)
        return bool(np.max(tail[-quarter:]) < ENVELOPE_FALL * np.max(tail[:quarter]))

    def rising(self) -> bool:
        """Whether the loss climbs: at nearly every step of the tail, and far above where it started."""
        tail = self.excess[-self.tail :]
        steps = np.diff(tail)
        return bool(len(steps) > 0 and np.mean(steps > 0) >= FALLING_SHARE and self.excess[-1] > 2 * self.excess[0] + 1)

    def flat(self) -> bool:
        """Whether the loss stopped moving over the tail (a float32 floor, not a descent)."""
        tail = self.excess[-self.tail :] + 1
        return bool(np.ptp(tail) <= FLAT * np.max(tail))

    def growing(self) -> bool:
        """Whether the distance to the line grew far past where it started and grows still: it diverges."""
        d = self.distance
        scale = d[0] + self.optimum_size
        half = d[: max(1, len(d) // 2)]
        return bool(d[-1] > GROWTH * scale and np.max(d[-self.tail :]) >= np.max(half))

    def rate(self) -> float | None:
        """The factor by which the loss's excess shrank an iteration over the tail (a log-linear fit)."""
        tail = self.excess[-self.tail :]
        usable = tail > 0
        if usable.sum() < MIN_TAIL:
            return None
        steps = np.arange(len(tail))[usable]
        return float(math.exp(np.polyfit(steps, np.log(tail[usable]), 1)[0]))

    def more_iterations(self) -> int | None:
        """Iterations more, at the tail's rate, until the loss is within ``CONVERGED_WITHIN`` of the best."""
        rate = self.rate()
        if rate is None or not 0 < rate < 1 or self.final_excess <= CONVERGED_WITHIN:
            return None
        return math.ceil(math.log(CONVERGED_WITHIN / self.final_excess) / math.log(rate))


def how_far(excess: float) -> str:
    """A loss's excess over the best line's, in the one form the pages use, with the verdict's tolerance."""
    return text.how_far(excess, CONVERGED_WITHIN)


def own_loss(config: LoopConfig, rmse: float) -> float:
    """An RMSE in the run's own loss: itself, or its square for the MSE."""
    return rmse * rmse if config.loss is Loss.MSE else rmse


def final_loss(result: RunResult) -> float | None:
    """The run's loss at its final (m, b), after the last update, in the loss it minimised."""
    rmse = result.outcome.final_loss
    return None if rmse is None else own_loss(result.config, rmse)


def measure(result: RunResult, best: FittedLine) -> Measured:
    """The course of a finished run: distances and loss excess at every iteration, then at the final values."""
    trajectory, outcome = result.trajectory, result.outcome
    m = np.append(trajectory["m"].to_numpy(), outcome.final_m)
    b = np.append(trajectory["b"].to_numpy(), outcome.final_b)
    best_loss = own_loss(result.config, best.rmse)
    last_loss = final_loss(result)
    assert last_loss is not None  # a finished run's outcome holds its final loss
    losses = np.append(trajectory["loss"].to_numpy(), last_loss)
    # An exact fit has a best loss of 0: then the excess is measured against the starting loss.
    scale = best_loss if best_loss > 0 else max(float(losses[0]), np.finfo(float).tiny)
    return Measured(
        distance=np.hypot(m - best.m, b - best.b),
        excess=(losses - best_loss) / scale,
        tail=min(len(m), max(MIN_TAIL, int(len(m) * TAIL_SHARE))),
        best_loss=best_loss,
        optimum_size=float(np.hypot(best.m, best.b)),
    )


def accumulated(result: RunResult) -> bool:
    """Whether the run carried ``.grad`` over from one iteration to the next, as recorded after its first
    update (and any zeroing); from the configuration where no facts were recorded."""
    after = next((f for f in result.facts if f.iteration == 0 and f.moment == "after update"), None)
    if after is None or not result.config.loops:
        return not result.config.zero_grad and result.config.loops
    return not after.m.grad_is_none


# Outcomes that say the verdict themselves (a live frame, still running, is judged as stopped there).
ENDED_BY = {
    Status.RAISED: Verdict.RAISED,
    Status.DIVERGED: Verdict.DIVERGED,
    Status.STOPPED: Verdict.STOPPED,
    Status.RUNNING: Verdict.STOPPED,
}


def verdict(result: RunResult, data: Dataset) -> Verdict:
    """The run's verdict, from its outcome, its trajectory and the mathematics of its update."""
    status = result.outcome.status
    if status in ENDED_BY:
        return ENDED_BY[status]
    if not result.config.loops:
        return Verdict.ONE_STEP
    return _finished(result, data, measure(result, least_squares(data)))


def _finished(result: RunResult, data: Dataset, run: Measured) -> Verdict:
    """A finished loop: grown without bound, settled, still on its way, or swinging."""
    config, carried = result.config, accumulated(result)
    how = dynamics.mechanism(config, carried)
    bounded = config.loss is Loss.RMSE and how.momentum == 0 and not how.accumulates  # |step| <= lr * a bound
    if (not bounded and run.growing()) or dynamics.grows(config, data, carried):
        return Verdict.DIVERGED
    can_settle = dynamics.settles(config, data, carried)
    if can_settle is False or how.never_settles:
        # The loop cannot settle at the line; still closing in from afar is descending, for the RMSE.
        return Verdict.DESCENDING if _approaching(config, how, run) else Verdict.OSCILLATING
    within = run.final_excess <= CONVERGED_WITHIN
    if can_settle and (within or (run.flat() and not run.falling())):
        return Verdict.CONVERGED
    if can_settle is None and within and float(np.max(run.excess[-run.tail :])) <= CONVERGED_WITHIN:
        return Verdict.CONVERGED  # Adam: no map to say it stays, so it must be seen to stay
    if run.falling() or (can_settle and config.loss is Loss.MSE):  # linear and contracting: it can only close in
        return Verdict.DESCENDING
    # It could settle, yet it neither closes in nor stays: the RMSE's curvature varies, so a loop that is
    # stable at the line can still circle it (momentum 0.9 on a 3-cycle, seen on centred uploads).
    return Verdict.OSCILLATING


def seen(result: RunResult, data: Dataset) -> Verdict:
    """The verdict from the trajectory alone, for a loop whose update no iteration map describes (a
    learner's own draft with a bug the Lab's switches do not make): grown without bound, within the
    tolerance of the best line and staying, still falling, or neither."""
    status = result.outcome.status
    if status in ENDED_BY:
        return ENDED_BY[status]
    if len(result.trajectory) < 2:
        return Verdict.ONE_STEP
    run = measure_by_line(result, least_squares(data), data)
    if run.growing() or run.rising() or not np.all(np.isfinite(run.excess)):
        return Verdict.DIVERGED
    if run.final_excess <= CONVERGED_WITHIN and float(np.max(run.excess[-run.tail :])) <= CONVERGED_WITHIN:
        return Verdict.CONVERGED
    if run.falling():
        return Verdict.DESCENDING
    return Verdict.ELSEWHERE if run.flat() else Verdict.OSCILLATING


def measure_by_line(result: RunResult, best: FittedLine, data: Dataset) -> Measured:
    """``measure`` with each iteration's loss the RMSE of its (m, b) on the data, not the loss the loop
    recorded: a learner's loss may not be the RMSE it says it is (a target of the wrong shape)."""
    trajectory, outcome = result.trajectory, result.outcome
    m = np.append(trajectory["m"].to_numpy(), outcome.final_m)
    b = np.append(trajectory["b"].to_numpy(), outcome.final_b)
    x, y = np.asarray(data.x, dtype=np.float64), np.asarray(data.y, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        losses = np.sqrt(np.mean((np.outer(m, x) + b[:, None] - y) ** 2, axis=1))
    scale = best.rmse if best.rmse > 0 else max(float(losses[0]), np.finfo(float).tiny)
    return Measured(
        distance=np.hypot(m - best.m, b - best.b),
        excess=(losses - best.rmse) / scale,
        tail=min(len(m), max(MIN_TAIL, int(len(m) * TAIL_SHARE))),
        best_loss=best.rmse,
        optimum_size=float(np.hypot(best.m, best.b)),
    )


def _approaching(config: LoopConfig, how: dynamics.Mechanism, run: Measured) -> bool:
    """An RMSE loop above its limit still far from the line and closing in (gradients zeroed)."""
    return config.loss is Loss.RMSE and not how.never_settles and run.falling()


# Each statement of the loop as the outcome line names it.
STATEMENT_NAMES = {
    Statement.FORWARD: "the forward pass (`yhat = m*x + b`)",
    Statement.LOSS: "the loss",
    Statement.BACKWARD: "`loss.backward()`",
    Statement.UPDATE: "the update of `m` and `b`",
    Statement.STEP: "`optimizer.step()`",
    Statement.ZEROING: "the zeroing of the gradients",
}
