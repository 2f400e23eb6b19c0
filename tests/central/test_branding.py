"""A site's branding (name, accent colour, logo) through central's site config API to
the kiosk's config document, and bad branding refused with a message."""

from __future__ import annotations

import base64

from devtools.central_world import make_org, ok
from devtools.sample_logo import png


def test_branding_reaches_the_kiosk_and_the_site_name_is_the_default(central, national):
    org = make_org(central, national)
    admin = org.tokens["org_admin"]
    document = ok(central.request("GET", "/kiosk/config", org.device_token))
    assert document["site_name"] == "Yhteispalvelupiste"  # the site's own name
    assert document["accent_colour"] == "" and document["logo_png"] == ""

    logo = base64.b64encode(png(64, 32)).decode()
    ok(
        central.request(
            "PATCH",
            f"/sites/{org.site_id}/config",
            admin,
            json={
                "site_name": "Keravan palvelupiste",
                "accent_colour": "#7A1F5C",
                "logo_png": logo,
            },
        )
    )
    document = ok(central.request("GET", "/kiosk/config", org.device_token))
    assert document["site_name"] == "Keravan palvelupiste"
    assert document["accent_colour"] == "#7A1F5C"
    assert base64.b64decode(document["logo_png"]) == png(64, 32)


def test_bad_branding_gets_a_clear_400_and_changes_nothing(central, national):
    org = make_org(central, national)
    admin = org.tokens["org_admin"]
    before = ok(central.request("GET", f"/sites/{org.site_id}/config", admin))
    cases = {
        "accent_colour": ("blue", "#0B5394"),
        "logo_png": ("not a picture", "base64"),
        "site_name": ("x" * 81, "80 characters"),
    }
    for key, (value, words) in cases.items():
        r = central.request("PATCH", f"/sites/{org.site_id}/config", admin, json={key: value})
        assert r.status_code == 400, (key, r.text)
        assert words in r.text
    big = base64.b64encode(png(2000, 10)).decode()
    r = central.request("PATCH", f"/sites/{org.site_id}/config", admin, json={"logo_png": big})
    assert r.status_code == 400 and "1024" in r.text
    jpeg = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\x00" * 100).decode()
    r = central.request("PATCH", f"/sites/{org.site_id}/config", admin, json={"logo_png": jpeg})
    assert r.status_code == 400 and "PNG" in r.text
    assert ok(central.request("GET", f"/sites/{org.site_id}/config", admin)) == before
