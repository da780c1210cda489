"""The Python source of a configuration, in the lesson's style: the code the engine runs.

``render(config)`` is runnable as it stands, given the data as two numpy arrays named as
``array_names`` says (``screentime`` and ``sleep`` for the lesson's data); a test executes it for
every combination and checks it ends exactly as the engine does. ``render_script(config)`` wraps
the same code into a file that runs on its own and prints what ``python -m core`` prints for the
same settings; for a user's own data the file carries that data.
"""

from __future__ import annotations

import builtins
import difflib
import keyword
import re
import textwrap
import unicodedata
from typing import NamedTuple

from core.data import BUILTIN_DATASETS, Dataset
from core.drafts import LESSON_DRAFTS, SOLUTION, LoopConfig, differences, matching_draft

COMMENT_COLUMN = 51  # where the lesson's code puts its trailing comments
# The marks render_marked adds: short, so a marked line fits a narrow column.
MARK = "# solution:"  # ends a line the solution writes differently, followed by the solution's line
EXTRA = "# not in the solution"
MISSING = "# missing here:"  # stands where the solution has a statement this code lacks
PAIRED = 0.6  # how alike (difflib's ratio) a line and the solution's must be to count as one written differently

Names = tuple[str, str]  # what the code calls the data's two arrays: x's, then y's
LESSON_NAMES: Names = ("screentime", "sleep")
FALLBACK_NAMES: Names = ("x_data", "y_data")
MAX_NAME = 30
# Names the lesson's code and the script use for themselves, and Python's own: a column may not take them.
_TAKEN = frozenset(
    {"m", "b", "x", "y", "i", "torch", "loss", "yhat", "optimizer", "np", "io", "sys", "math", "warnings"}
    | {"rng", "base", "values", "DATA", "PRINT_FIRST", "Diverged", "rounded", "grad", "show", "keep", "warned"}
    | {"status", "error", "last_line", "check"}
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
    usable = name.isidentifier() and len(name) <= MAX_NAME and unicodedata.normalize("NFKC", name) == name
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


def _lines(config: LoopConfig, names: Names) -> list[Line]:
    return [Line(0, "import torch"), Line(0, "")] + _program(config, names)


def _program(config: LoopConfig, names: Names = LESSON_NAMES) -> list[Line]:
    """The lesson's code after its import: the tensors, then the step or the loop."""
    lines = [
        Line(0, f"m = torch.tensor([{_number(config.m0)}], requires_grad=True, dtype=torch.float32)"),
        Line(0, f"b = torch.tensor([{_number(config.b0)}], requires_grad=True, dtype=torch.float32)"),
        Line(0, f"x = torch.from_numpy({names[0]})"),
        Line(0, f"y = torch.from_numpy({names[1]})"),
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
    # Compare statements, not indentation: a single step is the loop's body without the loop.
    matcher = difflib.SequenceMatcher(a=[line.code for line in theirs], b=[line.code for line in ours], autojunk=False)
    marked: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            marked += [line.text() for line in ours[j1:j2]]
        else:
            marked += _marked_block(theirs[i1:i2], ours[j1:j2], config)
    return "\n".join(marked) + "\n"


def _solution_like(config: LoopConfig) -> LoopConfig:
    """The solution with this configuration's settings: what its bugs are measured against."""
    iterations = config.iterations if config.loops else SOLUTION.iterations
    settings = {"lr": config.lr, "m0": config.m0, "b0": config.b0, "dataset": config.dataset}
    return SOLUTION.with_changes(optimizer=config.optimizer, iterations=iterations, **settings)


def _marked_block(theirs: list[Line], ours: list[Line], config: LoopConfig) -> list[str]:
    """Lines that differ: ours, each with the solution's line it stands for, and what the solution has besides."""
    marked, pairs, waiting = [], _pairs(theirs, ours), 0
    for j, line in enumerate(ours):
        if j not in pairs:
            marked.append(f"{Line(line.depth, line.code).text()}  {EXTRA}")
            continue
        marked += [_missing(missing, config) for missing in theirs[waiting : pairs[j]]]
        marked.append(f"{Line(line.depth, line.code).text()}  {MARK} {theirs[pairs[j]].code}")
        waiting = pairs[j] + 1
    return marked + [_missing(missing, config) for missing in theirs[waiting:]]


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


# How each built-in dataset's `sleep` is made from the lesson's recipe (see data/make_datasets.py).
SLEEP_RECIPES = {
    "solution": "sleep = base + 1  # the worked solution's data",
    "problem": "sleep = base  # the problem statement's data",
}

# The lesson's data, rebuilt from its exact recipe.
RECIPE = """\
# The lesson's data, from its exact recipe: 500 people's daily screen time and hours of sleep.
rng = np.random.default_rng(123)
screentime = rng.uniform(low=4, high=12, size=500)
base = np.clip(-0.8 * screentime + 10.5 + rng.normal(loc=0, scale=1.5, size=500), 0, 24)
{sleep}"""

# A user's own data, carried in the file: each number written as the shortest text that reads back
# to the same float64 (Python's repr), so the script runs on exactly the values the dashboard ran on.
CARRIED = """\
# {what}
DATA = \"\"\"\\
{rows}
\"\"\"
values = np.loadtxt(io.StringIO(DATA), delimiter=",", ndmin=2)
{x} = values[:, 0].copy()
{y} = values[:, 1].copy()


class Diverged(Exception):
    \"\"\"The loss is no longer a finite number: the dashboard ends a run there, and so does this script.\"\"\"


def check(loss):
    \"\"\"Raise Diverged once the loss has overflowed (the lesson's data never gets there; other data can).\"\"\"
    if not np.isfinite(loss.item()):
        raise Diverged"""

SCRIPT_HEAD = """\
{imports}import sys
import warnings

import numpy as np
import torch

{data}

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
DIVERGED = """\
except Diverged:  # the loss overflowed: the dashboard's "diverged"
    last_line, status = f"diverged at iteration {i}", 1
"""


def render_script(config: LoopConfig, print_first: int = 5, data: Dataset | None = None) -> str:
    """A Python file that runs on its own: the data, ``render(config)``'s loop, the CLI's printout.

    The lesson's datasets are rebuilt from their recipe; any other ``data`` (a user's own, whose
    key ``config.dataset`` names) is carried in the file, its arrays named by ``array_names``.
    """
    if print_first < 0:
        raise ValueError(f"print_first must be 0 or more, not {print_first}")
    carried = config.dataset not in SLEEP_RECIPES
    if carried and (data is None or data.key != config.dataset):
        raise ValueError(
            f"a script rebuilds only the built-in datasets {sorted(SLEEP_RECIPES)}; for {config.dataset!r} "
            "it needs that data"
        )
    names = array_names(data) if carried else LESSON_NAMES
    head = SCRIPT_HEAD.format(
        imports="import io\n" if carried else "",
        data=_carried(data, names) if carried else RECIPE.format(sleep=SLEEP_RECIPES[config.dataset]),
        print_first=print_first,
    )
    body = "\n".join(line.text(COMMENT_COLUMN + 4) for line in _script_body(config, names, checked=carried))
    tail = (DIVERGED if carried else "") + SCRIPT_TAIL
    return f'"""{_script_doc(config, print_first, data if carried else None)}"""\n\n{head}{body}\n{tail}'


def _carried(data: Dataset, names: Names) -> str:
    """A user's data as a block of the script: the numbers, and the two arrays made from them."""
    rows = "\n".join(f"{float(x)!r},{float(y)!r}" for x, y in zip(data.x, data.y, strict=True))
    # repr() of a column name: a comment stays on its line, whatever the name holds.
    what = f"The data you used: {len(data):,} rows, x from {data.x_label!r} and y from {data.y_label!r}."
    return CARRIED.format(what=what, rows=rows, x=names[0], y=names[1])


def _script_body(config: LoopConfig, names: Names, checked: bool = False) -> list[Line]:
    """The lesson's code, one level deeper (inside ``try:``), printing each first iteration after backward().

    ``checked``: the loss is checked after it is computed, as the engine checks it (for data not the lesson's).
    """
    body = []
    for line in _program(config, names):
        body.append(Line(line.depth + 1, line.code, line.comment))
        if checked and line.code.startswith("loss = "):
            body.append(Line(line.depth + 1, "check(loss)", "# ends the run if the loss overflowed"))
        if line.code == "loss.backward()":
            body.append(Line(line.depth + 1, "if i < PRINT_FIRST:"))
            body.append(Line(line.depth + 2, "show(i, m, b, loss)", "# the values before this update"))
    return body


def _script_doc(config: LoopConfig, print_first: int, data: Dataset | None) -> str:
    """The script's docstring: which settings it runs, on which data, and what it prints."""
    name = matching_draft(config)
    what = (
        LESSON_DRAFTS[name].title
        if name
        else "The lesson's loop; how it differs from the solution: " + "; ".join(differences(config))
    )
    start = f"({_number(config.m0)}, {_number(config.b0)})"
    steps = f"{config.iterations:,} iterations" if config.loops else "a single step"
    if data is None:
        title = BUILTIN_DATASETS[config.dataset]
        on = f"the lesson's {title[0].lower()}{title[1:]}"
    else:  # the column names stay out of the docstring: they could hold anything, quotes included
        on = f"your own data ({len(data):,} rows, carried in this file)"
    command = "`python -m core` prints" if data is None else "the dashboard's Printed output shows"
    paragraphs = [
        f"A script that runs on its own, written by Gradient Descent Drafts. {what}.",
        f"Learning rate {config.lr!r}, starting from (m, b) = {start}, {steps}, on {on}.",
        f"Run it with `python` and this file's name. It prints the first {print_first} iterations as the "
        "lesson does (values before each update), the warnings torch gave, then the final (m, b), or the "
        f"error that ended the run (and exits with status 1): what {command} for these settings.",
    ]
    return "\n\n".join(textwrap.fill(paragraph, width=92) for paragraph in paragraphs) + "\n"
