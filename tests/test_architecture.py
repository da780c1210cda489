"""The direction of dependencies: core never imports streamlit."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_core_does_not_import_streamlit_in_a_fresh_interpreter():
    modules = sorted(f"core.{p.stem}" for p in (ROOT / "core").glob("*.py") if not p.stem.startswith("__"))
    assert "core.engine" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print('streamlit' in sys.modules)"
    )
    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"
