"""Arbitrary bytes and JSON never crash a normaliser: they are refused with the
normaliser's own error (which the edge maps to a 4xx or a dead letter), or accepted."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cc_common.events import ThreadMatch, UndecodableEvent, decode_event
from ingest_email.domain import provider_forms, sns
from ingest_email.domain.events import classify, inbound_email
from ingest_email.domain.mime import UnreadableMessage, parse_message
from ingest_email.domain.threading import ThreadDecision, new_conversation_key
from ingest_voice.domain import connect, twilio
from ingest_voice.domain.calls import CallEvent, InvalidCallerNumber, call_interaction
from ingest_voice.domain.cti import CtiEvent

NOW = datetime(2026, 11, 23, tzinfo=UTC)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


@FAST
@given(st.binary(max_size=2000))
def test_event_decoding(raw: bytes) -> None:
    with contextlib.suppress(UndecodableEvent):
        decode_event(raw)


@FAST
@given(
    st.binary(max_size=3000)
    | st.builds(
        lambda headers, body: headers + b"\r\n\r\n" + body,
        st.sampled_from(
            [
                b"From: a@b.c\r\nContent-Type: multipart/mixed; boundary=x",
                b"From: =?utf-8?B?broken?= <a@b.c>\r\nSubject: =?iso-2022-jp?B?GyRC?=",
                b"From: a@b.c\r\nContent-Type: text/plain; charset=no-such-charset",
                b"From: a@b.c\r\nContent-Transfer-Encoding: base64",
                b"From: a@b.c\r\nDate: yesterday-ish\r\nReferences: <<<>>>",
            ]
        ),
        st.binary(max_size=500),
    )
)
def test_mime_parsing(raw: bytes) -> None:
    try:
        parsed = parse_message(raw)
    except UnreadableMessage:
        return
    assert parsed.sender.address
    assert parsed.message_id
    # Whatever was read must also make a valid event.
    classification = classify(parsed, staff_sender=False, customer_recipient=None)
    thread = ThreadDecision(new_conversation_key(parsed.message_id), ThreadMatch.NEW)
    inbound_email(
        "acme",
        parsed,
        provider="smtp",
        received_at=NOW,
        classification=classification,
        thread=thread,
    )


@FAST
@given(json_values)
def test_postmark_json(document: Any) -> None:
    with contextlib.suppress(provider_forms.InvalidProviderPayload):
        raw = provider_forms.postmark_message(document)
        with contextlib.suppress(UnreadableMessage):
            parse_message(raw)


@FAST
@given(st.binary(max_size=1500) | json_values.map(lambda v: json.dumps(v).encode()))
def test_sns_messages(body: bytes) -> None:
    with contextlib.suppress(sns.InvalidSnsMessage):
        message = sns.parse_sns(body)
        message.string_to_sign()
        sns.ses_raw_email(message.fields.get("Message", ""))


@FAST
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "CallSid",
                "From",
                "To",
                "Direction",
                "CallStatus",
                "CallDuration",
                "Digits",
                "SpeechResult",
                "RecordingSid",
                "RecordingUrl",
                "RecordingDuration",
                "RecordingStatus",
                "QueueResult",
                "TranscriptionSid",
                "TranscriptionText",
                "TranscriptionStatus",
                "SequenceNumber",
            ]
        ),
        st.text(max_size=30),
        max_size=12,
    )
)
def test_twilio_forms(fields: dict[str, str]) -> None:
    form = twilio.Form(fields)
    parsers: list[Callable[[], list[CallEvent | None]]] = [
        lambda: [twilio.incoming_call(form, NOW)],
        lambda: list(twilio.ivr_choice(form, twilio.IvrMenu(), NOW)[:2]),
        lambda: list[CallEvent | None](twilio.status_callback(form, NOW)),
        lambda: [twilio.queue_result(form, NOW)],
        lambda: [twilio.recording_callback(form, NOW)],
        lambda: [twilio.transcription_callback(form, NOW)],
        lambda: [twilio.dial_result(form, fields.get("agent"), NOW)],
    ]
    for parse in parsers:
        try:
            events = parse()
        except twilio.InvalidWebhook:
            continue
        for event in events:
            if event is not None:
                _publishable(event)


@FAST
@given(json_values)
def test_cti_events(body: Any) -> None:
    try:
        event = CtiEvent.model_validate(body)
    except ValidationError:
        return
    _publishable(event.to_call_event())


@FAST
@given(json_values, json_values)
def test_amazon_connect(envelope: Any, record: Any) -> None:
    _check_connect(envelope, record)


def _check_connect(envelope: Any, record: Any) -> None:
    try:
        event = connect.ConnectEvent.model_validate(envelope)
    except ValidationError:
        pass
    else:
        with contextlib.suppress(connect.NotAVoiceContact):
            _publishable(connect.contact_event(event))
    try:
        events = connect.trace_record_events(connect.TraceRecord.model_validate(record))
    except (ValidationError, connect.NotAVoiceContact):
        return
    for call in events:
        _publishable(call)


def _publishable(event: Any) -> None:
    with contextlib.suppress(InvalidCallerNumber):
        call_interaction("acme", event, default_region="JP")


trace_record = st.fixed_dictionaries(
    {"ContactId": st.text(min_size=1, max_size=10)},
    optional={
        key: json_values
        for key in (
            "Channel",
            "CustomerEndpoint",
            "InitiationTimestamp",
            "DisconnectTimestamp",
            "Queue",
            "Agent",
            "Recording",
        )
    },
)
connect_envelope = st.fixed_dictionaries(
    {
        "id": st.text(max_size=5),
        "detail-type": st.just("Amazon Connect Contact Event"),
        "source": st.sampled_from(["aws.connect", "other"]),
        "time": st.just("2026-11-23T01:00:00Z"),
        "detail": st.fixed_dictionaries(
            {
                "contactId": st.text(min_size=1, max_size=5),
                "eventType": st.sampled_from(
                    ["INITIATED", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "OTHER"]
                ),
            },
            optional={
                "channel": json_values,
                "agentInfo": json_values,
                "queueInfo": json_values,
                "customerEndpoint": json_values,
            },
        ),
    }
)


@FAST
@given(connect_envelope, trace_record)
def test_amazon_connect_shaped(envelope: Any, record: Any) -> None:
    _check_connect(envelope, record)
