"""User text made fit to show as one short line (a column name, a file name, a chart title), and lists in words.

What a user typed or a file holds can carry line breaks (Excel writes a wrapped header cell as
``"Hours<newline>studied"``), tabs, control and invisible characters, and any length. Shown as
it is, it breaks layouts, spoofs text direction, and in a chart it breaks Vega's expressions.
``single_line`` keeps the words and drops the rest.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

ELLIPSIS = "…"
# Whitespace and control characters (line and paragraph separators among them) become a space.
_SPACES = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
# Invisible characters that only steer display: zero-width space, direction marks and
# overrides, the byte-order mark, lone surrogates. (Zero-width joiners stay: emoji need them.)
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def one_line(text: str) -> str:
    """``text`` on one line: every run of spaces, line breaks and control characters one space."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


def single_line(text: str, limit: int) -> str:
    """``text`` on one line and at most ``limit`` characters: a longer one is cut and ends in an ellipsis."""
    return shortened(one_line(text), limit)


def shortened(text: str, limit: int) -> str:
    """``text`` itself, or its first ``limit - 1`` characters and an ellipsis."""
    if limit < 2:
        raise ValueError(f"limit must leave room for a character and the ellipsis, not {limit}")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def and_list(items: Sequence[str], word: str = "and") -> str:
    """'a', 'a and b', 'a, b and c' (or another last word)."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def listing(items: Sequence[str], total: int, listed: int) -> str:
    """The first ``listed`` of ``total`` items, then "and N more"."""
    if total <= listed:
        return and_list(items)
    return ", ".join(items[:listed]) + f" and {total - listed:,} more"


def figure(value: float) -> str:
    """A number as every page and chart text shows it at a glance: four significant digits, or what it is not
    (so a loss of 5.8e59 is never sixty digits long)."""
    if math.isnan(value):
        return "not a number"
    if math.isinf(value):
        return "infinite" if value > 0 else "minus infinite"
    return f"{value:.4g}"


def how_far(excess: float, within: float = 0.001) -> str:
    """How far a loss is above the best line's, given its excess as a share of it: the one form every page
    uses (a percentage up to twice the best, then a multiple)."""
    if excess <= within:
        return f"within {_percent(within)} of the best line's"
    if excess < 1:
        return f"{_percent(excess)} above the best line's"
    return f"{excess + 1:.2g} times the best line's"


def _percent(share: float) -> str:
    """A share as a percentage with two significant digits: 0.0123 is 1.2%, 3.74 is 370%."""
    return f"{float(f'{share * 100:.2g}'):g}%"


def unmarked(markdown: str) -> str:
    """Markdown of the pages' own sentences as plain text for a terminal: bold and code marks dropped."""
    return markdown.replace("**", "").replace("`", "")
