"""The standalone script of a configuration runs on its own and prints exactly what ``python -m core`` prints."""

from __future__ import annotations

import ast
import subprocess
import sys

import numpy as np
import pytest

from core.cli import arguments, main
from core.data import load_builtin
from core.drafts import DRAFTS, SOLUTION, LoopConfig
from core.source import render, render_script

CASES = {
    "solution, 3 iterations": (SOLUTION.with_changes(iterations=3), 5),
    "Draft 1, 2 iterations": (DRAFTS["1"].with_changes(iterations=2), 5),
    "in place outside no_grad": (SOLUTION.with_changes(no_grad=False, iterations=4), 5),
    "Draft 3, 20 iterations": (DRAFTS["3"].with_changes(iterations=20), 12),
    "sgd, 5 iterations": (DRAFTS["sgd"].with_changes(iterations=5), 5),
    "problem data, one step": (SOLUTION.with_changes(dataset="problem", iterations=1), 1),
}


def cli_output(capsys, config: LoopConfig, print_first: int) -> tuple[int, str]:
    status = main(arguments(config, print_first))
    return status, capsys.readouterr().out


@pytest.mark.parametrize(("config", "print_first"), CASES.values(), ids=CASES.keys())
def test_the_script_prints_what_the_cli_prints(capsys, tmp_path, config, print_first):
    script = tmp_path / "lesson.py"
    script.write_text(render_script(config, print_first))
    # Run from an empty directory: the script needs nothing of this project.
    completed = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300
    )
    status, printed = cli_output(capsys, config, print_first)
    assert completed.stderr == ""
    assert (completed.returncode, completed.stdout) == (status, printed)


def test_the_cases_cover_every_ending_and_a_warning(capsys):
    printed = [cli_output(capsys, config, 0)[1].splitlines() for config, _ in CASES.values()]
    assert {lines[-1].split(" ")[0] for lines in printed} == {"(m,", "TypeError:", "RuntimeError:"}
    assert any(line.startswith("UserWarning: ") for lines in printed for line in lines)


@pytest.mark.parametrize("config", [DRAFTS["1"], DRAFTS["3"], DRAFTS["sgd"].with_changes(zero_grad=False)])
def test_the_lessons_statements_stand_untouched(config):
    script = render_script(config)
    ast.parse(script)
    for line in render(config).splitlines()[2:]:  # after `import torch` and the blank line
        statement = line.split("#")[0].rstrip()
        assert f"\n    {statement}" in script
    assert script.startswith('"""') and "np.random.default_rng(123)" in script


def test_the_script_says_what_it_runs():
    script = render_script(DRAFTS["3"].with_changes(lr=0.05, dataset="problem"), print_first=2)
    doc = ast.get_docstring(ast.parse(script))
    assert doc.startswith("A script that runs on its own, written by Gradient Descent Drafts. Draft 3: the loop,")
    assert "Learning rate 0.05" in doc and "problem statement data (sleep = base)" in doc
    assert "sleep = base  # the problem statement's data" in script and "PRINT_FIRST = 2 " in script


def test_the_data_recipe_rebuilds_the_builtin_datasets():
    namespace: dict = {}
    for dataset in ("solution", "problem"):
        head = render_script(SOLUTION.with_changes(dataset=dataset)).split("\nPRINT_FIRST")[0]  # imports and data
        exec(compile(head, "<recipe>", "exec"), namespace)
        assert np.array_equal(namespace["screentime"], load_builtin(dataset).x)
        assert np.array_equal(namespace["sleep"], load_builtin(dataset).y)


def test_only_builtin_datasets_and_sensible_prints():
    with pytest.raises(ValueError, match="built-in datasets"):
        render_script(SOLUTION.with_changes(dataset="upload-1234"))
    with pytest.raises(ValueError, match="print_first"):
        render_script(SOLUTION, print_first=-1)
