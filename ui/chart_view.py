"""Charts on a page: each built once per view and cached as its Vega-Lite spec.

Building an Altair chart and converting it takes about a tenth of a second; a page of five
charts would redraw a configuration seen before in half a second. The spec of a chart is a
pure function of the runs' configurations and the view, so it is cached by exactly those.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import altair as alt
import streamlit as st

SPEC_ENTRIES = 256  # bounded: a long classroom session keeps flat memory


@st.cache_data(max_entries=SPEC_ENTRIES, show_spinner=False)
def _spec(key: Hashable, _build: Callable[[], alt.TopLevelMixin]) -> dict:
    # Schema validation is a third of the cost; the chart functions' tests validate every kind.
    return _build().to_dict(validate=False)


PRESENTER_SCALE = 1.6  # charts this much taller in presenter mode


def show(key: Hashable, build: Callable[[], alt.TopLevelMixin]) -> None:
    """Draw the chart that ``build`` makes; ``key`` must name everything the chart depends on."""
    spec = _spec(key, build)
    if st.session_state.get("present") and isinstance(spec.get("height"), int | float):
        spec = {**spec, "height": spec["height"] * PRESENTER_SCALE}
    st.vega_lite_chart(spec, width="stretch")
