"""The notebook of a configuration, executed with nbclient from an empty folder, prints what ``python -m core``
prints for the same settings."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from core.cli import arguments, main
from core.code.notebook import build, write
from core.lesson.drafts import DRAFTS, SOLUTION, Algorithm, Loss

CASES = {
    "solution, 3 iterations": (SOLUTION.with_changes(iterations=3), 5),
    "Draft 1, 2 iterations (warns, raises)": (DRAFTS["1"].with_changes(iterations=2), 5),
    "centred MSE with momentum": (
        SOLUTION.with_changes(iterations=200, loss=Loss.MSE, center=True, optimizer=True, algorithm=Algorithm.MOMENTUM),
        3,
    ),
    "MSE above its limit (diverges)": (SOLUTION.with_changes(iterations=300, loss=Loss.MSE, lr=0.05), 2),
}


def printed(notebook) -> str:
    """Everything the notebook's cells printed, in order."""
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stdout"
    )


@pytest.mark.parametrize(("config", "print_first"), CASES.values(), ids=CASES.keys())
def test_the_notebook_prints_what_the_cli_prints(capsys, tmp_path, config, print_first):
    path = tmp_path / "lesson.ipynb"
    write(config, path, print_first)
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    # From an empty folder: the notebook needs nothing of this project.
    resources = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources=resources).execute()
    status = main(arguments(config, print_first))
    assert printed(notebook) == capsys.readouterr().out
    assert not any(o.output_type == "error" for cell in notebook.cells for o in cell.get("outputs", []))
    plot = notebook.cells[-1].outputs
    # Altair's chart, as a kernel without a frontend shows it.
    assert plot and "vega-lite" in plot[0]["data"]["text/html"]
    assert status in (0, 1)


def test_a_markdown_cell_before_each_step_and_the_code_that_ran():
    notebook = build(SOLUTION.with_changes(center=True))
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds[0] == "markdown" and kinds.count("markdown") == 6 and kinds[-1] == "code"
    headings = [cell.source.splitlines()[0] for cell in notebook.cells if cell.cell_type == "markdown"]
    assert [h for h in headings if h.startswith("## Step")] == [
        "## Step 1: the data",
        "## Step 2: the parameters and the data as tensors",
        "## Step 3: the loop",
        "## Step 4: the result",
    ]
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "x = x - x_mean" in code and "        b -= m*x_mean" in code and "sys.exit" not in code


def test_the_command_line_writes_it(tmp_path, capsys):
    path = tmp_path / "n.ipynb"
    assert main(["--draft", "3", "--iterations", "20", "--notebook", str(path)]) == 0
    assert capsys.readouterr().out == f"wrote {path}\n"
    assert "gradients never zeroed" in nbformat.read(path, as_version=4).cells[0].source
