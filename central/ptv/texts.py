"""PTV's localized values: lists of {language, value} (names and descriptions also carry a
`type`). Empty fields come as `value: null`; they mean "not in this language", never an error.
"""

from __future__ import annotations

from typing import Any


class InvalidService(ValueError):
    """A PTV document that cannot be imported; the message names the field and says why."""


# Every content language PTV has: Finnish, Swedish, English and the three Sámi languages.
LANGUAGES = ("fi", "sv", "en", "se", "smn", "sms")
MAX_TEXT = 10_000
UNKNOWN_LANGUAGE = "und"  # BCP 47's "undetermined": a single-string name PTV did not label


def localized(entries: Any, field: str, type_: str | None = None) -> dict[str, str]:
    """{language: text} exactly as PTV has it; the first non-empty value of each language."""
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise InvalidService(f"{field} must be a list of {{language, value}} objects")
    out: dict[str, str] = {}
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InvalidService(f"{field}[{n}] must be an object")
        if type_ is not None and entry.get("type") != type_:
            continue
        language, value = entry.get("language"), entry.get("value")
        if not isinstance(language, str) or not 2 <= len(language) <= 8:
            raise InvalidService(f"{field}[{n}].language must be a language code like 'fi'")
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidService(f"{field}[{n}].value must be text")
        value = value.strip()
        if len(value) > MAX_TEXT:
            raise InvalidService(f"{field}[{n}].value is longer than {MAX_TEXT} characters")
        if value and language not in out:
            out[language] = value
    return out


def keywords(entries: Any) -> dict[str, list[str]]:
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise InvalidService("keywords must be a list of {language, value} objects")
    out: dict[str, list[str]] = {}
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InvalidService(f"keywords[{n}] must be an object")
        value, language = entry.get("value"), entry.get("language")
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidService(f"keywords[{n}].value must be text")
        if not isinstance(language, str):
            raise InvalidService(f"keywords[{n}].language must be a language code")
        if value.strip():
            out.setdefault(language, []).append(value.strip())
    return out


def name_of(value: Any, field: str, type_: str = "Name") -> dict[str, str]:
    """A name given either as PTV's localized list or as one string (VmOpenApiItem.name):
    that string's language is unknown (PTV may have returned its Swedish fallback), so it is
    kept under "und", never labelled Finnish."""
    if isinstance(value, str):
        return {UNKNOWN_LANGUAGE: value.strip()} if value.strip() else {}
    if isinstance(value, list):
        typed = [e for e in value if isinstance(e, dict) and "type" in e]
        return localized(value, field, type_ if typed else None)
    return {}


def text(value: Any) -> str:
    """A plain PTV string that may be null."""
    return value.strip() if isinstance(value, str) else ""
