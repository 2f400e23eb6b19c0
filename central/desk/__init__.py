"""The officials' desk page at /desk/: server-rendered HTML, a little JavaScript.

The page is rendered here in the official's language; desk.js logs in with
the JSON API, polls `/api/v1/desk/state` and runs the call's media with
Janus in the browser. The page keeps the bearer token in sessionStorage
(never a cookie), so no request can be forged from another site.
"""
