"""The payment return page's words in Finnish, Swedish and English."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "title": {"fi": "Maksu", "sv": "Betalning", "en": "Payment"},
    "paid": {
        "fi": "Maksu on vastaanotettu",
        "sv": "Betalningen har tagits emot",
        "en": "Your payment has been received",
    },
    "paid_next": {
        "fi": "Palaa kioskille: kuitti tulostuu siellä.",
        "sv": "Gå tillbaka till kiosken: kvittot skrivs ut där.",
        "en": "Go back to the kiosk: your receipt is printed there.",
    },
    "pending": {
        "fi": "Maksu odottaa vahvistusta",
        "sv": "Betalningen väntar på bekräftelse",
        "en": "Your payment is waiting for confirmation",
    },
    "pending_next": {
        "fi": "Kioski näyttää, kun maksu on vahvistettu.",
        "sv": "Kiosken visar när betalningen har bekräftats.",
        "en": "The kiosk shows when the payment has been confirmed.",
    },
    "failed": {
        "fi": "Maksu ei onnistunut",
        "sv": "Betalningen lyckades inte",
        "en": "The payment did not go through",
    },
    "failed_next": {
        "fi": "Sinulta ei veloitettu mitään. Voit yrittää uudelleen kioskilla.",
        "sv": "Du debiterades ingenting. Du kan försöka igen vid kiosken.",
        "en": "Nothing was charged. You can try again at the kiosk.",
    },
    "unknown": {
        "fi": "Maksua ei löytynyt",
        "sv": "Betalningen hittades inte",
        "en": "This payment was not found",
    },
    "unknown_next": {
        "fi": "Linkki on vanhentunut tai vahingoittunut. Kioski näyttää, menikö maksu läpi.",
        "sv": "Länken är för gammal eller skadad. Kiosken visar om betalningen gick igenom.",
        "en": "The link is old or damaged. The kiosk shows whether the payment went through.",
    },
}


def strings_for(language: str) -> dict[str, str]:
    return {key: words.get(language, words["fi"]) for key, words in STRINGS.items()}
