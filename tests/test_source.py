"""The code panel's source is the code the engine runs: executed, it ends exactly as the engine."""

from __future__ import annotations

import ast
import itertools
import re
import warnings

import pytest

from core import ROOT
from core.code.source import MARK, MISSING, array_names, render, render_marked
from core.ingest.upload import load_csv
from core.lesson.data import Dataset, load_builtin
from core.lesson.drafts import DRAFTS, SOLUTION, LoopConfig, Update
from core.run import engine

COMBINATIONS = [
    LoopConfig(no_grad=no_grad, update=update, zero_grad=zero_grad, iterations=iterations)
    for no_grad, update, zero_grad, iterations in itertools.product(
        [True, False], list(Update), [True, False], [1, 10_000]
    )
]


def execute(source: str, dataset: str | Dataset = "solution"):
    """Run rendered source as a script, given the data's arrays: its final (m, b), or the exception, and warnings."""
    data = load_builtin(dataset) if isinstance(dataset, str) else dataset
    x_name, y_name = array_names(data)
    namespace = {x_name: data.x.copy(), y_name: data.y.copy()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(compile(source, "<rendered>", "exec"), namespace)
        except Exception as error:
            ended = ("raised", type(error).__name__, str(error), namespace.get("i", 0))
        else:
            ended = ("finished", namespace["m"].item(), namespace["b"].item())
    return ended, [str(w.message) for w in caught]


def engine_ended(outcome):
    if outcome.status == "raised":
        return ("raised", outcome.error.type, outcome.error.message, outcome.error.iteration)
    return (outcome.status, outcome.final_m, outcome.final_b)


def test_there_are_24_combinations():
    assert len(set(COMBINATIONS)) == 24


@pytest.mark.parametrize("config", COMBINATIONS, ids=lambda c: f"{c.no_grad}-{c.update}-{c.zero_grad}-{c.iterations}")
def test_rendered_source_ends_exactly_as_the_engine(run, config):
    ended, script_warnings = execute(render(config))
    outcome = run(config).outcome
    assert ended == engine_ended(outcome)  # bit for bit: floats compared with ==
    assert script_warnings == [w.message for w in outcome.warnings]


def test_the_solution_is_the_lessons_code():
    assert render(SOLUTION) == (
        "import torch\n"
        "\n"
        "m = torch.tensor([0], requires_grad=True, dtype=torch.float32)\n"
        "b = torch.tensor([0], requires_grad=True, dtype=torch.float32)\n"
        "x = torch.from_numpy(screentime)\n"
        "y = torch.from_numpy(sleep)\n"
        "for i in range(10_000):\n"
        "    yhat = m*x + b\n"
        "    loss = torch.sqrt(torch.mean((yhat - y)**2))   # root mean square error\n"
        "    loss.backward()                                # reverse-mode differentiation\n"
        "    with torch.no_grad():\n"
        "        m -= 0.02*m.grad\n"
        "        b -= 0.02*b.grad\n"
        "    m.grad = None                                  # zero out the gradients\n"
        "    b.grad = None\n"
    )


def test_draft_1_is_one_step_with_reassignment_and_no_zeroing():
    code = render(DRAFTS["1"])
    assert "for i in" not in code and "no_grad" not in code and ".grad = None" not in code
    assert "m = m - 0.02*m.grad\nb = b - 0.02*b.grad\n" in code


def test_settings_appear_as_literals():
    code = render(LoopConfig(lr=0.5, m0=-1.25, b0=3.0, iterations=250))
    assert "m -= 0.5*m.grad" in code and "torch.tensor([-1.25]" in code and "torch.tensor([3.0]" in code
    assert "for i in range(250):" in code


def test_a_run_from_another_start_and_rate_matches_the_engine(run):
    config = LoopConfig(lr=0.05, m0=-1.25, b0=3.0, iterations=300, dataset="problem")
    ended, _ = execute(render(config), "problem")
    assert ended == engine_ended(run(config).outcome)


@pytest.mark.parametrize("config", COMBINATIONS, ids=lambda c: f"{c.no_grad}-{c.update}-{c.zero_grad}-{c.iterations}")
def test_marked_source_is_the_same_program(config):
    assert ast.dump(ast.parse(render_marked(config))) == ast.dump(ast.parse(render(config)))


def test_marks_name_each_difference_from_the_solution():
    assert MARK not in render_marked(SOLUTION)
    assert render_marked(SOLUTION) == render(SOLUTION)
    draft3 = render_marked(DRAFTS["3"])
    assert "    # missing here: m.grad = None\n    # missing here: b.grad = None\n" in draft3
    # Draft 1 lacks the loop, the no_grad block and the zeroing, and writes the update differently.
    assert render_marked(DRAFTS["1"]).endswith(
        "# missing here: for i in range(10_000):\n"
        "yhat = m*x + b\n"
        "loss = torch.sqrt(torch.mean((yhat - y)**2))       # root mean square error\n"
        "loss.backward()                                    # reverse-mode differentiation\n"
        "# missing here: with torch.no_grad():\n"
        "m = m - 0.02*m.grad  # solution: m -= 0.02*m.grad\n"
        "b = b - 0.02*b.grad  # solution: b -= 0.02*b.grad\n"
        "# missing here: m.grad = None\n"
        "# missing here: b.grad = None\n"
    )


def solution_statements(config: LoopConfig) -> list[str]:
    """The statements of the solution with this configuration's settings (rate, start, iterations)."""
    iterations = config.iterations if config.loops else SOLUTION.iterations
    like = SOLUTION.with_changes(optimizer=config.optimizer, iterations=iterations, lr=config.lr)
    return [line.strip() for line in render(like).splitlines() if line.strip()]


@pytest.mark.parametrize("config", COMBINATIONS, ids=lambda c: f"{c.no_grad}-{c.update}-{c.zero_grad}-{c.iterations}")
def test_every_statement_of_the_solution_is_in_the_code_or_named_by_a_mark(config):
    marked = render_marked(config)
    shown = {line.split("  #")[0].strip() for line in marked.splitlines()}  # each line's code
    named = set(re.findall(rf"(?:{MARK}|{MISSING}) (.+)$", marked, flags=re.MULTILINE))
    for statement in solution_statements(config):
        assert statement.split("  #")[0].strip() in shown | named, statement


def test_settings_are_not_marked_only_bugs():
    """A learning rate, a start or a number of iterations of its own is no departure from the solution."""
    config = LoopConfig(lr=0.05, m0=1.5, b0=-2.0, iterations=300)
    assert render_marked(config) == render(config)
    assert "# solution: m -= 0.05*m.grad" in render_marked(config.with_changes(update=Update.REASSIGN))


@pytest.mark.parametrize("key", DRAFTS)
def test_marked_lines_fit_a_narrow_column(key):
    """The Lab's code sits in a column about 60 characters wide: a mark does not make a line longer."""
    marked = render_marked(DRAFTS[key])
    widest = max(len(line) for line in render(DRAFTS[key]).splitlines())
    assert all(len(line) <= max(widest, 60) for line in marked.splitlines())


SGD_CONFIGS = [
    DRAFTS["sgd"].with_changes(zero_grad=zero_grad, iterations=iterations)
    for zero_grad in (True, False)
    for iterations in (1, 10_000)
]


@pytest.mark.parametrize("config", SGD_CONFIGS, ids=lambda c: f"sgd-{c.zero_grad}-{c.iterations}")
def test_rendered_sgd_source_ends_exactly_as_the_engine(run, config):
    ended, script_warnings = execute(render(config))
    outcome = run(config).outcome
    assert ended == engine_ended(outcome)  # bit for bit: the same torch.optim.SGD calls
    assert script_warnings == [w.message for w in outcome.warnings] == []


def test_the_idiomatic_draft_is_written_as_a_learner_writes_it():
    assert render(DRAFTS["sgd"]) == (
        "import torch\n"
        "\n"
        "m = torch.tensor([0], requires_grad=True, dtype=torch.float32)\n"
        "b = torch.tensor([0], requires_grad=True, dtype=torch.float32)\n"
        "x = torch.from_numpy(screentime)\n"
        "y = torch.from_numpy(sleep)\n"
        "optimizer = torch.optim.SGD([m, b], lr=0.02)\n"
        "for i in range(10_000):\n"
        "    yhat = m*x + b\n"
        "    loss = torch.sqrt(torch.mean((yhat - y)**2))   # root mean square error\n"
        "    loss.backward()                                # reverse-mode differentiation\n"
        "    optimizer.step()                               # updates m and b in place, without autograd\n"
        "    optimizer.zero_grad()                          # zero out the gradients (sets them to None)\n"
    )
    assert "optimizer.zero_grad()" not in render(DRAFTS["sgd"].with_changes(zero_grad=False))
    assert "lr=0.5)" in render(DRAFTS["sgd"].with_changes(lr=0.5))


@pytest.mark.parametrize("config", SGD_CONFIGS, ids=lambda c: f"sgd-{c.zero_grad}-{c.iterations}")
def test_marked_sgd_source_is_the_same_program(config):
    assert ast.dump(ast.parse(render_marked(config))) == ast.dump(ast.parse(render(config)))


def test_sgd_is_marked_against_the_idiomatic_solution():
    """Writing the loop with torch.optim is no bug: only a forgotten zero_grad() is marked."""
    assert render_marked(DRAFTS["sgd"]) == render(DRAFTS["sgd"])
    forgotten = render_marked(DRAFTS["sgd"].with_changes(zero_grad=False))
    assert forgotten.endswith(
        "    optimizer.step()" + " " * 31 + "# updates m and b in place, without autograd\n"
        "    # missing here: optimizer.zero_grad()\n"
    )


# --- a user's own data: the arrays named after its columns -----------------------------------------


def labelled(x_label: str, y_label: str) -> Dataset:
    sample = load_csv((ROOT / "data" / "sample_upload.csv").read_bytes())
    return Dataset(sample.key, sample.title, sample.x, sample.y, x_label=x_label, y_label=y_label)


@pytest.mark.parametrize(
    ("x_label", "y_label", "names"),
    [
        ("hours_studied", "exam_score", ("hours_studied", "exam_score")),
        ("Hours studied", "Exam score (%)", ("hours_studied", "exam_score")),
        ("Größe", "Gewicht", ("größe", "gewicht")),
        ("2019", "sales", ("x_data", "sales")),  # not an identifier
        ("x", "y", ("x_data", "y_data")),  # the code's own names
        ("m", "loss", ("x_data", "y_data")),
        ("print", "class", ("x_data", "y_data")),  # a builtin, a keyword
        ("a b", "a-b", ("x_data", "y_data")),  # the same name twice
        ("", "$$$", ("x_data", "y_data")),
        ("a" * 40, "ok", ("x_data", "ok")),  # too long for a line of code
    ],
)
def test_array_names_come_from_the_column_names(x_label, y_label, names):
    assert array_names(labelled(x_label, y_label)) == names
    assert array_names(None) == array_names(load_builtin("solution")) == ("screentime", "sleep")


UPLOAD_CONFIGS = [
    SOLUTION.with_changes(iterations=200, lr=0.001),
    DRAFTS["1"].with_changes(iterations=2),
    DRAFTS["3"].with_changes(iterations=50, lr=0.001),
    DRAFTS["sgd"].with_changes(iterations=20, lr=0.001),
]


@pytest.mark.parametrize("config", UPLOAD_CONFIGS, ids=str)
def test_code_on_a_users_data_uses_its_column_names_and_ends_as_the_engine(config):
    data = labelled("Hours studied", "Exam score")
    config = config.with_changes(dataset=data.key)
    names = array_names(data)
    code = render(config, names)
    assert "x = torch.from_numpy(hours_studied)\ny = torch.from_numpy(exam_score)\n" in code
    assert "screentime" not in code and "sleep" not in code
    assert ast.dump(ast.parse(render_marked(config, names))) == ast.dump(ast.parse(code))
    ended, _ = execute(code, data)
    assert ended == engine_ended(engine.run(config, data).outcome)
