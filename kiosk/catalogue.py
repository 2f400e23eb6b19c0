"""The service catalogue on the kiosk: applying central's deltas, and search-as-you-type."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from kiosk.store import StateStore

FALLBACK = ("fi", "sv", "en")
_WORD = re.compile(r"\w+", re.UNICODE)


def fallbacks(language: str) -> tuple[str, ...]:
    """The languages to try, in order, for a citizen reading `language`: their own, then
    Finnish, Swedish, English, then a text whose language PTV did not say ("und")."""
    return (*dict.fromkeys((language, *FALLBACK)), "und")


def language_of(texts: dict[str, Any] | None, language: str) -> str | None:
    """Which language `text_in` shows (None: none): so a label can say it is in Finnish."""
    texts = texts or {}
    for candidate in fallbacks(language):
        if texts.get(candidate):
            return candidate
    return next((k for k, v in texts.items() if v), None)


def text_in(texts: dict[str, Any] | None, language: str) -> str:
    """The text in `language`, else its fallbacks, else any; never an empty label. Chosen
    here, at display time: central keeps each language exactly as PTV has it."""
    chosen = language_of(texts, language)
    if chosen is None:
        return ""
    value = (texts or {})[chosen]
    return value if isinstance(value, str) else ", ".join(value)


@dataclass(frozen=True)
class Service:
    id: str
    position: int
    item: dict[str, Any]

    def name(self, language: str) -> str:
        return text_in(self.item.get("name"), language) or self.id

    def summary(self, language: str) -> str:
        return text_in(self.item.get("summary"), language)

    def organisation(self, language: str) -> str:
        """The providing organisation's name, "" where the catalogue names none."""
        return text_in((self.item.get("organisation") or {}).get("name"), language)


def _all_languages(texts: dict[str, Any] | None) -> str:
    parts: list[str] = []
    for value in (texts or {}).values():
        parts.extend(value if isinstance(value, list) else [value])
    return " ".join(str(p) for p in parts)


def _first_words(names: dict[str, Any] | None) -> str:
    return " ".join(words[0] for v in (names or {}).values() if (words := _WORD.findall(str(v))))


def apply_delta(
    store: StateStore, items: list[dict[str, Any]], deleted: list[str], reset: bool
) -> None:
    """One page of /kiosk/catalogue, applied atomically: a crash keeps the old copy."""
    with store.transaction() as db:
        if reset:
            db.execute("DELETE FROM services")
            db.execute("DELETE FROM services_fts")
        for item in items:
            db.execute(
                "INSERT INTO services (id, position, item, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET position = excluded.position, "
                "item = excluded.item, updated_at = excluded.updated_at",
                [
                    item["id"],
                    item.get("position", 0),
                    json.dumps(item, ensure_ascii=False),
                    item.get("updated_at"),
                ],
            )
            # The index row shares the service row's rowid, so it is replaced in place.
            rowid = db.execute("SELECT rowid FROM services WHERE id = ?", [item["id"]]).fetchone()[
                0
            ]
            db.execute("DELETE FROM services_fts WHERE rowid = ?", [rowid])
            db.execute(
                "INSERT INTO services_fts (rowid, name, summary, keywords, starts) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    rowid,
                    _all_languages(item.get("name")),
                    _all_languages(item.get("summary")),
                    _all_languages(item.get("keywords")),
                    _first_words(item.get("name")),
                ],
            )
        for service_id in deleted:
            db.execute(
                "DELETE FROM services_fts WHERE rowid = (SELECT rowid FROM services WHERE id = ?)",
                [service_id],
            )
            db.execute("DELETE FROM services WHERE id = ?", [service_id])


def _row(row: tuple[str, int, str]) -> Service:
    return Service(id=row[0], position=row[1], item=json.loads(row[2]))


def all_services(store: StateStore) -> list[Service]:
    rows = store.db.execute("SELECT id, position, item FROM services ORDER BY position, id")
    return [_row(r) for r in rows.fetchall()]


def video_services(store: StateStore) -> list[Service]:
    """The services a citizen can talk about by video, in the catalogue's order."""
    return [s for s in all_services(store) if s.item.get("remote_video")]


def service(store: StateStore, service_id: str) -> Service | None:
    row = store.db.execute(
        "SELECT id, position, item FROM services WHERE id = ?", [service_id]
    ).fetchone()
    return _row(row) if row else None


def match_expression(typed: str) -> str | None:
    """What a citizen typed, as an FTS5 query: every word as a prefix, all required.

    Words are quoted, so characters FTS5 treats as syntax can never make the
    query fail; nothing typed reaches SQL unquoted.
    """
    words = _WORD.findall(typed.lower())
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words[:8])


SHORT = 3  # fewer letters than this match only the start of a name


def search(store: StateStore, typed: str, limit: int = 30) -> list[Service]:
    """Services matching as-you-type, best first (names weigh most), in any language.

    One or two letters would match most of a large catalogue, and ranking
    thousands of matches is what makes search slow, so those match only
    names beginning with them, in the site's order.
    """
    expression = match_expression(typed)
    if expression is None:
        return all_services(store)[:limit]
    if len("".join(_WORD.findall(typed))) < SHORT:
        rows = store.db.execute(
            "SELECT s.id, s.position, s.item FROM services_fts f "
            "JOIN services s ON s.rowid = f.rowid WHERE services_fts MATCH ? "
            "ORDER BY s.position LIMIT ?",
            [f"starts : {expression}", limit],
        )
        return [_row(r) for r in rows.fetchall()]
    rows = store.db.execute(
        "SELECT s.id, s.position, s.item FROM services_fts f JOIN services s ON s.rowid = f.rowid "
        "WHERE services_fts MATCH ? ORDER BY bm25(services_fts, 10.0, 2.0, 5.0, 0.0), s.position "
        "LIMIT ?",
        [expression, limit],
    )
    return [_row(r) for r in rows.fetchall()]


@dataclass(frozen=True)
class Category:
    """Services grouped by the organisation that provides them (Kela, the police, the city…)."""

    id: str
    names: dict[str, Any]
    services: list[Service]

    def name(self, language: str) -> str:
        return text_in(self.names, language) or "?"


def categories(store: StateStore) -> list[Category]:
    """Organisations in the site's order of their first service; services without one last."""
    groups: dict[str, Category] = {}
    for item in all_services(store):
        organisation = item.item.get("organisation") or {}
        key = str(organisation.get("id") or "")
        if key not in groups:
            groups[key] = Category(key, organisation.get("name") or {}, [])
        groups[key].services.append(item)
    return sorted(groups.values(), key=lambda c: c.id == "")


def count(store: StateStore) -> int:
    return store.db.execute("SELECT count(*) FROM services").fetchone()[0]
