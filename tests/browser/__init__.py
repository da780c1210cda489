"""Browser tests: a real Chromium against a fresh app server."""
