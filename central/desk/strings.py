"""The desk page's words in fi, sv and en. desk.js gets the ones it needs as JSON."""

from __future__ import annotations

LANGUAGES = ("fi", "sv", "en")

STRINGS: dict[str, dict[str, str]] = {
    "title": {"fi": "Etäpalvelupöytä", "sv": "Distansservicedisk", "en": "Remote service desk"},
    "email": {"fi": "Sähköposti", "sv": "E-post", "en": "E-mail"},
    "password": {"fi": "Salasana", "sv": "Lösenord", "en": "Password"},
    "log_in": {"fi": "Kirjaudu", "sv": "Logga in", "en": "Log in"},
    "log_out": {"fi": "Kirjaudu ulos", "sv": "Logga ut", "en": "Log out"},
    "login_failed": {
        "fi": "Kirjautuminen ei onnistunut: tarkista sähköposti ja salasana.",
        "sv": "Inloggningen misslyckades: kontrollera e-post och lösenord.",
        "en": "Could not log in: check the e-mail address and password.",
    },
    "presence": {"fi": "Tila", "sv": "Status", "en": "Status"},
    "available": {"fi": "Vapaa", "sv": "Ledig", "en": "Available"},
    "busy": {"fi": "Puhelussa", "sv": "I samtal", "en": "In a call"},
    "away": {"fi": "Poissa", "sv": "Borta", "en": "Away"},
    "queue": {"fi": "Jonossa", "sv": "I kön", "en": "Waiting"},
    "queue_empty": {"fi": "Kukaan ei odota.", "sv": "Ingen väntar.", "en": "Nobody is waiting."},
    "waited": {"fi": "odottanut", "sv": "väntat", "en": "waited"},
    "booked": {"fi": "varattu aika", "sv": "bokad tid", "en": "booked"},
    "for_you": {"fi": "sinulle", "sv": "till dig", "en": "for you"},
    "from_home": {"fi": "kotoa", "sv": "hemifrån", "en": "from home"},
    "appointments_today": {
        "fi": "Päivän videoajat",
        "sv": "Dagens videotider",
        "en": "Today's video appointments",
    },
    "no_appointments": {
        "fi": "Ei videoaikoja tänään.",
        "sv": "Inga videotider i dag.",
        "en": "No video appointments today.",
    },
    "time": {"fi": "Aika", "sv": "Tid", "en": "Time"},
    "service": {"fi": "Palvelu", "sv": "Tjänst", "en": "Service"},
    "where": {"fi": "Missä", "sv": "Var", "en": "Where"},
    "status": {"fi": "Tila", "sv": "Status", "en": "Status"},
    "appointment_booked": {"fi": "ei vielä paikalla", "sv": "inte här än", "en": "not here yet"},
    "appointment_arrived": {"fi": "saapunut", "sv": "anländ", "en": "arrived"},
    "appointment_waiting": {"fi": "jonossa", "sv": "i kön", "en": "waiting"},
    "appointment_no_show": {"fi": "ei saapunut", "sv": "kom inte", "en": "no-show"},
    "my_times": {"fi": "Omat videoaikani", "sv": "Mina videotider", "en": "My appointment times"},
    "weekdays": {"fi": "Viikonpäivät", "sv": "Veckodagar", "en": "Weekdays"},
    "day_names": {
        "fi": "ma,ti,ke,to,pe,la,su",
        "sv": "mån,tis,ons,tors,fre,lör,sön",
        "en": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
    },
    "from": {"fi": "Alkaen", "sv": "Från", "en": "From"},
    "to": {"fi": "Asti", "sv": "Till", "en": "To"},
    "slot_minutes": {"fi": "Ajan pituus, min", "sv": "Tidens längd, min", "en": "Slot, minutes"},
    "where_citizen": {
        "fi": "Missä asiakas voi olla",
        "sv": "Var kunden kan vara",
        "en": "Where the citizen may be",
    },
    "at_point": {
        "fi": "palvelupisteessä",
        "sv": "vid ett serviceställe",
        "en": "at a service point",
    },
    "publish_times": {"fi": "Julkaise ajat", "sv": "Publicera tiderna", "en": "Publish the times"},
    "delete": {"fi": "Poista", "sv": "Radera", "en": "Delete"},
    "delete_calendar_sure": {
        "fi": "Poistetaanko kalenteri? Uusia varauksia ei oteta; jo tehdyt säilyvät.",
        "sv": "Radera kalendern? Inga nya bokningar tas emot; gjorda bokningar finns kvar.",
        "en": "Delete the calendar? No new bookings are taken; bookings made stay.",
    },
    "absence": {"fi": "Poissa", "sv": "Borta", "en": "Away"},
    "first_day": {"fi": "Ensimmäinen päivä", "sv": "Första dagen", "en": "First day"},
    "last_day": {"fi": "Viimeinen päivä", "sv": "Sista dagen", "en": "Last day"},
    "add_absence": {"fi": "Lisää poissaolo", "sv": "Lägg till frånvaro", "en": "Add an absence"},
    "calendar_feed": {
        "fi": "Oma kalenterisyöte (tilaa kalenteriohjelmassa):",
        "sv": "Ditt kalenderflöde (prenumerera i kalenderprogrammet):",
        "en": "Your calendar feed (subscribe in your calendar program):",
    },
    "accept": {"fi": "Vastaa", "sv": "Svara", "en": "Answer"},
    "resume": {"fi": "Jatka puhelua", "sv": "Fortsätt samtalet", "en": "Resume call"},
    "end_call": {"fi": "Lopeta puhelu", "sv": "Avsluta samtalet", "en": "End call"},
    "citizen": {"fi": "Asiakas", "sv": "Kund", "en": "Citizen"},
    "official": {"fi": "Virkailija", "sv": "Handläggare", "en": "Official"},
    "interpreter": {"fi": "Tulkki", "sv": "Tolk", "en": "Interpreter"},
    "interpreting": {
        "fi": "Tulkkauspyynnöt",
        "sv": "Tolkningsförfrågningar",
        "en": "Interpreting requests",
    },
    "take": {"fi": "Ota tehtävä", "sv": "Ta uppdraget", "en": "Take"},
    "writing": {"fi": "kirjoittaa", "sv": "skriver", "en": "is writing"},
    "leave": {"fi": "Poistu puhelusta", "sv": "Lämna samtalet", "en": "Leave call"},
    "ask_interpreter": {"fi": "Pyydä tulkki", "sv": "Be om tolk", "en": "Ask for an interpreter"},
    "interpreter_language": {
        "fi": "Tulkattava kieli (esim. ar, so, ru)",
        "sv": "Tolkningsspråk (t.ex. ar, so, ru)",
        "en": "Language to interpret (e.g. ar, so, ru)",
    },
    "link": {"fi": "Yhteys:", "sv": "Förbindelse:", "en": "Connection:"},
    "link_good": {"fi": "hyvä", "sv": "bra", "en": "good"},
    "link_fair": {"fi": "kohtalainen", "sv": "måttlig", "en": "fair"},
    "link_poor": {"fi": "heikko", "sv": "svag", "en": "poor"},
    "citizen_link_weak": {
        "fi": "Asiakkaan yhteys on heikko: kuva lähetetään pienempänä.",
        "sv": "Kundens förbindelse är svag: bilden skickas mindre.",
        "en": "The citizen's connection is weak: video goes at a smaller size.",
    },
    "expert": {"fi": "Asiantuntija", "sv": "Expert", "en": "Expert"},
    "invite_expert": {
        "fi": "Kutsu toisen organisaation asiantuntija",
        "sv": "Bjud in en expert från en annan organisation",
        "en": "Invite an expert of another organisation",
    },
    "expert_service": {
        "fi": "Palvelun asiantuntija",
        "sv": "Expert på tjänsten",
        "en": "An expert of the service",
    },
    "expert_email": {
        "fi": "tai nimetty virkailija (sähköposti)",
        "sv": "eller en viss handläggare (e-post)",
        "en": "or a named official (email)",
    },
    "invite": {"fi": "Kutsu", "sv": "Bjud in", "en": "Invite"},
    "invitation": {
        "fi": "Kutsu puheluun",
        "sv": "Inbjudan till samtal",
        "en": "Invitation to a call",
    },
    "join": {"fi": "Liity", "sv": "Anslut", "en": "Join"},
    "parties": {"fi": "Muut osallistujat", "sv": "Andra deltagare", "en": "Others in the call"},
    "party_requested": {"fi": "pyydetty", "sv": "begärd", "en": "requested"},
    "party_joined": {"fi": "mukana", "sv": "med", "en": "joined"},
    "party_left": {"fi": "poistunut", "sv": "har lämnat", "en": "left"},
    "party_cancelled": {"fi": "peruttu", "sv": "avbruten", "en": "cancelled"},
    "you": {"fi": "Sinä", "sv": "Du", "en": "You"},
    "chat": {"fi": "Viestit", "sv": "Meddelanden", "en": "Messages"},
    "send": {"fi": "Lähetä", "sv": "Skicka", "en": "Send"},
    "documents": {"fi": "Asiakirjat", "sv": "Dokument", "en": "Documents"},
    "show_document": {
        "fi": "Näytä asiakirja asiakkaalle (PDF tai kuva)",
        "sv": "Visa ett dokument för kunden (PDF eller bild)",
        "en": "Show the citizen a document (PDF or image)",
    },
    "upload": {"fi": "Lähetä asiakirja", "sv": "Skicka dokumentet", "en": "Send document"},
    "printed": {"fi": "tulostettu", "sv": "utskrivet", "en": "printed"},
    "scanned": {
        "fi": "asiakkaan skannaama",
        "sv": "skannat av kunden",
        "en": "scanned by the citizen",
    },
    "shown": {"fi": "näytetty asiakkaalle", "sv": "visat för kunden", "en": "shown to the citizen"},
    "identification": {"fi": "Tunnistaminen", "sv": "Identifiering", "en": "Identification"},
    "id_none": {"fi": "Ei tunnistettu", "sv": "Inte identifierad", "en": "None"},
    "id_weak": {
        "fi": "Heikko: henkilöllisyystodistus näytetty kameralle",
        "sv": "Svag: ID-handling visad för kameran",
        "en": "Weak: ID document shown to the camera",
    },
    "id_strong": {
        "fi": "Vahva: henkilökortti tai Suomi.fi-tunnistus",
        "sv": "Stark: identitetskort eller Suomi.fi-identifikation",
        "en": "Strong: ID card or Suomi.fi e-Identification",
    },
    "ask_phone": {
        "fi": "Pyydä tunnistautumaan puhelimella (Suomi.fi)",
        "sv": "Be om identifiering med telefonen (Suomi.fi)",
        "en": "Ask to identify by phone (Suomi.fi)",
    },
    "phone_asked": {
        "fi": "Kioski näyttää asiakkaalle QR-koodin tunnistautumista varten…",
        "sv": "Kiosken visar kunden en QR-kod för identifieringen…",
        "en": "The kiosk shows the citizen a QR code to identify with…",
    },
    "personal_code": {
        "fi": "Henkilötunnus",
        "sv": "Personbeteckning",
        "en": "Personal identity code",
    },
    "ask_card": {
        "fi": "Pyydä tunnistautumaan henkilökortilla",
        "sv": "Be om identifiering med identitetskort",
        "en": "Ask for the ID card",
    },
    "ask_payment": {"fi": "Pyydä maksu", "sv": "Be om betalning", "en": "Ask for a payment"},
    "payment_amount": {
        "fi": "Summa (€, sis. ALV)",
        "sv": "Belopp (€, inkl. moms)",
        "en": "Amount (€, VAT included)",
    },
    "payment_vat": {"fi": "ALV-kanta", "sv": "Momssats", "en": "VAT rate"},
    "payment_reason": {
        "fi": "Mistä (näkyy asiakkaalle ja kuitissa)",
        "sv": "För vad (visas för kunden och på kvittot)",
        "en": "What for (shown to the citizen and on the receipt)",
    },
    "ask_to_pay": {"fi": "Pyydä maksamaan", "sv": "Be kunden betala", "en": "Ask to pay"},
    "payment_open": {
        "fi": "odottaa asiakasta",
        "sv": "väntar på kunden",
        "en": "waiting for the citizen",
    },
    "payment_pending": {
        "fi": "odottaa vahvistusta",
        "sv": "väntar på bekräftelse",
        "en": "waiting for confirmation",
    },
    "payment_paid": {"fi": "maksettu", "sv": "betald", "en": "paid"},
    "payment_failed": {"fi": "ei onnistunut", "sv": "misslyckades", "en": "did not go through"},
    "payment_cancelled": {
        "fi": "asiakas kieltäytyi",
        "sv": "kunden avböjde",
        "en": "declined by the citizen",
    },
    "payment_expired": {"fi": "vanhentui", "sv": "förföll", "en": "expired"},
    "payment_refunded": {"fi": "palautettu", "sv": "återbetald", "en": "refunded"},
    "payment_bad_amount": {
        "fi": "Kirjoita summa euroina, esimerkiksi 12,50.",
        "sv": "Skriv beloppet i euro, till exempel 12,50.",
        "en": "Type the amount in euros, like 12,50.",
    },
    "card_asked": {
        "fi": "Asiakasta pyydetty laittamaan henkilökortti lukijaan…",
        "sv": "Kunden ombedd att sätta identitetskortet i läsaren…",
        "en": "The citizen has been asked to put their ID card in the reader…",
    },
    "show_identity": {
        "fi": "Näytä henkilöllisyys",
        "sv": "Visa identiteten",
        "en": "Show identity",
    },
    "identity_code": {
        "fi": "Sähköinen asiointitunnus",
        "sv": "Elektroniskt identifieringsnummer",
        "en": "Electronic identification number",
    },
    "citizen_not_seen": {
        "fi": "Asiakkaan kamera ei toimi: et näe häntä. Hän kuulee ja näkee sinut.",
        "sv": "Kundens kamera fungerar inte: du ser hen inte. Hen hör och ser dig.",
        "en": "The citizen's camera is not working: you cannot see them. They see and hear you.",
    },
    "citizen_not_heard": {
        "fi": "Asiakkaan mikrofoni ei toimi: et kuule häntä. Hän voi kirjoittaa viestejä.",
        "sv": "Kundens mikrofon fungerar inte: du hör hen inte. Hen kan skriva meddelanden.",
        "en": (
            "The citizen's microphone is not working: you cannot hear them. "
            "They can write messages."
        ),
    },
    "citizen_not_seen_heard": {
        "fi": "Asiakkaan kamera ja mikrofoni eivät toimi: kirjoittakaa viestejä.",
        "sv": "Kundens kamera och mikrofon fungerar inte: skriv meddelanden.",
        "en": "The citizen's camera and microphone are not working: write messages to each other.",
    },
    "connection_lost": {
        "fi": "Yhteys asiakkaaseen katkesi. Odotetaan…",
        "sv": "Förbindelsen till kunden bröts. Väntar…",
        "en": "Connection to the citizen lost. Waiting…",
    },
    "citizen_left": {
        "fi": "Puhelu päättyi.",
        "sv": "Samtalet avslutades.",
        "en": "The call ended.",
    },
    "no_camera": {
        "fi": "Kameraa tai mikrofonia ei saatu käyttöön: jatka viesteillä.",
        "sv": "Kameran eller mikrofonen kunde inte användas: fortsätt med meddelanden.",
        "en": "Camera or microphone unavailable: carry on with messages.",
    },
    "media_failed": {
        "fi": "Videoyhteyttä ei saatu. Yritetään uudelleen…",
        "sv": "Videoförbindelsen kunde inte öppnas. Försöker igen…",
        "en": "The video connection failed. Trying again…",
    },
    "central_unreachable": {
        "fi": "Palvelimeen ei saada yhteyttä. Yritetään uudelleen…",
        "sv": "Servern kan inte nås. Försöker igen…",
        "en": "Cannot reach the server. Trying again…",
    },
    "no_js": {
        "fi": "Etäpalvelupöytä tarvitsee JavaScriptin videopuheluihin.",
        "sv": "Distansservicedisken behöver JavaScript för videosamtal.",
        "en": "The remote service desk needs JavaScript for video calls.",
    },
    "language": {"fi": "Kieli", "sv": "Språk", "en": "Language"},
}


def strings_for(language: str) -> dict[str, str]:
    return {key: texts[language] for key, texts in STRINGS.items()}


def pick_language(asked: str | None, accept_language: str) -> str:
    """?lang= first, then the browser's Accept-Language, then Finnish."""
    if asked in LANGUAGES:
        return asked
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "fi"
