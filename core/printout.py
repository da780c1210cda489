"""What the lesson's loop prints: its per-iteration line, the warnings torch gave, the last line."""

from __future__ import annotations

import math

from core.results import RunResult


def _rounded(value: float) -> float | None:
    """A value as the lesson prints it (3 decimals); None where torch had no gradient."""
    return None if math.isnan(value) else round(value, 3)


def iteration_line(row) -> str:
    """One iteration in the lesson's print format, with values from before its update."""
    return (
        f"iteration {row.iteration}: (m, b) = ({_rounded(row.m)}, {_rounded(row.b)}), "
        f"(m.grad, b.grad) = ({_rounded(row.m_grad)}, {_rounded(row.b_grad)}), loss = {_rounded(row.loss)}"
    )


def report_lines(result: RunResult, print_first: int) -> list[str]:
    """Everything printed for a run: the first iterations, the warnings, the last line."""
    lines = [iteration_line(row) for row in result.trajectory.head(print_first).itertuples()]
    lines += [f"{w.category}: {w.message} (iteration {w.iteration})" for w in result.outcome.warnings]
    lines.append(result.outcome.last_line())
    return lines
