"""What an import body may be: one service, a list of them, a PTV page ({"itemList": […]}),
or real v11 documents side by side:

    {"services": [page or service, …], "channels": [channel, …],
     "organizations": [organisation, …], "archived": [id or {"id": …}, …]}

Services are joined with the channel and organisation documents by id (docs/ptv.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from central.ptv.texts import InvalidService


@dataclass
class Documents:
    services: list[Any]
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    organisations: dict[str, dict[str, Any]] = field(default_factory=dict)
    archived: list[str] = field(default_factory=list)


def _items(value: Any, what: str) -> list[Any]:
    """Pages ({"itemList": […]}) and plain lists, flattened."""
    if value is None:
        return []
    if isinstance(value, dict) and "itemList" in value:
        value = value["itemList"]
        if value is None:
            return []
    if not isinstance(value, list):
        raise InvalidService(f"{what} must be a list or a page with an itemList")
    out: list[Any] = []
    for entry in value:
        if isinstance(entry, list) or (isinstance(entry, dict) and "itemList" in entry):
            out.extend(_items(entry, what))  # a file's list or page among others
        else:
            out.append(entry)
    return out


def _by_id(entries: list[Any]) -> dict[str, dict[str, Any]]:
    return {str(e["id"]): e for e in entries if isinstance(e, dict) and e.get("id")}


def read(body: Any) -> Documents:
    if isinstance(body, dict) and "services" in body:
        archived = [
            str(a.get("id") if isinstance(a, dict) else a)
            for a in _items(body.get("archived"), "archived")
        ]
        return Documents(
            services=_items(body["services"], "services"),
            channels=_by_id(_items(body.get("channels"), "channels")),
            organisations=_by_id(_items(body.get("organizations"), "organizations")),
            archived=archived,
        )
    if isinstance(body, dict) and "itemList" in body:
        return Documents(_items(body, "itemList"))
    if isinstance(body, dict):
        return Documents([body])
    if isinstance(body, list):
        return Documents(body)
    raise InvalidService(
        'send a PTV service list ({"itemList": [...]}), one service, or '
        '{"services": [...], "channels": [...], "organizations": [...]}'
    )


def directory_body(path: Path) -> dict[str, list[Any]]:
    """A directory of v11 documents as PTV serves them (data/ptv/ is one) as one import
    body: services*.json (pages of Service/list/organization), channels*.json
    (ServiceChannel/list answers), organizations*.json and archived*.json (pages of
    Service?status=Archived)."""
    keys = ("services", "channels", "organizations", "archived")
    body: dict[str, list[Any]] = {key: [] for key in keys}
    for key in body:
        for file in sorted(path.glob(f"{key}*.json")):
            body[key].append(json.loads(file.read_text(encoding="utf-8")))
    if not body["services"]:
        raise InvalidService(f"{path} has no services*.json")
    return body


def read_directory(path: Path) -> Documents:
    return read(directory_body(path))
