"""The Python source of a configuration, in the lesson's style: the code the engine runs.

``render(config)`` is runnable as it stands, given the data as two numpy arrays named as
``array_names`` says (``screentime`` and ``sleep`` for the lesson's data); a test executes it for
every combination and checks it ends exactly as the engine does. ``core.code.script`` wraps the same
code into a file that runs on its own, and ``core.code.notebook`` into a notebook.
"""

from __future__ import annotations

import builtins
import difflib
import keyword
import re
import unicodedata
from collections.abc import Iterator
from typing import NamedTuple

from core.lesson.data import Dataset
from core.lesson.drafts import SOLUTION, LoopConfig

COMMENT_COLUMN = 51  # where the lesson's code puts its trailing comments
# The marks render_marked adds: short, so a marked line fits a narrow column.
MARK = "# solution:"  # ends a line the solution writes differently, followed by the solution's line
EXTRA = "# not in the solution"
MISSING = "# missing here:"  # stands where the solution has a statement this code lacks
PAIRED = 0.6  # how alike (difflib's ratio) a line and the solution's must be to count as one written differently

Names = tuple[str, str]  # what the code calls the data's two arrays: x's, then y's
LESSON_NAMES: Names = ("screentime", "sleep")
FALLBACK_NAMES: Names = ("x_data", "y_data")
MAX_IDENTIFIER = 30  # characters of an array's name made from a column name; a longer one falls back
# Names the lesson's code and the script use for themselves, and Python's own: a column may not take them.
_TAKEN = frozenset(
    {"m", "b", "x", "y", "i", "torch", "loss", "yhat", "optimizer", "np", "io", "sys", "math", "warnings"}
    | {"rng", "base", "values", "DATA", "PRINT_FIRST", "Diverged", "rounded", "grad", "show", "keep", "warned"}
    | {"status", "error", "last_line", "check", "x_mean"}
    | set(dir(builtins))
    | set(keyword.kwlist)
    | set(keyword.softkwlist)
)


def array_names(data: Dataset | None) -> Names:
    """Python names for the data's two arrays, made from its column names: ``hours_studied``.

    A name that is no usable identifier (empty, too long, a keyword, or one the code uses itself)
    falls back to ``x_data`` or ``y_data``; two names that come out the same fall back together.
    """
    if data is None:
        return LESSON_NAMES
    names = (_identifier(data.x_label) or FALLBACK_NAMES[0], _identifier(data.y_label) or FALLBACK_NAMES[1])
    return FALLBACK_NAMES if names[0] == names[1] else names


def _identifier(label: str) -> str | None:
    """A column name as a lower-case Python identifier ("Hours studied" -> "hours_studied"), or None."""
    name = re.sub(r"\W+", "_", label.strip().lower()).strip("_")
    usable = name.isidentifier() and len(name) <= MAX_IDENTIFIER and unicodedata.normalize("NFKC", name) == name
    return name if usable and name not in _TAKEN else None


class Line(NamedTuple):
    """One line of code: its indentation depth, the statement, and an optional comment."""

    depth: int
    code: str
    comment: str = ""

    def text(self, column: int = COMMENT_COLUMN) -> str:
        """The line as written, its comment (if any) starting at ``column`` where the code leaves room."""
        code = "    " * self.depth + self.code
        return f"{code.ljust(column - 1)} {self.comment}" if self.comment else code


def literal(value: float) -> str:
    """A number as the lesson's code writes it: 0 for zero, else the float's shortest repr."""
    return "0" if value == 0 else repr(float(value))


def _update_lines(config: LoopConfig, depth: int) -> list[Line]:
    if config.optimizer:
        return [Line(depth, "optimizer.step()", "# updates m and b in place, without autograd")]
    inner = depth + 1 if config.no_grad else depth
    updates = [Line(inner, config.update.statement(p, repr(config.lr))) for p in ("m", "b")]
    return [Line(depth, "with torch.no_grad():"), *updates] if config.no_grad else updates


def _zeroing_lines(config: LoopConfig, depth: int) -> list[Line]:
    if not config.zero_grad:
        return []
    if config.optimizer:
        return [Line(depth, "optimizer.zero_grad()", "# zero out the gradients (sets them to None)")]
    return [Line(depth, "m.grad = None", "# zero out the gradients"), Line(depth, "b.grad = None")]


def _lines(config: LoopConfig, names: Names) -> list[Line]:
    return [Line(0, "import torch"), Line(0, "")] + program(config, names)


def program(config: LoopConfig, names: Names = LESSON_NAMES) -> list[Line]:
    """The lesson's code after its import: the tensors, then the step or the loop."""
    lines = [
        Line(0, f"m = torch.tensor([{literal(config.m0)}], requires_grad=True, dtype=torch.float32)"),
        Line(0, f"b = torch.tensor([{literal(config.b0)}], requires_grad=True, dtype=torch.float32)"),
        Line(0, f"x = torch.from_numpy({names[0]})"),
        Line(0, f"y = torch.from_numpy({names[1]})"),
    ]
    if config.center:
        lines.append(Line(0, "x_mean = x.mean()", "# centre x: the loop fits m*(x - mean) + b"))
        lines.append(Line(0, "x = x - x_mean"))
    if config.optimizer:
        lines.append(Line(0, f"optimizer = {config.algorithm.constructor(repr(config.lr))}"))
    depth = 0
    if config.loops:
        # Iterations written as the lesson writes them: 10_000.
        lines.append(Line(0, f"for i in range({config.iterations:_}):"))
        depth = 1
    lines += [
        Line(depth, "yhat = m*x + b"),
        Line(depth, f"loss = {config.loss.code}", config.loss.comment),
        Line(depth, "loss.backward()", "# reverse-mode differentiation"),
        *_update_lines(config, depth),
        *_zeroing_lines(config, depth),
    ]
    if config.center:
        lines.append(Line(0, "with torch.no_grad():", "# b for the original x: m*x + (b - m*mean)"))
        lines.append(Line(1, "b -= m*x_mean"))
    return lines


def render(config: LoopConfig, names: Names = LESSON_NAMES) -> str:
    """The lesson's code for ``config``, runnable given the data's two arrays under ``names``."""
    return "\n".join(line.text() for line in _lines(config, names)) + "\n"


def render_marked(config: LoopConfig, names: Names = LESSON_NAMES) -> str:
    """``render(config, names)`` with comments marking how it departs from the solution.

    A line the solution writes differently ends in ``# solution:`` and the solution's line; a
    statement the solution has and this code lacks stands as ``# missing here:`` and that
    statement, where it would be. The result still runs exactly like ``render(config, names)``.
    The solution compared against has the same settings (learning rate, start, iterations of a
    loop) and, with the optimizer, is the idiomatic one (``optimizer.zero_grad()`` included), so
    only the bugs are marked, not the settings or the choice of writing it with torch.optim.
    """
    ours, theirs = _lines(config, names), _lines(_solution_like(config), names)
    marked: list[str] = []
    for their_block, our_block, same in _blocks(theirs, ours):
        marked += [line.text() for line in our_block] if same else _marked_block(their_block, our_block, config)
    return "\n".join(marked) + "\n"


def _blocks(theirs: list[Line], ours: list[Line]) -> Iterator[tuple[list[Line], list[Line], bool]]:
    """Our lines in blocks, each with the solution's block it stands for and whether the two are the same."""
    # Compare statements, not indentation: a single step is the loop's body without the loop.
    matcher = difflib.SequenceMatcher(a=[line.code for line in theirs], b=[line.code for line in ours], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        yield theirs[i1:i2], ours[j1:j2], tag == "equal"


def _solution_like(config: LoopConfig) -> LoopConfig:
    """The solution with this configuration's settings: what its bugs are measured against."""
    iterations = config.iterations if config.loops else SOLUTION.iterations
    settings = {"lr": config.lr, "m0": config.m0, "b0": config.b0, "dataset": config.dataset, "loss": config.loss}
    # Centring x and the choice of optimizer are ways to write the loop, not bugs: the solution has them too.
    settings.update(center=config.center, algorithm=config.algorithm)
    return SOLUTION.with_changes(optimizer=config.optimizer, iterations=iterations, **settings)


def _marked_block(theirs: list[Line], ours: list[Line], config: LoopConfig) -> list[str]:
    """Lines that differ: ours, each with the solution's line it stands for, and what the solution has besides."""
    pairs = _pairs(theirs, ours)
    marked: list[str] = []
    shown = 0  # the solution's lines before this one are accounted for
    for j, line in enumerate(ours):
        code = Line(line.depth, line.code).text()  # its comment gives way to the mark
        if j not in pairs:
            marked.append(f"{code}  {EXTRA}")
            continue
        i = pairs[j]
        marked += [_missing(missing, config) for missing in theirs[shown:i]]
        marked.append(f"{code}  {MARK} {theirs[i].code}")
        shown = i + 1
    return marked + [_missing(missing, config) for missing in theirs[shown:]]


def _pairs(theirs: list[Line], ours: list[Line]) -> dict[int, int]:
    """Each of our lines that is a solution line written differently, with that line's index, in order."""
    pairs: dict[int, int] = {}
    start = 0
    for j, line in enumerate(ours):
        scores = [(difflib.SequenceMatcher(a=t.code, b=line.code).ratio(), i) for i, t in enumerate(theirs)]
        best = max(((score, i) for score, i in scores if i >= start), default=(0.0, -1))
        if best[0] >= PAIRED:
            pairs[j], start = best[1], best[1] + 1
    return pairs


def _missing(line: Line, config: LoopConfig) -> str:
    """A solution statement this configuration lacks, as a comment where it would stand."""
    depth = line.depth if config.loops else max(line.depth - 1, 0)
    return Line(depth, f"{MISSING} {line.code}").text()
