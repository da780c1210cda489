"""A learner's draft checked from end to end: read, run in a sandbox beside the catalogue, diagnosed, judged.

The page and ``python -m core --run-file`` both call ``check``; everything it returns is plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.code import diagnosis
from core.code.diagnosis import Diagnosis
from core.code.reading import Reading, read
from core.lesson.data import Dataset
from core.lesson.results import RunResult
from core.measure.verdict import Verdict
from core.serve.sandbox import DraftAnswer, SandboxService

MAX_CODE = 20_000  # characters of a draft: a long loop is a few hundred


@dataclass(frozen=True)
class Checked:
    """What checking a draft found: a refusal, or its run with its diagnosis and verdict."""

    refusal: str | None  # the code was not run, or its process met a limit: why, in words
    answer: DraftAnswer | None = None
    reading: Reading | None = None
    diagnosis: Diagnosis | None = None
    verdict: Verdict | None = None
    result: RunResult | None = None  # as the Lab's charts draw it

    @property
    def record(self) -> dict:
        assert self.answer is not None and self.answer.record is not None
        return self.answer.record


def check(
    code: str,
    data: Dataset,
    service: SandboxService,
    on_rows: Callable[[list[list[float]]], None] | None = None,
) -> Checked:
    """Run ``code`` on ``data`` in a sandbox and say what it did and which bug it has."""
    if len(code) > MAX_CODE:
        return Checked(f"Your draft is {len(code):,} characters long; the sandbox takes up to {MAX_CODE:,}.")
    if not code.strip():
        return Checked("Your draft is empty: write or paste a loop, or start from one of the drafts.")
    reading = read(code)
    if reading is None:
        return _refused_by_parse(code)
    answer = service.run(code, data.x, data.y, diagnosis.catalogue(reading), diagnosis.PREFIX, on_rows)
    if answer.failure is not None or answer.record is None:
        return Checked(answer.failure or "The sandbox gave no answer.", answer, reading)
    record = answer.record
    if record["status"] == "refused":
        return Checked(_refusal_words(record), answer, reading)
    found = diagnosis.diagnose(reading, record, answer.runs, data)
    keys = found.keys if found.keys != (diagnosis.bugs.NONE,) else ()
    kind = diagnosis.verdict_of(record, reading, keys, data)
    result = diagnosis.finished_result(record, diagnosis.config_of(reading, keys), data)
    return Checked(None, answer, reading, found, kind, result)


def _refused_by_parse(code: str) -> Checked:
    try:
        compile(code, "<your draft>", "exec")
    except SyntaxError as error:
        return Checked(f"Line {error.lineno}: {error.msg}. Nothing was run.")
    return Checked("Your draft could not be read as Python. Nothing was run.")


def _refusal_words(record: dict) -> str:
    error = record.get("error") or {}
    line = error.get("line")
    where = f"Line {line}: " if line else ""
    return f"{where}{error.get('message', 'refused')}. The sandbox refused it; nothing else was run."
