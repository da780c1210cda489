"""The loop, run with real PyTorch: the engine runs a configuration's statements as the code panel
shows them, recording each iteration, the tensors' facts, autograd graphs and torch's warnings;
the worker is a run process's side of the pool.

The only package that imports torch, and it is imported in worker processes only (the server
never imports this package). Imports ``core.lesson`` alone.
"""
