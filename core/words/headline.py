"""The outcome line: a run's verdict in one line where the eye is, and one sentence of why under it.

Coloured by the verdict (green only for converged), on the Lab, Compare, the Lesson and the
command line's ``--explain``. Every number is the run's own; the longer explanation below it is
``core.words.explain``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.lesson import text
from core.lesson.data import Dataset, least_squares
from core.lesson.drafts import LR_RANGE
from core.lesson.results import RunResult, Status
from core.lesson.text import figure
from core.measure import dynamics
from core.measure.verdict import (
    CONVERGED_WITHIN,
    STATEMENT_NAMES,
    Measured,
    Verdict,
    accumulated,
    final_loss,
    how_far,
    measure,
    verdict,
)
from core.words import explain


@dataclass(frozen=True)
class Said:
    """A run's verdict, its outcome line (markdown) and the one sentence of why under it."""

    verdict: Verdict
    headline: str
    why: str


def said(result: RunResult, data: Dataset, looped: RunResult | None = None) -> Said:
    """The verdict of ``result`` in words; ``looped`` (the same code as a loop) tells what a single step would do."""
    kind = verdict(result, data)
    if kind is Verdict.RAISED:
        assert result.outcome.error is not None  # a raised run's outcome holds its error
        return Said(kind, f"**{result.outcome.error.type} raised** at {_where(result)}.", explain.raised_why(result))
    if kind is Verdict.STOPPED:
        outcome, total = result.outcome, result.config.iterations
        return Said(
            kind,
            f"**Stopped** after {outcome.stopped_at:,} of {total:,} iterations.",
            "You stopped it before the end: run it to the end for its verdict.",
        )
    if kind is Verdict.ONE_STEP:
        return Said(kind, _one_step_line(result), _looped_why(looped, data))
    if result.outcome.status == Status.DIVERGED:
        return Said(kind, _overflowed_line(result), _diverged_why(result, data))
    run = measure(result, least_squares(data))
    return Said(kind, _finished_line(result, kind, run), _finished_why(result, data, kind, run))


def _where(result: RunResult) -> str:
    """Where a run raised: ``iteration 1, in the update of `m` and `b```."""
    error = result.outcome.error
    assert error is not None  # asked of raised runs only
    return f"iteration {error.iteration:,}, in {STATEMENT_NAMES[error.statement]}"


HEADWORDS = {
    Verdict.CONVERGED: "Converged",
    Verdict.DESCENDING: "Still descending",
    Verdict.OSCILLATING: "Oscillating, never settling",
    Verdict.DIVERGED: "Diverged",
}


def _finished_line(result: RunResult, kind: Verdict, run: Measured) -> str:
    """A finished loop's outcome line: the verdict, then where its loss ended against the best line's."""
    iterations = result.config.iterations
    if kind is Verdict.DIVERGED:
        closest = run.closest
        return (
            f"**Diverged**: the distance to the best line grew from {figure(run.distance[closest])} at iteration "
            f"{closest:,} to {figure(run.distance[-1])} after {iterations:,} iterations."
        )
    # The iterations are the settings' own (beside the line, and on every chart's axis): not said again.
    last_loss = final_loss(result)
    assert last_loss is not None  # a finished run's outcome holds its final loss
    loss = f"{result.config.loss.label} {figure(last_loss)}"
    return f"**{HEADWORDS[kind]}**: {loss}, {how_far(run.final_excess)}."


def _overflowed_line(result: RunResult) -> str:
    """The outcome line of a run whose loss stopped being a finite number."""
    values = result.trajectory["loss"].to_numpy()
    word = "not a number" if len(values) and np.isnan(values[-1]) else "infinite"
    return f"**Diverged** at iteration {result.outcome.stopped_at:,}: the loss became {word}."


def _one_step_line(result: RunResult) -> str:
    """Where a single step took m and b."""
    start, outcome = result.trajectory.iloc[0], result.outcome
    (m0, m1), (b0, b1) = explain.apart(float(start.m), outcome.final_m), explain.apart(float(start.b), outcome.final_b)
    return f"**One step**, no loop: `m` went from {m0} to {m1}, `b` from {b0} to {b1}."


def _looped_why(looped: RunResult | None, data: Dataset) -> str:
    """What the same code does as a loop, from its run."""
    if looped is None:
        return "It is one step: nothing repeats it, so nothing settles or fails yet."
    kind = verdict(looped, data)
    if kind is Verdict.RAISED:
        assert looped.outcome.error is not None  # a raised run's outcome holds its error
        return f"Looped, this code raises {looped.outcome.error.type} at {_where(looped)}."
    return f"Looped for {looped.config.iterations:,} iterations, this code {kind.phrase} ({kind})."


def _finished_why(result: RunResult, data: Dataset, kind: Verdict, run: Measured) -> str:
    """One sentence on why a finished loop ended as its verdict says."""
    config = result.config
    how = dynamics.mechanism(config, accumulated(result))
    if kind is Verdict.DIVERGED:
        return _diverged_why(result, data)
    if kind is Verdict.CONVERGED:
        if run.final_excess > CONVERGED_WITHIN:
            return "Its loss stopped changing short of the best line's: as close as float32 numbers get here."
        if dynamics.settles(config, data, how.accumulates) is None:
            return (
                f"Its loss stayed {how_far(float(np.max(run.excess[-run.tail :])))} over its last {run.tail - 1:,} "
                f"iterations, ending {figure(run.distance[-1])} from the least-squares (m, b)."
            )
        return f"It ends {figure(run.distance[-1])} from the least-squares (m, b)."
    if kind is Verdict.DESCENDING:
        if dynamics.settles(config, data, how.accumulates) is False:
            limit = dynamics.settling_limit(config, data)
            return (
                f"Still closing in, but the learning rate {config.lr:g} is above the stability limit {limit:.4g}: "
                "near the line the steps overshoot, so it will bounce instead of settling."
            )
        more = run.more_iterations()
        if more is None:
            return "Still closing in: more iterations get closer."
        return (
            f"Still closing in: at the rate of its last {run.tail - 1:,} iterations, about {more:,} more would bring "
            f"its loss {how_far(0)}."
        )
    if how.accumulates:
        named = "`optimizer.zero_grad()` is never called" if config.optimizer else "Gradients are never zeroed"
        return f"{named}: each step uses the sum of all past gradients."
    if how.never_settles:
        return "Momentum 1 with no dampening never fades: it swings past the minimum and back."
    limit = dynamics.settling_limit(config, data)
    if limit is not None and config.lr > limit:
        return (
            f"The learning rate {config.lr:g} is above the stability limit {limit:.4g}: each step overshoots the "
            "minimum."
        )
    return "Its loss no longer falls steadily: it goes up and down short of the best line's."


def _diverged_why(result: RunResult, data: Dataset) -> str:
    """One sentence on why a loop diverged, and its cure, from the mathematics of its update."""
    config = result.config
    how = dynamics.mechanism(config, accumulated(result))
    if how.accumulates and how.momentum:
        every = dynamics.grows(config.with_changes(lr=LR_RANGE[0]), data, True)  # the MSE's map, at the least rate
        return "Momentum on gradients that are never zeroed builds on itself: zeroing them is the cure" + (
            ", not a smaller rate." if every else "."
        )
    if how.accumulates:
        return (
            "Gradients never zeroed sum every step's gradient, and at this rate the swings grow: zeroing them is "
            "the cure."
        )
    if how.never_settles:
        return "Momentum 1 with no dampening never fades, and at this rate its swings grow."
    limit = dynamics.settling_limit(config, data)
    if limit is not None and config.lr > limit:
        return (
            f"The learning rate {config.lr:g} is above the stability limit {limit:.4g}: each step overshoots the "
            "minimum by more than the last."
        )
    return "Each step overshot by more than the last, until the numbers grew without bound."


def outcome_words(result: RunResult, data: Dataset, looped: RunResult | None = None) -> str:
    """The verdict, the outcome line and its why as plain lines: what ``python -m core --explain`` prints."""
    words = said(result, data, looped)
    return f"verdict: {words.verdict}\n{text.unmarked(words.headline)}\n{text.unmarked(words.why)}"
