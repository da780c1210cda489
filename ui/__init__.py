"""Streamlit-side helpers shared by the pages: settings, cached runs, panels. Only pages import this."""
