"""Gradient Descent Drafts: the lesson's loop, its drafts and their outcomes, without any UI.

The packages, each importing only those below it (``lint-imports`` checks it; see pyproject.toml):

- ``core.cli``: the command line (``python -m core``), at the top.
- ``core.serve``: the processes a server keeps: the run workers' pool and the drawing processes.
- ``core.charts``: Altair charts of results, their specs and their exports.
- ``core.words``, ``core.code``, ``core.ingest``: what is said about a run, the code that ran
  (as a panel, a script, a notebook), and a user's own data read and checked.
- ``core.measure``, ``core.run``: measurements and verdicts of a run's record; the loop itself,
  run with PyTorch (the only package that imports torch, in worker processes).
- ``core.lesson``: the lesson's data, drafts, configurations and results, and how numbers are written.

Nothing in ``core`` imports Streamlit.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the project: data/, the pages, the README
