"""Your draft: write the loop yourself, run it with real PyTorch in a sandbox, and see which bug it has.

The editor and what the draft did share one screen: the code on the left, the verdict, the
diagnosis and the charts of its run beside the solution's on the right.
"""

import streamlit as st

from ui import layout

data = layout.page(
    "Your draft",
    ":material/edit_note:",
    "Your draft",
    "Write the training loop yourself (or start from a draft), run it with real PyTorch, and see what it did "
    "and which classic bug it has. `screentime` and `sleep` are the data's two NumPy arrays.",
)

# After the page's first paint: these bring in pandas, Altair and the sandbox.
from ui import draft  # noqa: E402

code_side, effect_side = st.columns([1, 1.2], gap="medium")
with code_side:
    draft.start_choice()
    start, problem = draft.starting_code()
    if problem:
        st.error(problem)
    code = draft.editor(start)
    st.caption("Run it with the **Run** button or Ctrl+Enter. It may import torch, numpy and math.")
with effect_side:
    progress = st.empty()
    live = st.empty()
found = draft.checked(code, data, live, progress)
with effect_side:
    if found.refusal is not None:
        live.empty()
        draft.refused(found)
        st.stop()
    with live.container():
        draft.outcome(found, code)
        draft.charts(found, data, draft.solution_beside(found, data))
with code_side:
    draft.details(found, code)
    draft.sharing(code, data)
