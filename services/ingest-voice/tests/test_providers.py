"""Twilio webhooks and Amazon Connect events, from their documented shapes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cc_common.events import CallStatus, Direction
from ingest_voice.domain import connect, twilio
from ingest_voice.domain.calls import call_interaction

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
CALL = {
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "CallSid": "CA5d9c2e5c1f1f4a6c8f0e0a1b2c3d4e5f",
    "From": "+819012345678",
    "To": "+81312345678",
    "Direction": "inbound",
    "CallStatus": "ringing",
    "ApiVersion": "2010-04-01",
}


def form(**fields: str) -> twilio.Form:
    return twilio.Form({**CALL, **fields})


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("ringing", CallStatus.RINGING),
        ("busy", CallStatus.BUSY),
        ("no-answer", CallStatus.NO_ANSWER),
        ("failed", CallStatus.FAILED),
        ("canceled", CallStatus.CANCELED),
    ],
)
def test_status_callbacks_map_to_call_statuses(raw: str, status: CallStatus) -> None:
    (event,) = twilio.status_callback(form(CallStatus=raw, CallDuration="0"), NOW)
    assert event.status is status
    assert event.duration_seconds == 0
    assert event.call_id == CALL["CallSid"]


def test_a_completed_call_with_a_duration_was_picked_up_not_missed() -> None:
    # Twilio sends only `completed` by default: the duration is the only sign.
    connected, ended = twilio.status_callback(form(CallStatus="completed", CallDuration="242"), NOW)
    assert (connected.status, ended.status) == (CallStatus.CONNECTED, CallStatus.ENDED)
    assert ended.duration_seconds == 242
    (never,) = twilio.status_callback(form(CallStatus="completed", CallDuration="0"), NOW)
    assert never.status is CallStatus.ENDED


def test_in_progress_is_a_pick_up_and_a_person_answering_our_outbound_call() -> None:
    (inbound,) = twilio.status_callback(form(CallStatus="in-progress"), NOW)
    assert inbound.status is CallStatus.CONNECTED
    (outbound,) = twilio.status_callback(
        form(CallStatus="in-progress", Direction="outbound-api"), NOW
    )
    assert outbound.status is CallStatus.ANSWERED
    assert outbound.direction is Direction.OUTBOUND
    assert outbound.caller == CALL["To"], "the customer is the callee of an outbound call"
    human, _ = twilio.status_callback(
        form(
            CallStatus="completed", CallDuration="61", Direction="outbound-api", AnsweredBy="human"
        ),
        NOW,
    )
    assert human.status is CallStatus.ANSWERED
    assert human.provider_ids["answered_by"] == "human"
    machine, _ = twilio.status_callback(
        form(
            CallStatus="completed",
            CallDuration="20",
            Direction="outbound-api",
            AnsweredBy="machine_end_beep",
        ),
        NOW,
    )
    assert machine.status is CallStatus.CONNECTED


def test_twilios_timestamp_is_kept_as_the_provider_time() -> None:
    (ringing,) = twilio.status_callback(
        form(CallStatus="ringing", Timestamp="Wed, 02 Dec 2026 08:59:58 +0000"), NOW
    )
    assert ringing.provider_time == datetime(2026, 12, 2, 8, 59, 58, tzinfo=UTC)
    event = call_interaction("acme", ringing, default_region="JP")
    assert event.data.provider_time == ringing.provider_time
    (undated,) = twilio.status_callback(form(CallStatus="ringing"), NOW)
    assert undated.provider_time is None


def test_dial_action_records_whether_the_dialled_agent_answered() -> None:
    answered = twilio.dial_result(
        form(DialCallStatus="completed", DialCallSid="CA2", DialCallDuration="95"), "alice", NOW
    )
    assert answered is not None
    assert (answered.status, answered.agent_id, answered.duration_seconds) == (
        CallStatus.ANSWERED,
        "alice",
        95,
    )
    missed = twilio.dial_result(form(DialCallStatus="no-answer", DialCallSid="CA3"), "bob", NOW)
    assert missed is not None
    assert missed.status is CallStatus.DIAL_UNANSWERED
    assert missed.provider_ids["dial_status"] == "no-answer"
    with pytest.raises(twilio.InvalidWebhook):
        twilio.dial_result(form(DialCallStatus="exploded"), None, NOW)


def test_unknown_statuses_and_missing_fields_are_refused() -> None:
    with pytest.raises(twilio.InvalidWebhook):
        twilio.status_callback(form(CallStatus="exploded"), NOW)
    with pytest.raises(twilio.InvalidWebhook):
        twilio.status_callback(twilio.Form({"CallStatus": "ringing"}), NOW)


def test_ivr_choice_by_keys_or_speech_picks_skills_and_priority() -> None:
    menu = twilio.IvrMenu()
    chose, queued, option = twilio.ivr_choice(form(Digits="2"), menu, NOW)
    assert chose.status is CallStatus.IVR_INPUT
    assert chose.ivr_path == ("2",)
    assert queued.status is CallStatus.QUEUED
    assert queued.skills == ("tech",)
    assert queued.priority == 5
    _, spoken, _ = twilio.ivr_choice(form(SpeechResult="Billing please"), menu, NOW)
    assert spoken.skills == ("billing",)
    _, unclear, _ = twilio.ivr_choice(form(Digits="9"), menu, NOW)
    assert unclear.ivr_path == ("1",), "the default choice"
    assert option.queue == "voice"


def test_recordings_and_transcriptions_are_attached_by_reference() -> None:
    recording = twilio.recording_callback(
        form(
            RecordingSid="RE1",
            RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1",
            RecordingDuration="63",
            RecordingStatus="completed",
        ),
        NOW,
    )
    assert recording is not None
    assert recording.recording_id == "RE1"
    assert recording.recording_duration_seconds == 63
    assert (
        twilio.recording_callback(form(RecordingSid="RE1", RecordingStatus="in-progress"), NOW)
        is None
    )
    transcript = twilio.transcription_callback(
        form(TranscriptionSid="TR1", RecordingSid="RE1", TranscriptionText="My router is broken"),
        NOW,
    )
    assert transcript is not None
    assert transcript.transcript == "My router is broken"
    assert transcript.status is CallStatus.TRANSCRIPT_AVAILABLE


def test_twiml_greets_gathers_and_enqueues() -> None:
    menu = twilio.IvrMenu(greeting="Welcome to <Acme>")
    xml = twilio.twiml_welcome(menu, "https://voice.example/v1/twilio/acme/voice/ivr")
    assert '<Say language="en-US">Welcome to &lt;Acme&gt;</Say>' in xml
    assert '<Gather input="dtmf speech" numDigits="1"' in xml
    assert 'action="https://voice.example/v1/twilio/acme/voice/ivr"' in xml
    assert "<Redirect" in xml
    assert "<Enqueue" in twilio.twiml_enqueue("voice", "https://x/queue-result")


def test_queue_results_become_answered_or_abandoned() -> None:
    bridged = twilio.queue_result(form(QueueResult="bridged"), NOW)
    hung_up = twilio.queue_result(form(QueueResult="hangup"), NOW)
    assert bridged is not None
    assert bridged.status is CallStatus.ANSWERED
    assert hung_up is not None
    assert hung_up.status is CallStatus.ENDED
    assert twilio.queue_result(form(QueueResult="error"), NOW) is None


def connect_event(event_type: str, **detail: object) -> connect.ConnectEvent:
    return connect.ConnectEvent.model_validate(
        {
            "version": "0",
            "id": f"evt-{event_type}",
            "detail-type": "Amazon Connect Contact Event",
            "source": "aws.connect",
            "account": "111122223333",
            "time": "2026-11-23T01:00:00Z",
            "region": "ap-northeast-1",
            "resources": [],
            "detail": {
                "contactId": "5ca32fbd-8f92-46af-92a5-6b0f970f0efe",
                "channel": "VOICE",
                "eventType": event_type,
                "initiationMethod": "INBOUND",
                **detail,
            },
        }
    )


def test_connect_contact_events_map_to_call_statuses() -> None:
    answered = connect.contact_event(
        connect_event(
            "CONNECTED_TO_AGENT",
            agentInfo={"agentArn": "arn:aws:connect:ap-northeast-1:1:instance/i/agent/ana"},
        )
    )
    assert answered.status is CallStatus.ANSWERED
    assert answered.agent_id == "ana"
    assert connect.contact_event(connect_event("QUEUED")).status is CallStatus.QUEUED
    assert connect.contact_event(connect_event("DISCONNECTED")).status is CallStatus.ENDED
    # The data model's own example writes the channel "Voice".
    assert connect.contact_event(connect_event("QUEUED", channel="Voice")).status is (
        CallStatus.QUEUED
    )
    assert connect.contact_event(connect_event("CONNECTED_TO_SYSTEM")).status is (
        CallStatus.CONNECTED
    )
    with pytest.raises(connect.NotAVoiceContact):
        connect.contact_event(connect_event("CONTACT_DATA_UPDATED"))
    with pytest.raises(connect.NotAVoiceContact):
        connect.contact_event(connect_event("QUEUED", channel="CHAT"))


def test_a_contact_trace_record_gives_the_whole_call() -> None:
    events = connect.trace_record_events(
        connect.TraceRecord.model_validate(
            {
                "ContactId": "c-1",
                "Channel": "VOICE",
                "CustomerEndpoint": {"Address": "+819012345678", "Type": "TELEPHONE_NUMBER"},
                "InitiationTimestamp": "2026-11-23T01:00:00Z",
                "DisconnectTimestamp": "2026-11-23T01:05:00Z",
                "Queue": {"Name": "BasicQueue", "EnqueueTimestamp": "2026-11-23T01:00:20Z"},
                "Agent": {
                    "ARN": "arn:aws:connect:x:1:instance/i/agent/bo",
                    "ConnectedToAgentTimestamp": "2026-11-23T01:01:00Z",
                },
                "Recording": {"Location": "bucket/recordings/c-1.wav"},
            }
        )
    )
    assert [e.status for e in events] == [
        CallStatus.STARTED,
        CallStatus.QUEUED,
        CallStatus.ANSWERED,
        CallStatus.ENDED,
        CallStatus.RECORDING_AVAILABLE,
    ]
    assert events[2].agent_id == "bo"
    # After the fact: the record never opens, answers or ends routed work.
    hints = [call_interaction("acme", e, default_region="JP").data.routing_hints for e in events]
    assert not any(h.needs_human or h.cancels_work or h.answered_by for h in hints)


def test_a_connect_agent_answering_settles_waiting_work_as_answered() -> None:
    answered = connect.contact_event(
        connect_event(
            "CONNECTED_TO_AGENT",
            agentInfo={"agentArn": "arn:aws:connect:ap-northeast-1:1:instance/i/agent/ana"},
            customerEndpoint={"address": "+81312345678", "type": "TELEPHONE_NUMBER"},
        )
    )
    hints = call_interaction("acme", answered, default_region="JP").data.routing_hints
    assert hints.answered_by == "ana"


def test_a_number_field_in_other_scripts_digits_is_no_number() -> None:
    """Found by the hostile-input property test: "²" is a digit to str.isdigit, not to int."""
    assert twilio.Form({"RecordingDuration": "²"}).number("RecordingDuration") is None
    assert twilio.Form({"RecordingDuration": "١٢"}).number("RecordingDuration") is None
    assert twilio.Form({"RecordingDuration": "12"}).number("RecordingDuration") == 12
