"""The "Your draft" page's parts: where a draft starts from, the editor, its run in a sandbox, what it found.

The editor is streamlit-code-editor (Ace in a component: Python highlighting, line numbers, tab
indents, Ctrl+Enter to run), because Streamlit 1.67 has no code-editing widget of its own and
``st.text_area`` offers none of the three. A draft runs when it is submitted (the Run button or
Ctrl+Enter) and when the page opens with one (a link or a start), in a sandbox process of its
own (``core.serve.sandbox``), drawn live while it runs; each draft's check is kept for the
session, so a rerun (another view, the log axis) draws it again without running it.
"""

from __future__ import annotations

import threading
import time

import streamlit as st
from code_editor import code_editor

from core.code import bugs, diagnosis, link, script, source
from core.lesson.data import Dataset
from core.lesson.drafts import LESSON_DRAFTS, SOLUTION, ConfigError
from core.lesson.results import FRAME_SECONDS, RunResult, Status
from core.serve.checking import Checked, check
from core.serve.sandbox import SandboxService
from ui import panels, runs
from ui.text import plain

DRAFT = "draft"  # URL parameter: a draft carried in a link (core.code.link)
START = "draft_start"  # widget key: the draft to start from
CHECKED = "draft_checked"  # session: {(code, dataset key): Checked}, this session's checked drafts
SUBMITTED = "draft_submitted"  # session: the code last run from the editor
RUNNING = "draft_running"  # session: {(code, dataset key): (thread, answer box, rows)}, checks under way
KEPT = 6  # drafts a session keeps checked


@st.cache_resource(show_spinner=False)
def sandboxes() -> SandboxService:
    """The server's sandboxes for learners' drafts: one started ahead, a core's worth running at once."""
    return SandboxService()


def starts() -> dict[str, str]:
    """The drafts a learner can start from, by label: the lesson's drafts, then the catalogue's other bugs."""
    options = {f"Lesson: {draft.title}": source.render(draft.config) for draft in LESSON_DRAFTS.values()}
    for bug in bugs.BUGS:
        options.setdefault(f"Bug: {bug.words}", bugs.preset(bug.key))
    return options


def starting_code() -> tuple[str, str | None]:
    """The code the editor opens with: a link's draft, else the chosen start; and a link's problem, if any."""
    carried = st.query_params.get(DRAFT)
    if carried:
        try:
            return link.decode(carried), None
        except link.LinkError as error:
            problem = f"{error} The editor opened with the draft chosen above instead."
    else:
        problem = None
    options = starts()
    label = st.session_state.get(START) or next(iter(options))
    return options.get(label, next(iter(options.values()))), problem


def start_choice() -> None:
    """The list of drafts to start from; choosing one replaces the editor's code (and forgets a link's)."""
    st.selectbox(
        "Start from",
        list(starts()),
        key=START,
        on_change=_forget_link,
        help="Any of the lesson's drafts, or the solution with one classic bug put in. Then change it as you like.",
    )


def _forget_link() -> None:
    st.query_params.pop(DRAFT, None)
    st.session_state.pop(SUBMITTED, None)


RUN_BUTTON = {
    "name": "Run",
    "feather": "Play",
    "primary": True,
    "hasText": True,
    "showWithIcon": True,
    "commands": ["submit"],
    "style": {"bottom": "0.44rem", "right": "0.4rem"},
}


def editor(code: str) -> str:
    """The code editor, opened with ``code``; returns the code to run (the last submitted, else ``code``)."""
    answer = code_editor(
        code,
        lang="python",
        height=[14, 28],
        buttons=[RUN_BUTTON],
        options={"tabSize": 4, "useSoftTabs": True, "showLineNumbers": True, "wrap": False},
        key=f"draft_editor_{abs(hash(code))}",  # a new start remounts the editor with its code
    )
    if isinstance(answer, dict) and answer.get("type") == "submit" and isinstance(answer.get("text"), str):
        st.session_state[SUBMITTED] = (code, answer["text"])
    submitted = st.session_state.get(SUBMITTED)
    return submitted[1] if submitted and submitted[0] == code else code


def checked(code: str, data: Dataset, live, progress) -> Checked:
    """The draft's check: this session's, or run now in a sandbox, drawn live in ``live`` as it goes."""
    kept: dict = st.session_state.setdefault(CHECKED, {})
    key = (code, data.key)
    if key in kept:
        return kept[key]
    # A check under way survives the script being interrupted (a click while it runs): the next run
    # of the page follows it instead of starting a second sandbox for the same draft.
    running: dict = st.session_state.setdefault(RUNNING, {})
    if key not in running:
        running[key] = _start_check(code, data)
    worker, box, rows = running[key]
    started, drawn = time.monotonic(), 0
    while worker.is_alive():
        worker.join(FRAME_SECONDS)
        if not worker.is_alive():
            break
        seen = len(rows)
        progress.info(
            f"Running your draft in a sandbox… {seen:,} iterations so far ({time.monotonic() - started:.0f} s)."
        )
        if seen > drawn and live is not None:
            drawn = seen
            with live.container():
                panels.chart_grid([("your draft", _running(rows))], data, log_x=True, saving=False)
    progress.empty()
    running.pop(key, None)
    kept[key] = box["checked"]
    while len(kept) > KEPT:
        kept.pop(next(iter(kept)))
    return kept[key]


def _start_check(code: str, data: Dataset) -> tuple[threading.Thread, dict[str, Checked], list[list[float]]]:
    """A check of ``code`` started in a thread of the server: the thread, where its answer goes, its rows so far."""
    rows: list[list[float]] = []
    box: dict[str, Checked] = {}

    def work() -> None:
        try:
            box["checked"] = check(code, data, sandboxes(), on_rows=lambda seen: rows.__setitem__(slice(None), seen))
        except Exception as error:  # a fault of ours, not the draft's: said in the page, never a traceback
            box["checked"] = Checked(f"The sandbox failed ({type(error).__name__}); nothing you wrote was lost.")

    worker = threading.Thread(target=work, name="draft check", daemon=True)
    worker.start()
    return worker, box, rows


def _running(rows: list[list[float]]) -> RunResult:
    """What a draft still running has done so far, as a run the charts draw."""
    last = rows[-1] if rows else [0, float("nan"), float("nan")]
    record = {"rows": list(rows), "status": "running", "final": [last[1], last[2]]}
    return diagnosis.result_of(record, SOLUTION)


def outcome(found: Checked, code: str) -> None:
    """The verdict line, coloured by it, and the diagnosis under it."""
    assert found.verdict is not None and found.diagnosis is not None
    record = found.record
    panels.TONES[found.verdict.tone](f"**Verdict: {found.verdict}.** {diagnosis.verdict_words(found.verdict, record)}")
    keys = found.diagnosis.keys
    sentences = diagnosis.said(found.diagnosis, code, record)
    tone = st.success if keys == ("solution",) else st.info if keys == (bugs.NONE,) else st.warning
    tone(f"**Diagnosis: `{found.diagnosis.key}`.** " + " ".join(sentences))


def details(found: Checked, code: str) -> None:
    """What the run left to read: PyTorch's error at the learner's line, its warnings, what it printed."""
    record = found.record
    error = record.get("error")
    if error:
        st.markdown("PyTorch's message, verbatim:")
        st.code(f"{error['type']}: {error['message']}", language=None, wrap_lines=True)
        if error.get("line"):
            st.markdown(f"Raised at line {error['line']}, in iteration {int(error.get('iteration') or 0):,}:")
            st.code(marked_lines(code, int(error["line"])), language="python")
    for warning in record.get("warnings", [])[:3]:
        where = f" at line {warning['line']}" if warning.get("line") else ""
        st.warning(f"**{warning['category']}{where}, iteration {warning['iteration']:,}** (from torch):")
        st.code(str(warning["message"]), language=None, wrap_lines=True)
    if record.get("printed"):
        with st.expander("What your draft printed"):
            st.code(record["printed"], language=None)
    missing = found.answer.missing if found.answer is not None else []
    if missing:
        st.caption(f"This server's sandbox ran without: {', '.join(missing)} (the kernel does not offer it).")


def marked_lines(code: str, line: int, around: int = 2) -> str:
    """The lines around ``line``, numbered, with an arrow at it."""
    lines = code.splitlines()
    first, last = max(1, line - around), min(len(lines), line + around)
    return "\n".join(f"{'→' if n == line else ' '} {n:>3} | {lines[n - 1]}" for n in range(first, last + 1))


def solution_beside(found: Checked, data: Dataset) -> RunResult | None:
    """The Lab's solution on the draft's own settings, run by the engine (cached): the fixed loop beside it."""
    if found.reading is None:
        return None
    try:
        config = found.reading.config.with_changes(dataset=data.key)
    except ConfigError:
        return None
    return runs.run(config, data, "the solution")


def charts(found: Checked, data: Dataset, solution: RunResult | None) -> None:
    """The Lab's charts of the draft, beside the solution on the same settings."""
    assert found.result is not None
    shown = [("your draft", found.result)]
    if solution is not None and solution.outcome.status is not Status.RAISED:
        shown.append(("the solution", solution))
    panels.chart_grid(shown, data, log_x=True, saving=False)


def sharing(code: str, data: Dataset) -> None:
    """Download the draft as a script; a link that opens this page with it."""
    st.download_button(
        "Download your draft as a script",
        data=lambda: script.render_draft(code, data),
        file_name="my_gradient_descent_draft.py",
        mime="text/x-python",
        icon=":material/download:",
        key="draft_download",
        help="The data it ran on, then your draft as written: it runs on its own with python.",
    )
    packed = link.encode(code)
    if packed is None:
        st.caption("This draft is too long to share as a link; download it instead.")
        return
    st.caption("A link to this page with your draft in it (add it to this site's address):")
    st.code(f"/Draft?{DRAFT}={packed}", language=None, wrap_lines=True)


def refused(found: Checked) -> None:
    """A draft not run, or stopped by a limit: the message, in plain words."""
    st.error(plain(found.refusal or ""))
