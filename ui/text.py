"""Showing text that came from a user (column names, cells, messages quoting them) as text."""

from __future__ import annotations

import re

# Markdown's active characters, and $ (Streamlit renders $...$ as LaTeX) and : (emoji shortcodes).
_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Escape ``text`` so Streamlit's markdown shows it verbatim: no links, no HTML, no formulas."""
    return _ACTIVE.sub(r"\\\1", text)
