"""The standalone script of a configuration runs on its own and prints exactly what ``python -m core`` prints."""

from __future__ import annotations

import ast
import subprocess
import sys

import numpy as np
import pytest

from core import ROOT
from core.cli import arguments, main
from core.code.script import render_script
from core.code.source import array_names, render
from core.ingest.upload import dataset_key, load_csv
from core.lesson.data import Dataset, load_builtin
from core.lesson.drafts import DRAFTS, SOLUTION, LoopConfig
from core.run import engine
from core.words.printout import report_lines

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


def test_other_data_must_be_given_and_prints_must_be_sensible():
    with pytest.raises(ValueError, match="built-in datasets"):
        render_script(SOLUTION.with_changes(dataset="upload-1234"))
    with pytest.raises(ValueError, match="built-in datasets"):
        render_script(SOLUTION.with_changes(dataset="upload-1234"), data=users_data())  # another dataset's key
    with pytest.raises(ValueError, match="print_first"):
        render_script(SOLUTION, print_first=-1)


# --- a user's own data, carried in the script -------------------------------------------------------


def users_data(x=None, y=None, x_label: str = "Hours studied", y_label: str = "Exam score") -> Dataset:
    """A user's dataset, as the Data page makes it: its key from its values and column names."""
    if x is None:
        sample = load_csv((ROOT / "data" / "sample_upload.csv").read_bytes())
        x, y = sample.x, sample.y
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    key = dataset_key(x, y, x_label, y_label)
    return Dataset(key, "Your data", x, y, x_label=x_label, y_label=y_label)


def run_script(tmp_path, script: str) -> subprocess.CompletedProcess:
    path = tmp_path / "lesson.py"
    path.write_text(script)
    return subprocess.run(
        [sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300
    )


USER_CASES = {
    "solution": (SOLUTION.with_changes(iterations=300, lr=0.001), 5),
    "Draft 1 looped": (DRAFTS["1"].with_changes(iterations=2), 5),
    "Draft 3": (DRAFTS["3"].with_changes(iterations=40, lr=0.001), 3),
    "sgd": (DRAFTS["sgd"].with_changes(iterations=10, lr=0.001), 2),
}


@pytest.mark.parametrize(("config", "print_first"), USER_CASES.values(), ids=USER_CASES.keys())
def test_a_script_on_a_users_data_prints_what_the_engine_gives(tmp_path, config, print_first):
    data = users_data()
    config = config.with_changes(dataset=data.key)
    completed = run_script(tmp_path, render_script(config, print_first, data))
    result = engine.run(config, data)
    assert completed.stderr == ""
    assert completed.stdout == "\n".join(report_lines(result, print_first)) + "\n"
    assert completed.returncode == (0 if result.outcome.finished else 1)


def test_a_script_on_a_users_data_ends_a_diverging_run_as_the_engine_does(tmp_path):
    data = users_data([1e200, 2e200, 3e200], [1.0, 2.0, 4.0])  # the loss overflows at once
    config = SOLUTION.with_changes(dataset=data.key, iterations=5)
    result = engine.run(config, data)
    assert result.outcome.status == "diverged"
    completed = run_script(tmp_path, render_script(config, 5, data))
    assert (completed.returncode, completed.stdout) == (1, "\n".join(report_lines(result, 5)) + "\n")


def test_the_carried_data_reads_back_to_the_same_numbers_whatever_the_column_names():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(size=200) * 10.0 ** rng.integers(-300, 300, size=200), [5e-324, 1.7e308, -0.0]])
    y = rng.normal(size=len(x))
    hostile = 'a"""b\nprint("x")\\'  # quotes, a line break, a backslash: none may break the file
    data = users_data(x, y, x_label=hostile, y_label="größe")
    script = render_script(SOLUTION.with_changes(dataset=data.key), data=data)
    ast.parse(script)
    namespace: dict = {}
    exec(compile(script.split("\nPRINT_FIRST")[0], "<data>", "exec"), namespace)  # imports and data
    names = array_names(data)
    assert names == ("a_b_print_x", "größe")
    assert np.array_equal(namespace[names[0]], data.x) and np.array_equal(namespace[names[1]], data.y)
    assert "your own data (203 rows, carried in this file)" in " ".join(ast.get_docstring(ast.parse(script)).split())
