"""Run a learner's own loop: the language layer of the sandbox, and what the run records.

The learner's code is compiled by RestrictedPython (the restricted-execution compiler Zope and
Plone maintain): no names or attributes starting with an underscore, and every attribute read,
attribute write, subscript, in-place operator and ``import`` goes through a guard of ours. The
guards are allow-lists: an attribute is readable only if this module lists it for that kind of
object (a tensor, the torch module, an optimizer, a NumPy array, ...), so a torch or NumPy function
that reads or writes files (``torch.save``, ``ndarray.tofile``) is unavailable because it was
never listed, not because it was found and removed. ``getattr``, ``eval``, ``exec``, ``open``,
``globals``, ``type`` and class definitions are not among the builtins; ``str.format`` is not
listed; ``print`` writes to a bounded buffer. The process layer (``core.run.confine``) limits what
even an escape from this layer could do.

What the run records, without changing what the code does: one row per iteration of the
learner's loop (``m``, ``b``, ``m.grad``, ``b.grad``, the loss), read by a call inserted into
the parsed code right after the loop's ``backward()`` (or at the end of the loop's body when
there is none): the values before the update, as the Lab's engine records them. Warnings and
the error carry the learner's own line numbers.
"""

from __future__ import annotations

import ast
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from RestrictedPython import compile_restricted
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from core.run.guards import (
    FILENAME,
    SAFE_BUILTINS,
    Printed,
    Refused,
    Writer,
    guarded_getattr,
    guarded_getitem,
    guarded_import,
    in_place,
    print_factory,
)
from core.run.recording import peek_grad

HOOK = "lesson_records_a_row"  # the inserted recording call; a draft may not use the name itself
TURN = "lesson_counts_a_turn"  # the inserted call at the top of the loop's body: which iteration this is
MAX_ROWS = 100_000  # iterations recorded; a loop that runs longer is stopped there


class Stop(BaseException):
    """Ends a draft's run early: a BaseException, so the draft's ``except Exception`` lets it pass."""

    reason = ""


class RowLimit(Stop):
    """Raised by the recording call past ``MAX_ROWS``."""

    reason = "rows"


class TimeLimit(Stop):
    """Raised from the CPU-time signal (SIGXCPU) the sandbox worker turns into an exception."""

    reason = "time"


# -- the recording ----------------------------------------------------------------------------------


def _scalar(value: object) -> float:
    """A recorded value as one float: a one-element tensor's, a number's; nan for anything else."""
    if isinstance(value, torch.Tensor):
        return float(value.item()) if value.numel() == 1 else math.nan  # item() records nothing in the graph
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return float(value)
    return math.nan


def _grad(tensor: object) -> float:
    if not isinstance(tensor, torch.Tensor):
        return math.nan
    grad = peek_grad(tensor)
    return math.nan if grad is None else _scalar(grad)


@dataclass
class Recorder:
    """The rows of one run, sent as frames while it runs."""

    on_frame: Callable[[list[list[float]]], None] | None = None
    frame_seconds: float = 0.25
    rows: list[list[float]] = field(default_factory=list)
    sent: int = 0
    next_frame: float = 0.0
    limit: int = MAX_ROWS
    turns: int = 0  # iterations of the loop begun

    def turn(self) -> None:
        """The inserted call at the top of the loop's body."""
        self.turns += 1

    @property
    def iteration(self) -> int:
        """The iteration under way (0 before the loop, or without one)."""
        return max(0, self.turns - 1)

    def row(self, m: Callable[[], object], b: Callable[[], object], loss: Callable[[], object]) -> None:
        """The inserted call: the iteration's values, read through lambdas so a missing name is nan."""
        if len(self.rows) >= self.limit:
            raise RowLimit
        values = [_read(m), _read(b), _read(loss)]
        m_value, b_value, loss_value = values
        self.rows.append(
            [
                float(len(self.rows)),
                _scalar(m_value),
                _scalar(b_value),
                _grad(m_value),
                _grad(b_value),
                _scalar(loss_value),
            ]
        )
        if self.on_frame is not None and time.perf_counter() >= self.next_frame:
            self.next_frame = time.perf_counter() + self.frame_seconds
            self.on_frame(self.rows[self.sent :])
            self.sent = len(self.rows)


def _read(getter: Callable[[], object]) -> object:
    try:
        return getter()
    except NameError:  # the draft has not defined the name (yet)
        return None


# -- the instrumentation -------------------------------------------------------------------------------


def _calls_backward(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "backward"
        for n in ast.walk(node)
    )


def _turn_call(line: int) -> ast.stmt:
    """``lesson_counts_a_turn()`` at the learner's line ``line``."""
    return _at_line(ast.Expr(ast.Call(ast.Name(TURN, ast.Load()), [], [])), line)


def _at_line(statement: ast.stmt, line: int) -> ast.stmt:
    """An inserted statement placed at the learner's line: a traceback through it names that line."""
    for node in ast.walk(statement):
        node.lineno = node.end_lineno = line  # type: ignore[attr-defined]
        node.col_offset = node.end_col_offset = 0  # type: ignore[attr-defined]
    return statement


def _hook_call(line: int) -> ast.stmt:
    """``lesson_records_a_row(lambda: m, lambda: b, lambda: loss)`` at the learner's line ``line``."""
    lambdas: list[ast.expr] = [
        ast.Lambda(
            args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
            body=ast.Name(name, ast.Load()),
        )
        for name in ("m", "b", "loss")
    ]
    return _at_line(ast.Expr(ast.Call(ast.Name(HOOK, ast.Load()), lambdas, [])), line)


def training_loop(tree: ast.Module) -> ast.For | ast.While | None:
    """The draft's training loop: the first top-level loop that calls backward(), else the first loop."""
    loops = [node for node in tree.body if isinstance(node, (ast.For, ast.While))]
    return next((loop for loop in loops if _calls_backward(loop)), loops[0] if loops else None)


def _after_backward(body: list[ast.stmt]) -> list[ast.stmt] | None:
    """``body`` with the recording call after its statement that calls backward(); None if none does."""
    for index, statement in enumerate(body):
        if _calls_backward(statement) and not isinstance(statement, (ast.For, ast.While, ast.If, ast.With)):
            return [*body[: index + 1], _hook_call(statement.lineno), *body[index + 1 :]]
    return None


def instrument(tree: ast.Module) -> ast.Module:
    """The draft with one recording call an iteration (or one, without a loop), nothing else changed."""
    loop = training_loop(tree)
    if loop is not None:
        body = _after_backward(loop.body) or [*loop.body, _hook_call(loop.body[-1].lineno)]
        loop.body = [_turn_call(loop.body[0].lineno), *body]
    else:
        tree.body = _after_backward(tree.body) or [*tree.body, _hook_call(tree.body[-1].lineno if tree.body else 1)]
    return tree


def compiled(source: str):
    """The draft compiled by RestrictedPython with the recording call inserted; Refused with the reason."""
    for name in (HOOK, TURN):
        if name in source:
            raise Refused(f"the name {name} is the sandbox's own")
    try:
        tree = ast.parse(source, FILENAME)
    except SyntaxError as error:
        raise Refused(f"line {error.lineno}: {error.msg}") from None
    try:
        return compile_restricted(instrument(tree), FILENAME, "exec")
    except SyntaxError as error:
        # RestrictedPython lists every forbidden construct: "Line 3: "__class__" is an invalid attribute ..."
        raise Refused(str(error).replace("('", "").replace("',)", "")) from None


# -- a run ----------------------------------------------------------------------------------------------


@dataclass
class DraftRecord:
    """What one run of a draft did, as plain data (JSON-ready)."""

    rows: list[list[float]]
    status: str  # "finished", "raised", "refused" or "stopped" (past MAX_ROWS, or its CPU time)
    final: tuple[float, float] = (math.nan, math.nan)
    error: dict[str, object] | None = None  # type, message, line, iteration
    warnings: list[dict[str, object]] = field(default_factory=list)  # category, message, line, iteration
    printed: str = ""
    stopped_by: str | None = None  # "rows" or "time"

    def as_json(self) -> dict[str, object]:
        return {
            "stopped_by": self.stopped_by,
            "rows": self.rows,
            "status": self.status,
            "final": list(self.final),
            "error": self.error,
            "warnings": self.warnings,
            "printed": self.printed,
        }


def _namespace(recorder: Recorder, printed: Printed, screentime: np.ndarray, sleep: np.ndarray) -> dict:
    return {
        "__builtins__": {**SAFE_BUILTINS, "__import__": guarded_import},
        "__name__": "draft",
        "_getattr_": guarded_getattr,
        "_getitem_": guarded_getitem,
        "_write_": Writer,
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_inplacevar_": in_place,
        "_apply_": lambda function, *args, **kwargs: function(*args, **kwargs),
        "_print_": print_factory(printed),
        HOOK: recorder.row,
        TURN: recorder.turn,
        "screentime": screentime,
        "sleep": sleep,
    }


def _learner_line(error: BaseException) -> int | None:
    """The line of the learner's code the error came from (its deepest frame in the draft)."""
    line, traceback = None, error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == FILENAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def run_draft(
    source: str,
    screentime: np.ndarray,
    sleep: np.ndarray,
    on_frame: Callable[[list[list[float]]], None] | None = None,
    max_rows: int = MAX_ROWS,
) -> DraftRecord:
    """Run the draft on the data (writable copies), recording each iteration; never raises for the draft's faults."""
    recorder, printed = Recorder(on_frame, limit=max_rows), Printed()
    try:
        code = compiled(source)
    except Refused as refusal:
        return DraftRecord([], "refused", error={"type": "Refused", "message": str(refusal), "line": None})
    namespace = _namespace(recorder, printed, np.array(screentime), np.array(sleep))
    status, error, stopped_by = "finished", None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(code, namespace)  # noqa: S102  (the draft, compiled restricted, with guarded globals)
        except Stop as stop:
            status, stopped_by = "stopped", stop.reason
        except Refused as refusal:
            status, error = "refused", _error(refusal, recorder)
        except (Exception, RecursionError) as failure:  # the draft's own error, as torch or Python raised it
            status, error = "raised", _error(failure, recorder)
    return DraftRecord(
        rows=recorder.rows,
        status=status,
        final=(_scalar(namespace.get("m")), _scalar(namespace.get("b"))),
        error=error,
        warnings=[_warning(w, recorder) for w in caught[:50]],
        printed=printed.text(),
        stopped_by=stopped_by,
    )


def _error(error: BaseException, recorder: Recorder) -> dict[str, object]:
    message = str(error)
    return {
        "type": "Refused" if isinstance(error, Refused) else type(error).__name__,
        "message": message if len(message) <= 2_000 else message[:2_000] + " …",
        "line": _learner_line(error),
        "iteration": recorder.iteration,
    }


def _warning(caught: warnings.WarningMessage, recorder: Recorder) -> dict[str, object]:
    return {
        "category": caught.category.__name__,
        "message": str(caught.message)[:2_000],
        "line": caught.lineno if caught.filename == FILENAME else None,
        "iteration": recorder.iteration,
    }
