"""The direction of dependencies: core never imports streamlit."""

from __future__ import annotations

import subprocess
import sys

from core import ROOT


def test_core_does_not_import_streamlit_in_a_fresh_interpreter():
    # Every module, those of packages such as core.charts too: a package's __init__ is imported with them.
    core = ROOT / "core"
    modules = sorted(
        ".".join(("core", *path.relative_to(core).with_suffix("").parts))
        for path in core.rglob("*.py")
        if not path.stem.startswith("__")
    )
    assert "core.run.engine" in modules and "core.charts.series" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print('streamlit' in sys.modules)"
    )
    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"
