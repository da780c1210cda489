"""Why the loop is slow: the loss, centre-x and optimizer settings through the engine, the code and the
command line; the stability limit, conditioning and the learning-rate sweep, measured on real runs."""

from __future__ import annotations

import itertools
import math

import pytest

from core.cli import arguments, build_parser, config_from_args
from core.code.source import render, render_marked
from core.lesson.data import least_squares, load_builtin
from core.lesson.drafts import DRAFTS, SOLUTION, Algorithm, ConfigError, LoopConfig, Loss, Update
from core.lesson.results import Status
from core.measure import analysis, convergence
from core.run import engine
from tests.test_cli import run_cli
from tests.test_source import engine_ended, execute

DATA = load_builtin("solution")
BEST = least_squares(DATA)
AT_1000 = SOLUTION.with_changes(iterations=1_000)


def test_the_defaults_are_the_lessons_loop():
    assert (SOLUTION.loss, SOLUTION.center, SOLUTION.algorithm) == (Loss.RMSE, False, Algorithm.SGD)
    assert LoopConfig(loss="mse").loss is Loss.MSE
    assert LoopConfig(optimizer=True, algorithm="adam").algorithm is Algorithm.ADAM


def test_without_the_optimizer_no_algorithm_applies():
    assert LoopConfig(algorithm="adam") == SOLUTION


def test_the_centre_setting_must_be_a_bool():
    with pytest.raises(ConfigError, match="center"):
        LoopConfig(center="yes")


def test_the_issues_figures_after_1000_iterations(run):
    """Far from the least-squares line without centring, on it with centring (mapped back to the original x)."""
    plain, centred = run(AT_1000).outcome, run(AT_1000.with_changes(center=True)).outcome
    assert (round(plain.final_m, 3), round(plain.final_b, 3)) == (-0.005, 4.737)
    assert (round(centred.final_m, 5), round(centred.final_b, 5)) == (-0.75511, 11.24194)
    assert (round(BEST.m, 4), round(BEST.b, 4)) == (-0.7551, 11.242)


def test_the_centred_trajectory_is_in_the_original_coordinates(run):
    trajectory = run(AT_1000.with_changes(center=True)).trajectory
    last = trajectory.iloc[-1]
    assert math.hypot(last.m - BEST.m, last.b - BEST.b) < 1e-3  # the original optimum, not the centred one's b
    assert trajectory.loss.iloc[-1] == pytest.approx(BEST.rmse, rel=1e-6)


def test_the_stability_limits_from_the_data():
    assert analysis.stability_limit(DATA, Loss.RMSE) == pytest.approx(0.0407378, rel=1e-5)
    assert analysis.stability_limit(DATA, Loss.MSE) == pytest.approx(0.0141717, rel=1e-5)
    assert analysis.condition_number(DATA) == pytest.approx(930.3, abs=0.1)
    # Centring removes the valley's slant: a condition number of var(x) against 1.
    assert analysis.condition_number(DATA, center=True) == pytest.approx(DATA.x.var(), rel=1e-9)


@pytest.mark.parametrize("loss", list(Loss))
def test_the_mse_diverges_just_above_its_limit_and_not_below_while_the_rmse_never_diverges(loss):
    limit = analysis.stability_limit(DATA, loss)
    below = engine.run(AT_1000.with_changes(loss=loss, lr=round(limit * 0.95, 6))).outcome
    above = engine.run(AT_1000.with_changes(loss=loss, lr=round(limit * 1.05, 6))).outcome
    assert below.status is Status.FINISHED
    assert above.status is (Status.DIVERGED if loss is Loss.MSE else Status.FINISHED)


def test_at_lr_100_the_rmse_loop_still_finishes(run):
    assert run(AT_1000.with_changes(lr=100.0)).outcome.status is Status.FINISHED


def test_centring_reaches_the_optimum_13_times_sooner(run):
    """Stable runs, pinned exactly: iterations to within 1e-3 of the least-squares (m, b)."""
    plain = convergence.convergence(run(SOLUTION), BEST)
    centred = convergence.convergence(run(SOLUTION.with_changes(center=True)), BEST)
    assert (plain.within, centred.within) == (9_711, 748)
    assert centred.final_distance < plain.final_distance < 1e-3


def test_the_measured_rate_is_the_one_the_hessian_predicts(run):
    for config in (SOLUTION, SOLUTION.with_changes(center=True)):
        measured = convergence.convergence(run(config), BEST).rate
        assert measured == pytest.approx(convergence.predicted_rate(config, DATA), abs=2e-3)
    assert convergence.predicted_rate(SOLUTION, DATA) == pytest.approx(0.998944, abs=1e-6)


def test_a_run_that_never_comes_near_has_no_count(run):
    assert convergence.convergence(run(AT_1000), BEST).within is None


def test_sweep_rates_are_log_spaced_and_readable():
    rates = convergence.sweep_rates()
    assert len(rates) == 20 and rates[0] == 1e-4 and rates[-1] == 1.0 and rates == sorted(rates)
    assert all(float(f"{rate:.3g}") == rate for rate in rates)
    for bad in ((1.0, 0.1, 5), (1e-9, 1.0, 5), (1e-4, 1.0, 1), (1e-4, 1.0, 500), (1e-4, math.inf, 5)):
        with pytest.raises(ConfigError):
            convergence.sweep_rates(*bad)


def test_a_sweep_of_real_runs(run):
    table = convergence.sweep(AT_1000.with_changes(loss=Loss.MSE), DATA, [0.001, 0.01, 0.1], lambda c, _: run(c))
    assert table.lr.tolist() == [0.001, 0.01, 0.1]
    assert table.status.tolist() == ["finished", "finished", "diverged"]
    assert table.final_loss[1] == run(AT_1000.with_changes(loss=Loss.MSE, lr=0.01)).outcome.final_loss
    summary = convergence.sweep_summary(table, analysis.stability_limit(DATA, Loss.MSE))
    assert "Diverged: 1 run, from learning rate 0.1." in summary and "1 of the rates are above it" in summary


def test_momentum_1_is_the_accumulation_bug_until_float32_parts_them(run):
    """SGD(momentum=1, dampening=0) through the engine: Draft 3's exact-arithmetic twin, apart from iteration 5."""
    draft_3 = DRAFTS["3"].with_changes(iterations=200)
    twin = convergence.momentum_twin(draft_3)
    assert render(twin).count("torch.optim.SGD([m, b], lr=0.02, momentum=1, dampening=0)") == 1
    assert convergence.first_difference(run(twin), run(draft_3)) == 5
    # torch.optim.SGD with zero_grad() forgotten sums the gradients in .grad: the very same float32 run.
    forgotten = DRAFTS["sgd"].with_changes(zero_grad=False, iterations=200)
    assert convergence.first_difference(run(twin), run(forgotten)) is None


def test_the_limit_does_not_apply_to_momentum_adam_or_accumulation():
    assert analysis.limit_for(SOLUTION, DATA) == analysis.stability_limit(DATA)
    assert analysis.limit_for(DRAFTS["3"], DATA) is None
    for algorithm in (Algorithm.MOMENTUM, Algorithm.ADAM):
        assert analysis.limit_for(SOLUTION.with_changes(optimizer=True, algorithm=algorithm), DATA) is None


NEW_SETTINGS = [
    SOLUTION.with_changes(iterations=iterations, loss=loss, center=center, optimizer=optimizer, algorithm=algorithm)
    for iterations, loss, center, (optimizer, algorithm) in itertools.product(
        [1, 300], list(Loss), [False, True], [(False, Algorithm.SGD)] + [(True, a) for a in Algorithm]
    )
] + [
    DRAFTS["1"].with_changes(center=True, iterations=2),
    DRAFTS["3"].with_changes(center=True, loss=Loss.MSE, iterations=50, lr=0.001),
    SOLUTION.with_changes(update=Update.DATA, no_grad=False, center=True, iterations=20),
    SOLUTION.with_changes(loss=Loss.MSE, lr=0.05, iterations=300),  # diverges
]


@pytest.mark.parametrize("config", NEW_SETTINGS, ids=str)
def test_the_code_shown_ends_exactly_as_the_engine(run, config):
    ended, warned = execute(render(config))
    outcome = run(config).outcome
    if outcome.status is Status.DIVERGED:  # render() has no check: the code ran on to non-finite numbers
        assert ended[0] == "finished" and not math.isfinite(ended[1] * ended[2])
        return
    assert ended == engine_ended(outcome)  # bit for bit
    assert warned == [w.message for w in outcome.warnings]
    assert render_marked(config).count("# solution:") == render_marked(config.with_changes(loss=Loss.RMSE)).count(
        "# solution:"
    )  # the loss, centring and optimizer are settings, not bugs


@pytest.mark.parametrize("config", NEW_SETTINGS[:8], ids=str)
def test_arguments_make_the_cli_run_the_new_settings(config):
    assert config_from_args(build_parser().parse_args(arguments(config))) == config


def test_cli_center_prints_the_final_line_in_the_original_coordinates(capsys, run):
    status, lines, _ = run_cli(capsys, "--center", "--iterations", "1000")
    outcome = run(AT_1000.with_changes(center=True)).outcome
    assert status == 0 and lines == [f"(m, b) = ({outcome.final_m!r}, {outcome.final_b!r})"]


def test_cli_sweep_prints_a_row_per_rate_and_the_limit(capsys):
    status, lines, _ = run_cli(capsys, "--sweep-lr", "0.001:0.1:3", "--iterations", "200", "--loss", "mse")
    assert status == 0 and lines[0] == "lr\tfinal RMSE\tverdict"
    assert [line.split("\t")[0] for line in lines[1:4]] == ["0.001", "0.01", "0.1"]
    assert lines[3].endswith("diverged") and lines[-1] == "stability limit ≈ 0.0142"


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--sweep-lr", "1:x"], "LO:HI:N"),
        (["--sweep-lr", "1:0.1:4"], "lower to a higher"),
        (["--sweep-lr", "0.1:1:4:5"], "LO:HI:N"),
        (["--loss", "mae"], "invalid choice"),
        (["--optimizer", "lbfgs"], "invalid choice"),
        (["--optimizer", "adam", "--update", "data"], "torch.optim.Adam"),
        (["--notebook", "/nonexistent-folder/x.ipynb"], "--notebook cannot write"),
    ],
)
def test_cli_bad_values_exit_2_with_a_message(capsys, argv, complaint):
    status, lines, err = run_cli(capsys, *argv)
    assert status == 2 and lines == [] and complaint in err
