"""A configuration's code as a file that runs on its own and prints what ``python -m core`` prints.

``render_script(config)`` wraps ``core.code.source``'s code (the code the engine runs) with the data,
the lesson's per-iteration print and the warnings torch gave; for a user's own data the file
carries that data. The pieces (the data block, the printing helpers, the loop with its prints)
are also what ``core.code.notebook`` puts in its cells.
"""

from __future__ import annotations

import textwrap

from core.code.source import COMMENT_COLUMN, LESSON_NAMES, Line, Names, array_names, literal, program
from core.lesson.data import BUILTIN_DATASETS, Dataset
from core.lesson.drafts import LESSON_DRAFTS, LoopConfig, Loss, differences, matching_draft

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
CARRIED_DATA = """\
# {what}
DATA = \"\"\"\\
{rows}
\"\"\"
values = np.loadtxt(io.StringIO(DATA), delimiter=",", ndmin=2)
{x} = values[:, 0].copy()
{y} = values[:, 1].copy()"""

# The engine's divergence check, for loops whose loss can overflow: on a user's data, or with the MSE.
CHECK = """


class Diverged(Exception):
    \"\"\"The loss is no longer a finite number: the dashboard ends a run there, and so does this script.\"\"\"


def check(loss):
    \"\"\"Raise Diverged once the loss has overflowed (the lesson's data never gets there; other data can).\"\"\"
    if not np.isfinite(loss.item()):
        raise Diverged"""

SCRIPT_IMPORTS = """\
{imports}import sys
import warnings

import numpy as np
import torch
"""

PRINTING = """\
PRINT_FIRST = {print_first}  # how many iterations to print


def rounded(value):
    \"\"\"A number as the lesson prints it, to 3 decimals; None where there is no gradient.\"\"\"
    return None if value is None else round(value.item(), 3)


def grad(tensor):
    \"\"\"tensor.grad, read without the warning torch gives for a non-leaf (which keeps no gradient).\"\"\"
    return tensor.grad if tensor.is_leaf or tensor.retains_grad else None


def show(i, m, b, loss):
    \"\"\"The lesson's print: one iteration's values, before its update.\"\"\"{b_shown}
    print(
        f"iteration {{i}}: (m, b) = ({{rounded(m)}}, {{rounded({b_value})}}), "
        f"(m.grad, b.grad) = ({{rounded(grad(m))}}, {{rounded(grad(b))}}), loss = {{rounded(loss)}}"
    )


def keep(message, category, *where):
    \"\"\"Keep a warning torch gives, with the iteration it came from, to print at the end.\"\"\"
    warned.append(f"{{category.__name__}}: {{message}} (iteration {{i}})")


warned = []
warnings.simplefilter("always")  # every warning, each time it is given, not just the first time
warnings.showwarning = keep
"""

SCRIPT_HEAD = (
    SCRIPT_IMPORTS
    + "\n{data}\n\n"
    + PRINTING
    + """
i = 0  # the iteration running (a single step is iteration 0)
status = 0
try:
"""
)

# With x centred, b is printed in the original coordinates, as the loop's last statement leaves it.
CENTRED_B = """
    with torch.no_grad():
        b_shown = b - m*x_mean  # b for the original x (the gradients printed are the centred loop's)"""

# No divergence check for the RMSE on the built-in datasets, unlike the engine: there the loss cannot
# overflow within the settings' bounds. Each backward() adds at most rms(x) <= 12 to |m.grad| (and 1
# to |b.grad|), so even accumulated over 100,000 iterations at lr = 100, |m| stays below about 1e13
# (momentum 1 sums the same gradients; momentum 0.9 and Adam take smaller steps). The MSE's gradient
# grows with the distance, so MSE loops are checked (see ``checked``).
SCRIPT_TAIL = """\
except Exception as error:  # one of the lesson's statements raised: that is how this run ends
    last_line, status = f"{type(error).__name__}: {error} (iteration {i})", 1
else:
    last_line = f"(m, b) = ({m.item()!r}, {b.item()!r})"
print(*warned, last_line, sep="\\n")
sys.exit(status)
"""
EXCEPT_DIVERGED = """\
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
    names = script_names(config, data)
    head = SCRIPT_HEAD.format(
        imports="import io\n" if carried else "", data=data_block(config, data), **printing_fields(config, print_first)
    )
    body = "\n".join(line.text(COMMENT_COLUMN + 4) for line in script_body(program(config, names), checked(config)))
    tail = (EXCEPT_DIVERGED if checked(config) else "") + SCRIPT_TAIL
    return f'"""{_script_doc(config, print_first, data if carried else None)}"""\n\n{head}{body}\n{tail}'


def checked(config: LoopConfig) -> bool:
    """Whether the code checks the loss after computing it, as the engine does: for data not the lesson's,
    whose loss can overflow, and for the MSE, whose gradient grows without bound."""
    return config.dataset not in SLEEP_RECIPES or config.loss is Loss.MSE


def script_names(config: LoopConfig, data: Dataset | None) -> Names:
    """What the code calls the data's arrays: the lesson's names, or names made from a user's columns."""
    return array_names(data) if config.dataset not in SLEEP_RECIPES else LESSON_NAMES


def data_block(config: LoopConfig, data: Dataset | None) -> str:
    """The code that makes the data's two arrays (the lesson's recipe, or a user's numbers), and the
    loss check where the code needs one."""
    if config.dataset in SLEEP_RECIPES:
        block = RECIPE.format(sleep=SLEEP_RECIPES[config.dataset])
    else:
        assert data is not None  # render_script and the notebook refuse a user's dataset without its data
        block = _carried(data, script_names(config, data))
    return block + (CHECK if checked(config) else "")


def printing_fields(config: LoopConfig, print_first: int) -> dict:
    """The values ``PRINTING`` is formatted with: how many iterations, and which b the print shows."""
    return {
        "print_first": print_first,
        "b_shown": CENTRED_B if config.center else "",
        "b_value": "b_shown" if config.center else "b",
    }


def _carried(data: Dataset, names: Names) -> str:
    """A user's data as a block of the script: the numbers, and the two arrays made from them."""
    rows = "\n".join(f"{float(x)!r},{float(y)!r}" for x, y in zip(data.x, data.y, strict=True))
    # repr() of a column name: a comment stays on its line, whatever the name holds.
    what = f"The data you used: {len(data):,} rows, x from {data.x_label!r} and y from {data.y_label!r}."
    return CARRIED_DATA.format(what=what, rows=rows, x=names[0], y=names[1])


def script_body(lines: list[Line], checked: bool = False) -> list[Line]:
    """The lesson's ``lines``, one level deeper (inside ``try:``), printing each first iteration after backward().

    ``checked``: the loss is checked after it is computed, as the engine checks it.
    """
    body = []
    for line in lines:
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
    start = f"({literal(config.m0)}, {literal(config.b0)})"
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


def render_draft(code: str, data: Dataset) -> str:
    """A learner's own draft as a file that runs on its own: the data it ran on, then the draft as written.

    The arrays are ``screentime`` and ``sleep`` whatever the data, as the sandbox gives them.
    """
    if data.key in SLEEP_RECIPES:
        imports, block = "", RECIPE.format(sleep=SLEEP_RECIPES[data.key])
        on = f"the lesson's {BUILTIN_DATASETS[data.key][0].lower()}{BUILTIN_DATASETS[data.key][1:]}"
    else:
        imports, block = "import io\n\n", _carried(data, LESSON_NAMES)
        on = f"your own data ({len(data):,} rows, carried in this file)"
    doc = f"Your own draft, written in Gradient Descent Drafts, on {on}. Run it with `python` and this file's name."
    return f'"""{textwrap.fill(doc, width=92)}\n"""\n\n{imports}import numpy as np\n\n{block}\n\n{code.rstrip()}\n'
