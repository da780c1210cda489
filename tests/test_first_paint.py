"""Every page writes its heading before it imports anything heavy.

On a fresh server the first visit's script run starts in a process that has imported Streamlit
only: whatever a page imports before its ``st.title`` delays the first paint (pandas and Altair
take about a second on a slow machine, torch several). Each page is run here in a fresh
interpreter, stopped at its heading, and the heavy modules already loaded then are listed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core import ROOT
from ui.layout import PAGES

HEAVY = ("numpy", "pandas", "pyarrow", "altair", "torch")

PROBE = """
import json, sys
import streamlit as st
from streamlit.testing.v1 import AppTest

HEAVY, PAGE = json.loads(sys.argv[1]), sys.argv[2]
seen = []

def heading(*args, **kwargs):
    seen.append(sorted(name for name in HEAVY if name in sys.modules))
    raise RuntimeError("stopped at the heading")  # the rest of the page is not what this measures

st.title = heading
app = AppTest.from_file("streamlit_app.py", default_timeout=60)
app.switch_page(PAGE)
app.run()
print(json.dumps(seen))
"""


@pytest.mark.parametrize("script", [page.script for page in PAGES])
def test_the_heading_comes_before_any_heavy_import(script):
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY), script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert seen, f"{script} wrote no heading"
    assert seen[0] == [], f"{script} imported {seen[0]} before its heading"
