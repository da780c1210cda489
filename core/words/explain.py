"""What a run did, in the lesson's words: the longer explanation under the verdict, and a guess graded.

Every sentence here that states a fact about a tensor (a leaf or not, requires grad, its
``grad_fn``, its memory, a ``.grad`` of None, the error) is built from what the run recorded
(``RunResult.facts`` and ``RunResult.outcome``), not from the configuration; the configuration
only names the code that ran. What a finished loop did (converged, descending, oscillating,
diverged) is ``core.measure.verdict``'s, from its trajectory and the mathematics of its update
(``core.measure.dynamics``). tests/test_explain_facts.py and tests/test_verdict.py walk the switches and
the regimes and check each sentence against the records of its run. What the tensor facts themselves
say (``m`` after an update, ``yhat``) is ``core.words.tensors``'.
"""

from __future__ import annotations

import numpy as np

from core.lesson.data import Dataset, least_squares
from core.lesson.drafts import LR_RANGE, LoopConfig, Loss
from core.lesson.results import RunResult, Statement, Status
from core.lesson.text import figure
from core.measure import analysis, dynamics, verdict
from core.measure.verdict import Measured, Verdict
from core.words.tensors import after_first_update, kind_of, update_code

SLOW_CONDITION = 30  # a valley this many times steeper across than along makes plain descent crawl


def explanation(result: RunResult, data: Dataset) -> str:
    """A few sentences on why the run ended as it did, below its verdict."""
    outcome = result.outcome
    if outcome.status == Status.RAISED:
        return raised_explanation(result)
    if outcome.status == Status.STOPPED:
        return f"The run was stopped at iteration {outcome.stopped_at:,}."
    kind = verdict.verdict(result, data)
    if kind is Verdict.ONE_STEP:
        return f"{_one_step(result)} {after_first_update(result)}".strip()
    if outcome.status == Status.DIVERGED:
        return " ".join(p for p in (_overflowed(result), growth(result, data), cure(result, data)) if p)
    run = verdict.measure(result, least_squares(data))
    return {
        Verdict.CONVERGED: _converged,
        Verdict.DESCENDING: _descending,
        Verdict.OSCILLATING: _oscillating,
        Verdict.DIVERGED: _diverged,
    }[kind](result, data, run)


def apart(first: float, second: float) -> tuple[str, str]:
    """Two numbers with as many digits (4 to 8) as it takes to tell them apart."""
    digits = next((d for d in range(4, 9) if f"{first:.{d}g}" != f"{second:.{d}g}"), 8)
    return f"{first:.{digits}g}", f"{second:.{digits}g}"


def _one_step(result: RunResult) -> str:
    """Where the single step took m and b, from the values recorded before and after it."""
    start, outcome = result.trajectory.iloc[0], result.outcome
    (m_from, m_to), (b_from, b_to) = apart(start.m, outcome.final_m), apart(start.b, outcome.final_b)
    return f"The single step moved `m` from {m_from} to {m_to} and `b` from {b_from} to {b_to}."


def _converged(result: RunResult, data: Dataset, run: Measured) -> str:
    """A loop that reached the line: how close, in the loss and in (m, b)."""
    best = least_squares(data)
    return (
        f"The loop reached the least-squares line: its loss is {verdict.how_far(run.final_excess)}, and (m, b) "
        f"ends {figure(run.distance[-1])} from the least-squares (m, b) = ({figure(best.m)}, {figure(best.b)})."
    )


def _descending(result: RunResult, data: Dataset, run: Measured) -> str:
    """A loop still on its way: what more iterations, or another rate, would do."""
    config = result.config
    now = verdict.how_far(run.final_excess)
    parts = [f"After {config.iterations:,} iterations the loss is {now} and still falling."]
    how = dynamics.mechanism(config, verdict.accumulated(result))
    if dynamics.settles(config, data, how.accumulates) is False:
        parts.append(f"{limit_words(result, data)} Once near the line it will bounce around it instead of settling.")
    elif how.momentum == 0 and not how.accumulates:
        parts.append(f"More iterations get closer. {_faster(config, data)}")
    else:
        parts.append("More iterations get closer.")
    return " ".join(part for part in parts if part)


def _faster(config: LoopConfig, data: Dataset) -> str:
    """How far a larger learning rate helps plain gradient descent, and why it is slow, from the loss's Hessian."""
    if config.loss is Loss.RMSE and least_squares(data).rmse == 0:
        return ""
    low, high = np.linalg.eigvalsh(analysis.hessian_at_optimum(data, config.loss, config.center))
    fastest, limit, ratio = 2 / (low + high), 2 / high, high / low
    words = (
        f"A larger learning rate gets there sooner only up to about {fastest:.4g}, where the steepest and the "
        f"flattest directions of the loss shrink equally fast; above {limit:.4g}, the stability limit, it no longer "
        "settles at all."
    )
    if ratio >= SLOW_CONDITION:
        return (
            f"{words} The slowness is the loss's shape: it curves {ratio:,.0f} times more across its valley than "
            "along it (the condition number of its Hessian), so a rate small enough for the steep direction crawls "
            "along the flat one."
        )
    return f"{words} Here the valley curves only {ratio:.3g} times more across than along it, so that rate is quick."


ACCUMULATION = (
    "Gradients are never zeroed: PyTorch adds each `backward()`'s gradient into `.grad`, so every step "
    "uses the sum of all past gradients"
)


def _oscillating(result: RunResult, data: Dataset, run: Measured) -> str:
    """A loop that swings without settling: gradients summed, momentum that never fades, or too large a rate."""
    config = result.config
    how = dynamics.mechanism(config, verdict.accumulated(result))
    ranges = _ranges(result, run)
    if how.accumulates:
        named = "`optimizer.zero_grad()` is never called. " if config.optimizer else ""
        linear = ""
        if config.loss is Loss.MSE and how.momentum == 0:
            linear = (
                " For the MSE the update is linear, and with the gradients summed every eigenvalue of its map lies "
                "on the unit circle: the swings neither die out nor grow."
            )
        return (
            f"{named}{ACCUMULATION}, and `m` and `b` swing past the minimum and back: {ranges}.{linear} No "
            "learning rate makes it settle; zeroing the gradients does."
        )
    if how.never_settles:
        return (
            "Momentum 1 with no dampening keeps every past gradient at full weight, as gradients never zeroed do: "
            f"`m` and `b` swing past the minimum and back: {ranges}."
        )
    if dynamics.settles(config, data, False) is False:
        return (
            "The steps overshoot the minimum, and `m` and `b` go back and forth around it instead of settling. "
            f"{limit_words(result, data)} {ranges[0].upper()}{ranges[1:]}."
        )
    return f"The loss has stopped falling steadily: {ranges}."


def _ranges(result: RunResult, run: Measured) -> str:
    """Where m, b and the loss stayed over the measured tail, in numbers."""
    tail = result.trajectory.tail(run.tail)
    m = np.append(tail["m"].to_numpy(), result.outcome.final_m)
    b = np.append(tail["b"].to_numpy(), result.outcome.final_b)
    worst = float(np.max(run.excess[-run.tail :]))
    return (
        f"over the last {len(tail):,} iterations `m` went between {_between(m)}, `b` between {_between(b)}, and "
        f"the loss up to {verdict.how_far(worst)}"
    )


def _between(values: np.ndarray) -> str:
    """The two ends of a range of values, told apart."""
    return " and ".join(apart(float(values.min()), float(values.max())))


def _diverged(result: RunResult, data: Dataset, run: Measured) -> str:
    """A finished loop whose distance to the line grows: how fast, from when, and the cure."""
    closest = run.closest
    measured = (
        f"It came closest to the least-squares line at iteration {closest:,} ({figure(run.distance[closest])} away) "
        f"and ended {figure(run.distance[-1])} away, with `m` = {figure(result.outcome.final_m)}."
    )
    return " ".join(p for p in (growth(result, data), measured, cure(result, data)) if p)


def _overflowed(result: RunResult) -> str:
    return (
        f"The loss became infinite or not a number at iteration {result.outcome.stopped_at:,}: the steps grew until "
        "the numbers overflowed."
    )


def growth(result: RunResult, data: Dataset) -> str:
    """For the MSE, the factor its update multiplies the distance by; empty where no linear map applies."""
    if not dynamics.grows(result.config, data, verdict.accumulated(result)):
        return ""
    radius = dynamics.spectral_radius(result.config, data, verdict.accumulated(result))
    return (
        f"The MSE's gradient is linear in `m` and `b`, so each iteration multiplies the distance to the least-squares "
        f"line by up to {radius:.4g} (the largest eigenvalue, in size, of the update's map): above 1, it grows "
        "without end."
    )


def cure(result: RunResult, data: Dataset) -> str:
    """What would make this loop settle, from the mathematics of its update."""
    config = result.config
    how = dynamics.mechanism(config, verdict.accumulated(result))
    if how.accumulates and how.momentum and dynamics.grows(config.with_changes(lr=LR_RANGE[0]), data, True):
        return (
            f"No smaller learning rate helps: momentum on gradients that are never zeroed grows at every rate, down "
            f"to {LR_RANGE[0]:g}. The cure is zeroing the gradients."
        )
    if how.accumulates and how.momentum == 0:
        return (
            "A smaller learning rate only keeps the swings bounded: with the gradients never zeroed no rate settles. "
            "The cure is zeroing them."
        )
    if how.accumulates:
        zeroed = dynamics.settles(config.with_changes(zero_grad=True), data)
        then = " With them zeroed, this learning rate settles." if zeroed else ""
        return f"The cure is zeroing the gradients: `.grad` carried over builds a velocity that never fades.{then}"
    if how.never_settles:
        return "No learning rate settles momentum 1 without dampening; momentum below 1 does."
    limit = dynamics.settling_limit(config, data)
    if limit is not None and config.lr > limit:
        return f"A learning rate below {limit:.4g}, this loop's stability limit, settles.{_mse_factor(config, data)}"
    return ""


def limit_words(result: RunResult, data: Dataset | None) -> str:
    """The learning rate against the loop's stability limit, in words; empty without the data or a limit."""
    config = result.config
    limit = dynamics.settling_limit(config, data) if data is not None else None
    if data is None or limit is None:
        return ""
    side = "above" if config.lr > limit else "below"
    how = dynamics.mechanism(config)
    formula = "2" if how.momentum == 0 else f"2 (1 + {how.momentum:g}) for momentum {how.momentum:g}"
    words = (
        f"The learning rate {config.lr:g} is {side} this loop's stability limit, {limit:.4g} ({formula} / the "
        "largest eigenvalue of the loss's Hessian at the least-squares line): the largest rate at which it can "
        "settle there."
    )
    return f"{words}{_mse_factor(config, data)}"


def _mse_factor(config: LoopConfig, data: Dataset) -> str:
    """Why the MSE's limit is smaller than the RMSE's: its Hessian at the line is 2 RMSE times the RMSE's."""
    rmse = least_squares(data).rmse
    if config.loss is not Loss.MSE or rmse == 0:
        return ""
    return (
        f" The MSE curves {2 * rmse:.3g} times (2 × the best line's RMSE) as much as the RMSE does at the line, so "
        "its limit is that many times smaller."
    )


# --- errors, in words ------------------------------------------------------------------------------


def _where_the_gradient_went(result: RunResult) -> str:
    """Where backward() sent the gradient once `m` was a new tensor: into the starting leaf, through the
    recorded update (from the starting leaf's ``.grad`` recorded when the run raised)."""
    grads, rows = result.outcome.leaf_grads, result.trajectory["m_grad"].to_numpy()
    if grads is None or grads[0] is None or not len(rows) or not np.isfinite(rows[0]):
        return ""
    added = grads[0] - float(rows[0])
    if added == 0:
        return ""
    return (
        f"The gradient did not vanish: `backward()` followed the recorded update back to the `m` the loop started "
        f"with, a leaf, whose `.grad` became {grads[0]:.5g} (the first backward()'s {rows[0]:.5g} plus {added:.5g})."
    )


def raised_why(result: RunResult) -> str:
    """Why the run raised, in one sentence, from the facts recorded last before the error."""
    error = result.outcome.error
    assert error is not None  # asked of raised runs only
    last = result.facts[-1] if result.facts else None
    m = last.m if last is not None else None
    if (error.statement, error.type) == (Statement.UPDATE, "RuntimeError") and m and m.is_leaf and m.requires_grad:
        return "`m` is a leaf that requires grad, and PyTorch forbids changing one in place while autograd records."
    if (error.statement, error.type) == (Statement.UPDATE, "TypeError") and m and not m.is_leaf and m.grad_is_none:
        return "The new `m` is not a leaf, so `backward()` left its `.grad` as `None`, and `lr*None` fails."
    if (error.statement, error.type) == (Statement.BACKWARD, "RuntimeError") and m and not m.requires_grad:
        return "The new `m` is a leaf that does not require grad, so `backward()` has nothing to differentiate."
    return f"The `{error.statement}` statement raised it; PyTorch's message is below."


def raised_explanation(result: RunResult) -> str:
    """Why the run raised, with each fact about `m` read from the facts recorded last before the error."""
    error = result.outcome.error
    assert error is not None  # asked of raised runs only
    last = result.facts[-1] if result.facts else None
    m = last.m if last is not None else None
    code = update_code(result.config)
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
            f"{error.iteration} `m.grad` is `None`{warned} and `lr*None` raises TypeError: Python's own error for "
            f"multiplying a number by `None`, not PyTorch's. {_where_the_gradient_went(result)}"
        ).strip()
    if (error.statement, error.type) == (Statement.BACKWARD, "RuntimeError") and m and not m.requires_grad:
        assert last is not None  # m was read from it
        untracked = not (last.x_requires_grad or last.y_requires_grad)
        inputs = ", and `x` and `y` do not require grad either" if untracked else ""
        return (
            f"The previous update, {code}, made a new `m` from the old one, and that new `m` is {kind_of(m)}"
            f"{inputs}. So the loss at iteration {error.iteration} is computed from tensors autograd is not "
            "tracking, and `loss.backward()` has nothing to differentiate: it raises RuntimeError."
        )
    return f"The `{error.statement}` statement raised {error.type} at iteration {error.iteration}."


def graded_guess(guess: Verdict, result: RunResult, data: Dataset, looped: RunResult | None = None) -> tuple[str, str]:
    """A prediction graded by what torch did to the code as written: ("right" | "partly" | "wrong", the words).

    ``looped`` is the same code run as a loop, for a single step: an error it raises at its next
    iteration makes "raises an error" partly right.
    """
    actual = verdict.verdict(result, data)
    if guess == actual:
        return "right", f"Right: it {actual.phrase}."
    if looped is not None and guess == verdict.verdict(looped, data) == Verdict.RAISED:
        error = looped.outcome.error
        assert error is not None  # a raised run's outcome holds its error
        return "partly", (
            f"Not as written: the code is a single step, and it runs; it {actual.phrase}. But put it in a loop and "
            f"the next iteration raises {error.type} (at iteration {error.iteration}), as shown below."
        )
    return "wrong", f"Not quite: you said it {guess.phrase}; it {actual.phrase}."


def summary(result: RunResult) -> str:
    """The outcome in a few words, for a table row or a chart mark."""
    outcome = result.outcome
    if outcome.status == Status.RAISED:
        assert outcome.error is not None  # a raised run's outcome holds its error
        return f"{outcome.error.type} at iteration {outcome.error.iteration} ({outcome.error.statement})"
    if outcome.status in (Status.DIVERGED, Status.STOPPED):
        return f"{outcome.status} at iteration {outcome.stopped_at:,}"
    return f"finished {result.config.iterations:,} iteration{'s' * (result.config.iterations > 1)}"
