"""Fuzz: any text in any URL parameter a page binds opens the page without an exception.

Each example opens a real page through AppTest, and the Lab and Compare run real PyTorch, so
the examples are few; every link also sets 200 iterations, so a valid value runs quickly.
``tests/test_url.py`` checks the rule itself on many more values, without pages.
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.test_pages import open_page
from ui import url

HOSTILE = st.sampled_from(
    ["", "inf", "-inf", "nan", "1e400", "-1e400", "1e-400", "9" * 5_000, "1.5", "0.5", "1e15", "-0", "true", "FALSE",
     "None", "[]", "0x1F", "1_000", "١٢", " 7 ", "\n", "%00", "<script>", "$x$", "your data", "custom"]
)  # fmt: skip
VALUES = st.one_of(HOSTILE, st.text(max_size=40), st.floats().map(repr), st.integers(-(10**30), 10**30).map(str))
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

COMPARE_ONLY = ("compare", "cmp_log_x")
COMPARE_KEYS = sorted(key for key in url.KINDS if key.startswith(url.COMPARE_PREFIX) or key in COMPARE_ONLY)
LAB_KEYS = sorted(set(url.KINDS) - set(COMPARE_KEYS))


def quick(key: str, value: str) -> bool:
    """Whether a link's run stays short: no valid iteration count above a few thousand."""
    try:
        return not (key.endswith("iterations") and 2_000 < float(value) <= 100_000)
    except ValueError:
        return True


@SLOW
@given(query=st.dictionaries(st.sampled_from(LAB_KEYS), VALUES, min_size=1, max_size=3))
def test_any_lab_link_opens_the_lab(query):
    assume(all(quick(key, value) for key, value in query.items()))
    at = open_page("app_pages/2_Lab.py", **{"iterations": "200", **query})
    assert not at.exception
    assert at.title


@SLOW
@given(query=st.dictionaries(st.sampled_from(COMPARE_KEYS), VALUES, min_size=1, max_size=3))
def test_any_compare_link_opens_compare(query):
    assume(all(quick(key, value) for key, value in query.items()))
    base = {"compare": ["Draft 4 (solution)", "custom"], "c_iterations": "200"}
    at = open_page("app_pages/3_Compare.py", **{**base, **query})
    assert not at.exception
    assert at.title


@SLOW
@given(value=VALUES, page=st.sampled_from(["app_pages/0_Home.py", "app_pages/1_Lesson.py", "app_pages/4_Data.py"]))
def test_any_dataset_or_presenter_link_opens_the_other_pages(value, page):
    for key in ("dataset", "present"):
        at = open_page(page, **{key: value})
        assert not at.exception
