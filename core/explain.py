"""What a run did, in the lesson's words: its behaviour, measured, and the sentences about it.

Every sentence here that states a fact about a tensor (a leaf or not, requires grad, its
``grad_fn``, its memory, a ``.grad`` of None, the error) is built from what the run recorded
(``RunResult.facts`` and ``RunResult.outcome``), not from the configuration; the configuration
only names the code that ran. tests/test_explain_facts.py walks every combination of the
switches and checks each sentence against the records of its run.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from core import analysis
from core.data import Dataset, Line
from core.drafts import LoopConfig, Loss, Update
from core.results import ParamFacts, RunResult, Statement, Status, TensorFacts

CONVERGED_WITHIN = 0.001  # the loss over the last iterations within 0.1% of the least-squares RMSE
SMALL_SWINGS = 0.10  # swings that keep the loss within 10% of the least-squares RMSE are small
BACK_AND_FORTH = 1.5  # a parameter whose path is this many times its net move went back over it
STRETCH, MIN_STRETCH = 0.10, 10  # the ending is measured over this share of the iterations, at least this many


class Behaviour(StrEnum):
    """What a run did, measured on its trajectory; the first four are what a learner can predict."""

    CONVERGES = "converges"
    SWINGS = "swings wildly"
    RAISES = "raises an error"
    ONE_STEP = "stops after one step"
    DIVERGES = "diverges"
    OSCILLATES = "bounces around the minimum"
    DESCENDING = "still descending"


PREDICTIONS = [Behaviour.CONVERGES, Behaviour.SWINGS, Behaviour.RAISES, Behaviour.ONE_STEP]


@dataclass(frozen=True)
class Ending:
    """How a loop ended, measured over its last iterations and its final values."""

    iterations: int  # how many of the last iterations were measured
    m_range: tuple[float, float]
    b_range: tuple[float, float]
    final_excess: float  # the final RMSE above the least-squares RMSE, as a share of it
    worst_excess: float  # the same for the worst loss over the measured iterations
    back_and_forth: bool  # m or b went back over its own path: swings, not a steady descent
    falling: bool  # the loss ended lower than where the measured stretch began


def ending(result: RunResult, best: Line) -> Ending:
    """The last stretch of a run: where m and b went, how far the loss stayed from the best."""
    trajectory, outcome = result.trajectory, result.outcome
    tail = trajectory.tail(max(MIN_STRETCH, int(len(trajectory) * STRETCH)))
    finals = [] if outcome.final_loss is None else [outcome.final_loss]
    m = np.append(tail["m"].to_numpy(), outcome.final_m)
    b = np.append(tail["b"].to_numpy(), outcome.final_b)
    loss = np.append(as_rmse(result, tail["loss"].to_numpy()), finals)
    return Ending(
        iterations=len(tail),
        m_range=(float(m.min()), float(m.max())),
        b_range=(float(b.min()), float(b.max())),
        final_excess=float(loss[-1] / best.rmse - 1),
        worst_excess=float(loss.max() / best.rmse - 1),
        back_and_forth=_went_back(m) or _went_back(b),
        falling=bool(loss[-1] < loss[0]),
    )


def as_rmse(result: RunResult, losses: np.ndarray) -> np.ndarray:
    """A run's recorded losses as RMSE, whatever loss it minimised (the MSE is the RMSE squared)."""
    return np.sqrt(losses) if result.config.loss is Loss.MSE else losses


def _went_back(values: np.ndarray) -> bool:
    """Whether a parameter travelled much further than it got: it went back and forth."""
    path = float(np.sum(np.abs(np.diff(values))))
    return path > 0 and path > BACK_AND_FORTH * abs(float(values[-1] - values[0]))


def behaviour(result: RunResult, best: Line) -> Behaviour:
    """Classify a run by what it did, measured on its trajectory."""
    outcome = result.outcome
    if outcome.status == Status.RAISED:
        return Behaviour.RAISES
    if outcome.status == Status.DIVERGED:
        return Behaviour.DIVERGES
    if result.config.iterations == 1:
        return Behaviour.ONE_STEP
    end = ending(result, best)
    if outcome.final_loss is not None and end.worst_excess <= CONVERGED_WITHIN:
        return Behaviour.CONVERGES
    if end.back_and_forth:
        return Behaviour.OSCILLATES if end.worst_excess <= SMALL_SWINGS else Behaviour.SWINGS
    return Behaviour.DESCENDING


def explanation(result: RunResult, best: Line, data: Dataset | None = None) -> str:
    """A few sentences on why the run ended as it did; ``data`` adds its stability limit where it matters."""
    outcome = result.outcome
    if outcome.status == Status.RAISED:
        return raised_explanation(result)
    if outcome.status == Status.DIVERGED:
        return (
            f"The loss became infinite or not a number at iteration {outcome.stopped_at:,}: the steps grew until "
            "the numbers overflowed. A smaller learning rate keeps the steps in range."
        )
    if outcome.status == Status.STOPPED:
        return f"The run was stopped at iteration {outcome.stopped_at:,}."
    return _finished_explanation(result, best, data)


def _finished_explanation(result: RunResult, best: Line, data: Dataset | None) -> str:
    """Why a run that finished ended where it did: by what it did, measured."""
    kind, config = behaviour(result, best), result.config
    if kind is Behaviour.ONE_STEP:
        return f"{_one_step(result)} {after_first_update(result)}".strip()
    if not config.zero_grad and kind is not Behaviour.CONVERGES:
        return _accumulation(result, best, kind)
    if kind is Behaviour.CONVERGES:
        return f"The loop reached the least-squares line: RMSE {result.outcome.final_loss:.4f}."
    if kind is Behaviour.DESCENDING:
        return _descending(result, best, data)
    return _bouncing(result, best, data, kind)


def _one_step(result: RunResult) -> str:
    """Where the single step took m and b, from the values recorded before and after it."""
    start, outcome = result.trajectory.iloc[0], result.outcome
    (m_from, m_to), (b_from, b_to) = _apart(start.m, outcome.final_m), _apart(start.b, outcome.final_b)
    return f"The single step moved `m` from {m_from} to {m_to} and `b` from {b_from} to {b_to}."


ACCUMULATION = (
    "Gradients are never zeroed: PyTorch adds each `backward()`'s gradient into `.grad`, so every step "
    "uses the sum of all past gradients"
)


def _accumulation(result: RunResult, best: Line, kind: Behaviour) -> str:
    """The accumulation bug, naming the forgotten call when torch.optim.SGD runs the loop, and what it did."""
    named = "`optimizer.zero_grad()` is never called. " if result.config.optimizer else ""
    end = ending(result, best)
    if kind is Behaviour.DESCENDING:
        return f"{named}{ACCUMULATION}. So far {_so_far(end)}."
    size = "swing wildly" if kind is Behaviour.SWINGS else "swing back and forth"
    return f"{named}{ACCUMULATION}, and `m` and `b` {size}: {_ranges(end)}."


def _ranges(end: Ending) -> str:
    """Where m, b and the loss stayed over the measured stretch, in numbers."""
    excess = end.worst_excess
    loss = f"{excess + 1:.1f} times" if excess >= 1 else f"{excess:.2%} above"
    return (
        f"over the last {end.iterations:,} iterations `m` went between {_between(*end.m_range)}, `b` between "
        f"{_between(*end.b_range)}, and the loss up to {loss} the least-squares loss"
    )


def _between(low: float, high: float) -> str:
    """Two ends of a range, told apart."""
    return " and ".join(_apart(low, high))


def _apart(first: float, second: float) -> tuple[str, str]:
    """Two numbers with as many digits (4 to 8) as it takes to tell them apart."""
    digits = next((d for d in range(4, 9) if f"{first:.{d}g}" != f"{second:.{d}g}"), 8)
    return f"{first:.{digits}g}", f"{second:.{digits}g}"


def _limit(result: RunResult, data: Dataset | None) -> str:
    """The learning rate against the data's stability limit, in words; empty without the data or a limit."""
    limit = analysis.limit_for(result.config, data) if data is not None else None
    if limit is None:
        return ""
    side = "above" if result.config.lr > limit else "below"
    return (
        f"The learning rate {result.config.lr:g} is {side} this data's stability limit, {limit:.4g} "
        "(2 / the largest eigenvalue of the loss's Hessian at the least-squares line): the largest rate at "
        "which the loop can settle there."
    )


def _bouncing(result: RunResult, best: Line, data: Dataset | None, kind: Behaviour) -> str:
    """Swings with the gradients zeroed: the learning rate is too large to settle; small or wild, measured."""
    end = ending(result, best)
    size = "The swings stay small" if kind is Behaviour.OSCILLATES else "The swings are wild"
    parts = [
        "The steps overshoot the minimum, and `m` and `b` go back and forth around it instead of settling.",
        _limit(result, data),
        f"{size}: {_ranges(end)}.",
    ]
    return " ".join(part for part in parts if part)


def _descending(result: RunResult, best: Line, data: Dataset | None) -> str:
    """A loop still on its way: more iterations get closer, a larger rate only up to the stability limit."""
    config, end = result.config, ending(result, best)
    now, least = _apart(result.outcome.final_loss, best.rmse)
    parts = [f"After {config.iterations:,} iterations {_so_far(end)}: RMSE {now}, against {least} at best."]
    limit = analysis.limit_for(config, data) if data is not None else None
    if limit is not None and config.lr > limit:
        parts.append(f"{_limit(result, data)} Above it the loop ends up bouncing around the minimum.")
    elif limit is not None and end.falling:
        parts.append(
            f"More iterations get closer; a larger learning rate helps only up to this data's stability limit, "
            f"{limit:.4g} (2 / the largest eigenvalue of the loss's Hessian at the least-squares line)."
        )
        parts.append(_slowness(data, config.center))
    return " ".join(parts)


def _so_far(end: Ending) -> str:
    """Whether the loss is still going down, measured over the last iterations."""
    return "the loss is still falling" if end.falling else "the loss has stopped falling, short of the best"


def _slowness(data: Dataset, center: bool = False) -> str:
    """Why descent is slow: the loss's valley is much steeper across than along (its condition number)."""
    return (
        f"The slowness is the loss's shape: it curves {analysis.condition_number(data, center):,.0f} times more across "
        "its valley than along it (the condition number of its Hessian), so a rate small enough for the steep "
        "direction crawls along the shallow one."
    )


# --- tensor facts, in words --------------------------------------------------------------------


def kind_of(param: ParamFacts) -> str:
    """What a parameter is by its recorded facts: a leaf that requires grad, one that does not, or a non-leaf."""
    if not param.is_leaf:
        return f"not a leaf: autograd recorded the operation that made it, so it has a `grad_fn` (`{param.grad_fn}`)"
    if param.requires_grad:
        return "a leaf that requires grad, with no `grad_fn`"
    return "a leaf that does not require grad: autograd does not track it"


def memory_of(param: ParamFacts, name: str = "m") -> str:
    """Where a parameter's memory is, compared with where it started."""
    if param.data_ptr_changed:
        return f"in new memory (`{name}.data_ptr()` is not where it started)"
    return f"in the same memory it started in (`{name}.data_ptr()` unchanged)"


def grad_of(param: ParamFacts, name: str = "m") -> str:
    """What a parameter's ``.grad`` holds."""
    return f"`{name}.grad` is `None`" if param.grad_is_none else f"`{name}.grad` holds {param.grad:.4g}"


def _update_code(config: LoopConfig) -> str:
    """The update that ran, as code with where it ran: ``m -= lr*m.grad`` inside ``torch.no_grad()``."""
    if config.optimizer:
        return "`optimizer.step()`"
    where = "inside" if config.no_grad else "outside"
    return f"`{config.update.statement()}` {where} `torch.no_grad()`"


# What each way of writing the update does to the tensor named `m` (Python's names, not torch's facts).
_NAME_BINDING = {
    Update.REASSIGN: ", which makes a new `m` from the old one",
    Update.DATA: ", which keeps the tensor `m` and replaces its data",
    Update.IN_PLACE: "",
}


def update_sentence(config: LoopConfig, after: TensorFacts, before: TensorFacts | None = None) -> str:
    """What an update left `m` as, from the facts recorded after it; the code is named from the configuration."""
    m = after.m
    binding = "" if config.optimizer else _NAME_BINDING[config.update]
    kept = before is not None and (m.is_leaf, m.requires_grad) == (before.m.is_leaf, before.m.requires_grad)
    still = "still " if kept and config.update is not Update.REASSIGN else ""  # a reassigned `m` is a new tensor
    return (
        f"After the update of iteration {after.iteration} ({_update_code(config)}{binding}), `m` is {still}"
        f"{kind_of(m)}. It sits {memory_of(m)}, and {grad_of(m)}."
    )


def after_first_update(result: RunResult) -> str:
    """What the first update did to m and what it means for a next iteration, read from the recorded facts."""
    first = {f.moment: f for f in result.facts if f.iteration == 0}
    after = first.get("after update")
    if after is None:
        return ""
    m = after.m
    if not m.is_leaf:
        then = (
            "`backward()` fills the `.grad` of leaves only (unless `retain_grad()` is called), so a second "
            "iteration would find `m.grad` to be `None`, and its update would fail."
        )
    elif not m.requires_grad:
        then = "A second iteration's `loss.backward()` would fail: nothing its loss is computed from requires grad."
    else:
        then = "A loop can repeat it."
    return f"{update_sentence(result.config, after, first.get('before update'))} {then}"


def yhat_sentence(facts: TensorFacts) -> str:
    """What the facts say about ``yhat``, ``x`` and ``y`` at one moment, in the lesson's words."""
    shown = (
        f"`yhat`: is_leaf **{facts.yhat_is_leaf}**, requires_grad **{facts.yhat_requires_grad}**, retains_grad "
        f"**{facts.yhat_retains_grad}**"
    )
    if facts.yhat_requires_grad and not facts.yhat_is_leaf and not facts.yhat_retains_grad:
        shown += (
            ": it is computed from `m` and `b`, so autograd tracks it, but it keeps no gradient of its own: "
            "reading `yhat.grad` gives `None`, with PyTorch's warning, unless `yhat.retain_grad()` was called."
        )
    else:
        shown += "."
    data = f" `x.requires_grad` **{facts.x_requires_grad}**, `y.requires_grad` **{facts.y_requires_grad}**"
    if not facts.x_requires_grad and not facts.y_requires_grad:
        return f"{shown}{data}: `torch.from_numpy` makes tensors autograd does not track."
    return f"{shown}{data}."


# --- errors, in words ------------------------------------------------------------------------------


def raised_explanation(result: RunResult) -> str:
    """Why the run raised, with each fact about `m` read from the facts recorded last before the error."""
    error = result.outcome.error
    last = result.facts[-1] if result.facts else None
    m = last.m if last is not None else None
    code = _update_code(result.config)
    if (error.statement, error.type) == (Statement.UPDATE, "RuntimeError") and m and m.is_leaf and m.requires_grad:
        when = "its first update" if error.iteration == 0 else f"the update of iteration {error.iteration}"
        return (
            f"{code} changes `m` in place, and `m` is {kind_of(m)}: PyTorch forbids changing such a tensor in "
            f"place, so the loop fails at {when}. `m` stays as it was: still a leaf."
        )
    if (error.statement, error.type) == (Statement.UPDATE, "TypeError") and m and not m.is_leaf and m.grad_is_none:
        warned = " (PyTorch warned about reading it)" if result.outcome.warnings else ""
        return (
            f"The previous update, {code}, made a new `m` from the old one, and that new `m` is {kind_of(m)}. "
            "`backward()` fills the `.grad` of leaves only (unless `retain_grad()` is called), so at iteration "
            f"{error.iteration} `m.grad` is `None`{warned} and `lr*None` raises TypeError."
        )
    if (error.statement, error.type) == (Statement.BACKWARD, "RuntimeError") and m and not m.requires_grad:
        untracked = not (last.x_requires_grad or last.y_requires_grad)
        inputs = ", and `x` and `y` do not require grad either" if untracked else ""
        return (
            f"The previous update, {code}, made a new `m` from the old one, and that new `m` is {kind_of(m)}"
            f"{inputs}. So the loss at iteration {error.iteration} is computed from tensors autograd is not "
            "tracking, and `loss.backward()` has nothing to differentiate: it raises RuntimeError."
        )
    return f"The `{error.statement}` statement raised {error.type} at iteration {error.iteration}."


def graded(guess: Behaviour, result: RunResult, best: Line, looped: RunResult | None = None) -> tuple[str, str]:
    """A prediction graded by what torch did to the code as written: ("right" | "partly" | "wrong", the words).

    ``looped`` is the same code run as a loop, for a single step: an error it raises at its next
    iteration makes "raises an error" partly right.
    """
    actual = behaviour(result, best)
    if guess == actual:
        return "right", f"Right: it {actual}."
    if looped is not None and guess == behaviour(looped, best) == Behaviour.RAISES:
        error = looped.outcome.error
        return "partly", (
            f"Not as written: the code is a single step, and it runs; it {actual}. But put it in a loop and "
            f"the next iteration raises {error.type} (at iteration {error.iteration}), as shown below."
        )
    return "wrong", f"Not quite: you said it {guess}; it {actual}."


def summary(result: RunResult) -> str:
    """The outcome in a few words, for a table row or a chart mark."""
    outcome = result.outcome
    if outcome.status == Status.RAISED:
        return f"{outcome.error.type} at iteration {outcome.error.iteration} ({outcome.error.statement})"
    if outcome.status in (Status.DIVERGED, Status.STOPPED):
        return f"{outcome.status} at iteration {outcome.stopped_at:,}"
    return f"finished {result.config.iterations:,} iteration{'s' * (result.config.iterations > 1)}"
