"""``python -m core``: the lesson's print format, flags on top of drafts, exit statuses."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core import ROOT
from core.cli import arguments, build_parser, config_from_args, main
from core.lesson.drafts import DRAFTS, SOLUTION, LoopConfig, Update
from core.words.printout import report_lines

ITERATION_0 = "iteration 0: (m, b) = (0.0, 0.0), (m.grad, b.grad) = (-6.635, -0.917), loss = 5.659"


def run_cli(capsys, *argv: str) -> tuple[int, list[str], str]:
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def test_solution_prints_the_lessons_lines(capsys):
    status, lines, _ = run_cli(capsys, "--print-first", "2")
    assert status == 0
    assert lines == [
        ITERATION_0,
        "iteration 1: (m, b) = (0.133, 0.018), (m.grad, b.grad) = (-5.855, -0.853), loss = 4.81",
        "(m, b) = (-0.7550320029258728, 11.24125862121582)",
    ]


def test_a_second_iteration_of_draft_1_warns_then_raises(capsys):
    status, lines, _ = run_cli(capsys, "--draft", "1", "--iterations", "2", "--print-first", "5")
    assert status == 1
    assert lines[0] == ITERATION_0
    assert lines[1] == "iteration 1: (m, b) = (0.133, 0.018), (m.grad, b.grad) = (None, None), loss = 4.81"
    assert lines[2].startswith("UserWarning: The .grad attribute of a Tensor that is not a leaf Tensor")
    assert lines[2].endswith("(iteration 1)")
    assert lines[3] == "TypeError: unsupported operand type(s) for *: 'float' and 'NoneType' (iteration 1)"
    assert len(lines) == 4


def test_in_place_update_outside_no_grad_raises_at_once(capsys):
    status, lines, _ = run_cli(capsys, "--outside-no-grad", "--iterations", "3")
    assert status == 1
    assert lines == [
        "RuntimeError: a leaf Variable that requires grad is being used in an in-place operation. (iteration 0)"
    ]


def test_flags_override_the_draft(capsys):
    status, lines, _ = run_cli(
        capsys, "--draft", "1", "--inside-no-grad", "--update", "in-place", "--zero-grads", "--iterations", "3"
    )
    status_2, lines_2, _ = run_cli(capsys, "--draft", "3", "--zero-grads", "--iterations", "3")
    status_3, lines_3, _ = run_cli(capsys, "--iterations", "3")
    assert status == status_2 == status_3 == 0
    assert lines == lines_2 == lines_3


def test_problem_dataset_single_step(capsys):
    status, lines, _ = run_cli(capsys, "--dataset", "problem", "--iterations", "1", "--print-first", "1")
    assert status == 0
    assert lines == [
        "iteration 0: (m, b) = (0.0, 0.0), (m.grad, b.grad) = (-6.205, -0.88), loss = 4.76",
        "(m, b) = (0.12410296499729156, 0.017596404999494553)",
    ]


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--lr", "-1"], "learning rate must be between"),
        (["--lr", "nan"], "learning rate must be between"),
        (["--iterations", "0"], "iterations must be between"),
        (["--iterations", "100001"], "iterations must be between"),
        (["--iterations", "ten"], "invalid int value"),
        (["--print-first", "-1"], "--print-first must be 0 or more"),
        (["--draft", "7"], "invalid choice"),
        (["--update", "sideways"], "invalid choice"),
        (["--keep-grads", "--zero-grads"], "not allowed with"),
        (["--draft", "sgd", "--update", "in-place"], "do not apply to torch.optim.SGD"),
        (["--draft", "sgd", "--outside-no-grad"], "do not apply to torch.optim.SGD"),
    ],
)
def test_bad_arguments_exit_2_with_usage(capsys, argv, complaint):
    status, lines, err = run_cli(capsys, *argv)
    assert status == 2 and lines == []
    assert err.startswith("usage: python -m core") and complaint in err


def test_module_entry_point_runs_in_a_fresh_process():
    completed = subprocess.run(
        [sys.executable, "-m", "core", "--draft", "2", "--print-first", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [ITERATION_0, "(m, b) = (0.13270613551139832, 0.018332617357373238)"]


def test_the_idiomatic_draft_runs_with_torch_optim_sgd(capsys):
    status, lines, _ = run_cli(capsys, "--draft", "sgd", "--print-first", "1")
    assert status == 0
    assert lines == [ITERATION_0, "(m, b) = (-0.7550320029258728, 11.24125862121582)"]


def test_keep_grads_forgets_optimizer_zero_grad(capsys):
    status, lines, _ = run_cli(capsys, "--draft", "sgd", "--keep-grads", "--iterations", "3", "--print-first", "3")
    _, draft_3, _ = run_cli(capsys, "--draft", "3", "--iterations", "3", "--print-first", "3")
    assert status == 0
    # Measured: the first iterations are Draft 3's to the bit (they part at iteration 5, by one ulp).
    assert lines == draft_3
    assert lines[1] == "iteration 1: (m, b) = (0.133, 0.018), (m.grad, b.grad) = (-12.49, -1.77), loss = 4.81"


CONFIGS = [
    SOLUTION,
    DRAFTS["1"],
    DRAFTS["3"].with_changes(iterations=20, lr=0.05),
    DRAFTS["sgd"],
    DRAFTS["sgd"].with_changes(zero_grad=False, dataset="problem"),
    LoopConfig(no_grad=False, update=Update.DATA, zero_grad=False, iterations=7, lr=1e-3),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_arguments_make_the_cli_run_the_configuration(config):
    args = build_parser().parse_args(arguments(config, print_first=3))
    assert config_from_args(args) == config and args.print_first == 3


def test_arguments_need_the_lessons_start():
    with pytest.raises(ValueError, match="starts from"):
        arguments(SOLUTION.with_changes(m0=1.0))


def test_the_printout_follows_the_step_through(run):
    result = run(SOLUTION.with_changes(iterations=100))
    lines = report_lines(result, 5, through=50)
    assert lines[0] == "... (iterations 0 to 45 printed too, not shown here)"
    assert lines[1].startswith("iteration 46: ") and lines[5].startswith("iteration 50: ")
    assert report_lines(result, 5, through=3) == report_lines(result, 5)  # within the first five: as printed
    assert report_lines(result, 5, through=500)[5].startswith("iteration 99: ")  # past the end: the last five
