"""Run the lesson's loop with real PyTorch for a configuration and return what happened.

The lesson's statements run exactly as the code panel shows them (see ``core.source``), side by
side in ``_loop`` as a learner writes them; the engine only watches, from hooks beside them
(minGPT's ``on_batch_end``): it records each iteration's values before the update, the tensor
facts and autograd graphs of the first iterations, the warnings torch emits, and, from the line
of the traceback, which statement raised. Only the lesson's statements are caught, so a bug in
the engine itself still fails loudly.

With ``config.optimizer`` the update and the zeroing are ``torch.optim.SGD``'s own
``optimizer.step()`` and ``optimizer.zero_grad()``; everything else is the same loop.
"""

from __future__ import annotations

import contextlib
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core import warning_capture
from core.data import Dataset, load_builtin
from core.drafts import LoopConfig, Update
from core.graph import graph_dot
from core.results import (  # noqa: F401  (re-exported: what a run returns)
    COLUMNS,
    GraphSnapshot,
    LessonError,
    LessonWarning,
    Outcome,
    ParamFacts,
    RunResult,
    Statement,
    Status,
    TensorFacts,
)

FACT_ITERATIONS = 3  # the tensor facts are recorded for this many first iterations
GRAPH_ITERATIONS = 2  # the autograd graphs are recorded for this many (no more than FACT_ITERATIONS)

# Called after each iteration with (iteration, total); returning True stops the run there.
OnStep = Callable[[int, int], bool | None]


# One of the statements after backward(): a function of (m, b) returning the new (m, b).
Step = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def _update_in_place(m, b, lr):
    """``m -= lr*m.grad``: the same tensors, changed in place."""
    m -= lr * m.grad
    b -= lr * b.grad
    return m, b


def _update_reassign(m, b, lr):
    """``m = m - lr*m.grad``: new tensors in new memory."""
    m = m - lr * m.grad
    b = b - lr * b.grad
    return m, b


def _update_data(m, b, lr):
    """``m.data = m - lr*m.grad``: the same tensors, their data replaced."""
    m.data = m - lr * m.grad
    b.data = b - lr * b.grad
    return m, b


_UPDATES = {Update.IN_PLACE: _update_in_place, Update.REASSIGN: _update_reassign, Update.DATA: _update_data}


def _zero_grads(m, b):
    """The lesson's zeroing: the gradients set to None."""
    m.grad = None  # zero out the gradients
    b.grad = None
    return m, b


def _forgotten(m, b):
    """The zeroing a draft leaves out: nothing happens, so the gradients accumulate."""
    return m, b


def _manual_steps(config: LoopConfig) -> tuple[Step, Step]:
    """The lesson's hand-written update, wrapped in no_grad or not, and its zeroing (or none)."""
    update, lr = _UPDATES[config.update], config.lr
    wrap = torch.no_grad if config.no_grad else contextlib.nullcontext

    def update_step(m, b):
        """The configured update, inside ``with torch.no_grad():`` or not."""
        with wrap():
            return update(m, b, lr)

    return update_step, _zero_grads if config.zero_grad else _forgotten


def _sgd_steps(config: LoopConfig, optimizer: torch.optim.Optimizer) -> tuple[Step, Step]:
    """torch.optim.SGD's step, then its zero_grad() unless forgotten: m and b stay the same tensors."""

    def step(m, b):
        """``optimizer.step()``: m and b updated in place, under no_grad."""
        optimizer.step()
        return m, b

    def zeroing(m, b):
        """``optimizer.zero_grad()``: sets .grad to None, as the lesson does by hand."""
        optimizer.zero_grad()
        return m, b

    return step, zeroing if config.zero_grad else _forgotten


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


class _Watcher:
    """Collects what the engine records, outside the lesson's statements."""

    def __init__(self, m: torch.Tensor, b: torch.Tensor, caught: list, rows: list):
        self.rows: list[tuple[int, float, float, float, float, float]] = rows
        self.facts: list[TensorFacts] = []
        self.graphs: list[GraphSnapshot] = []
        self.warnings: list[LessonWarning] = []
        self.caught = caught  # every warning the run's thread emitted, in order
        self.warnings_seen = 0
        self.start_ptrs = (m.data_ptr(), b.data_ptr())
        # The starting leaves by identity, to name them in graphs even after `m` is reassigned.
        # Holding them keeps their ids from being reused for the whole run.
        self.leaves = (m, b)
        self.names = {id(m): "m", id(b): "b"}

    def record_row(self, i, m, b, loss_value) -> None:
        """One trajectory row: the iteration's values before its update."""
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

    def record_facts(self, i, moment, m, b, yhat, x, y) -> None:
        """The lesson's tensor facts at one moment of iteration ``i``."""
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
            )
        )

    def record_loss_graph(self, i, loss) -> None:
        """The graph behind the loss, after backward."""
        self.graphs.append(GraphSnapshot(i, "loss", graph_dot(loss, self.names, "loss")))

    def record_parameter_graphs(self, i, m, b) -> None:
        """The graph behind a parameter that the update turned into a non-leaf."""
        for name, tensor in (("m", m), ("b", b)):
            if tensor.grad_fn is not None:
                label = f"{name} after the update"
                self.graphs.append(GraphSnapshot(i, name, graph_dot(tensor, self.names, label)))

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
            final_b=b.item(),
            warnings=tuple(self.warnings),
            **details,
        )

    def raised(self, iteration: int, m, b, statement: Statement, error: Exception) -> Outcome:
        """The outcome of a run whose ``statement`` raised ``error``."""
        self.collect_warnings(iteration)
        lesson_error = LessonError(type(error).__name__, str(error), iteration, statement)
        return self.ended(Status.RAISED, m, b, error=lesson_error)

    def trajectory(self) -> pd.DataFrame:
        """The recorded rows as a table with the lesson's dtypes."""
        frame = pd.DataFrame(self.rows, columns=COLUMNS)
        return frame.astype({"iteration": "int64"})


class _Stop(Exception):
    """Raised by a hook to end the run early: diverged or stopped, at an iteration."""

    def __init__(self, status: Status, iteration: int):
        super().__init__(status, iteration)
        self.status, self.iteration = status, iteration


@dataclass
class _Run:
    """One run under way: the lesson's tensors, its update and zeroing, and the hooks that watch it."""

    config: LoopConfig
    m: torch.Tensor  # the starting leaves; the loop's own m and b may be reassigned
    b: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    update: Step  # the configured update, or optimizer.step()
    zero_grads: Step  # the zeroing, optimizer.zero_grad(), or nothing when forgotten
    watcher: _Watcher
    on_step: OnStep | None = None
    loss_value: float = math.nan  # this iteration's loss, kept by on_loss for on_backward

    @classmethod
    def start(cls, config: LoopConfig, screentime, sleep, caught: list, on_step: OnStep | None, rows: list) -> _Run:
        """The lesson's setup: the parameters, the data as tensors, and the optimizer if any."""
        m = torch.tensor([config.m0], requires_grad=True, dtype=torch.float32)
        b = torch.tensor([config.b0], requires_grad=True, dtype=torch.float32)
        x = torch.from_numpy(screentime)
        y = torch.from_numpy(sleep)
        if config.optimizer:
            update, zero_grads = _sgd_steps(config, torch.optim.SGD([m, b], lr=config.lr))
        else:
            update, zero_grads = _manual_steps(config)
        return cls(config, m, b, x, y, update, zero_grads, _Watcher(m, b, caught, rows), on_step)

    def on_loss(self, i: int, loss: torch.Tensor) -> None:
        """Before backward(): keep the loss's value; a loss no longer finite ends the run, diverged."""
        self.loss_value = loss.item()
        if not math.isfinite(self.loss_value):
            self.watcher.collect_warnings(i)
            raise _Stop(Status.DIVERGED, i)

    def on_backward(self, i: int, m, b, yhat, loss) -> None:
        """Where the lesson prints: the values before the update; facts and graph of the first iterations."""
        self.watcher.record_row(i, m, b, self.loss_value)
        if i < FACT_ITERATIONS:  # the first iterations only: the hot loop stays bare
            self.watcher.record_facts(i, "before update", m, b, yhat, self.x, self.y)
            if i < GRAPH_ITERATIONS:
                self.watcher.record_loss_graph(i, loss)

    def on_batch_end(self, i: int, m, b, yhat) -> None:
        """After the update and zeroing: facts and graphs of the first iterations, new warnings, on_step."""
        if i < FACT_ITERATIONS:
            self.watcher.record_facts(i, "after update", m, b, yhat, self.x, self.y)
            if i < GRAPH_ITERATIONS:
                self.watcher.record_parameter_graphs(i, m, b)
        if len(self.watcher.caught) > self.watcher.warnings_seen:
            self.watcher.collect_warnings(i)
        if self.on_step is not None and self.on_step(i, self.config.iterations):
            raise _Stop(Status.STOPPED, i + 1)

    def statement_that_raised(self, error: Exception) -> Statement | None:
        """The learner's statement in ``_loop`` that raised ``error``; None if the engine's own code did."""
        statement = _LOOP_STATEMENTS.get(error.__traceback__.tb_lineno)  # the line in _loop's frame
        return Statement.STEP if statement is Statement.UPDATE and self.config.optimizer else statement


def warm_up() -> None:
    """Import what a process's first optimizer.step() would (torch._dynamo, seconds), ahead of any run."""
    import torch._dynamo  # noqa: F401


def _rmse(m: torch.Tensor, b: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> float:
    """The loss at (m, b), computed without autograd."""
    with torch.no_grad():
        return torch.sqrt(torch.mean((m * x + b - y) ** 2)).item()


def run(
    config: LoopConfig, data: Dataset | None = None, on_step: OnStep | None = None, rows: list | None = None
) -> RunResult:
    """Run the lesson's loop for ``config`` on ``data`` (default: the configured built-in).

    ``rows``, if given, is the list the trajectory's rows are appended to as they are recorded:
    ``on_step`` may read it while the run goes on, to show what has run so far.
    """
    if data is None:
        data = load_builtin(config.dataset)
    if data.key != config.dataset:
        raise ValueError(f"configuration is for dataset {config.dataset!r}, not {data.key!r}")
    # Writable copies: torch.from_numpy warns about read-only arrays, and the cached ones are.
    screentime, sleep = np.array(data.x), np.array(data.y)
    with warning_capture.recording() as caught:
        lesson = _Run.start(config, screentime, sleep, caught, on_step, [] if rows is None else rows)
        outcome = _loop(lesson)
    watcher = lesson.watcher
    return RunResult(
        config=config,
        trajectory=watcher.trajectory(),
        outcome=outcome,
        facts=tuple(watcher.facts),
        graphs=tuple(watcher.graphs),
    )


def _loop(lesson: _Run) -> Outcome:
    """The lesson's loop as the learner writes it, with the hooks that watch it beside the statements."""
    m, b, x, y = lesson.m, lesson.b, lesson.x, lesson.y
    update, zero_grads = lesson.update, lesson.zero_grads
    try:
        for i in range(lesson.config.iterations):
            yhat = m * x + b
            loss = torch.sqrt(torch.mean((yhat - y) ** 2))  # root mean square error
            lesson.on_loss(i, loss)  # a loss no longer finite ends the run here: diverged
            loss.backward()  # reverse-mode differentiation
            lesson.on_backward(i, m, b, yhat, loss)  # where the lesson prints: the values before the update
            m, b = update(m, b)  # with torch.no_grad(): m -= lr*m.grad ..., as configured; or optimizer.step()
            m, b = zero_grads(m, b)  # m.grad = None ..., or optimizer.zero_grad(); nothing when forgotten
            lesson.on_batch_end(i, m, b, yhat)  # minGPT's hook: facts after the update, warnings, on_step
    except _Stop as stop:
        return lesson.watcher.ended(stop.status, m, b, stopped_at=stop.iteration)
    except Exception as error:
        statement = lesson.statement_that_raised(error)
        if statement is None:
            raise  # the engine's own code raised: a bug, not the lesson's outcome
        return lesson.watcher.raised(i, m, b, statement, error)  # the lesson's outcome: torch's error
    return lesson.watcher.ended(Status.FINISHED, m, b, final_loss=_rmse(m, b, x, y))


# Each of the learner's statements in _loop, by how its line starts: the line a traceback
# stops at in _loop's frame names the statement that raised.
_STATEMENT_CODE = {
    "yhat = m * x + b": Statement.FORWARD,
    "loss = torch.sqrt(": Statement.LOSS,
    "loss.backward()": Statement.BACKWARD,
    "m, b = update(m, b)": Statement.UPDATE,  # Statement.STEP when torch.optim.SGD runs the loop
    "m, b = zero_grads(m, b)": Statement.ZEROING,
}


def _statement_lines(loop: Callable) -> dict[int, Statement]:
    """The line number of each learner's statement in ``loop``, found by its code."""
    source, first = inspect.getsourcelines(loop)
    found = {
        first + offset: statement
        for offset, line in enumerate(source)
        for code, statement in _STATEMENT_CODE.items()
        if line.strip().startswith(code)
    }
    if sorted(found.values()) != sorted(_STATEMENT_CODE.values()):
        raise RuntimeError(f"{loop.__name__} no longer writes each of the lesson's statements once on its own line")
    return found


_LOOP_STATEMENTS = _statement_lines(_loop)
