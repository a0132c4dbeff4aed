"""Provider signature schemes."""

from __future__ import annotations

from cc_common.signatures import twilio_signature, valid_twilio_signature

# The reference vector Twilio's helper libraries test their validators with.
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}


def test_twilio_signature_matches_the_documented_example() -> None:
    assert twilio_signature(TOKEN, URL, PARAMS) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_tampering_or_a_wrong_token_fails_and_a_previous_token_passes() -> None:
    good = twilio_signature(TOKEN, URL, PARAMS)
    assert valid_twilio_signature([TOKEN], URL, PARAMS, good)
    assert not valid_twilio_signature([TOKEN], URL, {**PARAMS, "Digits": "9"}, good)
    assert not valid_twilio_signature([TOKEN], URL + "&x=1", PARAMS, good)
    assert not valid_twilio_signature(["other"], URL, PARAMS, good)
    assert not valid_twilio_signature([TOKEN], URL, PARAMS, None)
    assert valid_twilio_signature(["new-token", TOKEN], URL, PARAMS, good)
