"""The Lesson's questions: each answer read from a real run, agreeing with the lesson's facts."""

from __future__ import annotations

import numpy as np
import pytest

from core.lesson.data import load_builtin
from core.lesson.drafts import DRAFTS, Loss, Update
from core.words import quiz

DATASETS = ["solution", "problem"]


def _draft(run, key: str, dataset: str, **changes):
    return run(DRAFTS[key].with_changes(dataset=dataset, **changes))


@pytest.mark.parametrize("dataset", DATASETS)
def test_the_gradients_sign_is_read_from_the_run(run, dataset):
    result = _draft(run, "2", dataset)
    question = quiz.gradient_sign(result, load_builtin(dataset))
    grad = result.trajectory["m_grad"].iloc[0]
    assert question.answer == "negative" and grad < 0  # the line starts below the data
    assert f"{grad:.3f}" in question.why
    assert question.graded("negative")[0] and not question.graded("positive")[0]


def test_a_start_above_the_data_gives_a_positive_gradient(run):
    result = _draft(run, "2", "solution", b0=30.0)
    question = quiz.gradient_sign(result, load_builtin("solution"))
    assert question.answer == "positive" and "the loss falls as m falls" in question.why


@pytest.mark.parametrize("dataset", DATASETS)
def test_draft_1_leaves_m_no_longer_a_leaf_and_draft_2_keeps_it_one(run, dataset):
    reassigned = quiz.still_a_leaf(_draft(run, "1", dataset))
    assert reassigned.answer == "No, no longer a leaf" and "SubBackward0" in reassigned.why
    assert quiz.still_a_leaf(_draft(run, "2", dataset)).answer == "Yes, still a leaf"


@pytest.mark.parametrize("dataset", DATASETS)
def test_draft_1_looped_raises_torchs_type_error_at_iteration_1(run, dataset):
    question = quiz.next_iteration_error(_draft(run, "1", dataset, iterations=2))
    assert question.answer == "TypeError"
    assert "iteration 1 raised TypeError" in question.why and "not a leaf" in question.why
    passed = quiz.next_iteration_error(_draft(run, "2", dataset, iterations=2))
    assert passed.answer == quiz.RUNS_CLEANLY


@pytest.mark.parametrize("dataset", DATASETS)
def test_draft_3_never_settles_and_draft_4_does(run, dataset):
    data = load_builtin(dataset)
    swinging = quiz.settles(_draft(run, "3", dataset), data)
    assert swinging.answer == quiz.KEEPS_MOVING and "never reset" in swinging.why
    assert "it swings without settling." in swinging.why
    settled = quiz.settles(_draft(run, "4", dataset), data)
    assert settled.answer == quiz.SETTLES and "within 0.1% of the best line's" in settled.why
    assert "it settles on the best line." in settled.why


@pytest.mark.parametrize("dataset", DATASETS)
def test_the_closing_check_is_answered_by_runs_of_each_variant(run, dataset):
    data = load_builtin(dataset)
    solution = DRAFTS["4"].with_changes(dataset=dataset, iterations=3)
    outside = {u.statement(): run(solution.with_changes(no_grad=False, update=u)) for u in Update}
    assert quiz.safe_update(outside).answer == Update.DATA.statement()
    assert quiz.without_zeroing(_draft(run, "3", dataset), data).answer == quiz.ADDS
    assert quiz.without_zeroing(_draft(run, "4", dataset), data).answer == quiz.REPLACES
    inside = quiz.reassign_inside(run(solution.with_changes(update=Update.REASSIGN)))
    assert inside.answer == quiz.REASSIGN_CHOICES[1] and "requires_grad` was False" in inside.why


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("loss", list(Loss))
def test_the_fresh_gradient_matches_torchs_backward(run, center, loss):
    result = run(DRAFTS["4"].with_changes(iterations=3, center=center, loss=loss))
    rows = result.trajectory
    for i in range(3):  # the solution zeroes .grad: each iteration's gradient is a fresh one
        m, b = float(rows["m"].iloc[i]), float(rows["b"].iloc[i])
        fresh = quiz.fresh_gradient(load_builtin("solution"), m, b, loss, center=center)
        assert np.isclose(fresh, rows["m_grad"].iloc[i], rtol=1e-5), (i, fresh, rows["m_grad"].iloc[i])


def test_the_accumulation_question_reads_a_centred_run_in_its_own_coordinates(run):
    centred = run(DRAFTS["3"].with_changes(iterations=3, center=True))
    assert quiz.without_zeroing(centred, load_builtin("solution")).answer == quiz.ADDS


def test_a_score_counts_only_answered_questions(run):
    data = load_builtin("solution")
    questions = [quiz.still_a_leaf(_draft(run, "1", "solution")), quiz.settles(_draft(run, "4", "solution"), data)]
    assert quiz.score(questions, {"still_leaf": "No, no longer a leaf", "settles": None}) == (1, 1)
    assert quiz.score(questions, {"still_leaf": "Yes, still a leaf", "settles": quiz.SETTLES}) == (1, 2)
    wrong = questions[0].graded("Yes, still a leaf")
    assert wrong == (False, f"Not quite: the answer is “No, no longer a leaf”. {questions[0].why}")
