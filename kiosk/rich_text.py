"""PTV's descriptions are Markdown-like text: paragraphs split by a blank line, bulleted
(`* `, `- `, `• `) and numbered (`1. `) lists, the odd heading (`# `) and **bold**. The
kiosk shows them as headings, lists and paragraphs (kiosk/ui/widgets/text.py `RichText`) and
prints them as plain lines; never the markup itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BULLET = re.compile(r"^\s*[*\-•]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*(\d{1,3})[.)]\s+(.*)$")
_HEADING = re.compile(r"^\s*#{1,6}\s+(.*?)\s*#*\s*$")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


@dataclass
class Block:
    kind: str  # heading | paragraph | bullets | numbered
    text: str = ""
    items: list[tuple[str, str]] = field(default_factory=list)  # (marker, text)


def _clean(text: str) -> str:
    return _EMPHASIS.sub(r"\2", text).strip()


def _list_item(line: str) -> tuple[str, str, str] | None:
    """(kind, marker, text) of a list item's first line; None for anything else."""
    if bullet := _BULLET.match(line):
        return "bullets", "•", bullet.group(1)
    if numbered := _NUMBERED.match(line):
        return "numbered", f"{numbered.group(1)}.", numbered.group(2)
    return None


def blocks(text: str) -> list[Block]:
    out: list[Block] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            out.append(Block("paragraph", "\n".join(paragraph)))
            paragraph.clear()

    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        heading, item = _HEADING.match(raw), _list_item(raw)
        if not raw.strip():
            end_paragraph()
        elif heading:
            end_paragraph()
            out.append(Block("heading", _clean(heading.group(1))))
        elif item is not None:
            end_paragraph()
            kind, marker, words = item
            if not out or out[-1].kind != kind:
                out.append(Block(kind))
            out[-1].items.append((marker, _clean(words)))
        elif out and out[-1].kind in ("bullets", "numbered") and raw.startswith((" ", "\t")):
            marker, words = out[-1].items[-1]  # a list item's continued line
            out[-1].items[-1] = (marker, f"{words} {_clean(raw)}")
        else:
            paragraph.append(_clean(raw))
    end_paragraph()
    return out


def plain_lines(text: str) -> list[str]:
    """For the printer: headings in capitals, list items with their markers."""
    lines: list[str] = []
    for block in blocks(text):
        if lines:
            lines.append("")
        if block.kind == "heading":
            lines.append(block.text.upper())
        elif block.kind == "paragraph":
            lines.extend(block.text.split("\n"))
        else:
            lines.extend(f"{marker} {item}" for marker, item in block.items)
    return lines
