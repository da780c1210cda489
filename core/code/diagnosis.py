"""Which classic bug a learner's draft has: by what it did first, by how it is written second.

Behaviour: the sandbox ran each catalogue entry (``core.code.bugs``) on the same data with the
draft's own settings, for its first ``PREFIX`` iterations, and the draft's record is compared with
each: the same error at the same iteration, and every recorded value equal within ``RTOL`` (a loop
that never zeroes its gradients is chaotic, so only its first iterations are compared, where a
rounding difference has not grown yet). Code: the bugs ``core.code.reading`` finds in the text.
The entry written as the code reads (all its bugs at once) is tried first; where it does not
behave as the draft did, the entries that do are named, those the code shows first. A learning
rate too large is the solution's code with a verdict that does not settle.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from core.code import bugs
from core.code.reading import Reading
from core.lesson.data import Dataset, rmse
from core.lesson.drafts import LoopConfig
from core.lesson.results import LessonError, Outcome, RunResult, Statement, Status, rows_array, trajectory_table
from core.measure import verdict as verdicts

PREFIX = 60  # iterations of each catalogue entry compared with the draft's
RTOL, ATOL = 1e-4, 1e-6
FOUND = "found"  # the catalogue's run of the bugs the code shows, all at once
UNSETTLED = {verdicts.Verdict.DIVERGED, verdicts.Verdict.OSCILLATING}
STATUSES = {"finished": Status.FINISHED, "raised": Status.RAISED, "stopped": Status.STOPPED, "running": Status.RUNNING}


def catalogue(reading: Reading) -> dict[str, str]:
    """The code of each entry on the draft's settings, and of the bugs its code shows, to run beside it."""
    base = reading.config
    codes = {bug.key: bugs.render([bug.key], base) for bug in bugs.BUGS if bug.key != "lr-too-large"}
    if reading.keys:
        codes[FOUND] = bugs.render(reading.keys, base)
    return codes


def _error_early(record: dict) -> tuple[str, str, int] | None:
    """The run's error as (type, message, iteration) if it came within the compared iterations."""
    error = record.get("error")
    if record.get("status") != "raised" or not error or int(error.get("iteration") or 0) >= PREFIX:
        return None
    return str(error["type"]), str(error["message"]), int(error["iteration"])


def behaves_alike(one: dict, other: dict) -> bool:
    """Whether two runs did the same over their first ``PREFIX`` iterations."""
    if _error_early(one) != _error_early(other):
        return False
    a, b = (np.asarray(run["rows"][:PREFIX], dtype=np.float64).reshape(-1, 6) for run in (one, other))
    if a.shape != b.shape:
        return False
    return bool(np.allclose(a[:, 1:], b[:, 1:], rtol=RTOL, atol=ATOL, equal_nan=True))


@dataclass(frozen=True)
class Diagnosis:
    """The bugs named (catalogue keys, or ``none``), each with the learner's line where the code shows it."""

    keys: tuple[str, ...]
    lines: dict[str, int | None] = field(default_factory=dict)
    by_code: bool = True  # the code shows these bugs (not only behaviour)

    @property
    def key(self) -> str:
        """As the command line prints it: the keys, comma-separated."""
        return ",".join(self.keys)


def diagnose(reading: Reading, record: dict, runs: dict[str, dict], data: Dataset) -> Diagnosis:
    """The draft's bugs, from what it did (``record``) against the catalogue's ``runs``, and its code."""
    found = reading.keys
    written = runs.get(FOUND) if found else runs.get("solution")
    if written is not None and behaves_alike(record, written):
        keys, by_code = tuple(found) or ("solution",), True
    else:
        alike = [key for key, run in runs.items() if key != FOUND and behaves_alike(record, run)]
        shown = [key for key in alike if key in found]
        keys, by_code = tuple(shown or alike), bool(shown)
    if keys == ("solution",) and verdict_of(record, reading, keys, data) in UNSETTLED:
        keys = ("lr-too-large",)
    if not keys:
        return Diagnosis((bugs.NONE,), by_code=False)
    return Diagnosis(keys, {key: reading.line_of(key) for key in keys}, by_code)


# Entries whose run the Lab's engine makes from a configuration: the mathematics of its verdict applies.
CONFIGURED = {bug.key for bug in bugs.BUGS if bug.changes} | {"solution"}


def config_of(reading: Reading, keys: tuple[str, ...]) -> LoopConfig:
    """The Lab's configuration for a draft with these bugs (the solution's where no switch says them)."""
    config = reading.config
    for key in keys:
        if key in bugs.BY_KEY and key != "lr-too-large":
            config = bugs.BY_KEY[key].config(config)
    return config


def result_of(record: dict, config: LoopConfig) -> RunResult:
    """The draft's record as a run the Lab's charts draw (the trajectory and the outcome)."""
    rows = record["rows"]
    final_m, final_b = (float(v) for v in record.get("final", (math.nan, math.nan)))
    status = STATUSES.get(record["status"], Status.RAISED)
    error = record.get("error")
    lesson_error = None
    if status is Status.RAISED and error:
        # The Lab's statements do not fit every learner's line: the forward pass stands for "the draft's code".
        lesson_error = LessonError(
            str(error["type"]), str(error["message"]), int(error.get("iteration") or 0), Statement.FORWARD
        )
    return RunResult(
        config=config,
        trajectory=trajectory_table(rows_array([tuple(row) for row in rows])),
        outcome=Outcome(
            status=status,
            iterations_run=len(rows),
            final_m=final_m,
            final_b=final_b,
            final_loss=None,
            error=lesson_error,
            stopped_at=len(rows) if status is Status.STOPPED else None,
        ),
    )


def finished_result(record: dict, config: LoopConfig, data: Dataset) -> RunResult:
    """``result_of`` with the final loss a finished run's verdict measures."""
    result = result_of(record, config)
    if result.outcome.status is not Status.FINISHED:
        return result
    outcome = result.outcome
    final = rmse(data, outcome.final_m, outcome.final_b)
    return dataclasses.replace(result, outcome=dataclasses.replace(outcome, final_loss=final))


def verdict_of(record: dict, reading: Reading, keys: tuple[str, ...], data: Dataset) -> verdicts.Verdict:
    """The draft's verdict: with the mathematics of the Lab's loop where the bugs are the Lab's switches,
    from the trajectory alone otherwise."""
    config = config_of(reading, keys)
    result = finished_result(record, config, data)
    if not all(np.isfinite(result.trajectory["loss"])) and result.outcome.status is Status.FINISHED:
        return verdicts.Verdict.DIVERGED
    if set(keys) <= CONFIGURED:
        return verdicts.verdict(result, data)
    return verdicts.seen(result, data)


# -- in words -------------------------------------------------------------------------------------------


def measured(record: dict) -> str:
    """What a run did, in one sentence from its record, naming no bug."""
    rows = record["rows"]
    error = record.get("error") or {}
    if record["status"] == "raised":
        line = f" at line {error['line']}" if error.get("line") else ""
        return f"It raised {error.get('type')}{line}, in iteration {int(error.get('iteration') or 0):,}."
    if record["status"] == "stopped":
        limit = "its computing time ran out" if record.get("stopped_by") == "time" else "it reached the row limit"
        return f"It was stopped after {len(rows):,} iterations: {limit}."
    if not rows:
        return "It ran, but no iteration of a loop with `m`, `b` and `loss` was recorded."
    first, last = rows[0][5], rows[-1][5]
    return f"It ran {len(rows):,} iterations; its loss went from {first:.4g} to {last:.4g}."


def _code_line(code: str, line: int | None) -> str:
    lines = code.splitlines()
    if line is None or not 0 < line <= len(lines):
        return ""
    return f"line {line}, `{lines[line - 1].strip()}`"


def said(found: Diagnosis, code: str, record: dict) -> list[str]:
    """The diagnosis in words: one sentence a bug, each naming the learner's line and the solution's way."""
    if found.keys == ("solution",):
        return ["No bug: your draft does what the solution does, iteration for iteration."]
    if found.keys == (bugs.NONE,):
        return [f"No bug in the catalogue behaves as your draft did. {measured(record)}"]
    sentences = []
    for key in found.keys:
        bug = bugs.BY_KEY[key]
        where = _code_line(code, found.lines.get(key)) or "what is missing"
        sentences.append(f"**{bug.words.capitalize()}** ({where}): {bug.does}. The solution: `{bug.fix}`.")
    if not found.by_code:
        sentences.append("Your code writes it differently from the catalogue, but it behaves exactly as that bug does.")
    return sentences


def verdict_words(kind: verdicts.Verdict, record: dict) -> str:
    """The verdict as the outcome line says it: the word, its phrase, and the run's own numbers."""
    return f"Your draft {kind.phrase}. {measured(record)}"
