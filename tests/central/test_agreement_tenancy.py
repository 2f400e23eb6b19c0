"""Who reaches which agreement, statement and directory entry: every endpoint of
agreements, for every role of the host, the provider, an interpretation service and an
unrelated organisation. The rows come from the app's own route table, so an agreement
endpoint added later fails here until it says what each of them gets.

Refusals are checked by what arrives: a 404 or 403 body names nothing of the agreement
(its id, its parties' names), and listings hold only the caller's own.
"""

from __future__ import annotations

import pytest

from devtools.central_world import add_user, agree, make_org, ok

ROLES = ("org_admin", "technician", "official", "booking_system")
KINDS = ("host", "provider", "interpreting", "unrelated")
PREFIXES = ("/agreements", "/served-sites", "/expert-directory")
API = "/api/v1"


@pytest.fixture(scope="module")
def parties(central, national):
    host = make_org(central, national, name="Isäntäkunta")
    provider = make_org(central, national, with_kiosk=False, name="Palveluvirasto")
    interpreting = make_org(
        central, national, with_kiosk=False, name="Tulkkikeskus", interpretation_service=True
    )
    interpreting.tokens["interpreter"] = add_user(central, "interpreter", interpreting.id)
    unrelated = make_org(central, national, name="Sivullinen")
    active = agree(central, national, host.id, provider.id)
    ended = agree(central, national, host.id, provider.id, languages=["fi"])
    ok(central.request("POST", f"/agreements/{ended['id']}/end", national, json={}))
    interpretation = agree(central, national, provider.id, interpreting.id, "interpretation")
    return {
        "host": host,
        "provider": provider,
        "interpreting": interpreting,
        "unrelated": unrelated,
        "active": active,
        "ended": ended,
        "interpretation": interpretation,
    }


def routes(app):
    for path, operations in app.openapi()["paths"].items():
        template = path.removeprefix(API)
        if template.startswith(PREFIXES):
            for method in operations:
                yield method.upper(), template


def expected(kind: str, role: str, method: str, template: str) -> int:
    """The status this person gets; 200-class where they may, else the refusal."""
    admin = role == "org_admin"
    party = kind in ("host", "provider")
    if template == "/expert-directory" and method == "GET":
        return 200  # one national list, the same for everyone
    if template.startswith("/expert-directory/"):
        return 403  # the national admin's alone
    if not admin:
        return 403
    if template in ("/agreements", "/served-sites") and method == "GET":
        return 200
    if template == "/agreements" and method == "POST":
        return 201 if party else 403
    if not party:
        return 404  # an agreement of others does not exist for them
    if method == "POST":  # accept, decline, end on an ended agreement
        return 409
    return 200


def path_of(template: str, p) -> str:
    return (
        template.replace("{agreement_id}", p["ended"]["id"])
        .replace("{month}", "2026-11")
        .replace("{org_id}", p["host"].id)
    )


def target(template: str, method: str, p) -> str:
    """Steps act on the ended agreement (a step that went through would change the
    others' rows); reads read the active one."""
    if method == "GET":
        return path_of(template, p).replace(p["ended"]["id"], p["active"]["id"])
    return path_of(template, p)


def body_of(method: str, template: str, p):
    if template == "/agreements" and method == "POST":
        return {
            "host_org_id": p["host"].id,
            "provider_org_id": p["provider"].id,
            "languages": ["fi"],
            "valid_from": "2026-01-01",
            "basis": "per_call",
            "amount_cents": 1,
            "vat_basis_points": 0,
        }
    return {} if method in ("POST", "PUT") else None


def test_every_agreement_endpoint_is_in_the_table(central, parties):
    found = set(routes(central.app))
    assert len(found) == 11, sorted(found)
    for method, template in found:
        for kind in KINDS:
            for role in ROLES:
                assert expected(kind, role, method, template) in (200, 201, 403, 404, 409)


# Every role of every organisation, and the interpretation service's interpreters.
PEOPLE = [(kind, role) for kind in KINDS for role in ROLES] + [("interpreting", "interpreter")]


@pytest.mark.parametrize(("kind", "role"), PEOPLE)
def test_each_role_of_each_organisation_gets_what_the_table_says(central, parties, kind, role):
    token = parties[kind].tokens[role]
    secrets = (parties["active"]["id"], parties["ended"]["id"], "Isäntäkunta", "Palveluvirasto")
    for method, template in routes(central.app):
        want = expected(kind, "official" if role == "interpreter" else role, method, template)
        path = target(template, method, parties)
        r = central.request(method, path, token, json=body_of(method, template, parties))
        assert r.status_code == want, f"{kind} {role} {method} {path}: {r.status_code} {r.text}"
        if want in (403, 404):
            assert not any(s in r.text for s in secrets), f"{method} {path} told: {r.text}"


@pytest.mark.parametrize("kind", KINDS)
def test_listings_hold_only_the_callers_own(central, parties, kind):
    admin = parties[kind].tokens["org_admin"]
    listed = {a["id"] for a in ok(central.request("GET", "/agreements", admin))["items"]}
    own = {
        "host": {parties["active"]["id"], parties["ended"]["id"]},
        "provider": {
            parties["active"]["id"],
            parties["ended"]["id"],
            parties["interpretation"]["id"],
        },
        "interpreting": {parties["interpretation"]["id"]},
        "unrelated": set(),
    }[kind]
    # The host and the provider also see the proposals the table's POSTs made.
    assert own <= listed
    for agreement in ok(central.request("GET", "/agreements", admin))["items"]:
        assert parties[kind].id in (agreement["host_org_id"], agreement["provider_org_id"])
    served = ok(central.request("GET", "/served-sites", admin))["items"]
    if kind == "provider":
        assert [s["site_id"] for s in served] == [parties["host"].site_id]
    else:
        assert served == []


def test_both_parties_read_the_same_statement_and_nobody_else_any(central, parties, national):
    path = f"/agreements/{parties['active']['id']}/statements/2026-11"
    seen = [
        ok(central.request("GET", path, token))
        for token in (
            parties["host"].tokens["org_admin"],
            parties["provider"].tokens["org_admin"],
            national,
        )
    ]
    assert seen[0] == seen[1] == seen[2]
    for kind in ("interpreting", "unrelated"):
        for form in ("json", "csv", "pdf"):
            r = central.request("GET", f"{path}?format={form}", parties[kind].tokens["org_admin"])
            assert r.status_code == 404 and b"%PDF" not in r.content and b"calls" not in r.content
