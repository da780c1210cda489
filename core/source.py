"""The Python source of a configuration, in the lesson's style: the code the engine runs.

``render(config)`` is runnable as it stands, given numpy arrays ``screentime`` and ``sleep``;
a test executes it for every combination and checks it ends exactly as the engine does.
``render_script(config)`` wraps the same code into a file that runs on its own and prints what
``python -m core`` prints for the same settings.
"""

from __future__ import annotations

import difflib
import textwrap
from typing import NamedTuple

from core.data import BUILTIN_DATASETS
from core.drafts import LESSON_DRAFTS, SOLUTION, LoopConfig, differences, matching_draft

COMMENT_COLUMN = 51  # where the lesson's code puts its trailing comments
MARK = "# <- differs from the solution"


class Line(NamedTuple):
    """One line of code: its indentation depth, the statement, and an optional comment."""

    depth: int
    code: str
    comment: str = ""

    def text(self, column: int = COMMENT_COLUMN) -> str:
        """The line as written, its comment (if any) starting at ``column`` where the code leaves room."""
        code = "    " * self.depth + self.code
        return f"{code.ljust(column - 1)} {self.comment}" if self.comment else code


def _number(value: float) -> str:
    """A literal as the lesson writes it: 0 for zero, else the float's shortest repr."""
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


def _lines(config: LoopConfig) -> list[Line]:
    return [Line(0, "import torch"), Line(0, "")] + _program(config)


def _program(config: LoopConfig) -> list[Line]:
    """The lesson's code after its import: the tensors, then the step or the loop."""
    lines = [
        Line(0, f"m = torch.tensor([{_number(config.m0)}], requires_grad=True, dtype=torch.float32)"),
        Line(0, f"b = torch.tensor([{_number(config.b0)}], requires_grad=True, dtype=torch.float32)"),
        Line(0, "x = torch.from_numpy(screentime)"),
        Line(0, "y = torch.from_numpy(sleep)"),
    ]
    if config.optimizer:
        lines.append(Line(0, f"optimizer = torch.optim.SGD([m, b], lr={config.lr!r})"))
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
        *_zeroing_lines(config, depth),
    ]
    return lines


def render(config: LoopConfig) -> str:
    """The lesson's code for ``config``, runnable given ``screentime`` and ``sleep`` arrays."""
    return "\n".join(line.text() for line in _lines(config)) + "\n"


def render_marked(config: LoopConfig) -> str:
    """``render(config)`` with each line that differs from the solution marked by a comment.

    Statements the solution has and this configuration lacks appear as comments, so a
    learner sees what is missing. The result still runs exactly like ``render(config)``. With
    the optimizer, the solution compared against is the idiomatic one (``optimizer.zero_grad()``
    included), so only the bugs are marked, not the choice of writing it with torch.optim.
    """
    ours, theirs = _lines(config), _lines(SOLUTION.with_changes(optimizer=config.optimizer))
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


# How each built-in dataset's `sleep` is made from the lesson's recipe (see data/make_datasets.py).
SLEEP_RECIPES = {
    "solution": "sleep = base + 1  # the worked solution's data",
    "problem": "sleep = base  # the problem statement's data",
}

SCRIPT_HEAD = """\
import sys
import warnings

import numpy as np
import torch

# The lesson's data, from its exact recipe: 500 people's daily screen time and hours of sleep.
rng = np.random.default_rng(123)
screentime = rng.uniform(low=4, high=12, size=500)
base = np.clip(-0.8 * screentime + 10.5 + rng.normal(loc=0, scale=1.5, size=500), 0, 24)
{sleep}

PRINT_FIRST = {print_first}  # how many iterations to print


def rounded(value):
    \"\"\"A number as the lesson prints it, to 3 decimals; None where there is no gradient.\"\"\"
    return None if value is None else round(value.item(), 3)


def grad(tensor):
    \"\"\"tensor.grad, read without the warning torch gives for a non-leaf (which keeps no gradient).\"\"\"
    return tensor.grad if tensor.is_leaf or tensor.retains_grad else None


def show(i, m, b, loss):
    \"\"\"The lesson's print: one iteration's values, before its update.\"\"\"
    print(
        f"iteration {{i}}: (m, b) = ({{rounded(m)}}, {{rounded(b)}}), "
        f"(m.grad, b.grad) = ({{rounded(grad(m))}}, {{rounded(grad(b))}}), loss = {{rounded(loss)}}"
    )


def keep(message, category, *where):
    \"\"\"Keep a warning torch gives, with the iteration it came from, to print at the end.\"\"\"
    warned.append(f"{{category.__name__}}: {{message}} (iteration {{i}})")


warned = []
warnings.simplefilter("always")  # every warning, each time it is given, not just the first time
warnings.showwarning = keep

i = 0  # the iteration running (a single step is iteration 0)
status = 0
try:
"""

# No divergence check, unlike the engine: on the built-in datasets the loss cannot overflow within
# the settings' bounds. Each backward() adds at most rms(x) <= 12 to |m.grad| (and 1 to |b.grad|),
# so even accumulated over 100,000 iterations at lr = 100, |m| stays below about 1e13.
SCRIPT_TAIL = """\
except Exception as error:  # one of the lesson's statements raised: that is how this run ends
    last_line, status = f"{type(error).__name__}: {error} (iteration {i})", 1
else:
    last_line = f"(m, b) = ({m.item()!r}, {b.item()!r})"
print(*warned, last_line, sep="\\n")
sys.exit(status)
"""


def render_script(config: LoopConfig, print_first: int = 5) -> str:
    """A Python file that runs on its own: the lesson's data, ``render(config)``'s loop, the CLI's printout."""
    if config.dataset not in SLEEP_RECIPES:
        raise ValueError(
            f"a script can only rebuild the built-in datasets {sorted(SLEEP_RECIPES)}, not {config.dataset!r}"
        )
    if print_first < 0:
        raise ValueError(f"print_first must be 0 or more, not {print_first}")
    head = SCRIPT_HEAD.format(sleep=SLEEP_RECIPES[config.dataset], print_first=print_first)
    body = "\n".join(line.text(COMMENT_COLUMN + 4) for line in _script_body(config))
    return f'"""{_script_doc(config, print_first)}"""\n\n{head}{body}\n{SCRIPT_TAIL}'


def _script_body(config: LoopConfig) -> list[Line]:
    """The lesson's code, one level deeper (inside ``try:``), printing each first iteration after backward()."""
    body = []
    for line in _program(config):
        body.append(Line(line.depth + 1, line.code, line.comment))
        if line.code == "loss.backward()":
            body.append(Line(line.depth + 1, "if i < PRINT_FIRST:"))
            body.append(Line(line.depth + 2, "show(i, m, b, loss)", "# the values before this update"))
    return body


def _script_doc(config: LoopConfig, print_first: int) -> str:
    """The script's docstring: which settings it runs and what it prints."""
    name = matching_draft(config)
    what = (
        LESSON_DRAFTS[name].title
        if name
        else "The lesson's loop; how it differs from the solution: " + "; ".join(differences(config))
    )
    start = f"({_number(config.m0)}, {_number(config.b0)})"
    steps = f"{config.iterations:,} iterations" if config.loops else "a single step"
    data = BUILTIN_DATASETS[config.dataset]
    paragraphs = [
        f"A script that runs on its own, written by Gradient Descent Drafts. {what}.",
        f"Learning rate {config.lr!r}, starting from (m, b) = {start}, {steps}, on the lesson's "
        f"{data[0].lower()}{data[1:]}.",
        f"Run it with `python` and this file's name. It prints the first {print_first} iterations as the "
        "lesson does (values before each update), the warnings torch gave, then the final (m, b), or the "
        "error that ended the run (and exits with status 1): what `python -m core` prints for these settings.",
    ]
    return "\n\n".join(textwrap.fill(paragraph, width=92) for paragraph in paragraphs) + "\n"
