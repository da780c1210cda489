"""Light or dark: the page follows the system's setting unless the sidebar's Theme choice says otherwise.

Both themes are defined in ``.streamlit/config.toml``. Streamlit's own theme menu is hidden with
the rest of the app menu (``toolbarMode = "minimal"``), and a script cannot switch Streamlit's
theme in place: the frontend reads its choice from the browser's local storage when the page
loads (one entry per page path, the format its own menu writes). So the choice here writes that
entry for every page and reloads once. The choice is a URL parameter like any setting
(``?theme=Dark``), so the reloaded page, and a shared link, keep it.
"""

from __future__ import annotations

import json

import streamlit as st

THEME = "theme"  # widget key and URL parameter
CHOSEN = "theme_chosen"  # session: the choice, kept across page switches
SYSTEM, LIGHT, DARK = "System", "Light", "Dark"  # the values Streamlit's frontend stores

# Writes the choice where Streamlit's frontend looks for it, for every page of the app, and reloads
# once when that changes what this page shows. A browser that keeps nothing in local storage never
# reloads (what was written is read back first), nor does the same choice reload twice in a tab.
APPLY_JS = """
(() => {
  const wanted = %(wanted)s, pages = %(pages)s;
  const key = (path) => `stActiveTheme-${path}-v2`;
  const here = window.location.pathname;
  const page = pages.find((name) => name && here.endsWith("/" + name)) || "";
  const base = here.slice(0, here.length - page.length).replace(/\\/?$/, "/");
  let stored;
  try { stored = JSON.parse(window.localStorage.getItem(key(here)) || '"System"'); } catch (e) { return; }
  if (stored === wanted) return;
  try {
    for (const name of pages) window.localStorage.setItem(key(base + name), JSON.stringify(wanted));
    window.localStorage.setItem(key(here), JSON.stringify(wanted));
  } catch (e) { return; }
  if (JSON.parse(window.localStorage.getItem(key(here))) !== wanted) return;
  if (window.sessionStorage.getItem("gddThemeReloaded") === wanted) return;
  window.sessionStorage.setItem("gddThemeReloaded", wanted);
  window.location.reload();
})();
"""


# Which theme the page is drawn in, as an attribute style rules can test (html[data-gdd-theme=dark]).
# The frontend decides it (the system's setting, or the stored choice): read from the page's own
# background, and again whenever the system's setting changes.
MARK_JS = """
(() => {
  const mark = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return;
    const [r, g, b] = getComputedStyle(app).backgroundColor.match(/\\d+/g).map(Number);
    document.documentElement.dataset.gddTheme = 0.2126 * r + 0.7152 * g + 0.0722 * b < 128 ? "dark" : "light";
  };
  mark();
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => setTimeout(mark, 100));
})();
"""


def theme_choice(url_paths: list[str], *, holds_upload: bool = False) -> str:
    """The sidebar's Theme choice (System, Light or Dark), applied to every page at ``url_paths``; returns it.

    ``holds_upload``: this session holds the user's own data, which a reload does not keep: said
    before the choice is made, not after.
    """
    # A page switch opens the next page without ?theme=, which would give its widget the default
    # (System) and undo the choice: the session's own choice goes to the widget first.
    chosen = st.session_state.get(CHOSEN)
    if THEME not in st.query_params and chosen not in (None, SYSTEM):
        st.session_state[THEME] = chosen
    choice = st.sidebar.segmented_control(
        "Theme",
        [SYSTEM, LIGHT, DARK],
        default=SYSTEM,
        key=THEME,
        bind="query-params",
        persist_state="session",
        required=True,
    )
    st.session_state[CHOSEN] = choice
    if holds_upload:
        st.sidebar.caption(
            "Changing the theme reloads the page, and a reload does not keep your uploaded data: "
            "you would upload it again."
        )
    script = APPLY_JS % {"wanted": json.dumps(choice), "pages": json.dumps(url_paths)}
    st.sidebar.html(f"<script>{script}{MARK_JS}</script>", unsafe_allow_javascript=True)  # our own constant script
    return choice
