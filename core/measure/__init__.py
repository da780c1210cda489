"""Measurements of a run's record and the mathematics of its update: the distance to the best
line, accumulated gradients, the loss landscape, the iteration map's spectral radius
(``dynamics``) and the one verdict every page shows (``verdict``).

Plain NumPy over ``core.lesson``'s results; no torch, no charts, no words.
"""
