"""Phone numbers as identity keys: one canonical form per line, per country's quirks (pure).

Parsing and formatting are phonenumbers' (Google's libphonenumber data); on top of it,
the two quirks that make other platforms duplicate contacts:

* Brazil added a ninth digit to mobile numbers (2012-2016), but WhatsApp still reports
  many accounts without it: +55 11 8765-4321 and +55 11 98765-4321 are one line. The
  key always has the nine.
* Argentina dials mobiles from abroad as +54 9 <area> <number> and at home as
  <area> 15 <number>; WhatsApp ids carry the 9, agents type numbers without it. The
  number itself identifies the line, so the key drops the 9 (phonenumbers already
  turns the 15 form into the 9 form).
"""

from __future__ import annotations

import phonenumbers

_BRAZIL = 55
_ARGENTINA = 54


def canonical_phone(raw: str, default_region: str | None = None) -> str | None:
    """The E.164 key of a number, or None if it is not a phone number we can read.

    Numbers without a country code need ``default_region`` (ISO 3166 code, e.g. "JP");
    digit strings that are no valid national number are read as international
    (WhatsApp ids).
    """
    text = raw.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return None
    candidates = [text] if text.startswith("+") else []
    if not candidates and default_region is not None:
        candidates.append(text)  # national format first: "(11) 98765-4321" in Brazil
    if not candidates or not text.startswith(("+", "0")):
        candidates.append("+" + digits)  # a bare international number (a WhatsApp id)
    number = next((n for c in candidates if (n := _valid(c, default_region))), None)
    if number is None:
        return None
    national = str(number.national_number)
    if number.country_code == _BRAZIL and len(national) == 10 and national[2] in "6789":
        national = national[:2] + "9" + national[2:]
    elif number.country_code == _ARGENTINA and len(national) == 11 and national.startswith("9"):
        national = national[1:]
    return f"+{number.country_code}{national}"


def _valid(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None
