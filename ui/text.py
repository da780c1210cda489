"""Showing text that came from a user (column names, cells, messages quoting them) as text."""

from __future__ import annotations

import re

from core.lesson.text import one_line

# Markdown's active characters, $ (Streamlit renders $...$ as LaTeX), : (emoji, colours, icons),
# & (an entity such as &lt; would show as "<"), = (a heading's underline), @ (an e-mail link) and ^.
_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=@^])")


def plain(text: str) -> str:
    """Escape ``text`` so Streamlit's markdown shows it verbatim: no links, no HTML, no formulas.

    The text is put on one line first: a line break could start a block of its own (a blank line
    and an indented line make a code block, "===" under a line a heading), whatever is escaped.
    """
    return _ACTIVE.sub(r"\\\1", one_line(text))
