"""The booking pages' and mails' words in Finnish, Swedish and English, and times as
people in each language write them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale

LANGUAGES = ("fi", "sv", "en")

STRINGS: dict[str, dict[str, str]] = {
    "title": {
        "fi": "Varaa videoaika",
        "sv": "Boka en videotid",
        "en": "Book a video appointment",
    },
    "intro": {
        "fi": "Tapaa virkailija videolla kotoa tai palvelupisteessä.",
        "sv": "Träffa en handläggare på video hemifrån eller vid ett serviceställe.",
        "en": "Meet an official by video from home or at a service point.",
    },
    "search": {"fi": "Hae palvelua", "sv": "Sök tjänst", "en": "Find a service"},
    "search_button": {"fi": "Hae", "sv": "Sök", "en": "Search"},
    "no_services": {
        "fi": "Yksikään palvelu ei vastaa hakua.",
        "sv": "Ingen tjänst motsvarar sökningen.",
        "en": "No service matches your search.",
    },
    "services": {
        "fi": "Palvelut, joihin voi varata videoajan",
        "sv": "Tjänster med videotider att boka",
        "en": "Services with video appointments",
    },
    "where": {
        "fi": "Missä olet tapaamisen aikana?",
        "sv": "Var är du under mötet?",
        "en": "Where will you be during the meeting?",
    },
    "home": {
        "fi": "Kotona omalla laitteella",
        "sv": "Hemma med egen enhet",
        "en": "At home on my own device",
    },
    "at_point": {
        "fi": "Palvelupisteessä: %s",
        "sv": "Vid servicestället: %s",
        "en": "At the service point: %s",
    },
    "language": {"fi": "Asiointikieli", "sv": "Språk", "en": "Language of the meeting"},
    "show_times": {"fi": "Näytä vapaat ajat", "sv": "Visa lediga tider", "en": "Show free times"},
    "days": {
        "fi": "Päivät, joilla on vapaita aikoja",
        "sv": "Dagar med lediga tider",
        "en": "Days with free times",
    },
    "times_on": {"fi": "Vapaat ajat %s", "sv": "Lediga tider %s", "en": "Free times on %s"},
    "no_times": {
        "fi": "Seuraavan kuukauden aikana ei ole vapaita aikoja. Kokeile toista paikkaa tai kieltä.",
        "sv": "Inga lediga tider under den kommande månaden. Pröva en annan plats eller ett annat språk.",
        "en": "No free times in the coming month. Try another place or language.",
    },
    "your_details": {"fi": "Omat tietosi", "sv": "Dina uppgifter", "en": "Your details"},
    "chosen": {"fi": "Valittu aika", "sv": "Vald tid", "en": "Chosen time"},
    "name": {"fi": "Nimi", "sv": "Namn", "en": "Name"},
    "email": {"fi": "Sähköpostiosoite", "sv": "E-postadress", "en": "E-mail address"},
    "email_hint": {
        "fi": "Lähetämme vahvistuslinkin. Aika on varattu sinulle 10 minuuttia, kunnes avaat linkin.",
        "sv": "Vi skickar en bekräftelselänk. Tiden hålls åt dig i 10 minuter tills du öppnar länken.",
        "en": "We send you a link to confirm. The time is held for you for 10 minutes until you open it.",
    },
    "interpreter": {
        "fi": "Tarvitsen tulkin",
        "sv": "Jag behöver tolk",
        "en": "I need an interpreter",
    },
    "no_interpreter": {
        "fi": "En tarvitse tulkkia",
        "sv": "Jag behöver ingen tolk",
        "en": "No interpreter",
    },
    "privacy": {
        "fi": "Nimesi ja sähköpostiosoitteesi näkyvät vain virkailijalle, ja ne poistetaan päivä tapaamisen jälkeen.",
        "sv": "Ditt namn och din e-postadress syns bara för handläggaren och raderas en dag efter mötet.",
        "en": "Only the official sees your name and e-mail address; they are deleted a day after the meeting.",
    },
    "hold": {"fi": "Varaa aika", "sv": "Boka tiden", "en": "Book this time"},
    "check_mail_title": {
        "fi": "Tarkista sähköpostisi",
        "sv": "Kontrollera din e-post",
        "en": "Check your e-mail",
    },
    "check_mail": {
        "fi": "Lähetimme vahvistuslinkin osoitteeseen %s. Avaa se 10 minuutin kuluessa, niin aika on varattu.",
        "sv": "Vi skickade en bekräftelselänk till %s. Öppna den inom 10 minuter så är tiden bokad.",
        "en": "We sent a link to %s. Open it within 10 minutes and the time is yours.",
    },
    "confirm_title": {
        "fi": "Vahvista varaus",
        "sv": "Bekräfta bokningen",
        "en": "Confirm your booking",
    },
    "confirm": {"fi": "Vahvista varaus", "sv": "Bekräfta", "en": "Confirm"},
    "booked_title": {"fi": "Aika on varattu", "sv": "Tiden är bokad", "en": "Your time is booked"},
    "booked_mail": {
        "fi": "Lähetimme vahvistuksen ja kalenterimerkinnän sähköpostiisi.",
        "sv": "Vi skickade en bekräftelse och en kalenderpost till din e-post.",
        "en": "We sent a confirmation and a calendar entry to your e-mail.",
    },
    "code": {"fi": "Varaustunnus", "sv": "Bokningskod", "en": "Booking code"},
    "when": {"fi": "Aika", "sv": "Tid", "en": "Time"},
    "place": {"fi": "Paikka", "sv": "Plats", "en": "Place"},
    "service": {"fi": "Palvelu", "sv": "Tjänst", "en": "Service"},
    "from_home": {"fi": "Kotoa videolla", "sv": "Hemifrån på video", "en": "From home by video"},
    "how_home": {
        "fi": "Avaa tapaamislinkki vähän ennen aikaa: sivu tarkistaa kamerasi ja mikrofonisi.",
        "sv": "Öppna möteslänken en stund före tiden: sidan kontrollerar kameran och mikrofonen.",
        "en": "Open the meeting link shortly before the time: the page checks your camera and microphone.",
    },
    "how_point": {
        "fi": "Tule palvelupisteeseen ja kirjaudu kioskilla varaustunnuksella tai QR-koodilla.",
        "sv": "Kom till servicestället och checka in vid kiosken med bokningskoden eller QR-koden.",
        "en": "Come to the service point and check in at the kiosk with the code or the QR code.",
    },
    "manage": {"fi": "Muuta tai peru varaus", "sv": "Ändra eller avboka", "en": "Change or cancel"},
    "manage_title": {"fi": "Varauksesi", "sv": "Din bokning", "en": "Your booking"},
    "visit_link": {"fi": "Tapaamislinkki", "sv": "Möteslänk", "en": "Meeting link"},
    "change": {"fi": "Vaihda aika", "sv": "Byt tid", "en": "Change the time"},
    "cancel": {"fi": "Peru varaus", "sv": "Avboka", "en": "Cancel the booking"},
    "cancel_sure": {
        "fi": "Haluatko varmasti perua ajan? Aika vapautuu muille.",
        "sv": "Vill du verkligen avboka? Tiden blir ledig för andra.",
        "en": "Do you really want to cancel? The time becomes free for others.",
    },
    "keep": {"fi": "Älä peru", "sv": "Avboka inte", "en": "Keep the booking"},
    "cancelled_title": {
        "fi": "Varaus on peruttu",
        "sv": "Bokningen är avbokad",
        "en": "Your booking is cancelled",
    },
    "change_to": {
        "fi": "Vaihda tähän aikaan",
        "sv": "Byt till denna tid",
        "en": "Change to this time",
    },
    "changing": {
        "fi": "Vaihdat varauksesi aikaa.",
        "sv": "Du byter tid för din bokning.",
        "en": "You are changing the time of your booking.",
    },
    "by_code": {
        "fi": "Onko sinulla jo varaus?",
        "sv": "Har du redan en bokning?",
        "en": "Already booked?",
    },
    "find_booking": {"fi": "Hae varaus", "sv": "Hämta bokningen", "en": "Find my booking"},
    "gone_title": {
        "fi": "Linkki ei ole voimassa",
        "sv": "Länken gäller inte",
        "en": "This link is not valid",
    },
    "gone": {
        "fi": "Varaus on peruttu, aika on jo mennyt tai linkki on vanhentunut. Voit varata uuden ajan.",
        "sv": "Bokningen är avbokad, tiden har redan gått eller länken har gått ut. Du kan boka en ny tid.",
        "en": "The booking was cancelled, its time has passed, or the link has expired. You can book a new time.",
    },
    "taken": {
        "fi": "Joku ehti varata tämän ajan juuri. Valitse toinen aika.",
        "sv": "Någon hann boka tiden nyss. Välj en annan tid.",
        "en": "Someone booked this time a moment ago. Please choose another.",
    },
    "too_many": {
        "fi": "Liian monta varausyritystä. Yritä tunnin kuluttua uudelleen.",
        "sv": "För många bokningsförsök. Försök igen om en timme.",
        "en": "Too many booking attempts. Please try again in an hour.",
    },
    "mail_failed": {
        "fi": "Vahvistusviestiä ei voitu lähettää juuri nyt, joten aikaa ei varattu. Yritä myöhemmin uudelleen.",
        "sv": "Bekräftelsen kunde inte skickas just nu, så tiden bokades inte. Försök igen senare.",
        "en": "The confirmation could not be sent just now, so the time was not booked. Please try again later.",
    },
    "bad_input": {
        "fi": "Tarkista tiedot: %s",
        "sv": "Kontrollera uppgifterna: %s",
        "en": "Please check: %s",
    },
    "back": {"fi": "Takaisin", "sv": "Tillbaka", "en": "Back"},
    "start_over": {"fi": "Varaa uusi aika", "sv": "Boka en ny tid", "en": "Book a new time"},
    # Mails
    "mail_prove_subject": {
        "fi": "Vahvista videoaikasi",
        "sv": "Bekräfta din videotid",
        "en": "Confirm your video appointment",
    },
    "mail_prove": {
        "fi": "Vahvista varauksesi avaamalla tämä linkki 10 minuutin kuluessa:",
        "sv": "Bekräfta bokningen genom att öppna länken inom 10 minuter:",
        "en": "Confirm your booking by opening this link within 10 minutes:",
    },
    "mail_ignore": {
        "fi": "Jos et varannut aikaa, voit jättää tämän viestin huomiotta.",
        "sv": "Om du inte bokade en tid kan du strunta i meddelandet.",
        "en": "If you did not book a time, you can ignore this message.",
    },
    "mail_booked_subject": {
        "fi": "Videoaikasi on varattu",
        "sv": "Din videotid är bokad",
        "en": "Your video appointment is booked",
    },
    "mail_cancelled_subject": {
        "fi": "Videoaikasi on peruttu",
        "sv": "Din videotid är avbokad",
        "en": "Your video appointment is cancelled",
    },
    "summary": {"fi": "Videotapaaminen: %s", "sv": "Videomöte: %s", "en": "Video meeting: %s"},
}

_FORMATS = {
    "fi": ("%(weekday)s %(d)d.%(m)d.%(y)d klo %(H)d.%(M)02d"),
    "sv": ("%(weekday)s %(d)d.%(m)d.%(y)d kl. %(H)d.%(M)02d"),
    "en": ("%(weekday)s %(d)d %(month)s %(y)d at %(H)d:%(M)02d"),
}


def strings_for(language: str) -> dict[str, str]:
    return {key: words[language] for key, words in STRINGS.items()}


def when(moment: datetime, zone: ZoneInfo, language: str) -> str:
    """'ti 8.12.2026 klo 9.00', 'tis 8.12.2026 kl. 9.00', 'Tue 8 Dec 2026 at 9:00'."""
    local = moment.astimezone(zone)
    locale = Locale.parse(language)
    return _FORMATS[language] % {
        "weekday": locale.days["format"]["abbreviated"][local.weekday()],
        "month": locale.months["format"]["abbreviated"][local.month],
        "d": local.day,
        "m": local.month,
        "y": local.year,
        "H": local.hour,
        "M": local.minute,
    }


def day_text(moment: datetime, language: str) -> str:
    """A day as a link's words: 'ti 8.12.', 'tis 8.12.', 'Tue 8 Dec'."""
    locale = Locale.parse(language)
    weekday = locale.days["format"]["abbreviated"][moment.weekday()]
    if language == "en":
        return f"{weekday} {moment.day} {locale.months['format']['abbreviated'][moment.month]}"
    return f"{weekday} {moment.day}.{moment.month}."


def clock(moment: datetime, zone: ZoneInfo, language: str) -> str:
    local = moment.astimezone(zone)
    return (
        f"{local.hour}:{local.minute:02d}"
        if language == "en"
        else f"{local.hour}.{local.minute:02d}"
    )


def language_name(code: str, language: str) -> str:
    """'arabia', 'arabiska', 'Arabic': Babel's name of a language in the page's language."""
    name = Locale.parse(language).languages.get(code)
    return name or code
