"""What a run of the lesson's loop returns: plain data, no torch, safe to cache, pickle and send.

The engine (``core.run.engine``) fills these in; the pages, the charts and the worker pool read
them without importing torch.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from core.lesson.drafts import LoopConfig
from core.lesson.graph import AutogradGraph

COLUMNS = ["iteration", "m", "b", "m_grad", "b_grad", "loss"]
# How often a run in progress is sent by its worker and drawn by the page: each frame costs a
# message and a redraw, and four a second reads as motion.
FRAME_SECONDS = 0.25


def rows_array(rows: Sequence[tuple]) -> np.ndarray:
    """Trajectory rows (tuples of the ``COLUMNS``' values) as one float64 array, a row each.

    The values are Python floats already, so float64 holds each exactly; iterations too.
    ``fromiter`` over the flattened rows takes two thirds of ``np.array``'s time on tuples.
    """
    flat = itertools.chain.from_iterable(rows)
    return np.fromiter(flat, dtype=np.float64, count=len(rows) * len(COLUMNS)).reshape(-1, len(COLUMNS))


def trajectory_table(values: np.ndarray) -> pd.DataFrame:
    """A ``rows_array`` as the trajectory table, with the lesson's dtypes."""
    # Read column by column: half the time pandas takes over a list of tuples.
    frame = pd.DataFrame({name: values[:, k] for k, name in enumerate(COLUMNS)})
    return frame.astype({"iteration": "int64"})


class Statement(StrEnum):
    """The lesson's statement that raised, in the loop's order."""

    FORWARD = "forward"  # yhat = m*x + b
    LOSS = "loss"  # loss = torch.sqrt(torch.mean((yhat - y)**2))
    BACKWARD = "backward"  # loss.backward()
    UPDATE = "update"  # m -= lr*m.grad, written as configured
    STEP = "step"  # optimizer.step(): the update with torch.optim.SGD
    ZEROING = "zeroing"  # m.grad = None, or optimizer.zero_grad()


@dataclass(frozen=True)
class LessonError:
    """An exception raised by one of the lesson's statements, as torch worded it."""

    type: str
    message: str
    iteration: int
    statement: Statement

    def __post_init__(self) -> None:
        """A statement given by its name ("update") becomes the Statement it names."""
        object.__setattr__(self, "statement", Statement(self.statement))


@dataclass(frozen=True)
class LessonWarning:
    """A warning emitted by one of the lesson's statements."""

    category: str
    message: str
    iteration: int


class Status(StrEnum):
    """How a run ended."""

    FINISHED = "finished"  # every iteration ran
    RUNNING = "running"  # still going: what has run so far (a live frame, never a final result)
    RAISED = "raised"  # one of the lesson's statements raised (see Outcome.error)
    DIVERGED = "diverged"  # the loss stopped being a finite number
    STOPPED = "stopped"  # the caller's on_step asked to stop


@dataclass(frozen=True)
class Outcome:
    """How a run ended: finished, raised, diverged or stopped (by the caller)."""

    status: Status
    iterations_run: int  # iterations whose forward and backward passes completed
    final_m: float
    final_b: float
    final_loss: float | None = None  # RMSE at the final (m, b) after the last update, whatever the loss minimised
    error: LessonError | None = None
    warnings: tuple[LessonWarning, ...] = ()
    stopped_at: int | None = None  # the iteration that diverged or was stopped
    # The starting leaves' (m.grad, b.grad) when a loop that reassigned m raised: where backward() still
    # sends the gradient through the recorded update (None when m stayed that leaf).
    leaf_grads: tuple[float | None, float | None] | None = None

    def __post_init__(self) -> None:
        """A status given by its name ("finished") becomes the Status it names."""
        object.__setattr__(self, "status", Status(self.status))

    @property
    def finished(self) -> bool:
        """Whether every iteration ran."""
        return self.status == Status.FINISHED

    def last_line(self) -> str:
        """The run's last printed line, as the command line prints it."""
        if self.status == Status.RAISED:
            assert self.error is not None  # a raised run's outcome holds its error
            return f"{self.error.type}: {self.error.message} (iteration {self.error.iteration})"
        if self.status in (Status.DIVERGED, Status.STOPPED):
            return f"{self.status} at iteration {self.stopped_at}"
        return f"(m, b) = ({self.final_m!r}, {self.final_b!r})"


@dataclass(frozen=True)
class ParamFacts:
    """What the lesson asks of a parameter tensor at one moment."""

    is_leaf: bool
    requires_grad: bool
    grad_fn: str | None
    grad_is_none: bool
    grad: float | None
    data_ptr_changed: bool


@dataclass(frozen=True)
class TensorFacts:
    """The lesson's tensor facts at one moment of one iteration."""

    iteration: int
    moment: str  # "before update" (after backward) or "after update" (after any zeroing)
    m: ParamFacts
    b: ParamFacts
    yhat_is_leaf: bool
    yhat_requires_grad: bool
    yhat_retains_grad: bool
    x_requires_grad: bool
    y_requires_grad: bool
    # The dtypes torch reported ("float32"): m and x as made, yhat (and so the loss) by type promotion.
    dtypes: tuple[str, str, str] = ("", "", "")  # (m, x, yhat)


@dataclass(frozen=True)
class GraphSnapshot:
    """The autograd graph behind a tensor at one moment of one iteration."""

    iteration: int
    what: str  # "loss": the loss after backward; "m" or "b": a parameter that is no longer a leaf, after the update
    graph: AutogradGraph

    @property
    def dot(self) -> str:
        """The graph as the DOT text the page draws."""
        return self.graph.dot()


@dataclass(frozen=True)
class RunResult:
    """Plain data about one run: no torch objects, safe to cache and to pickle."""

    config: LoopConfig
    trajectory: pd.DataFrame
    outcome: Outcome
    facts: tuple[TensorFacts, ...] = field(default=())
    graphs: tuple[GraphSnapshot, ...] = field(default=())
