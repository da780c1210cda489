"""A configuration as a Jupyter notebook: a markdown cell for each step of the lesson, the code that
ran, and a cell that plots the fitted line over the data.

Its cells are ``core.code.script``'s pieces: run top to bottom, the notebook prints exactly what
``python -m core`` prints for the same settings (a test executes it with nbclient and compares).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from core.code.script import (
    PRINTING,
    SCRIPT_IMPORTS,
    checked,
    data_block,
    printing_fields,
    script_body,
    script_names,
)
from core.code.source import COMMENT_COLUMN, Line, program
from core.lesson.data import BUILTIN_DATASETS, Dataset
from core.lesson.drafts import LESSON_DRAFTS, LoopConfig, Update, differences, matching_draft

# The loop cell ends as the script does, without sys.exit(): a notebook's kernel goes on.
EXCEPT_DIVERGED = """\
except Diverged:  # the loss overflowed: the dashboard's "diverged"
    last_line = f"diverged at iteration {i}"
"""
LOOP_TAIL = """\
except Exception as error:  # one of the lesson's statements raised: that is how this run ends
    last_line = f"{type(error).__name__}: {error} (iteration {i})"
else:
    last_line = f"(m, b) = ({m.item()!r}, {b.item()!r})"
print(*warned, last_line, sep="\\n")"""

PLOT = """\
import altair as alt
import pandas as pd

points = pd.DataFrame({{"{x}": {x}, "{y}": {y}}})
ends = pd.DataFrame({{"{x}": [{x}.min(), {x}.max()]}})
ends["{y}"] = m.item() * ends["{x}"] + b.item()  # the final line, in the original coordinates
dots = alt.Chart(points).mark_circle(opacity=0.4).encode(x="{x}:Q", y="{y}:Q")
line = alt.Chart(ends).mark_line(color="firebrick", strokeWidth=3).encode(x="{x}:Q", y="{y}:Q")
(dots + line).properties(title="The data and the final line")"""


def _setup_and_loop(config: LoopConfig, names: tuple[str, str]) -> tuple[list[Line], list[Line]]:
    """The lesson's code split where the learner's statements begin: the tensors, then the step or loop."""
    lines = program(config, names)
    start = next(n for n, line in enumerate(lines) if line.code.startswith(("for i in", "yhat =")))
    return lines[:start], lines[start:]


def _introduction(config: LoopConfig, print_first: int) -> str:
    """The notebook's first cell: which loop it runs, with which settings, and what it prints."""
    name = matching_draft(config)
    what = LESSON_DRAFTS[name].title if name else "The lesson's loop, changed: " + "; ".join(differences(config))
    steps = f"{config.iterations:,} iterations" if config.loops else "a single step"
    on = BUILTIN_DATASETS.get(config.dataset, "your own data")
    return (
        "# Fit `sleep = m * screentime + b` by gradient descent\n\n"
        f"Written by Gradient Descent Drafts. **{what}.**\n\n"
        f"Learning rate {config.lr!r}, {steps}, on {on}. Run the cells in order: the loop prints its first "
        f"{print_first} iterations as the lesson does (values before each update), the warnings torch gave, "
        "then the final `(m, b)` or the error that ended the run, exactly as `python -m core` does for these "
        "settings."
    )


def _tensors_words(config: LoopConfig) -> str:
    """The markdown before the tensors: what m, b, x and y are, from the configuration's own code."""
    words = (
        "## Step 2: the parameters and the data as tensors\n\n"
        "`m` and `b` are leaves that require grad: autograd records what is computed from them. `x` and `y` "
        "come from numpy with `torch.from_numpy` (float64, no grad)."
    )
    if config.center:
        words += " Here x is centred: the loop fits `m*(x - mean) + b`, and `b` is turned back at the end."
    if config.optimizer:
        words += f" The update is done by `{config.algorithm.constructor(repr(config.lr))}`."
    return words


def _loop_words(config: LoopConfig) -> str:
    """The markdown before the loop: each of its statements, as this configuration writes it."""
    step = "Each iteration" if config.loops else "The single step"
    updates = "`optimizer.step()`" if config.optimizer else f"`{config.update.statement(lr=repr(config.lr))}`"
    zeroing = "zeroes the gradients" if config.zero_grad else "never zeroes the gradients, so `.grad` accumulates"
    return (
        f"## Step 3: {'the loop' if config.loops else 'one step'}\n\n"
        f"{step}: the forward pass `yhat = m*x + b`; the loss, the {config.loss.words}; `loss.backward()`, which "
        f"{_backward_words(config)} (reverse-mode differentiation); the update, {updates}"
        f"{' inside `torch.no_grad()`' if config.no_grad and not config.optimizer else ''}; and then it {zeroing}."
    )


def _backward_words(config: LoopConfig) -> str:
    """What backward() fills: ``m.grad`` and ``b.grad``, except once a reassignment outside no_grad made new ones."""
    if config.loops and not config.no_grad and config.update is Update.REASSIGN and not config.optimizer:
        return (
            "fills `m.grad` and `b.grad` at the first iteration only: the reassignment makes new `m` and `b` that "
            "are not leaves, so from then on `backward()` fills the `.grad` of the leaves they were made from, and "
            "the new `m.grad` stays `None`"
        )
    return "fills `m.grad` and `b.grad`"


def _data_words(config: LoopConfig, data: Dataset | None) -> str:
    """What the data cell makes."""
    if config.dataset in BUILTIN_DATASETS:
        return "500 people's daily screen time and hours of sleep, from the lesson's exact recipe."
    assert data is not None  # build refuses a user's dataset without its data
    return f"Your own data, {len(data):,} rows, carried in the notebook."


def build(config: LoopConfig, print_first: int = 5, data: Dataset | None = None) -> nbformat.NotebookNode:
    """The notebook of ``config``: markdown for each step of the lesson, the code that ran, and a plot."""
    if print_first < 0:
        raise ValueError(f"print_first must be 0 or more, not {print_first}")
    if config.dataset not in BUILTIN_DATASETS and (data is None or data.key != config.dataset):
        raise ValueError(f"a notebook of {config.dataset!r} needs that data")
    names = script_names(config, data)
    setup, loop = _setup_and_loop(config, names)
    imports = SCRIPT_IMPORTS.format(imports="" if config.dataset in BUILTIN_DATASETS else "import io\n")
    imports = imports.replace("import sys\n", "")  # the script's sys.exit() has no place in a notebook
    body = script_body(loop, checked(config))
    code = "\n".join(line.text(COMMENT_COLUMN + 4) for line in body)
    tail = (EXCEPT_DIVERGED if checked(config) else "") + LOOP_TAIL
    cells = [
        new_markdown_cell(_introduction(config, print_first)),
        new_markdown_cell(f"## Step 1: the data\n\n{_data_words(config, data)}"),
        new_code_cell(f"{imports}\n{data_block(config, data)}"),
        new_markdown_cell("### Printing as the lesson does\n\nThe values of each first iteration, before its update."),
        new_code_cell(PRINTING.format(**printing_fields(config, print_first)).rstrip()),
        new_markdown_cell(_tensors_words(config)),
        new_code_cell("\n".join(line.text() for line in setup)),
        new_markdown_cell(_loop_words(config)),
        new_code_cell(f"i = 0  # the iteration running (a single step is iteration 0)\ntry:\n{code}\n{tail}"),
        new_markdown_cell("## Step 4: the result\n\nThe data, and the line the loop ended on."),
        new_code_cell(PLOT.format(x=names[0], y=names[1])),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def to_text(config: LoopConfig, print_first: int = 5, data: Dataset | None = None) -> str:
    """The notebook of ``config`` as the JSON text of an .ipynb file."""
    return nbformat.writes(build(config, print_first, data))


def write(config: LoopConfig, path: str | Path, print_first: int = 5, data: Dataset | None = None) -> None:
    """Write the notebook of ``config`` to ``path``."""
    Path(path).write_text(to_text(config, print_first, data), encoding="utf-8")
