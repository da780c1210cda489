"""The Python source of a configuration, in the lesson's style: the code the engine runs.

``render(config)`` is runnable as it stands, given numpy arrays ``screentime`` and ``sleep``;
a test executes it for every combination and checks it ends exactly as the engine does.
"""

from __future__ import annotations

import difflib
from typing import NamedTuple

from core.drafts import SOLUTION, LoopConfig, Update

COMMENT_COLUMN = 51  # where the lesson's code puts its trailing comments
MARK = "# <- differs from the solution"


class Line(NamedTuple):
    """One line of code: its indentation depth, the statement, and an optional comment."""

    depth: int
    code: str
    comment: str = ""

    def text(self) -> str:
        code = "    " * self.depth + self.code
        return f"{code.ljust(COMMENT_COLUMN - 1)} {self.comment}" if self.comment else code


def _number(value: float) -> str:
    """A literal as the lesson writes it: 0 for zero, else the float's shortest repr."""
    return "0" if value == 0 else repr(float(value))


def _update_lines(config: LoopConfig, depth: int) -> list[Line]:
    statement = {
        Update.IN_PLACE: "{p} -= {lr}*{p}.grad",
        Update.REASSIGN: "{p} = {p} - {lr}*{p}.grad",
        Update.DATA: "{p}.data = {p} - {lr}*{p}.grad",
    }[config.update]
    if config.no_grad:
        return [Line(depth, "with torch.no_grad():")] + [
            Line(depth + 1, statement.format(p=p, lr=repr(config.lr))) for p in ("m", "b")
        ]
    return [Line(depth, statement.format(p=p, lr=repr(config.lr))) for p in ("m", "b")]


def _lines(config: LoopConfig) -> list[Line]:
    lines = [
        Line(0, "import torch"),
        Line(0, ""),
        Line(0, f"m = torch.tensor([{_number(config.m0)}], requires_grad=True, dtype=torch.float32)"),
        Line(0, f"b = torch.tensor([{_number(config.b0)}], requires_grad=True, dtype=torch.float32)"),
        Line(0, "x = torch.from_numpy(screentime)"),
        Line(0, "y = torch.from_numpy(sleep)"),
    ]
    depth = 0
    if config.loops:
        # Iterations written as the lesson writes them: 10_000.
        lines.append(Line(0, f"for i in range({config.iterations:_}):"))
        depth = 1
    lines += [
        Line(depth, "yhat = m*x + b"),
        Line(depth, "loss = torch.sqrt(torch.mean((yhat - y)**2))", "# root mean square error"),
        Line(depth, "loss.backward()", "# reverse-mode differentiation"),
        *_update_lines(config, depth),
    ]
    if config.zero_grad:
        lines += [Line(depth, "m.grad = None", "# zero out the gradients"), Line(depth, "b.grad = None")]
    return lines


def render(config: LoopConfig) -> str:
    """The lesson's code for ``config``, runnable given ``screentime`` and ``sleep`` arrays."""
    return "\n".join(line.text() for line in _lines(config)) + "\n"


def render_marked(config: LoopConfig) -> str:
    """``render(config)`` with each line that differs from the solution marked by a comment.

    Statements the solution has and this configuration lacks appear as comments, so a
    learner sees what is missing. The result still runs exactly like ``render(config)``.
    """
    ours, theirs = _lines(config), _lines(SOLUTION)
    # Compare statements, not indentation: a single step is the loop's body without the loop.
    matcher = difflib.SequenceMatcher(a=[line.code for line in theirs], b=[line.code for line in ours], autojunk=False)
    marked: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            marked += [line.text() for line in ours[j1:j2]]
        else:
            marked += [Line(line.depth, line.code, MARK).text() for line in ours[j1:j2]]
        if tag == "delete":
            marked += [_missing(line, config).text() for line in theirs[i1:i2]]
    return "\n".join(marked) + "\n"


def _missing(line: Line, config: LoopConfig) -> Line:
    """A solution statement this configuration lacks, as a comment where it would stand."""
    depth = line.depth if config.loops else max(line.depth - 1, 0)
    return Line(depth, f"# missing here; the solution has: {line.code}")
