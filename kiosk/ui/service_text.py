"""A service's channels and opening hours in words, in the citizen's language, for the
service screen and its printout: texts chosen at display time (kiosk/catalogue.py
`text_in`), hours from the kiosk's own evaluation (kiosk/service_hours.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kiosk.catalogue import fallbacks, text_in
from kiosk.service_hours import DayHours, day_hours, open_at, week
from kiosk.ui.i18n import N_

Translate = Callable[[str], str]

DAY_NAMES = (
    N_("Mon"),
    N_("Tue"),
    N_("Wed"),
    N_("Thu"),
    N_("Fri"),
    N_("Sat"),
    N_("Sun"),
)
CHANNEL_NAMES = {
    "electronic": N_("Online"),
    "phone": N_("By phone"),
    "service_location": N_("At a service point"),
    "remote_video": N_("Video call"),
    "PrintableForm": N_("Printable form"),
    "WebPage": N_("Web page"),
}


def _in_language(entries: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """The entries in the citizen's language, else the nearest fallback that has any, else
    those with no language: never a list mixing languages."""
    for candidate in fallbacks(language):
        chosen = [e for e in entries if e.get("language") == candidate]
        if chosen:
            return chosen
    return [e for e in entries if not e.get("language")] or entries[:1]


def _address(address: dict[str, Any], language: str) -> str:
    street = " ".join(
        x for x in (text_in(address.get("street"), language), address.get("number")) if x
    )
    town = " ".join(
        x for x in (address.get("postal_code"), text_in(address.get("post_office"), language)) if x
    )
    extra = text_in(address.get("info"), language)
    return ", ".join(x for x in (street, town, extra) if x)


def channel_lines(channel: dict[str, Any], language: str, t: Translate) -> list[str]:
    """How to reach the service through this channel, one line each."""
    kind = t(
        CHANNEL_NAMES.get(channel.get("ptv_type", ""), "")
        or CHANNEL_NAMES.get(channel.get("type", ""), N_("Other"))
    )
    name = text_in(channel.get("name"), language)
    lines: list[str] = []
    if channel.get("type") == "service_location":
        places = [
            _address(a, language)
            for a in channel.get("addresses") or []
            if a.get("type") != "postal"
        ]
        lines.append(f"{kind}: " + " – ".join(x for x in (name, *places) if x))
    phones = [p for p in channel.get("phones") or [] if p.get("type") != "fax"]
    for phone in _in_language(phones, language) if phones else []:
        label = t("Text message") if phone["type"] == "sms" else t("Phone")
        charge = phone.get("charge_info") or (
            t("Free of charge") if phone.get("charge_type") == "free" else ""
        )
        detail = f" ({charge})" if charge else ""
        lines.append(f"{label}: {phone['number']}{detail}")
    pages = channel.get("web_pages") or []
    for page in _in_language(pages, language) if pages else []:
        lines.append(
            f"{kind}: {page['url']}"
            if channel.get("type") != "service_location"
            else t("Web page") + ": " + page["url"]
        )
    forms = channel.get("forms") or []
    for form in _in_language(forms, language) if forms else []:
        lines.append(f"{kind}: {name} {form['url']}".replace("  ", " "))
    if channel.get("type") == "remote_video":
        lines.append(kind)
    if not lines:
        lines.append(f"{kind}: {name}" if name else kind)
    return lines


def _spans(day: DayHours, t: Translate) -> str:
    if day.state == "always_open":
        return t("open 24 hours")
    if day.state == "by_appointment":
        return t("by appointment")
    if day.state != "open":
        return t("closed")
    return ", ".join(s.text() for s in day.spans)


def today_line(hours: list[dict[str, Any]], now: datetime, language: str, t: Translate) -> str:
    """'Open now · today 9.00–16.00', 'Closed today: Independence Day'…"""
    today = day_hours(hours, now.date())
    if today.state == "unknown":
        return ""
    note = text_in(today.info, language)
    if today.state == "closed":
        return t("Closed today") + (f": {note}" if note else "")
    if today.state == "by_appointment":
        return t("By appointment") + (f" ({note})" if note else "")
    now_open = N_("Open now · today {hours}")
    now_closed = N_("Closed now · today {hours}")
    text = t(now_open if open_at(hours, now) else now_closed).format(hours=_spans(today, t))
    return text + (f" ({note})" if note and today.exceptional else "")


def week_line(hours: list[dict[str, Any]], now: datetime, language: str, t: Translate) -> str:
    """The seven days from today, runs of equal days together: 'Mon–Fri 9.00–16.00, Sat–Sun
    closed', a holiday by its date: 'Thu 24.12. closed (Christmas Eve)'."""
    parts: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        if run:
            days = run[0][0] if len(run) == 1 else f"{run[0][0]}–{run[-1][0]}"
            parts.append(f"{days} {run[0][1]}")
            run.clear()

    for day, hours_of_day in sorted(week(hours, now.date()), key=lambda d: d[0].weekday()):
        if hours_of_day.state == "unknown":
            return ""
        label = t(DAY_NAMES[day.weekday()])
        words = _spans(hours_of_day, t)
        if hours_of_day.exceptional:
            flush()
            note = text_in(hours_of_day.info, language)
            parts.append(f"{label} {day.day}.{day.month}. {words}" + (f" ({note})" if note else ""))
        elif run and run[-1][1] == words:
            run.append((label, words))
        else:
            flush()
            run.append((label, words))
    flush()
    return ", ".join(parts)
