"""The processes a server keeps beside itself: the run workers' pool (the only way the server
runs a loop, so it never imports torch) and the drawing processes that turn chart calls into specs.

The top of ``core`` below the CLI: may import every other package, never Streamlit.
"""
