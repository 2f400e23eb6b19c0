"""The municipality console at /console/: server-rendered pages over the same policy as the API.

Pages read with no JavaScript; htmx (vendored, no build step) only refreshes
parts of them. Every form posts with the CSRF token the request guard checks.
"""
