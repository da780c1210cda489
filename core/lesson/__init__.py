"""The lesson itself, as plain data: its datasets, the drafts and their loop configurations, the
results a run fills in, and how numbers and lists are written in sentences.

The bottom of ``core``: imports nothing else of it, and never torch, so the server, the charts and
the words can read a run's result without PyTorch.
"""
