"""Run the lesson's loop with real PyTorch for a configuration and return what happened.

The lesson's statements run exactly as the code panel shows them (see ``core.source``); the
engine only watches: it records each iteration's values before the update, the tensor facts and
autograd graphs of the first iterations, the warnings torch emits, and where a statement raised.
Only the lesson's statements are guarded, so a bug in the engine itself still fails loudly.

With ``config.optimizer`` the update and the zeroing are ``torch.optim.SGD``'s own
``optimizer.step()`` and ``optimizer.zero_grad()``; everything else is the same loop.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from core import warning_capture
from core.data import Dataset, load_builtin
from core.drafts import LoopConfig, Update
from core.graph import graph_dot

COLUMNS = ["iteration", "m", "b", "m_grad", "b_grad", "loss"]
FACT_ITERATIONS = 3  # the tensor facts are recorded for this many first iterations
GRAPH_ITERATIONS = 2  # the autograd graphs are recorded for this many (no more than FACT_ITERATIONS)

# Called after each iteration with (iteration, total); returning True stops the run there.
OnStep = Callable[[int, int], bool | None]


@dataclass(frozen=True)
class LessonError:
    """An exception raised by one of the lesson's statements, as torch worded it."""

    type: str
    message: str
    iteration: int
    statement: str  # setup, forward, loss, backward, update (step with the optimizer) or zeroing


@dataclass(frozen=True)
class LessonWarning:
    """A warning emitted by one of the lesson's statements."""

    category: str
    message: str
    iteration: int


@dataclass(frozen=True)
class Outcome:
    """How a run ended: finished, raised, diverged or stopped (by the caller)."""

    status: str
    iterations_run: int  # iterations whose forward and backward passes completed
    final_m: float
    final_b: float
    final_loss: float | None = None  # RMSE at the final (m, b), for a finished run
    error: LessonError | None = None
    warnings: tuple[LessonWarning, ...] = ()
    stopped_at: int | None = None  # the iteration that diverged or was stopped

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    def last_line(self) -> str:
        """The run's last printed line, as the command line prints it."""
        if self.status == "raised":
            return f"{self.error.type}: {self.error.message} (iteration {self.error.iteration})"
        if self.status == "diverged":
            return f"diverged at iteration {self.stopped_at}"
        if self.status == "stopped":
            return f"stopped at iteration {self.stopped_at}"
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


@dataclass(frozen=True)
class GraphSnapshot:
    """The autograd graph behind a tensor at one moment of one iteration, as DOT text."""

    iteration: int
    what: str  # "loss": the loss after backward; "m" or "b": a parameter that is no longer a leaf, after the update
    dot: str


@dataclass(frozen=True)
class RunResult:
    """Plain data about one run: no torch objects, safe to cache and to pickle."""

    config: LoopConfig
    trajectory: pd.DataFrame
    outcome: Outcome
    facts: tuple[TensorFacts, ...] = field(default=())
    graphs: tuple[GraphSnapshot, ...] = field(default=())


def _update_in_place(m, b, lr):
    m -= lr * m.grad
    b -= lr * b.grad
    return m, b


def _update_reassign(m, b, lr):
    m = m - lr * m.grad
    b = b - lr * b.grad
    return m, b


def _update_data(m, b, lr):
    m.data = m - lr * m.grad
    b.data = b - lr * b.grad
    return m, b


_UPDATES = {Update.IN_PLACE: _update_in_place, Update.REASSIGN: _update_reassign, Update.DATA: _update_data}

# What follows backward() in one iteration: (statement, function of (m, b) returning the new (m, b)).
Phases = list[tuple[str, Callable]]


def _zero_grads(m, b):
    m.grad = None  # zero out the gradients
    b.grad = None
    return m, b


def _manual_phases(config: LoopConfig) -> Phases:
    """The lesson's hand-written update, wrapped in no_grad or not, then the zeroing if any."""
    update, lr = _UPDATES[config.update], config.lr
    wrap = torch.no_grad if config.no_grad else contextlib.nullcontext

    def update_phase(m, b):
        with wrap():
            return update(m, b, lr)

    return [("update", update_phase)] + ([("zeroing", _zero_grads)] if config.zero_grad else [])


def _sgd_phases(config: LoopConfig, optimizer: torch.optim.Optimizer) -> Phases:
    """torch.optim.SGD's step, then its zero_grad() unless forgotten: m and b stay the same tensors."""

    def step(m, b):
        optimizer.step()
        return m, b

    def zeroing(m, b):
        optimizer.zero_grad()  # sets .grad to None, as the lesson does by hand
        return m, b

    return [("step", step)] + ([("zeroing", zeroing)] if config.zero_grad else [])


def peek_grad(tensor: torch.Tensor) -> torch.Tensor | None:
    """``tensor.grad`` without the warning torch gives when a non-leaf's grad is read.

    A non-leaf that does not retain its gradient never holds one, so this is what reading
    ``.grad`` returns, minus the warning that belongs to the lesson's own statements.
    """
    if tensor.is_leaf or tensor.retains_grad:
        return tensor.grad
    return None


def _param_facts(tensor: torch.Tensor, start_ptr: int) -> ParamFacts:
    grad = peek_grad(tensor)
    return ParamFacts(
        is_leaf=tensor.is_leaf,
        requires_grad=tensor.requires_grad,
        grad_fn=type(tensor.grad_fn).__name__ if tensor.grad_fn is not None else None,
        grad_is_none=grad is None,
        grad=None if grad is None else grad.item(),
        data_ptr_changed=tensor.data_ptr() != start_ptr,
    )


class _Watcher:
    """Collects what the engine records, outside the lesson's statements."""

    def __init__(self, iterations: int, m: torch.Tensor, b: torch.Tensor):
        self.rows: list[tuple[int, float, float, float, float, float]] = []
        self.facts: list[TensorFacts] = []
        self.graphs: list[GraphSnapshot] = []
        self.warnings: list[LessonWarning] = []
        self.warnings_seen = 0
        self.iterations = iterations
        # The starting leaves by identity, to name them in graphs even after `m` is reassigned.
        # Holding them keeps their ids from being reused for the whole run.
        self.leaves = (m, b)
        self.names = {id(m): "m", id(b): "b"}

    def record_row(self, i, m, b, loss_value) -> None:
        m_grad, b_grad = peek_grad(m), peek_grad(b)
        self.rows.append(
            (
                i,
                m.item(),
                b.item(),
                math.nan if m_grad is None else m_grad.item(),
                math.nan if b_grad is None else b_grad.item(),
                loss_value,
            )
        )

    def record_facts(self, i, moment, m, b, yhat, x, y, start_ptrs) -> None:
        self.facts.append(
            TensorFacts(
                iteration=i,
                moment=moment,
                m=_param_facts(m, start_ptrs[0]),
                b=_param_facts(b, start_ptrs[1]),
                yhat_is_leaf=yhat.is_leaf,
                yhat_requires_grad=yhat.requires_grad,
                yhat_retains_grad=yhat.retains_grad,
                x_requires_grad=x.requires_grad,
                y_requires_grad=y.requires_grad,
            )
        )

    def record_loss_graph(self, i, loss) -> None:
        self.graphs.append(GraphSnapshot(i, "loss", graph_dot(loss, self.names, "loss")))

    def record_parameter_graphs(self, i, m, b) -> None:
        """The graph behind a parameter that the update turned into a non-leaf."""
        for name, tensor in (("m", m), ("b", b)):
            if tensor.grad_fn is not None:
                label = f"{name} after the update"
                self.graphs.append(GraphSnapshot(i, name, graph_dot(tensor, self.names, label)))

    def collect_warnings(self, caught: list, iteration: int) -> None:
        for w in caught[self.warnings_seen :]:
            self.warnings.append(LessonWarning(w.category.__name__, str(w.message), iteration))
        self.warnings_seen = len(caught)

    def trajectory(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows, columns=COLUMNS)
        return frame.astype({"iteration": "int64"})


def _rmse(m: torch.Tensor, b: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return torch.sqrt(torch.mean((m * x + b - y) ** 2)).item()


def run(config: LoopConfig, data: Dataset | None = None, on_step: OnStep | None = None) -> RunResult:
    """Run the lesson's loop for ``config`` on ``data`` (default: the configured built-in)."""
    if data is None:
        data = load_builtin(config.dataset)
    if data.key != config.dataset:
        raise ValueError(f"configuration is for dataset {config.dataset!r}, not {data.key!r}")
    # Writable copies: torch.from_numpy warns about read-only arrays, and the cached ones are.
    screentime, sleep = np.array(data.x), np.array(data.y)
    with warning_capture.recording() as caught:
        m = torch.tensor([config.m0], requires_grad=True, dtype=torch.float32)
        b = torch.tensor([config.b0], requires_grad=True, dtype=torch.float32)
        x = torch.from_numpy(screentime)
        y = torch.from_numpy(sleep)
        if config.optimizer:
            optimizer = torch.optim.SGD([m, b], lr=config.lr)
            phases = _sgd_phases(config, optimizer)
        else:
            phases = _manual_phases(config)
        watcher = _Watcher(config.iterations, m, b)
        state = _loop(config, watcher, caught, m, b, x, y, phases, on_step)
    return RunResult(
        config=config,
        trajectory=watcher.trajectory(),
        outcome=state,
        facts=tuple(watcher.facts),
        graphs=tuple(watcher.graphs),
    )


def _loop(config, watcher, caught, m, b, x, y, phases: Phases, on_step) -> Outcome:
    """The lesson's loop, watched. Returns the outcome."""
    start_ptrs = (m.data_ptr(), b.data_ptr())
    total = config.iterations
    for i in range(total):
        statement = "forward"
        try:
            yhat = m * x + b
            statement = "loss"
            loss = torch.sqrt(torch.mean((yhat - y) ** 2))  # root mean square error
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                watcher.collect_warnings(caught, i)
                return _ended("diverged", watcher, m, b, stopped_at=i)
            statement = "backward"
            loss.backward()  # reverse-mode differentiation
        except Exception as error:  # a lesson statement raised: that is the lesson's outcome
            return _raised(watcher, caught, m, b, i, statement, error)
        watcher.record_row(i, m, b, loss_value)
        if i < FACT_ITERATIONS:  # the first iterations only: the hot loop stays bare
            watcher.record_facts(i, "before update", m, b, yhat, x, y, start_ptrs)
            if i < GRAPH_ITERATIONS:
                watcher.record_loss_graph(i, loss)
        try:
            for statement, phase in phases:  # the update (or step), then the zeroing if any
                m, b = phase(m, b)
        except Exception as error:
            return _raised(watcher, caught, m, b, i, statement, error)
        if i < FACT_ITERATIONS:
            watcher.record_facts(i, "after update", m, b, yhat, x, y, start_ptrs)
            if i < GRAPH_ITERATIONS:
                watcher.record_parameter_graphs(i, m, b)
        if len(caught) > watcher.warnings_seen:
            watcher.collect_warnings(caught, i)
        if on_step is not None and on_step(i, total):
            return _ended("stopped", watcher, m, b, stopped_at=i + 1)
    return _ended("finished", watcher, m, b, final_loss=_rmse(m, b, x, y))


def _ended(status: str, watcher: _Watcher, m, b, **details) -> Outcome:
    return Outcome(
        status=status,
        iterations_run=len(watcher.rows),
        final_m=m.item(),
        final_b=b.item(),
        warnings=tuple(watcher.warnings),
        **details,
    )


def _raised(watcher: _Watcher, caught, m, b, iteration: int, statement: str, error: Exception) -> Outcome:
    watcher.collect_warnings(caught, iteration)
    lesson_error = LessonError(type(error).__name__, str(error), iteration, statement)
    return _ended("raised", watcher, m, b, error=lesson_error)
