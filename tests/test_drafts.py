"""The loop configuration refuses settings outside their bounds, saying so in a learner's numbers."""

from __future__ import annotations

import pytest

from core.lesson.drafts import SOLUTION, ConfigError


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iterations": 1_000_000_000}, "The iterations must be between 1 and 100,000; 1,000,000,000 is outside"),
        ({"lr": -1.0}, "The learning rate must be between 1e-06 and 100; -1 is outside"),
        ({"lr": float("nan")}, "The learning rate must be between 1e-06 and 100; nan is outside"),
        ({"m0": 1234.5678}, "The initial m must be between -1,000 and 1,000; 1234.5678 is outside"),
        ({"iterations": 2.5}, "The iterations must be a whole number, not 2.5."),
    ],
)
def test_a_setting_out_of_range_is_refused_in_numbers_a_learner_reads(changes, message):
    with pytest.raises(ConfigError) as refused:
        SOLUTION.with_changes(**changes)
    assert str(refused.value).startswith(message)
