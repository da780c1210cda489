"""Run the lesson's loop with real PyTorch for a configuration and return what happened.

The lesson's statements run exactly as the code panel shows them (see ``core.code.source``), side by
side in ``_loop`` as a learner writes them; the engine only watches, from hooks beside them
(minGPT's ``on_batch_end``): it records each iteration's values before the update, the tensor
facts and autograd graphs of a few iterations (``core.run.recording``), the warnings torch emits, and, from the line
of the traceback, which statement raised. Only the lesson's statements are caught, so a bug in
the engine itself still fails loudly.

With ``config.optimizer`` the update and the zeroing are the ``torch.optim`` optimizer's own
``optimizer.step()`` and ``optimizer.zero_grad()`` (SGD, momentum or Adam, as ``config.algorithm``
says); everything else is the same loop. ``config.loss`` picks the RMSE or the MSE. With
``config.center`` the loop runs on ``x - mean(x)``, and every ``b`` the run records (each row, the
final line) is turned back into the original coordinates, ``b - m*mean(x)``, as the code's last
statement does; the gradients recorded are the centred loop's own ``.grad``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from core.lesson.data import Dataset, load_builtin
from core.lesson.drafts import LoopConfig, Loss, Update
from core.lesson.results import COLUMNS, Outcome, RunResult, Statement, Status  # noqa: F401  (COLUMNS re-exported)
from core.run.recording import Watcher, recorded_iterations

# Called after each iteration with (iteration, total); returning True stops the run there.
OnStep = Callable[[int, int], bool | None]


# One of the statements after backward(): a function of (m, b) returning the new (m, b).
Step = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


# Each update runs inside ``wrap()``: ``torch.no_grad()``, or nothing (``contextlib.nullcontext()``).
# The learning rate and the wrap come first, bound by ``functools.partial`` (positional: no dict a call).


def _update_in_place(lr, wrap, m, b):
    """``m -= lr*m.grad``: the same tensors, changed in place."""
    with wrap():
        m -= lr * m.grad
        b -= lr * b.grad
    return m, b


def _update_reassign(lr, wrap, m, b):
    """``m = m - lr*m.grad``: new tensors in new memory."""
    with wrap():
        m = m - lr * m.grad
        b = b - lr * b.grad
    return m, b


def _update_data(lr, wrap, m, b):
    """``m.data = m - lr*m.grad``: the same tensors, their data replaced."""
    with wrap():
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


def _rmse_loss(yhat, y):
    """The lesson's loss: the root mean square error."""
    return torch.sqrt(torch.mean((yhat - y) ** 2))


def _mse_loss(yhat, y):
    """The mean square error: the RMSE without its square root."""
    return torch.mean((yhat - y) ** 2)


_LOSSES = {Loss.RMSE: _rmse_loss, Loss.MSE: _mse_loss}


def _manual_steps(config: LoopConfig) -> tuple[Step, Step]:
    """The lesson's hand-written update, wrapped in no_grad or not, and its zeroing (or none)."""
    wrap = torch.no_grad if config.no_grad else contextlib.nullcontext
    # A partial, not a closure around the update: one Python call fewer at every iteration.
    update_step = functools.partial(_UPDATES[config.update], config.lr, wrap)
    return update_step, _zero_grads if config.zero_grad else _forgotten


def make_optimizer(config: LoopConfig, m: torch.Tensor, b: torch.Tensor) -> torch.optim.Optimizer:
    """The configured ``torch.optim`` optimizer over ``[m, b]``: what ``config.algorithm.constructor()`` writes."""
    algorithm = config.algorithm
    return getattr(torch.optim, algorithm.class_name)([m, b], lr=config.lr, **algorithm.options)


def _sgd_steps(config: LoopConfig, optimizer: torch.optim.Optimizer) -> tuple[Step, Step]:
    """The optimizer's step, then its zero_grad() unless forgotten: m and b stay the same tensors."""

    def step(m, b):
        """``optimizer.step()``: m and b updated in place, under no_grad."""
        optimizer.step()
        return m, b

    def zeroing(m, b):
        """``optimizer.zero_grad()``: sets .grad to None, as the lesson does by hand."""
        optimizer.zero_grad()
        return m, b

    return step, zeroing if config.zero_grad else _forgotten


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
    loss_of: Callable  # (yhat, y) -> the configured loss
    watcher: Watcher
    on_step: OnStep | None = None
    recorded: frozenset[int] = frozenset()  # iterations whose tensor facts and graphs are kept

    @classmethod
    def start(cls, config: LoopConfig, screentime, sleep, caught: list, on_step: OnStep | None, rows: list) -> _Run:
        """The lesson's setup: the parameters, the data as tensors, and the optimizer if any."""
        m = torch.tensor([config.m0], requires_grad=True, dtype=torch.float32)
        b = torch.tensor([config.b0], requires_grad=True, dtype=torch.float32)
        x = torch.from_numpy(screentime)
        y = torch.from_numpy(sleep)
        x_mean = None
        if config.center:
            x_mean = x.mean()  # centre x: the loop fits m*(x - mean) + b
            x = x - x_mean
        if config.optimizer:
            update, zero_grads = _sgd_steps(config, make_optimizer(config, m, b))
        else:
            update, zero_grads = _manual_steps(config)
        watcher = Watcher(m, b, caught, rows, x_mean)
        recorded = recorded_iterations(config.iterations)
        return cls(config, m, b, x, y, update, zero_grads, _LOSSES[config.loss], watcher, on_step, recorded=recorded)

    def on_backward(self, i: int, m, b, yhat, loss) -> None:
        """Where the lesson prints: the values before the update; facts and graph of the first iterations.

        A loss no longer finite ends the run here, diverged, before its update. Its value is read
        here rather than before backward(), which changes nothing the run records (backward() of a
        loss that is not finite fills .grad with nan and raises nothing) and keeps the iteration's
        five reads of a value together: the first read after torch's own work in an iteration costs
        several times the next ones, and apart they paid that twice.
        """
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            self.watcher.collect_warnings(i)
            raise _Stop(Status.DIVERGED, i)
        self.watcher.record_row(i, m, b, loss_value)
        if i in self.recorded:  # a few iterations only: the hot loop stays bare
            self.watcher.record_facts(i, "before update", m, b, yhat, self.x, self.y)
            self.watcher.record_loss_graph(i, loss)

    def on_batch_end(self, i: int, m, b, yhat) -> None:
        """After the update and zeroing: facts and graphs of the first iterations, new warnings, on_step."""
        watcher = self.watcher
        if i in self.recorded:
            watcher.record_facts(i, "after update", m, b, yhat, self.x, self.y)
            watcher.record_parameter_graphs(i, m, b)
        if len(watcher.caught) > watcher.warnings_seen:
            watcher.collect_warnings(i)
        if self.on_step is not None and self.on_step(i, self.config.iterations):
            raise _Stop(Status.STOPPED, i + 1)

    def statement_that_raised(self, error: Exception) -> Statement | None:
        """The learner's statement in ``_loop`` that raised ``error``; None if the engine's own code did."""
        traceback = error.__traceback__
        assert traceback is not None  # the error was raised and caught: it has one
        # The traceback's first frame is _loop's own: its line is the statement that called what raised.
        statement = _LOOP_STATEMENTS.get(traceback.tb_lineno)
        if statement is Statement.UPDATE and self.config.optimizer:
            return Statement.STEP  # the update is the optimizer's: optimizer.step()
        return statement


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
    # A run is alone in its process (a worker's one job, or the CLI), so the module-wide swap of
    # catch_warnings is safe; "always": the lesson's warning comes every iteration, not once.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
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
    update, zero_grads, loss_of = lesson.update, lesson.zero_grads, lesson.loss_of
    try:
        for i in range(lesson.config.iterations):
            yhat = m * x + b
            loss = loss_of(yhat, y)  # torch.sqrt(torch.mean((yhat - y)**2)): the RMSE, or the MSE
            loss.backward()  # reverse-mode differentiation
            lesson.on_backward(i, m, b, yhat, loss)  # where the lesson prints; a loss no longer finite: diverged
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
    # The RMSE whatever the loss, so runs compare; ended() maps b back as the code's last statement does.
    return lesson.watcher.ended(Status.FINISHED, m, b, final_loss=_rmse(m, b, x, y))


# Each of the learner's statements in _loop, by how its line starts: the line a traceback
# stops at in _loop's frame names the statement that raised.
_STATEMENT_CODE = {
    "yhat = m * x + b": Statement.FORWARD,
    "loss = loss_of(": Statement.LOSS,
    "loss.backward()": Statement.BACKWARD,
    "m, b = update(m, b)": Statement.UPDATE,  # Statement.STEP when torch.optim.SGD runs the loop
    "m, b = zero_grads(m, b)": Statement.ZEROING,
}


def _statement_of(line: str) -> Statement | None:
    """The learner's statement a line of code writes, by how it starts; None for any other line."""
    code = line.strip()
    return next((statement for start, statement in _STATEMENT_CODE.items() if code.startswith(start)), None)


def _statement_lines(loop: Callable) -> dict[int, Statement]:
    """The line number of each learner's statement in ``loop``, found by its code."""
    source, first = inspect.getsourcelines(loop)
    numbered = ((lineno, _statement_of(line)) for lineno, line in enumerate(source, start=first))
    found = {lineno: statement for lineno, statement in numbered if statement is not None}
    if sorted(found.values()) != sorted(_STATEMENT_CODE.values()):
        raise RuntimeError(f"{loop.__name__} no longer writes each of the lesson's statements once on its own line")
    return found


_LOOP_STATEMENTS = _statement_lines(_loop)
