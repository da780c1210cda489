"""What a run of the engine records while the lesson's statements run, outside them.

Each iteration's values before its update (the lesson's printed row), and at a few iterations
(``recorded_iterations``: the first ones, powers of ten, the last) the tensor facts and the
autograd graphs; the warnings torch emits; and the outcome. Only reads: it never changes a
tensor the loop uses, and reads a non-leaf's ``.grad`` without torch's warning (``peek_grad``).
"""

from __future__ import annotations

import math

import pandas as pd
import torch

from core.lesson.results import (
    GraphSnapshot,
    LessonError,
    LessonWarning,
    Outcome,
    ParamFacts,
    Statement,
    Status,
    TensorFacts,
    rows_array,
    trajectory_table,
)
from core.run.graph import autograd_graph

FACT_ITERATIONS = 3  # the tensor facts and graphs are recorded for this many first iterations, and
MILESTONES = (10, 100, 1_000, 10_000, 100_000)  # at these and the last: bounded, yet the step-through finds them


def recorded_iterations(total: int) -> frozenset[int]:
    """The iterations whose tensor facts and autograd graphs a run of ``total`` iterations records."""
    return frozenset(i for i in (*range(FACT_ITERATIONS), *MILESTONES, total - 1) if 0 <= i < total)


def peek_grad(tensor: torch.Tensor) -> torch.Tensor | None:
    """``tensor.grad`` without the warning torch gives when a non-leaf's grad is read.

    A non-leaf that does not retain its gradient never holds one, so this is what reading
    ``.grad`` returns, minus the warning that belongs to the lesson's own statements.
    """
    if tensor.is_leaf or tensor.retains_grad:
        return tensor.grad
    return None


def _param_facts(tensor: torch.Tensor, start_ptr: int) -> ParamFacts:
    """A parameter's facts now, its memory compared with where it started."""
    grad = peek_grad(tensor)
    return ParamFacts(
        is_leaf=tensor.is_leaf,
        requires_grad=tensor.requires_grad,
        grad_fn=type(tensor.grad_fn).__name__ if tensor.grad_fn is not None else None,
        grad_is_none=grad is None,
        grad=None if grad is None else grad.item(),
        data_ptr_changed=tensor.data_ptr() != start_ptr,
    )


class Watcher:
    """Collects what the engine records, outside the lesson's statements."""

    def __init__(self, m: torch.Tensor, b: torch.Tensor, caught: list, rows: list, x_mean=None):
        self.x_mean = x_mean  # the mean subtracted from x when it is centred, else None
        self.rows: list[tuple[int, float, float, float, float, float]] = rows
        self.facts: list[TensorFacts] = []
        self.graphs: list[GraphSnapshot] = []
        self.warnings: list[LessonWarning] = []
        self.caught = caught  # every warning the run's thread emitted, in order
        self.warnings_seen = 0
        self.start_ptrs = (m.data_ptr(), b.data_ptr())
        # The starting memory, held for the whole run: once `m.data = ...` frees it, the allocator
        # may hand its address to a later tensor, even m's next data, which would then read as the
        # same memory (about one run in 300 of the `.data` update, at some recorded iteration).
        self.start_memory = (m.untyped_storage(), b.untyped_storage())
        # The starting leaves by identity, to name them in graphs even after `m` is reassigned.
        # Holding them keeps their ids from being reused for the whole run.
        self.leaves = (m, b)
        self.names = {id(m): "m", id(b): "b"}

    def original_b(self, m, b) -> float:
        """``b`` in the original coordinates: ``b - m*mean(x)`` when x is centred, as the code computes it."""
        if self.x_mean is None:
            return b.item()
        with torch.no_grad():
            return (b - m * self.x_mean).item()

    def record_row(self, i, m, b, loss_value) -> None:
        """One trajectory row: the iteration's values before its update (b in the original coordinates)."""
        start_m, start_b = self.leaves
        # The starting leaves, still the loop's own m and b (most updates keep them): their .grad
        # is read as is, without peek_grad's two checks, at every iteration of the hot loop.
        m_grad = m.grad if m is start_m else peek_grad(m)
        b_grad = b.grad if b is start_b else peek_grad(b)
        self.rows.append(
            (
                i,
                m.item(),
                b.item() if self.x_mean is None else self.original_b(m, b),
                math.nan if m_grad is None else m_grad.item(),
                math.nan if b_grad is None else b_grad.item(),
                loss_value,
            )
        )

    def record_facts(self, i, moment, m, b, yhat, x, y) -> None:
        """The lesson's tensor facts at one moment of iteration ``i``."""
        m_dtype, x_dtype, yhat_dtype = (str(t.dtype).removeprefix("torch.") for t in (m, x, yhat))
        self.facts.append(
            TensorFacts(
                iteration=i,
                moment=moment,
                m=_param_facts(m, self.start_ptrs[0]),
                b=_param_facts(b, self.start_ptrs[1]),
                yhat_is_leaf=yhat.is_leaf,
                yhat_requires_grad=yhat.requires_grad,
                yhat_retains_grad=yhat.retains_grad,
                x_requires_grad=x.requires_grad,
                y_requires_grad=y.requires_grad,
                dtypes=(m_dtype, x_dtype, yhat_dtype),
            )
        )

    def record_loss_graph(self, i, loss) -> None:
        """The graph behind the loss, after backward."""
        self.graphs.append(GraphSnapshot(i, "loss", autograd_graph(loss, self.names, "loss")))

    def record_parameter_graphs(self, i, m, b) -> None:
        """The graph behind a parameter that the update turned into a non-leaf."""
        for name, tensor in (("m", m), ("b", b)):
            if tensor.grad_fn is not None:
                label = f"{name} after the update"
                self.graphs.append(GraphSnapshot(i, name, autograd_graph(tensor, self.names, label)))

    def collect_warnings(self, iteration: int) -> None:
        """The warnings caught since the last collection, as emitted during ``iteration``."""
        for w in self.caught[self.warnings_seen :]:
            self.warnings.append(LessonWarning(w.category.__name__, str(w.message), iteration))
        self.warnings_seen = len(self.caught)

    def ended(self, status: Status, m, b, **details) -> Outcome:
        """The outcome of a run that ended with ``status`` at parameters ``m`` and ``b``."""
        return Outcome(
            status=status,
            iterations_run=len(self.rows),
            final_m=m.item(),
            final_b=self.original_b(m, b),
            warnings=tuple(self.warnings),
            **details,
        )

    def raised(self, iteration: int, m, b, statement: Statement, error: Exception) -> Outcome:
        """The outcome of a run whose ``statement`` raised ``error``."""
        self.collect_warnings(iteration)
        lesson_error = LessonError(type(error).__name__, str(error), iteration, statement)
        return self.ended(Status.RAISED, m, b, error=lesson_error, leaf_grads=self.leaf_grads(m))

    def leaf_grads(self, m) -> tuple[float | None, float | None] | None:
        """The starting leaves' ``.grad`` once the loop's ``m`` is another tensor: where a backward() through
        the recorded update still sends its gradient (None while ``m`` is still the starting leaf)."""
        if m is self.leaves[0]:
            return None
        m_grad, b_grad = (None if leaf.grad is None else leaf.grad.item() for leaf in self.leaves)
        return m_grad, b_grad

    def trajectory(self) -> pd.DataFrame:
        """The recorded rows as a table with the lesson's dtypes."""
        return trajectory_table(rows_array(self.rows))
