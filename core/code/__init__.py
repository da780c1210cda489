"""The code that ran: the loop's statements as the code panel shows them (``source``), wrapped into
a script that runs on its own (``script``) and a notebook (``notebook``).

Text out; imports ``core.lesson`` only (the notebook also nbformat, when asked for one).
"""
