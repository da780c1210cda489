"""What the product says about a run: the outcome line (``headline``), the explanations under it
(``explain``), the tensor facts in words (``tensors``), the quiz's feedback, the autograd graph
read back, the printed output.

Every sentence is built from the run's record and ``core.measure``'s verdict; imports
``core.measure`` and ``core.lesson``.
"""
