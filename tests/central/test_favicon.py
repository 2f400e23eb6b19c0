"""The console, the desk and the phone's identification pages carry central's icon
(issue 33: no favicon), served as an SVG, not a 404 in every browser's log."""

from __future__ import annotations

import requests


def test_every_page_names_the_icon_and_central_serves_it(central):
    icon = requests.get(f"{central.base}/console/static/favicon.svg", timeout=10)
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg") and "</svg>" in icon.text
    for page in ("/console/login", "/desk/"):
        html = requests.get(f"{central.base}{page}", timeout=10).text
        assert '<link rel="icon" href="/console/static/favicon.svg"' in html, page
