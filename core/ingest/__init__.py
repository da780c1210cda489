"""A user's own data: a pasted or uploaded CSV read in one linear pass (``csv_scan``) and checked,
with a refusal in plain words for anything it cannot use (``upload``).

Imports ``core.lesson`` only.
"""
