"""Lesson: drafts 1 to 4 in order; predict what each does, then see what the real loop did.

Each draft asks for a prediction before it shows anything: what the loop will do, and for some
drafts a sharper question (the sign of a gradient, whether `m` is still a leaf, what the next
iteration raises, whether the loop settles). Every answer and its explanation come from the run
itself. The page ends with a short check, scored here and stored nowhere.
"""

import streamlit as st

from ui import layout

data = layout.page(
    "Lesson",
    ":material/menu_book:",
    "Lesson: four drafts of a training loop",
    "Each draft below is the code of a real attempt at the loop. Read it, predict what it will do, "
    "and then see what happened when PyTorch ran it.",
)

# After the page's first paint: these bring in pandas, Altair and the runs' worker processes.
from core import charts  # noqa: E402
from core.code import source  # noqa: E402
from core.lesson.drafts import DRAFTS, LESSON_DRAFTS, Draft, Update  # noqa: E402
from core.lesson.results import RunResult  # noqa: E402
from core.measure.verdict import Verdict  # noqa: E402
from core.words import explain, quiz  # noqa: E402
from ui import chart_view, panels, runs  # noqa: E402
from ui.settings import lab_query  # noqa: E402

PRINTED_ROWS = 10  # the lesson prints the first ten iterations of the looping drafts


# What a learner can predict of a draft: the verdicts a draft of the lesson can have.
PREDICTIONS = [Verdict.CONVERGED, Verdict.OSCILLATING, Verdict.RAISED, Verdict.ONE_STEP]


def predicted(name: str) -> Verdict | None:
    """The learner's prediction for a draft, kept for the whole session."""
    return st.radio(
        "What will happen when this runs?",
        options=PREDICTIONS,
        format_func=lambda kind: f"It {kind.phrase}",
        index=None,
        horizontal=True,
        key=f"predict_{name}",
        persist_state="session",
    )


def asked(question: quiz.Question, name: str) -> str | None:
    """A learner's answer to one of a draft's sharper questions (None until answered)."""
    return st.radio(question.prompt, question.options, index=None, horizontal=True, key=f"ask_{name}_{question.key}")


def feedback(question: quiz.Question, choice: str) -> None:
    right, words = question.graded(choice)
    if right:
        st.success(words)
    else:
        st.warning(words)


def verdict(guess: Verdict, result: RunResult, looped: RunResult | None) -> None:
    """The prediction graded by what torch did to the draft as written (and, for a single step, looped)."""
    grade, words = explain.graded_guess(guess, result, data, looped)
    {"right": st.success, "partly": st.info, "wrong": st.warning}[grade](words)


def sharper_questions(name: str, result: RunResult, looped: RunResult | None) -> list[quiz.Question]:
    """The draft's own questions, beyond what the loop does as a whole; answered by its runs."""
    if name == "1":
        return [quiz.still_a_leaf(result), quiz.next_iteration_error(looped)]
    if name == "2":
        return [quiz.gradient_sign(result, data)]
    if name == "3":
        return [quiz.settles(result, data)]
    return []


def draft_section(draft: Draft) -> None:
    name = draft.key
    config = draft.config.with_changes(dataset=data.key)
    st.header(draft.label if draft.in_lesson else f"After the lesson: {draft.label}")
    st.markdown(draft.introduction)
    st.code(source.render(config), language="python")
    # The runs come first (cached, prepared at start): the questions' answers are read from them.
    result = runs.run(config, data, draft.title)
    looped = runs.run(config.with_changes(iterations=2), data, f"{draft.label}, twice") if name == "1" else None
    questions = sharper_questions(name, result, looped)
    guess = predicted(name)
    answers = [asked(question, name) for question in questions]
    if guess is None or None in answers:
        st.info("Make your predictions to see what happened.")
        return
    verdict(guess, result, looped)
    for question, answer in zip(questions, answers, strict=True):
        feedback(question, answer)
    outcome(result, draft.label, looped)
    if looped is not None:
        st.markdown("**And a second iteration?** The same code, looped twice:")
        panels.outcome_panel(looped, data)
    st.page_link(
        "app_pages/2_Lab.py",
        label=f"Open {draft.label} in the Lab",
        icon=":material/science:",
        query_params=lab_query(config),
    )


def outcome(result: RunResult, label: str, looped: RunResult | None = None) -> None:
    """What the run did: its outcome and facts beside its charts, then its first iterations as printed."""
    config = result.config
    results, visuals = st.columns([1, 1], gap="large")
    with results:
        panels.outcome_panel(result, data, looped)
        if config.iterations == 1:
            panels.facts_table(result)
    with visuals:
        labeled = [(label, result)]
        if config.iterations == 1:
            chart_view.show(charts.fit_chart, data, labeled)
        else:
            chart_view.show(charts.parameter_chart, labeled, "m", log_x=True)
            chart_view.show(charts.loss_chart, labeled, log_x=True)
    if config.iterations > 1:
        st.markdown(f"The first {PRINTED_ROWS} iterations, printed as the lesson's loop prints them:")
        panels.printed_iterations(result, PRINTED_ROWS)


def understanding_check() -> None:
    """Three questions on the whole lesson, each answered by runs of the variants it asks about."""
    st.header("Check your understanding")
    st.caption("Scored here, on this page only: nothing is stored.")
    solution = DRAFTS["4"].with_changes(dataset=data.key, iterations=3)
    outside = {
        update.statement(): runs.run(solution.with_changes(no_grad=False, update=update), data, update.statement())
        for update in Update
    }
    questions = [
        quiz.safe_update(outside),
        quiz.without_zeroing(runs.run(DRAFTS["3"].with_changes(dataset=data.key), data, "Draft 3"), data),
        quiz.reassign_inside(runs.run(solution.with_changes(update=Update.REASSIGN), data, "reassign inside")),
    ]
    choices = {question.key: asked(question, "check") for question in questions}
    right, answered = quiz.score(questions, choices)
    for question in questions:
        if choices[question.key] is not None:
            st.markdown(f"**{question.prompt}**")
            feedback(question, choices[question.key])
    if answered:
        st.markdown(f"**Score: {right} of {answered}** answered ({len(questions)} questions).")


for lesson_draft in LESSON_DRAFTS.values():
    draft_section(lesson_draft)
    st.divider()

understanding_check()
st.divider()

st.markdown("Try every combination of these bugs yourself in the Lab.")
st.page_link("app_pages/2_Lab.py", label="Open the Lab", icon=":material/science:")
