"""What a run did, in the lesson's words: its behaviour class and a short explanation."""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from core.data import Line
from core.drafts import LoopConfig
from core.engine import RunResult

CONVERGED_WITHIN = 0.01  # final RMSE within 1% of the least-squares RMSE
SWING_SHARE = 0.10  # the loss rose on more than this share of steps


class Behaviour(StrEnum):
    """What a learner can predict a draft will do."""

    CONVERGES = "converges"
    SWINGS = "swings wildly"
    RAISES = "raises an error"
    ONE_STEP = "stops after one step"
    DIVERGES = "diverges"
    DESCENDING = "still descending"


PREDICTIONS = [Behaviour.CONVERGES, Behaviour.SWINGS, Behaviour.RAISES, Behaviour.ONE_STEP]


def behaviour(result: RunResult, best: Line) -> Behaviour:
    """Classify a run by what it did, measured on its trajectory."""
    outcome = result.outcome
    if outcome.status == "raised":
        return Behaviour.RAISES
    if outcome.status == "diverged":
        return Behaviour.DIVERGES
    if result.config.iterations == 1:
        return Behaviour.ONE_STEP
    if outcome.final_loss is not None and outcome.final_loss <= best.rmse * (1 + CONVERGED_WITHIN):
        return Behaviour.CONVERGES
    if loss_rise_share(result) > SWING_SHARE:
        return Behaviour.SWINGS
    return Behaviour.DESCENDING


def loss_rise_share(result: RunResult) -> float:
    """The share of steps on which the loss went up: 0 for a steady descent."""
    loss = result.trajectory["loss"].to_numpy()
    return float(np.mean(np.diff(loss) > 0)) if len(loss) > 1 else 0.0


# Why each statement raised, keyed by (statement, exception type): the lesson's explanations.
_RAISED = {
    ("update", "RuntimeError"): (
        "`m -= lr*m.grad` outside `torch.no_grad()` changes a leaf tensor that requires grad in place. "
        "PyTorch forbids that, so the loop fails at its very first update."
    ),
    ("update", "TypeError"): (
        "`m = m - lr*m.grad` outside `torch.no_grad()` made a new `m` in new memory, computed by autograd: "
        "it is no longer a leaf and has a `grad_fn`. `backward()` does not fill the `.grad` of a non-leaf, "
        "so at the next update `m.grad` is `None` (PyTorch warned about reading it) and `lr*None` raises."
    ),
    ("backward", "RuntimeError"): (
        "Inside `torch.no_grad()`, `m = m - lr*m.grad` made a new `m` that does not require grad. "
        "The next loss is built from tensors autograd is not tracking, so `loss.backward()` has nothing to "
        "differentiate and raises."
    ),
}

ACCUMULATION = (
    "Gradients are never zeroed: PyTorch adds each `backward()`'s gradient into `.grad`, so every step "
    "uses the sum of all past gradients and `m` and `b` swing wildly."
)


def explanation(result: RunResult, best: Line) -> str:
    """A few sentences on why the run ended as it did."""
    config, outcome = result.config, result.outcome
    if outcome.status == "raised":
        known = _RAISED.get((outcome.error.statement, outcome.error.type))
        return known or f"The `{outcome.error.statement}` statement raised {outcome.error.type}."
    if outcome.status == "diverged":
        return (
            f"The loss became infinite or not a number at iteration {outcome.stopped_at}: the steps grew until "
            "the numbers overflowed. A smaller learning rate keeps the steps in range."
        )
    if outcome.status == "stopped":
        return f"The run was stopped at iteration {outcome.stopped_at}."
    return _finished_explanation(result, best, config)


def _finished_explanation(result: RunResult, best: Line, config: LoopConfig) -> str:
    kind = behaviour(result, best)
    parts = []
    if kind is Behaviour.ONE_STEP:
        parts.append("A single step moves `m` and `b` a little from where they started; the loop repeats it.")
        parts.append(_after_first_update(result))
    elif kind is Behaviour.CONVERGES:
        parts.append(f"The loop reached the least-squares line: RMSE {result.outcome.final_loss:.4f}.")
    elif kind is Behaviour.SWINGS:
        parts.append(_accumulation(config) if not config.zero_grad else _big_steps(config))
    else:
        parts.append("The loss is still falling: more iterations or a larger learning rate would get closer.")
    return " ".join(parts)


def _accumulation(config: LoopConfig) -> str:
    """The accumulation bug, naming the forgotten call when torch.optim.SGD runs the loop."""
    return f"`optimizer.zero_grad()` is never called. {ACCUMULATION}" if config.optimizer else ACCUMULATION


def _big_steps(config: LoopConfig) -> str:
    return (
        f"With a learning rate of {config.lr:g} each step jumps past the minimum and back: "
        "the loss rises as often as it falls."
    )


def _after_first_update(result: RunResult) -> str:
    """What the first update did to m, read from the recorded tensor facts."""
    after = next((f for f in result.facts if f.moment == "after update"), None)
    if after is None:
        return ""
    if not after.m.is_leaf:
        return (
            f"It ran, but the new `m` is a copy in new memory with a `grad_fn` ({after.m.grad_fn}), no longer a "
            "leaf: a second iteration would fail."
        )
    if not after.m.requires_grad:
        return "It ran, but the new `m` no longer requires grad: the next `backward()` would fail."
    return "`m` is still a leaf that requires grad, in the same memory: the update changed it in place."


def summary(result: RunResult) -> str:
    """The outcome in a few words, for a table row or a chart mark."""
    outcome = result.outcome
    if outcome.status == "raised":
        return f"{outcome.error.type} at iteration {outcome.error.iteration} ({outcome.error.statement})"
    if outcome.status in ("diverged", "stopped"):
        return f"{outcome.status} at iteration {outcome.stopped_at}"
    return f"finished {result.config.iterations:,} iteration{'s' * (result.config.iterations > 1)}"
