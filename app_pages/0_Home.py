"""Home: the problem, the data and the way into each page."""

import streamlit as st

from ui import layout

data = layout.page(
    "Home",
    ":material/home:",
    "Gradient Descent Drafts",
    "*You suspect there's a linear relationship between how much daily screen time a person gets and how "
    "many hours they sleep.* Fit `sleep = m * screentime + b` by gradient descent, with PyTorch "
    "autograd computing the gradients of the loss.",
)

# After the page's first paint: these bring in pandas, Altair and the runs' worker processes.
from core import charts  # noqa: E402
from core.lesson.data import least_squares  # noqa: E402
from core.lesson.drafts import SOLUTION  # noqa: E402
from core.measure import verdict  # noqa: E402
from ui import chart_view, runs  # noqa: E402
from ui.text import plain  # noqa: E402

solution = runs.run(SOLUTION.with_changes(dataset=data.key), data, "the solution")
chart_column, numbers_column = st.columns([2, 1], gap="large")
with chart_column:
    labeled = [("solution", solution)]
    chart_view.show(charts.fit_chart, data, labeled)
with numbers_column:
    st.markdown(f"**{plain(data.title)}**: {len(data):,} points.")  # an upload's title holds its file name
    outcome = solution.outcome
    st.metric("m (slope)", f"{outcome.final_m:.3f}")
    st.metric("b (intercept)", f"{outcome.final_b:.3f}")
    st.metric("loss (RMSE)", f"{outcome.final_loss:.3f}" if outcome.final_loss is not None else "n/a")
    best = least_squares(data)
    st.caption(
        f"The solution's loop after {SOLUTION.iterations:,} iterations at learning rate {SOLUTION.lr}: it "
        f"{verdict.verdict(solution, data).phrase}. The least-squares line is m = {best.m:.3f}, b = {best.b:.3f}."
    )

st.subheader("What this dashboard teaches")
st.markdown(
    "The lesson builds the training loop through drafts, each with a bug every beginner makes:\n"
    "- **the update outside `torch.no_grad()`**: written as a reassignment, `m` stops being a leaf and the next "
    "iteration fails; written in place, PyTorch refuses it at the first update; through `.data`, it works;\n"
    "- **gradients never zeroed**: PyTorch accumulates them, and the parameters swing wildly;\n"
    "- **a single step instead of a loop**.\n\n"
    "Every result here comes from running the real PyTorch loop: the trajectories of `m` and `b`, the loss, "
    "the gradients, the fitted line, the exact code that ran, and the real error PyTorch raised."
)

DESCRIPTIONS = {
    "Lesson": "Drafts 1 to 4 in order. Predict what each does, then see it run.",
    "Lab": "Switch each bug on and off; see the code, the outcome and the charts.",
    "Compare": "Buggy and fixed drafts on the same axes.",
    "Your data": "Upload or paste a CSV file and fit your own line.",
    "Why it is slow": "Learning rate, conditioning and optimizers: why 10,000 iterations.",
    "Your draft": "Write the loop yourself, run it safely, and see which bug it has.",
}
PER_ROW = 3  # two rows of three: six links side by side would squeeze each caption into a sliver
linked = layout.PAGES[1:]
assert len(linked) == len(DESCRIPTIONS), "each page needs its description on Home"
for first in range(0, len(linked), PER_ROW):
    for column, page in zip(st.columns(PER_ROW), linked[first : first + PER_ROW], strict=False):
        with column:
            st.page_link(page.script, label=page.title, icon=page.icon)
            st.caption(DESCRIPTIONS[page.title])
