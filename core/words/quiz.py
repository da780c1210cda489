"""The Lesson's specific predictions and its closing check, each answered by what torch did.

A question's right answer is never written by hand: it is read from the run the learner is
about to see (the sign of a recorded gradient, a recorded tensor fact, the error torch raised,
how the trajectory ended), and the feedback explains it with that run's own numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from core.lesson.data import Dataset, least_squares, rmse
from core.lesson.drafts import Loss
from core.lesson.results import RunResult, Statement, Status
from core.measure import verdict
from core.measure.verdict import Verdict
from core.words import tensors

RUNS_CLEANLY = "It runs without an error"


@dataclass(frozen=True)
class Question:
    """A multiple-choice question whose answer and explanation come from a run."""

    key: str
    prompt: str
    options: tuple[str, ...]
    answer: str
    why: str

    def graded(self, choice: str) -> tuple[bool, str]:
        """Whether ``choice`` is right, and the words that say so and why."""
        if choice == self.answer:
            return True, f"Right. {self.why}"
        return False, f"Not quite: the answer is “{self.answer}”. {self.why}"


def _first(result: RunResult, column: str) -> float:
    return float(result.trajectory[column].iloc[0])


def gradient_sign(result: RunResult, data: Dataset) -> Question:
    """The sign of ``m.grad`` at iteration 0, and what the update did with it."""
    grad = _first(result, "m_grad")
    sign = "negative" if grad < 0 else "positive" if grad > 0 else "zero"
    start = (_first(result, "m"), _first(result, "b"))
    # d loss / d m is minus the mean of the residuals weighted by the loop's x (x - mean(x) when centred):
    # its sign is the weighted residuals', not the residuals' own (they agree only while every x is positive).
    weights = data.x - np.mean(data.x) if result.config.center else data.x
    weighted = float(np.mean((data.y - (start[0] * data.x + start[1])) * weights))
    moved = result.outcome.final_m - start[0]
    x_name = "x - mean(x)" if result.config.center else "x"
    why = (
        f"torch computed `m.grad` = {grad:.3f} at iteration 0: {sign}. `m.grad` is minus the mean of the "
        f"residuals y - yhat, each weighted by its {x_name}, and at the starting line (m = {start[0]:g}, "
        f"b = {start[1]:g}) that weighted mean is {weighted:+.3g}. A larger m lifts the line where {x_name} is "
        f"positive and lowers it where it is negative, so here the loss falls as m "
        f"{'rises' if weighted > 0 else 'falls'}, and the gradient points the other way. The update subtracts "
        f"{result.config.lr:g} × `m.grad`: m moved by {moved:+.4f}."
    )
    prompt = "What sign will `m.grad` have at iteration 0?"
    return Question("grad_sign", prompt, ("negative", "zero", "positive"), sign, why)


def still_a_leaf(result: RunResult) -> Question:
    """Whether ``m`` is still a leaf after the first update, from the facts recorded after it."""
    after = next(f for f in result.facts if f.iteration == 0 and f.moment == "after update")
    answer = "Yes, still a leaf" if after.m.is_leaf else "No, no longer a leaf"
    why = f"After the update, torch reported `m.is_leaf` = {after.m.is_leaf}: `m` is {tensors.kind_of(after.m)}."
    prompt = "After this update, is `m` still a leaf tensor?"
    return Question("still_leaf", prompt, ("Yes, still a leaf", "No, no longer a leaf"), answer, why)


def next_iteration_error(looped: RunResult) -> Question:
    """What the same code raises once it is looped: the error of its second iteration, if any."""
    outcome = looped.outcome
    options = [RUNS_CLEANLY, "TypeError", "RuntimeError"]
    if outcome.status is Status.RAISED:
        error = outcome.error
        assert error is not None  # a raised run's outcome holds its error
        answer = error.type
        options += [answer] * (answer not in options)
        why = f"Looped, iteration {error.iteration} raised {error.type}: “{error.message}”. {_warned(looped)}"
    else:
        answer = RUNS_CLEANLY
        why = f"Looped, it ran {outcome.iterations_run:,} iterations without an error."
    prompt = "Looped, what happens at its second iteration?"
    return Question("next_iteration", prompt, tuple(options), answer, why.strip())


def _warned(result: RunResult) -> str:
    """What torch warned about before the error, in its own words (shortened)."""
    if not result.outcome.warnings:
        return ""
    warning = result.outcome.warnings[0]
    first = warning.message.split(". ")[0]
    return f"Before that, at iteration {warning.iteration}, torch warned ({warning.category}): “{first}.”"


SETTLES, KEEPS_MOVING = "Yes, it settles on the best line", "No, it never settles"


def settles(result: RunResult, data: Dataset) -> Question:
    """Whether the loop settles near the least-squares line: its verdict, with its last iterations' numbers."""
    best = least_squares(data)
    kind = verdict.verdict(result, data)
    answer = SETTLES if kind is Verdict.CONVERGED else KEEPS_MOVING
    run = verdict.measure(result, best)
    tail = result.trajectory["m"].to_numpy()[-run.tail :]
    worst = float(np.max(run.excess[-run.tail :]))
    why = (
        f"Over its last {len(tail):,} iterations m stayed between {tail.min():.3f} and {tail.max():.3f}, and the "
        f"loss was up to {verdict.how_far(worst)} (m = {best.m:.3f}, b = {best.b:.3f}): it {kind.phrase}."
    )
    if not result.config.zero_grad:
        grad = result.trajectory["m_grad"].abs().max()
        why += f" `.grad` was never reset, so each `backward()` added to it: |`m.grad`| reached {grad:,.1f}."
    return Question("settles", "Will this loop settle on a line?", (SETTLES, KEEPS_MOVING), answer, why)


# --- the closing check: each answer from runs of the variants the question is about ---------------

SAFE_UPDATE_PROMPT = "Outside `torch.no_grad()`, which update still trains `m` and `b`?"


def safe_update(outside: Mapping[str, RunResult]) -> Question:
    """Which update statement, run outside no_grad, finishes its loop: from one run of each."""
    working = [code for code, result in outside.items() if result.outcome.status is Status.FINISHED]
    answer = working[0] if len(working) == 1 else "none of these" if not working else " and ".join(working)
    lines = [f"`{code}` {_ended(result)}" for code, result in outside.items()]
    options = (*outside, *([answer] * (answer not in outside)))
    return Question("safe_update", SAFE_UPDATE_PROMPT, options, answer, "; ".join(lines) + ".")


def _ended(result: RunResult) -> str:
    outcome = result.outcome
    if outcome.status is Status.RAISED:
        assert outcome.error is not None  # a raised run's outcome holds its error
        return f"raised {outcome.error.type} at iteration {outcome.error.iteration}"
    return f"ran all {outcome.iterations_run:,} iterations"


ADDS, REPLACES = "`backward()` adds the new gradient to the old one", "`backward()` replaces the old gradient"


def without_zeroing(result: RunResult, data: Dataset) -> Question:
    """What ``backward()`` does to ``.grad`` when nothing resets it: from iteration 1 of such a run."""
    rows = result.trajectory
    m, b = float(rows["m"].iloc[1]), float(rows["b"].iloc[1])
    fresh = fresh_gradient(data, m, b, result.config.loss, center=result.config.center)
    held, before = float(rows["m_grad"].iloc[1]), float(rows["m_grad"].iloc[0])
    adds = abs(held - (before + fresh)) < abs(held - fresh)
    why = (
        f"At iteration 1 the fresh gradient at (m, b) is {fresh:.3f}, the old `.grad` was {before:.3f}, "
        f"and `m.grad` held {held:.3f}: {'their sum' if adds else 'the fresh one'}."
    )
    prompt = "Without `m.grad = None`, what happens to `.grad` at the next `backward()`?"
    options = (ADDS, REPLACES, "`backward()` raises an error")
    return Question("zeroing", prompt, options, ADDS if adds else REPLACES, why)


def fresh_gradient(data: Dataset, m: float, b: float, loss: Loss = Loss.RMSE, *, center: bool = False) -> float:
    """d loss / d m at (m, b), computed in float64 without torch: the gradient of one backward().

    ``(m, b)`` are in the original coordinates, as a run records them. A loop on centred x has the
    same residuals there, but its ``m`` multiplies ``x - mean(x)``: so does its gradient.
    """
    weights = data.x - np.mean(data.x) if center else data.x
    mse_grad = 2 * float(np.mean((m * data.x + b - data.y) * weights))
    return mse_grad if loss is Loss.MSE else mse_grad / (2 * rmse(data, m, b))  # d sqrt(u) = du / (2 sqrt(u))


REASSIGN_CHOICES = ("It trains as usual", "`m` stops requiring grad; the next `backward()` raises", "It raises at once")


def reassign_inside(result: RunResult) -> Question:
    """What ``m = m - lr*m.grad`` inside no_grad leads to: from a looped run of it."""
    outcome = result.outcome
    if outcome.status is not Status.RAISED:
        answer = REASSIGN_CHOICES[0]
    else:
        assert outcome.error is not None  # a raised run's outcome holds its error
        if outcome.error.statement is Statement.BACKWARD and outcome.error.iteration > 0:
            answer = REASSIGN_CHOICES[1]
        else:
            answer = REASSIGN_CHOICES[2]
    after = next((f for f in result.facts if f.iteration == 0 and f.moment == "after update"), None)
    why = "" if after is None else f"After the first update `m.requires_grad` was {after.m.requires_grad}. "
    why += f"The loop {_ended(result)}" + (f": “{outcome.error.message}”." if outcome.error else ".")
    prompt = "Inside `torch.no_grad()`, the update `m = m - lr*m.grad` (a reassignment)…"
    return Question("reassign_inside", prompt, REASSIGN_CHOICES, answer, why)


def score(questions: list[Question], choices: Mapping[str, str | None]) -> tuple[int, int]:
    """How many of the answered questions are right, and how many were answered."""
    answered = [(q, choice) for q in questions if (choice := choices.get(q.key)) is not None]
    return sum(q.graded(choice)[0] for q, choice in answered), len(answered)
