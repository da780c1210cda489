"""Gradient Descent Drafts: the lesson's loop, its drafts and their outcomes, without any UI."""
