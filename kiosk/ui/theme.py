"""Colour palettes, and the WCAG contrast ratio that proves they are readable.

The high-contrast palette is for EN 301 549 closed functionality: every text
colour against its background is at least 4.5:1 (the normal palette too;
high contrast aims for 7:1 and more).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from contract.kiosk_config import COLOUR

RGB = tuple[float, float, float]


def _hex(value: str) -> tuple[float, float, float, float]:
    value = value.lstrip("#")
    return (*(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)), 1.0)  # type: ignore[return-value]


@dataclass(frozen=True)
class Palette:
    background: str
    text: str
    button: str
    button_text: str
    accent: str
    accent_text: str
    warning: str
    warning_text: str
    panel: str

    def rgba(self) -> dict[str, tuple[float, float, float, float]]:
        return {name: _hex(value) for name, value in asdict(self).items()}

    def text_pairs(self) -> list[tuple[str, str]]:
        """(foreground, background) pairs that the screens actually draw."""
        return [
            (self.text, self.background),
            (self.text, self.panel),
            (self.button_text, self.button),
            (self.accent_text, self.accent),
            (self.warning_text, self.warning),
        ]


NORMAL = Palette(
    background="#F4F6F8",
    text="#1A1F24",
    button="#0B5394",
    button_text="#FFFFFF",
    accent="#2E7D32",
    accent_text="#FFFFFF",
    warning="#FFE082",
    warning_text="#1A1F24",
    panel="#FFFFFF",
)
HIGH_CONTRAST = Palette(
    background="#000000",
    text="#FFFFFF",
    button="#FFFF00",
    button_text="#000000",
    accent="#00FFFF",
    accent_text="#000000",
    warning="#FFFFFF",
    warning_text="#000000",
    panel="#000000",
)


def relative_luminance(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = _hex(hex_colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


WHITE, BLACK = "#FFFFFF", "#000000"


def readable_on(background: str) -> str:
    """White or black, whichever contrasts more with `background`: for any colour one of
    them reaches at least 4.58:1, so a brand colour can never make its text unreadable."""
    return max((WHITE, BLACK), key=lambda text: contrast_ratio(text, background))


def palette(accent_colour: str = "", high_contrast: bool = False) -> Palette:
    """The palette the screens draw with: the site's brand colour as the accent (with
    readable text on it), unless the citizen chose high contrast, which always wins."""
    if high_contrast:
        return HIGH_CONTRAST
    if not COLOUR.match(accent_colour or ""):
        return NORMAL
    colour = accent_colour.upper()
    return replace(NORMAL, accent=colour, accent_text=readable_on(colour))
