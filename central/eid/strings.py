"""The phone pages' words in Finnish, Swedish and English."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "title": {
        "fi": "Tunnistautuminen",
        "sv": "Identifiering",
        "en": "Identification",
    },
    "for_site": {
        "fi": "Tunnistaudu asioidaksesi palvelupisteessä",
        "sv": "Identifiera dig för att uträtta ärenden vid serviceställe",
        "en": "Identify yourself for your errand at the service point",
    },
    "for_visit": {
        "fi": "Tunnistaudu videotapaamista varten",
        "sv": "Identifiera dig för videomötet",
        "en": "Identify yourself for your video meeting",
    },
    "back_to_visit": {
        "fi": "Palaa videotapaamiseen",
        "sv": "Tillbaka till videomötet",
        "en": "Back to your video meeting",
    },
    "check_code": {
        "fi": "Jatka vain, jos edessäsi oleva kioski näyttää saman koodin:",
        "sv": "Fortsätt bara om kiosken framför dig visar samma kod:",
        "en": "Continue only if the kiosk in front of you shows the same code:",
    },
    "not_there": {
        "fi": "Jos et ole kioskin äärellä tai koodi on eri, sulje tämä sivu.",
        "sv": "Om du inte står vid kiosken eller koden är en annan, stäng sidan.",
        "en": "If you are not at the kiosk or the code differs, close this page.",
    },
    "continue_suomifi": {
        "fi": "Jatka Suomi.fi-tunnistukseen",
        "sv": "Fortsätt till Suomi.fi-identifikationen",
        "en": "Continue to Suomi.fi e-Identification",
    },
    "continue_ftn": {
        "fi": "Jatka pankkitunnistukseen",
        "sv": "Fortsätt till identifiering med bankkoder",
        "en": "Continue to identify with your bank codes",
    },
    "spent_title": {
        "fi": "Koodi on käytetty tai vanhentunut",
        "sv": "Koden är använd eller har gått ut",
        "en": "This code is used or has expired",
    },
    "spent": {
        "fi": "Pyydä kioskilta uusi koodi.",
        "sv": "Be kiosken om en ny kod.",
        "en": "Ask the kiosk for a new code.",
    },
    "done_title": {
        "fi": "Tunnistautuminen onnistui",
        "sv": "Identifieringen lyckades",
        "en": "You are identified",
    },
    "done": {
        "fi": "Palaa kioskille: virkailija näkee, että olet tunnistautunut.",
        "sv": "Gå tillbaka till kiosken: tjänstemannen ser att du är identifierad.",
        "en": "Go back to the kiosk: the official will see that you are identified.",
    },
    "logout": {
        "fi": "Kirjaudu ulos tunnistuspalvelusta",
        "sv": "Logga ut från identifieringstjänsten",
        "en": "Log out of the identification service",
    },
    "refused_title": {
        "fi": "Tunnistautuminen ei onnistunut",
        "sv": "Identifieringen misslyckades",
        "en": "Identification failed",
    },
    "refused": {
        "fi": "Mitään ei tallennettu. Voit yrittää uudelleen kioskilla uudella koodilla.",
        "sv": "Ingenting sparades. Du kan försöka igen med en ny kod vid kiosken.",
        "en": "Nothing was kept. You can try again with a new code at the kiosk.",
    },
}


def strings_for(language: str) -> dict[str, str]:
    return {key: texts[language] for key, texts in STRINGS.items()}
