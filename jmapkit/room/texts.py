"""The room's texts (participant page, projector view, error answers) and their translations.

The pages' HTML holds `{{key}}` placeholders and their scripts read a `T` object: the server fills both per
language from the "jmapkit-room" gettext catalog (jmapkit/locale/<lang>/LC_MESSAGES/jmapkit-room.po), so the
texts live here, in one Python module that `pybabel extract` reads (keywords `N_` and `Np_`). Placeholders in braces
(`{n}`) are filled by the page's `fmt()` or by `str.format` here.
"""

from __future__ import annotations

import gettext
import html
import json
from functools import lru_cache

from jmapkit.model import LANGUAGES

DOMAIN = "jmapkit-room"
LANGUAGE_COOKIE = "jmapkit_lang"
# Each language named in itself: the switch must be readable by someone who does not read the current one.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "ko": "한국어", "ja": "日本語"}


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, in the requester's language."""
    return message


def Np_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with a plural for extraction."""
    return singular, plural


# Texts written into the pages' HTML (escaped) by `fill()`.
PAGE = {
    "room": N_("The room"),
    "loading": N_("Loading the map…"),
    "your_name": N_("Your name"),
    "name_optional": N_("(optional: anonymous if empty)"),
    "name_example": N_("e.g. Ana"),
    "vote_heading": N_("How does the customer feel here?"),
    "vote_help": N_("Tap a face for each step. Changed your mind? Tap again: your last tap counts."),
    "post_heading": N_("Post a note"),
    "where": N_("Where in the journey?"),
    "what": N_("What is it?"),
    "your_note": N_("Your note"),
    "note_example": N_("What did you notice?"),
    "post": N_("Post note"),
    "notes_heading": N_("Notes from the room"),
    "notes_help": N_("Put a dot on the notes you agree with (one dot per note)."),
    "language": N_("Language"),
    "projector": N_("The room — projector"),
    "connecting": N_("Connecting…"),
    "qr_alt": N_("QR code: the participants' link"),
    "join": N_("Join:"),
    "forbidden_title": N_("This link needs its access code"),
    "forbidden_why": N_("The address you opened has no access code, or an old one."),
    "forbidden_fix": N_("Scan the QR code on the screen in the room again, or ask the facilitator for the link."),
}

# Texts the scripts set with textContent (as `T.key`), `{n}`-style placeholders filled by `fmt()`.
SCRIPT = {
    # common.js
    "pain": N_("Pain"),
    "idea": N_("Idea"),
    "question": N_("Question"),
    "offline": N_("Can't reach the room right now. Retrying…"),
    "bad_link": N_("This link is not valid any more: scan the QR code on the screen again."),
    "went_wrong": N_("Something went wrong ({status})."),
    # participant.js
    "round": N_("Round {n}"),
    "new_round": N_("Round {n} has started: please vote again."),
    "closed": N_("Voting is closed for now. You can still post notes."),
    "saving": N_("Saving…"),
    "saved": N_("Saved ✓"),
    "posted": N_("Posted ✓ Thank you!"),
    "empty": N_("Write something first."),
    "no_notes": N_("No notes yet. Be the first!"),
    "dot": N_("Dot"),
    "dotted": N_("Dotted"),
    "by": N_("by {name}"),
    # room.js
    "page_title": N_("{workshop} — the room"),
    "voting_open": N_("voting open"),
    "voting_closed": N_("voting closed"),
    "close": N_("Close voting"),
    "open": N_("Open voting"),
    "new_round_button": N_("New round ({n})"),
    "confirm": N_("Click again to start round {n}"),
    "live": N_("Live"),
    "reconnecting": N_("Reconnecting…"),
    "team": N_("Team"),
    "room_emotion": N_("Room"),
    "data": N_("Data"),
    "backstage": N_("backstage: not voted"),
    "hide": N_("Hide"),
    "measured_n": N_("data n {n}"),
    "votes_per_face": N_("votes per face: {counts}"),
}

# Counts (as `T.key` = [one, other], chosen by `count()` in common.js): en and de say "1 vote" but
# "2 votes", Korean and Japanese have one form for every number.
COUNTS = {
    "voters": Np_("{n} voter", "{n} voters"),
    "notes": Np_("{n} note", "{n} notes"),
    "votes": Np_("{n} vote", "{n} votes"),
}

# Error answers of the API: `error` and `fix` are translated when the text is one of these.
ERRORS = (
    N_("this link's token is missing or wrong."),
    N_("open the link or QR code the facilitator shows."),
    N_("voting is closed."),
    N_("wait until the facilitator opens voting again."),
    N_("the room could not save this on the facilitator's computer."),
    N_("try again in a moment; tell the facilitator if it keeps failing."),
    N_("too many requests from this device."),
    N_("wait a few seconds and try again."),
    N_("the room is full: too many devices."),
    N_("ask the facilitator to restart the room."),
    N_("tell the facilitator; notes already posted are kept."),
    N_("reload the notes."),
    N_("try again; tell the facilitator if it keeps failing."),
)


@lru_cache(maxsize=8)
def catalog(language: str) -> gettext.NullTranslations:
    """The room's catalog for a language (English, i.e. the msgids, when there is none)."""
    from jmapkit.i18n import LOCALE_DIR

    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def translate(message: str, language: str) -> str:
    """One message in `language` (unchanged when the catalog has no translation)."""
    return catalog(language).gettext(message)


def choose(*candidates: str | None) -> str:
    """The first of the candidates that is one of the four languages, else English."""
    for c in candidates:
        if c in LANGUAGES:
            return c  # type: ignore[return-value]
    return "en"


def fill(page: str, language: str) -> str:
    """A page's HTML with its `{{key}}` placeholders replaced by escaped translations."""
    out = page.replace("{{lang}}", language)
    for key, message in PAGE.items():
        out = out.replace("{{" + key + "}}", html.escape(translate(message, language)))
    if "{{" in out:
        raise ValueError(f"unknown placeholder in a room page: {out[out.index('{{'):][:40]!r}")
    return out


def script_texts(language: str) -> str:
    """`const T = {...};` for the scripts, safe inside a <script> element (no `<` left unescaped)."""
    texts = {key: translate(message, language) for key, message in SCRIPT.items()}
    translations = catalog(language)
    for key, (singular, plural) in COUNTS.items():
        texts[key] = [translations.ngettext(singular, plural, 1), translations.ngettext(singular, plural, 2)]  # type: ignore[assignment]
    texts["lang"] = language
    texts["languages"] = LANGUAGE_NAMES  # type: ignore[assignment]
    body = json.dumps(texts, ensure_ascii=False).replace("<", "\\u003c")
    return f"const T = {body};\n"


def answer(body: dict[str, object], language: str) -> dict[str, object]:
    """An error answer with its `error` and `fix` in `language`."""
    out = dict(body)
    for key in ("error", "fix"):
        if isinstance(out.get(key), str):
            out[key] = translate(out[key], language)  # type: ignore[arg-type]
    return out
