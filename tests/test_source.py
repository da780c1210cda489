"""The code panel's source is the code the engine runs: executed, it ends exactly as the engine."""

from __future__ import annotations

import ast
import itertools
import warnings

import pytest

from core.data import load_builtin
from core.drafts import DRAFTS, SOLUTION, LoopConfig, Update
from core.source import MARK, render, render_marked

COMBINATIONS = [
    LoopConfig(no_grad=no_grad, update=update, zero_grad=zero_grad, iterations=iterations)
    for no_grad, update, zero_grad, iterations in itertools.product(
        [True, False], list(Update), [True, False], [1, 10_000]
    )
]


def execute(source: str, dataset: str = "solution"):
    """Run rendered source as a script: its final (m, b), or the exception, and warnings."""
    data = load_builtin(dataset)
    namespace = {"screentime": data.x.copy(), "sleep": data.y.copy()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(compile(source, "<rendered>", "exec"), namespace)
        except Exception as error:
            ended = ("raised", type(error).__name__, str(error), namespace.get("i", 0))
        else:
            ended = ("finished", namespace["m"].item(), namespace["b"].item())
    return ended, [str(w.message) for w in caught]


def engine_ending(outcome):
    if outcome.status == "raised":
        return ("raised", outcome.error.type, outcome.error.message, outcome.error.iteration)
    return (outcome.status, outcome.final_m, outcome.final_b)


def test_there_are_24_combinations():
    assert len(set(COMBINATIONS)) == 24


@pytest.mark.parametrize("config", COMBINATIONS, ids=lambda c: f"{c.no_grad}-{c.update}-{c.zero_grad}-{c.iterations}")
def test_rendered_source_ends_exactly_as_the_engine(run, config):
    ended, script_warnings = execute(render(config))
    outcome = run(config).outcome
    assert ended == engine_ending(outcome)  # bit for bit: floats compared with ==
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
    assert ended == engine_ending(run(config).outcome)


@pytest.mark.parametrize("config", COMBINATIONS, ids=lambda c: f"{c.no_grad}-{c.update}-{c.zero_grad}-{c.iterations}")
def test_marked_source_is_the_same_program(config):
    assert ast.dump(ast.parse(render_marked(config))) == ast.dump(ast.parse(render(config)))


def test_marks_name_each_difference_from_the_solution():
    assert MARK not in render_marked(SOLUTION)
    assert render_marked(SOLUTION) == render(SOLUTION)
    draft3 = render_marked(DRAFTS["3"])
    assert "    # missing here; the solution has: m.grad = None" in draft3
    draft1 = render_marked(DRAFTS["1"])
    assert "# missing here; the solution has: for i in range(10_000):" in draft1
    assert [line for line in draft1.splitlines() if line.endswith(MARK)] == [
        "m = m - 0.02*m.grad                                " + MARK,
        "b = b - 0.02*b.grad                                " + MARK,
    ]


SGD_CONFIGS = [
    DRAFTS["sgd"].with_changes(zero_grad=zero_grad, iterations=iterations)
    for zero_grad in (True, False)
    for iterations in (1, 10_000)
]


@pytest.mark.parametrize("config", SGD_CONFIGS, ids=lambda c: f"sgd-{c.zero_grad}-{c.iterations}")
def test_rendered_sgd_source_ends_exactly_as_the_engine(run, config):
    ended, script_warnings = execute(render(config))
    outcome = run(config).outcome
    assert ended == engine_ending(outcome)  # bit for bit: the same torch.optim.SGD calls
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
        "    # missing here; the solution has: optimizer.zero_grad()\n"
    )
