"""A phone call end to end: Twilio webhooks (signed), IVR, routing by skill, answer,
recording, transcript, one call record beside the customer's chat; a missed call
becomes a callback; an agent's callback is dialled through Twilio's REST API."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI, Request

from cc_common.auth import Role
from cc_common.events import Channel, Interaction, OutboundRequested
from cc_common.kafka.admin import ensure_topics
from cc_common.kafka.inspect import read_events
from cc_common.kafka.producer import EventProducer
from cc_common.signatures import twilio_signature
from cc_common.topics import INTERACTIONS, OUTBOUND
from contactcenter_cli.processes import free_port, free_port_block
from contactcenter_cli.stack import Stack, StackConfig
from tests.e2e.conftest import configure_routing, token
from tests.e2e.helpers import eventually, find_customer, full_timeline, visitor_key

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TENANT = f"v{uuid.uuid4().hex[:8]}"
AUTH_TOKEN = "twilio-auth-token-for-tests-0123456789"
ACCOUNT = "AC" + "0" * 32
CALLER = "+819011112222"


class TwilioStandIn:
    """Twilio's call-creation endpoint, recording what it was asked."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.app = FastAPI()

        @self.app.post("/2010-04-01/Accounts/{sid}/Calls.json", status_code=201)
        async def create(sid: str, request: Request) -> dict[str, str]:
            form = dict(parse_qsl((await request.body()).decode()))
            user, _, password = (
                base64.b64decode(request.headers["authorization"].split()[1])
                .decode()
                .partition(":")
            )
            call_sid = f"CA{uuid.uuid4().hex}"
            self.calls.append(
                {
                    "sid": sid,
                    "form": form,
                    "user": user,
                    "password": password,
                    "sid_of_call": call_sid,
                }
            )
            return {"sid": call_sid, "status": "queued"}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def twilio_api() -> AsyncIterator[tuple[TwilioStandIn, str]]:
    stand_in = TwilioStandIn()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(stand_in.app, host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield stand_in, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="module")
def voice_stack(
    infra: StackConfig,
    tmp_path_factory: pytest.TempPathFactory,
    twilio_api: tuple[TwilioStandIn, str],
) -> Iterator[Stack]:
    suffix = uuid.uuid4().hex[:8]
    twilio = {
        TENANT: {
            "auth_tokens": [AUTH_TOKEN],
            "account_sid": ACCOUNT,
            "from_number": "+81312345678",
            "api_base_url": twilio_api[1],
        }
    }
    config = StackConfig(
        data_dir=tmp_path_factory.mktemp("voice-stack"),
        kafka_port=infra.kafka_port,
        mongo_port=infra.mongo_port,
        base_port=free_port_block(5),
        topic_suffix=f".voice{suffix}",
        database_prefix=f"voice{suffix}",
        # The test's tenant has no widget key: web chat open to it.
        extra_env={"VOICE_TWILIO": json.dumps(twilio), "CHAT_WEBCHAT_OPEN": "true"},
    )
    asyncio.run(ensure_topics(config.kafka_settings()))
    stack = Stack(config)
    try:
        stack.start_services()
        yield stack
    finally:
        for proc in stack.services.values():
            proc.stop()


async def twilio_post(
    client: httpx.AsyncClient,
    stack: Stack,
    leaf: str,
    fields: dict[str, str],
    *,
    sign: str | None = AUTH_TOKEN,
) -> httpx.Response:
    url = f"{stack.url('ingest-voice')}/v1/twilio/{TENANT}/voice/{leaf}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign is not None:
        headers["X-Twilio-Signature"] = twilio_signature(sign, url, fields)
    return await client.post(url, content=urlencode(fields), headers=headers)


def call_fields(call_sid: str, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT,
        "CallSid": call_sid,
        "From": CALLER,
        "To": "+81312345678",
        "Direction": "inbound",
        "CallStatus": "ringing",
        **extra,
    }


async def test_a_call_is_routed_by_its_ivr_choice_and_lands_as_one_record(
    voice_stack: Stack, twilio_api: tuple[TwilioStandIn, str]
) -> None:
    stack = voice_stack
    supervisor = {"Authorization": f"Bearer {token(stack, TENANT, Role.SUPERVISOR)}"}
    kenji = {"Authorization": f"Bearer {token(stack, TENANT, Role.AGENT, subject='kenji')}"}
    ana = {"Authorization": f"Bearer {token(stack, TENANT, Role.AGENT, subject='ana')}"}
    case_url = stack.url("case")
    await configure_routing(
        stack,
        TENANT,
        queues=[
            {
                "name": "tech-support",
                "requires": "tech>=3",
                "skills_hint": ["tech"],
                "sla_seconds": 20,
            }
        ],
        agents={"ana": {"billing": 5}, "kenji": {"tech": 4}},
    )
    async with httpx.AsyncClient(timeout=15) as client:
        for headers in (ana, kenji):
            await client.put(
                f"{case_url}/v1/agents/me/presence", json={"presence": "available"}, headers=headers
            )
        chat = (
            await client.post(
                f"{stack.url('ingest-chat')}/v1/webchat/conversations",
                json={"tenant_id": TENANT, "phone": CALLER},
            )
        ).json()
        await client.post(
            f"{stack.url('ingest-chat')}/v1/webchat/messages",
            json={"client_message_id": "1", "text": "My router keeps rebooting"},
            headers={"Authorization": f"Bearer {chat['token']}"},
        )
        chatting = await eventually(
            lambda: find_customer(client, case_url, kenji["Authorization"][7:], visitor_key(chat)),
            what="the chatting customer",
        )

        # Signatures: missing and forged are refused before anything is published.
        sid = f"CA{uuid.uuid4().hex}"
        assert (
            await twilio_post(client, stack, "incoming", call_fields(sid), sign=None)
        ).status_code == 401
        assert (
            await twilio_post(client, stack, "incoming", call_fields(sid), sign="wrong")
        ).status_code == 401

        welcome = await twilio_post(client, stack, "incoming", call_fields(sid))
        assert welcome.status_code == 200
        assert "<Gather" in welcome.text
        enqueue = await twilio_post(
            client, stack, "ivr", call_fields(sid, Digits="2", CallStatus="in-progress")
        )
        assert "<Enqueue" in enqueue.text
        # The number the visitor typed is a claim: the caller is a customer of its own,
        # proposed as the chat's; a supervisor accepts, and one timeline holds both.
        customer = await accept_the_proposal(client, case_url, supervisor, chatting["id"])

        async def routing(*kinds: str) -> list[dict[str, Any]] | None:
            entries = await full_timeline(
                client, case_url, kenji["Authorization"][7:], customer["id"]
            )
            found = [
                e
                for e in reversed(entries)
                if e["entry_type"] == "routing" and e["channel"] == "voice"
            ]
            return found if [e["kind"] for e in found][: len(kinds)] == list(kinds) else None

        offered = (
            await eventually(lambda: routing("task.queued", "task.offered"), what="the offer")
        )[1]
        assert offered["routing"]["agent_id"] == "kenji", "the caller chose technical support"
        assert offered["routing"]["queue"] == "tech-support"
        await client.post(
            f"{case_url}/v1/tasks/{offered['routing']['task_id']}/actions",
            json={"action": "accept"},
            headers=kenji,
        )

        # The rest arrives in a scrambled order, one callback twice.
        callbacks = [
            (
                "transcription",
                call_fields(
                    sid,
                    TranscriptionSid="TR1",
                    RecordingSid="RE1",
                    TranscriptionStatus="completed",
                    TranscriptionText="my router keeps rebooting",
                ),
            ),
            ("status", call_fields(sid, CallStatus="completed", CallDuration="184")),
            (
                "recording",
                call_fields(
                    sid,
                    RecordingSid="RE1",
                    RecordingStatus="completed",
                    RecordingUrl="https://api.twilio.com/recordings/RE1",
                    RecordingDuration="170",
                ),
            ),
            ("queue-result", call_fields(sid, QueueResult="bridged")),
            ("status", call_fields(sid, CallStatus="completed", CallDuration="184")),
        ]
        for leaf, fields in callbacks:
            response = await twilio_post(client, stack, leaf, fields)
            assert response.status_code in (200, 204), response.text

        async def one_finished_call() -> dict[str, Any] | None:
            entries = await full_timeline(
                client, case_url, kenji["Authorization"][7:], customer["id"]
            )
            calls = [e for e in entries if e["kind"] == "call"]
            assert len(calls) <= 1, "one call, one record"
            if not calls:
                return None
            record = calls[0]["call"]
            # Every callback folded in: the recording, the transcript, and the queue's
            # "bridged" (until it arrives, the ended call reads as abandoned in queue).
            done = record["recordings"] and record["transcript"] and record["answered_at"]
            return calls[0] if done and record["disposition"] else None

        call = await eventually(one_finished_call, what="the finished call record")
        assert call["call"]["disposition"] == "answered"
        assert call["call"]["ivr_path"] == ["2"]
        assert call["call"]["duration_seconds"] == 184
        assert call["call"]["transcript"] == "my router keeps rebooting"
        assert list(call["call"]["recordings"]) == ["RE1"]
        entries = await full_timeline(client, case_url, kenji["Authorization"][7:], customer["id"])
        assert {e["channel"] for e in entries if e["entry_type"] == "interaction"} == {
            "webchat",
            "voice",
        }

        # A second call, abandoned in the queue, becomes callback work for the router.
        missed = f"CA{uuid.uuid4().hex}"
        await twilio_post(client, stack, "incoming", call_fields(missed))
        await twilio_post(client, stack, "ivr", call_fields(missed, Digits="1"))
        await twilio_post(client, stack, "queue-result", call_fields(missed, QueueResult="hangup"))

        async def callback_requested() -> list[dict[str, Any]] | None:
            entries = await full_timeline(
                client, case_url, kenji["Authorization"][7:], customer["id"]
            )
            found = [e for e in entries if e["kind"] == "callback.requested"]
            queued = [
                e
                for e in entries
                if e["kind"] == "task.queued" and e["routing"]["queue"] == "callbacks"
            ]
            return found if found and queued else None

        [request] = await eventually(callback_requested, what="a callback request and its task")
        assert request["callback"]["reason"] == "abandoned_in_queue"
        assert request["callback"]["phone"] == CALLER

        # The agent calls back now: Twilio's API is asked to dial the customer.
        stand_in = twilio_api[0]
        response = await client.post(
            f"{case_url}/v1/customers/{customer['id']}/callbacks", json={}, headers=kenji
        )
        assert response.status_code == 202, response.text
        await eventually(
            lambda: asyncio.sleep(0, result=stand_in.calls or None), what="the REST call"
        )
        [placed] = stand_in.calls
        assert placed["sid"] == ACCOUNT
        assert (placed["user"], placed["password"]) == (ACCOUNT, AUTH_TOKEN)
        assert placed["form"]["To"] == CALLER
        assert placed["form"]["Url"].endswith("/outbound-answer?agent=kenji")

        async def outbound_call() -> list[dict[str, Any]] | None:
            entries = await full_timeline(
                client, case_url, kenji["Authorization"][7:], customer["id"]
            )
            found = [e for e in entries if e["kind"] == "call" and e["direction"] == "outbound"]
            return found or None

        await eventually(outbound_call, what="the outbound call on the timeline")

        # The request delivered again (a redelivery after a crash) rings nobody twice:
        # the call is announced again, with the same sid.
        settings = stack.config.kafka_settings()
        (asked,) = [
            e
            for e in await read_events(settings, OUTBOUND.name)
            if isinstance(e.data, OutboundRequested) and e.data.channel is Channel.VOICE
        ]
        reply_id = str(asked.data.reply_id)
        producer = EventProducer(settings)
        await producer.start()
        try:
            await producer.publish(OUTBOUND.name, asked)
        finally:
            await producer.stop()

        async def announced_twice() -> list[Any] | None:
            found = [
                e
                for e in await read_events(settings, INTERACTIONS.name)
                if isinstance(e.data, Interaction)
                and e.data.provider_ids.get("reply_id") == reply_id
            ]
            return found if len(found) >= 2 else None

        announcements = await eventually(announced_twice, what="the call announced again")
        assert len(stand_in.calls) == 1
        assert {e.data.voice.call_id for e in announcements if e.data.voice} == {
            placed["sid_of_call"]
        }


async def accept_the_proposal(
    client: httpx.AsyncClient, case_url: str, supervisor: dict[str, str], customer_id: str
) -> dict[str, Any]:
    """Accept the link proposal naming ``customer_id``; the customer both became."""

    async def proposed() -> list[dict[str, Any]]:
        listed = await client.get(f"{case_url}/v1/merge-proposals", headers=supervisor)
        return [p for p in listed.json() if customer_id in p["customer_ids"]]

    (proposal,) = await eventually(proposed, what="the proposal the typed number raised")
    accepted = await client.post(
        f"{case_url}/v1/merge-proposals/{proposal['id']}/accept", headers=supervisor
    )
    assert accepted.status_code == 201, accepted.text
    merged: dict[str, Any] = (
        await client.get(f"{case_url}/v1/customers/{accepted.json()['target']}", headers=supervisor)
    ).json()
    return merged
