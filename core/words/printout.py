"""What the lesson's loop prints: its per-iteration line, the warnings torch gave, the last line."""

from __future__ import annotations

import math

from core.lesson.results import RunResult


def _rounded(value: float) -> float | None:
    """A value as the lesson prints it (3 decimals); None where torch had no gradient."""
    return None if math.isnan(value) else round(value, 3)


def iteration_line(row) -> str:
    """One iteration in the lesson's print format, with values from before its update."""
    return (
        f"iteration {row.iteration}: (m, b) = ({_rounded(row.m)}, {_rounded(row.b)}), "
        f"(m.grad, b.grad) = ({_rounded(row.m_grad)}, {_rounded(row.b_grad)}), loss = {_rounded(row.loss)}"
    )


def report_lines(result: RunResult, print_first: int, *, through: int | None = None) -> list[str]:
    """Everything printed for a run: the first iterations, the warnings, the last line.

    With ``through`` (the step-through's iteration) beyond the first ``print_first``, the
    ``print_first`` iterations that end at it are printed instead, after a line saying which
    iterations are left out, so the printout follows the step-through.
    """
    rows = result.trajectory
    start = 0 if through is None else max(0, min(through, len(rows) - 1) - print_first + 1)
    lines = [f"... (iterations 0 to {start - 1:,} printed too, not shown here)"] if start else []
    lines += [iteration_line(row) for row in rows.iloc[start : start + print_first].itertuples()]
    lines += [f"{w.category}: {w.message} (iteration {w.iteration})" for w in result.outcome.warnings]
    lines.append(result.outcome.last_line())
    return lines
