"""The visit page's words in Finnish, Swedish and English; visit.js gets them as JSON."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "title": {"fi": "Videotapaaminen", "sv": "Videomöte", "en": "Video meeting"},
    "check_title": {
        "fi": "Tarkista laitteesi",
        "sv": "Kontrollera din enhet",
        "en": "Check your device",
    },
    "check_intro": {
        "fi": "Ennen kuin menet jonoon, tarkistetaan että virkailija näkee ja kuulee sinut.",
        "sv": "Innan du ställer dig i kön kontrollerar vi att handläggaren ser och hör dig.",
        "en": "Before you join the queue, let's check that the official can see and hear you.",
    },
    "start_check": {"fi": "Aloita tarkistus", "sv": "Börja kontrollen", "en": "Start the check"},
    "camera": {"fi": "Kamera", "sv": "Kamera", "en": "Camera"},
    "microphone": {"fi": "Mikrofoni", "sv": "Mikrofon", "en": "Microphone"},
    "network": {"fi": "Verkkoyhteys", "sv": "Nätverk", "en": "Network"},
    "checking": {"fi": "tarkistetaan…", "sv": "kontrolleras…", "en": "checking…"},
    "ok": {"fi": "toimii", "sv": "fungerar", "en": "works"},
    "camera_missing": {
        "fi": "ei toimi: salli kameran käyttö selaimessa tai liitä kamera",
        "sv": "fungerar inte: tillåt kameran i webbläsaren eller anslut en kamera",
        "en": "not working: allow the camera in your browser or connect one",
    },
    "microphone_missing": {
        "fi": "ei toimi: salli mikrofonin käyttö selaimessa",
        "sv": "fungerar inte: tillåt mikrofonen i webbläsaren",
        "en": "not working: allow the microphone in your browser",
    },
    "speak_now": {
        "fi": "sano jotain: palkki liikkuu, kun mikrofoni kuulee",
        "sv": "säg något: stapeln rör sig när mikrofonen hör",
        "en": "say something: the bar moves when the microphone hears you",
    },
    "network_slow": {
        "fi": "hidas: kuva voi pätkiä",
        "sv": "långsamt: bilden kan hacka",
        "en": "slow: the picture may stutter",
    },
    "network_down": {
        "fi": "ei yhteyttä palvelimeen",
        "sv": "ingen anslutning till servern",
        "en": "no connection to the server",
    },
    "join": {"fi": "Mene jonoon", "sv": "Ställ dig i kön", "en": "Join the queue"},
    "join_anyway": {
        "fi": "Mene jonoon silti",
        "sv": "Ställ dig i kön ändå",
        "en": "Join the queue anyway",
    },
    "waiting": {
        "fi": "Odotat virkailijaa. Olet jonossa sijalla %s.",
        "sv": "Du väntar på handläggaren. Du är nummer %s i kön.",
        "en": "You are waiting for the official. You are number %s in the queue.",
    },
    "connecting": {"fi": "Yhdistetään…", "sv": "Ansluter…", "en": "Connecting…"},
    "in_call": {"fi": "Puhelu on käynnissä", "sv": "Samtalet pågår", "en": "In the call"},
    "official_gone": {
        "fi": "Virkailijan yhteys katkesi. Odota hetki.",
        "sv": "Handläggarens anslutning bröts. Vänta en stund.",
        "en": "The official's connection dropped. Please wait a moment.",
    },
    "ended": {
        "fi": "Tapaaminen päättyi. Kiitos!",
        "sv": "Mötet är slut. Tack!",
        "en": "The meeting has ended. Thank you!",
    },
    "end": {"fi": "Lopeta", "sv": "Avsluta", "en": "End"},
    "leave_queue": {"fi": "Poistu jonosta", "sv": "Lämna kön", "en": "Leave the queue"},
    "messages": {"fi": "Viestit", "sv": "Meddelanden", "en": "Messages"},
    "write": {"fi": "Kirjoita viesti", "sv": "Skriv ett meddelande", "en": "Write a message"},
    "send": {"fi": "Lähetä", "sv": "Skicka", "en": "Send"},
    "you": {"fi": "Sinä", "sv": "Du", "en": "You"},
    "official": {"fi": "Virkailija", "sv": "Handläggare", "en": "Official"},
    "interpreter": {"fi": "Tulkki", "sv": "Tolk", "en": "Interpreter"},
    "documents": {
        "fi": "Asiakirjat virkailijalta",
        "sv": "Dokument från handläggaren",
        "en": "Documents from the official",
    },
    "no_documents": {"fi": "Ei asiakirjoja.", "sv": "Inga dokument.", "en": "No documents."},
    "send_file": {
        "fi": "Lähetä tiedosto tai kuva virkailijalle",
        "sv": "Skicka en fil eller bild till handläggaren",
        "en": "Send a file or photo to the official",
    },
    "file_hint": {
        "fi": "PDF, PNG tai JPEG, enintään 20 Mt.",
        "sv": "PDF, PNG eller JPEG, högst 20 MB.",
        "en": "PDF, PNG or JPEG, at most 20 MB.",
    },
    "sent": {"fi": "Lähetetty: %s", "sv": "Skickat: %s", "en": "Sent: %s"},
    "send_failed": {
        "fi": "Tiedostoa ei voitu lähettää: %s",
        "sv": "Filen kunde inte skickas: %s",
        "en": "The file could not be sent: %s",
    },
    "you_on_camera": {"fi": "Sinä", "sv": "Du", "en": "You"},
    "official_video": {"fi": "Virkailija", "sv": "Handläggaren", "en": "The official"},
    "no_camera": {
        "fi": "Kamerasi ei ole käytössä: virkailija kuulee sinut mutta ei näe.",
        "sv": "Din kamera används inte: handläggaren hör men ser dig inte.",
        "en": "Your camera is off: the official hears but cannot see you.",
    },
    "early_title": {
        "fi": "Tapaaminen ei ole vielä alkanut",
        "sv": "Mötet har inte börjat än",
        "en": "The meeting has not started yet",
    },
    "early": {
        "fi": "Voit mennä jonoon 15 minuuttia ennen aikaasi. Voit tarkistaa laitteesi jo nyt.",
        "sv": "Du kan ställa dig i kön 15 minuter före din tid. Du kan kontrollera enheten redan nu.",
        "en": "You can join the queue 15 minutes before your time. You can check your device now.",
    },
    "gone_title": {
        "fi": "Linkki ei ole voimassa",
        "sv": "Länken gäller inte",
        "en": "This link is not valid",
    },
    "gone": {
        "fi": "Tapaaminen on peruttu tai sen aika on mennyt.",
        "sv": "Mötet är avbokat eller dess tid har gått.",
        "en": "The meeting was cancelled or its time has passed.",
    },
    "service": {"fi": "Palvelu", "sv": "Tjänst", "en": "Service"},
    "when": {"fi": "Aika", "sv": "Tid", "en": "Time"},
    "identify_asked": {
        "fi": "Virkailija pyytää sinua tunnistautumaan vahvasti.",
        "sv": "Handläggaren ber dig identifiera dig starkt.",
        "en": "The official asks you to identify yourself strongly.",
    },
    "identify": {"fi": "Tunnistaudu", "sv": "Identifiera dig", "en": "Identify yourself"},
    "identified": {
        "fi": "Olet tunnistautunut.",
        "sv": "Du är identifierad.",
        "en": "You are identified.",
    },
    "problem": {
        "fi": "Jokin meni vikaan: %s",
        "sv": "Något gick fel: %s",
        "en": "Something went wrong: %s",
    },
}


def strings_for(language: str) -> dict[str, str]:
    return {key: words[language] for key, words in STRINGS.items()}
