"""The app's entry point: every page, with the URL it answers to, then the one this URL asks for."""

import streamlit as st

from ui import layout

# Home is the default page, at "/"; st.Page takes an empty url_path only for the default page.
pages = [
    st.Page(p.script, title=p.title, url_path=p.url_path, icon=p.icon, default=not p.url_path) for p in layout.PAGES
]
page = st.navigation(pages)
page.run()
