"""The audit log in words: what a person did and to what, named ("Renamed kiosk Aula,
left"), instead of the method and the path with its ids the log keeps.

The log itself stays as it is written (central/access/audit.py: method, path, status);
this table reads it for people. An address not in the table is shown by its first
words ("Changed: sites"), never by its ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.console.viewer import N_
from central.db.models import Deployment, Kiosk, Organisation, Site, User

# (method, address without /api/v1, what was done, which part of the address names it)
ACTIONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("POST", "/auth/login", N_("Signed in"), None),
    ("POST", "/console/login", N_("Signed in"), None),
    ("POST", "/auth/logout", N_("Signed out"), None),
    ("POST", "/console/logout", N_("Signed out"), None),
    ("POST", "/auth/password", N_("Changed their password"), None),
    ("DELETE", "/auth/login-locks", N_("Unlocked sign-ins"), None),
    ("POST", "/agreements", N_("Proposed an agreement"), None),
    ("POST", "/console/agreements", N_("Proposed an agreement"), None),
    ("POST", "/agreements/{agreement}/accept", N_("Accepted an agreement"), "agreement"),
    ("POST", "/agreements/{agreement}/decline", N_("Declined an agreement"), "agreement"),
    ("POST", "/agreements/{agreement}/end", N_("Ended an agreement"), "agreement"),
    ("POST", "/console/agreements/{agreement}/{action}", N_("Acted on an agreement"), "agreement"),
    ("POST", "/bookings", N_("Added a booking"), None),
    ("DELETE", "/bookings/{booking}", N_("Cancelled a booking"), None),
    ("POST", "/catalogue/import", N_("Imported the service catalogue"), None),
    ("POST", "/console/catalogue/apply", N_("Imported the service catalogue"), None),
    ("POST", "/console/catalogue/preview", N_("Previewed a catalogue import"), None),
    ("POST", "/console/catalogue/overlay", N_("Changed a service's local details"), None),
    ("PUT", "/services/{service}/overlay", N_("Changed a service's local details"), None),
    ("POST", "/console/catalogue/ptv-sync", N_("Set up the PTV sync"), None),
    ("PUT", "/organisations/{org}/ptv-sync", N_("Set up the PTV sync of"), "org"),
    ("POST", "/console/catalogue/ptv-sync/run", N_("Ran the PTV sync"), None),
    ("POST", "/organisations/{org}/ptv-sync/run", N_("Ran the PTV sync of"), "org"),
    ("POST", "/deployments", N_("Started a deployment"), None),
    ("POST", "/console/deployments", N_("Started a deployment"), None),
    ("POST", "/deployments/{deployment}/pause", N_("Paused the deployment of"), "deployment"),
    ("POST", "/deployments/{deployment}/resume", N_("Resumed the deployment of"), "deployment"),
    ("POST", "/deployments/{deployment}/cancel", N_("Cancelled the deployment of"), "deployment"),
    (
        "POST",
        "/console/deployments/{deployment}/{action}",
        N_("Acted on the deployment of"),
        "deployment",
    ),
    ("POST", "/desk/calls/{call}/accept", N_("Answered a call"), None),
    ("POST", "/desk/calls/{call}/end", N_("Ended a call"), None),
    ("POST", "/desk/calls/{call}/documents", N_("Showed a document in a call"), None),
    ("POST", "/desk/calls/{call}/messages", N_("Wrote in a call's chat"), None),
    ("POST", "/desk/calls/{call}/experts", N_("Invited an expert to a call"), None),
    ("POST", "/desk/calls/{call}/interpreter", N_("Asked for an interpreter"), None),
    ("POST", "/desk/calls/{call}/leave", N_("Left a call"), None),
    ("PUT", "/desk/calls/{call}/identification", N_("Recorded a citizen's identification"), None),
    (
        "POST",
        "/desk/calls/{call}/identification/request",
        N_("Asked a citizen to identify"),
        None,
    ),
    ("POST", "/desk/interpreting/{party}/take", N_("Took an interpreting request"), None),
    ("POST", "/desk/invitations/{party}/take", N_("Joined a call as an expert"), None),
    ("PUT", "/desk/presence", N_("Changed their presence"), None),
    ("PUT", "/expert-directory/{org}", N_("Added to the expert directory"), "org"),
    ("DELETE", "/expert-directory/{org}", N_("Removed from the expert directory"), "org"),
    ("POST", "/console/expert-directory", N_("Changed the expert directory"), None),
    ("POST", "/console/interpretation-services", N_("Changed the interpretation services"), None),
    ("DELETE", "/kiosks/{kiosk}", N_("Retired kiosk"), "kiosk"),
    ("PATCH", "/kiosks/{kiosk}", N_("Renamed or tagged kiosk"), "kiosk"),
    ("POST", "/console/kiosks/{kiosk}/details", N_("Renamed or tagged kiosk"), "kiosk"),
    ("PUT", "/kiosks/{kiosk}/tags", N_("Tagged kiosk"), "kiosk"),
    ("POST", "/kiosks/{kiosk}/commands", N_("Sent an action to kiosk"), "kiosk"),
    ("POST", "/console/kiosks/{kiosk}/commands", N_("Sent an action to kiosk"), "kiosk"),
    ("POST", "/console/fleet/commands", N_("Sent an action to many kiosks"), None),
    ("POST", "/kiosks/{kiosk}/revoke-token", N_("Locked out kiosk"), "kiosk"),
    ("PUT", "/officials/{user}", N_("Set what this official serves:"), "user"),
    ("POST", "/console/officials/{user}", N_("Set what this official serves:"), "user"),
    ("POST", "/organisations", N_("Added an organisation"), None),
    ("PATCH", "/organisations/{org}", N_("Changed organisation"), "org"),
    ("PUT", "/organisations/{org}/retention", N_("Changed the retention of"), "org"),
    ("POST", "/console/organisations/{org}/alerting", N_("Changed the alerting of"), "org"),
    ("POST", "/organisations/{org}/sites", N_("Added a site to"), "org"),
    ("POST", "/console/sites", N_("Added a site"), None),
    ("PUT", "/sites/{site}/catalogue", N_("Chose the services of site"), "site"),
    ("POST", "/console/sites/{site}/catalogue", N_("Chose the services of site"), "site"),
    ("PATCH", "/sites/{site}/config", N_("Changed the settings of site"), "site"),
    ("POST", "/console/sites/{site}/save", N_("Changed the settings of site"), "site"),
    ("POST", "/console/sites/{site}/preview", N_("Reviewed new settings of site"), "site"),
    ("POST", "/sites/{site}/enrollment-tokens", N_("Made an enrolment code for site"), "site"),
    (
        "POST",
        "/console/sites/{site}/enrolment-tokens",
        N_("Made an enrolment code for site"),
        "site",
    ),
    ("POST", "/users", N_("Added a person"), None),
    ("POST", "/console/people", N_("Invited a person"), None),
    ("PATCH", "/users/{user}", N_("Changed person"), "user"),
    ("DELETE", "/users/{user}", N_("Removed person"), "user"),
    ("POST", "/console/people/{user}/disabled", N_("Disabled or enabled person"), "user"),
    ("POST", "/console/people/{user}/invitation", N_("Invited again"), "user"),
    ("POST", "/console/people/{user}/tokens", N_("Made an API token for"), "user"),
    ("POST", "/console/people/{user}/tokens/{token}/revoke", N_("Revoked an API token of"), "user"),
    ("POST", "/console/invitation/{token}", N_("Accepted an invitation"), None),
    (
        "POST",
        "/console/sites/{site}/enrolment-tokens/{token}/revoke",
        N_("Revoked an enrolment code of site"),
        "site",
    ),
    ("POST", "/console/organisations", N_("Added an organisation"), None),
    ("POST", "/console/organisations/{org}/ptv-id", N_("Set the PTV id of"), "org"),
    ("POST", "/console/alerts/{alert}/acknowledge", N_("Acknowledged an alert"), None),
    ("POST", "/console/alerts/{alert}/silence", N_("Silenced an alert"), None),
)
_PATTERNS = [
    (method, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"), words, kind)
    for method, path, words, kind in ACTIONS
]
_NAMERS: dict[str, tuple[Any, Any]] = {
    "kiosk": (Kiosk.id, Kiosk.name),
    "site": (Site.id, Site.name),
    "org": (Organisation.id, Organisation.name),
    "user": (User.id, User.email),
    "deployment": (Deployment.id, Deployment.release),
}
CHANGED = N_("Changed")


@dataclass(frozen=True)
class Described:
    """One entry for people: what was done (a msgid) and to what, by name."""

    what: str
    target: str = ""
    kind: str | None = None
    target_id: str | None = None
    changes: tuple[tuple[str, Any, Any], ...] = ()


def describe(method: str, path: str, detail: dict[str, Any] | None) -> Described:
    address = path.removeprefix("/api/v1")
    changes = tuple(tuple(c) for c in ((detail or {}).get("changes") or []) if len(c) == 3)
    for wanted, pattern, words, kind in _PATTERNS:
        found = pattern.match(address) if wanted == method else None
        if found:
            target_id = found.group(kind) if kind else None
            return Described(words, "", kind, target_id, changes)
    first = [p for p in address.split("/") if p and p != "console"][:1]
    return Described(CHANGED, first[0] if first else "", None, None, changes)


def named(db: Session, described: Iterable[Described]) -> list[Described]:
    """Each entry with its target's name read (one query per kind of target); a target
    since removed, or an agreement (it has no name), keeps no id on the page."""
    items = list(described)
    names: dict[tuple[str, str], str] = {}
    for kind, (key, label) in _NAMERS.items():
        ids = {d.target_id for d in items if d.kind == kind and d.target_id}
        if ids:
            rows = db.execute(select(key, label).where(key.in_(ids)))
            names |= {(kind, i): str(n) for i, n in rows}
    out = []
    for d in items:
        name = names.get((d.kind, d.target_id), "") if d.kind and d.target_id else d.target
        out.append(Described(d.what, name, d.kind, None, d.changes))
    return out
