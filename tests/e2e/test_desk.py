"""The agent desk in a real browser (Debian's Chromium, driven by Playwright) against the
real stack: an agent signs in, goes available, a visitor's web-chat message arrives as
an offer, the agent accepts, opens the customer's timeline and replies, and the
visitor's socket receives the reply; customers' markup shows as text; the desk's pages
carry their security headers; English and Japanese. Screenshots of each screen go to
``docs/screenshots/`` (shown in the README)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

from cc_common.auth import Role
from contactcenter_cli.bench_case import top_up_timeline
from contactcenter_cli.stack import Stack, StackConfig
from contactcenter_cli.webchat_client import visitor_socket
from tests.e2e.conftest import configure_routing, running_stack, token
from tests.e2e.helpers import eventually, find_customer, visitor_key
from tests.e2e.provider_stand_in import ProviderStandIn
from tests.e2e.test_webchat_live import receive
from tests.e2e.test_whatsapp import message as whatsapp_message
from tests.e2e.test_whatsapp import signed as meta_signed

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SECONDS = 1000  # Playwright counts milliseconds
HISTORY = 5000
CHANNEL_TENANT = "desk"
"""The tenant whose LINE and WhatsApp channels point at this module's provider stand-in."""
LINE_SECRET = "desk-line-secret-0123456789abcdef"
META_SECRET = "desk-meta-secret-0123456789abcdef"
ORDER_SHIPPED = {
    "name": "order_shipped",
    "language": "ja",
    "parameters": 2,
    "text": "{{1}}様、ご注文{{2}}を発送しました。",
}


def provider_answer(path: str, body: dict[str, Any]) -> dict[str, Any]:
    if body.get("messaging_product") == "whatsapp":
        return {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.{uuid.uuid4().hex}"}]}
    return {"sentMessages": [{"id": str(uuid.uuid4().int)[:16]}]}


@pytest.fixture(scope="module")
def providers() -> Iterator[ProviderStandIn]:
    stand_in = ProviderStandIn(provider_answer)
    try:
        yield stand_in
    finally:
        stand_in.close()


@pytest.fixture(scope="module")
def stack(
    infra: StackConfig, tmp_path_factory: pytest.TempPathFactory, providers: ProviderStandIn
) -> Iterator[Stack]:
    """The system, with LINE and WhatsApp for one tenant and its approved templates."""
    line = {
        CHANNEL_TENANT: {
            "channel_secrets": [LINE_SECRET],
            "access_token": "desk-line-token",
            "api_base_url": providers.url,
            "profile_lookup": False,
        }
    }
    meta = {
        CHANNEL_TENANT: {
            "app_secrets": [META_SECRET],
            "verify_tokens": ["desk-verify"],
            "whatsapp_token": "desk-wa-token",
            "whatsapp_phone_number_id": "PNDESK",
            "graph_base_url": providers.url,
        }
    }
    rules = {
        CHANNEL_TENANT: {
            "reply_templates": [ORDER_SHIPPED],
            "approval_agents": ["trainee"],
            "survey": {"kind": "csat"},
        }
    }
    env = {
        "CHAT_LINE": json.dumps(line),
        "CHAT_META": json.dumps(meta),
        "CASE_TENANT_RULES": json.dumps(rules),
    }
    with running_stack(infra, tmp_path_factory.mktemp("desk-stack"), extra_env=env) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `apt-get install chromium` (make test does it as root)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


async def sign_in(page: Page, stack: Stack, tenant: str, agent: str, role: str = "agent") -> None:
    await page.goto(f"{stack.url('case')}/desk/")
    await page.get_by_label("Tenant").fill(tenant)
    await page.get_by_label("Agent ID").fill(agent)
    await page.get_by_label("Role").select_option(role)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_text(f"{agent} ({tenant})")).to_be_visible()


async def visitor_writes(
    client: httpx.AsyncClient, chat: str, tenant: str, text: str, *, email: str | None = None
) -> dict[str, Any]:
    """A new web-chat visitor of ``tenant``, who typed ``email`` (or a new address)
    before chatting, sends ``text``; their conversation."""
    started = await client.post(
        f"{chat}/v1/webchat/conversations",
        json={"tenant_id": tenant, "email": email or f"v{uuid.uuid4().hex[:8]}@example.com"},
    )
    conversation: dict[str, Any] = started.json()
    sent = await client.post(
        f"{chat}/v1/webchat/messages",
        json={"client_message_id": "1", "text": text},
        headers={"Authorization": f"Bearer {conversation['token']}"},
    )
    assert sent.status_code == 202, sent.text
    return conversation


async def keep_macros(stack: Stack, tenant: str) -> None:
    """The tenant's supervisor keeps one macro for the billing team, one for sales."""
    supervisor = {"Authorization": f"Bearer {token(stack, tenant, Role.SUPERVISOR)}"}
    macros = [
        {
            "title": "請求書の再送",
            "scope": "team",
            "team": "billing-team",
            "language": "ja",
            "text": "{{customer.salutation}}、担当の{{agent.name}}です。"
            "請求書を再送しました（{{case.number}}）。",
            "actions": {"status": "pending", "add_tags": ["invoice"]},
        },
        {"title": "販売チームの挨拶", "scope": "team", "team": "sales", "text": "こんにちは"},
    ]
    async with httpx.AsyncClient(base_url=stack.url("case"), timeout=10) as client:
        for macro in macros:
            kept = await client.post("/v1/macros", json=macro, headers=supervisor)
            assert kept.status_code == 201, kept.text


async def test_an_agent_answers_a_web_chat_visitor_from_the_desk(
    stack: Stack, browser: Browser
) -> None:
    tenant, agent = f"t{uuid.uuid4().hex[:8]}", "emi"
    await configure_routing(
        stack,
        tenant,
        queues=[
            {
                "name": "billing",
                "requires": "billing>=3",
                "keywords": ["invoice"],
                "offer_timeout_seconds": 120,
            }
        ],
        agents={agent: {"billing": 4}},
        teams={agent: ["billing-team"]},
        names={agent: "田中えみ"},
    )
    await keep_macros(stack, tenant)
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    response = await page.goto(f"{stack.url('case')}/desk/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / "desk-sign-in.png")

    board = await browser.new_page(viewport={"width": 1280, "height": 800})
    await sign_in(board, stack, tenant, "sam", role="supervisor")
    billing = board.locator("#queues tr[data-queue='billing']")
    await expect(billing.locator("[data-field='answered']")).to_have_text("0")

    await sign_in(page, stack, tenant, agent)
    assert "token" not in page.url
    await expect(page.get_by_label("Presence")).to_have_value("offline")  # as the router has it
    await page.get_by_label("Presence").select_option("available")
    await expect(page.get_by_text("You are now: Available.")).to_be_visible()

    chat = stack.url("ingest-chat")
    async with httpx.AsyncClient(timeout=10) as client:
        started = await client.post(
            f"{chat}/v1/webchat/conversations",
            json={"tenant_id": tenant, "email": f"v{uuid.uuid4().hex[:6]}@example.com"},
        )
    visitor = started.json()["token"]
    question = "A question about my invoice <b>bold</b> 請求書がまだ届きません"
    async with visitor_socket(chat, visitor) as socket:
        frame = {"type": "message", "client_message_id": "c1", "text": question}
        await socket.send(json.dumps(frame))
        await receive(socket, "ack")

        offer = page.locator("#offers li.offer")
        await expect(offer).to_contain_text("billing", timeout=30 * SECONDS)
        await expect(offer.locator(".countdown")).to_contain_text("expires in")
        await page.screenshot(path=SCREENSHOTS / "desk-offer.png")
        await offer.get_by_role("button", name="Accept").focus()  # by keyboard
        await page.keyboard.press("Enter")

        in_hand = page.locator("#in-hand li[data-task]")
        await expect(in_hand).to_have_count(1, timeout=20 * SECONDS)
        unread = in_hand.locator("[data-unread]")
        await expect(unread).to_have_attribute("data-unread", "1", timeout=20 * SECONDS)
        await expect(unread).to_have_text("1 unread")
        timeline = page.locator("#timeline li[data-kind='message']")
        for _ in range(20):  # the interaction may not be stored yet when first opened
            await in_hand.get_by_role("button", name="Open").click()
            try:
                await expect(timeline.first).to_be_visible(timeout=2 * SECONDS)
                break
            except AssertionError:
                continue
        message = page.locator("#timeline li", has_text="請求書がまだ届きません")
        await expect(message).to_contain_text("<b>bold</b>")  # shown as text
        await expect(unread).to_have_count(0)  # opened: read
        assert await page.locator("#timeline b").count() == 0

        # Typing both ways, and a new message shown without a reload.
        typing = page.locator("#customer-typing")
        for _ in range(30):  # the desk's stream may start after the first signal
            await socket.send(json.dumps({"type": "typing", "active": True}))
            try:
                await expect(typing).to_have_text("The customer is typing…", timeout=SECONDS)
                break
            except AssertionError:
                continue
        await expect(typing).to_have_text("The customer is typing…")
        frame = {"type": "message", "client_message_id": "c2", "text": "Are you still there?"}
        await socket.send(json.dumps(frame))
        await expect(page.locator("#timeline li", has_text="Are you still there?")).to_be_visible(
            timeout=15 * SECONDS
        )
        await page.wait_for_timeout(1000)  # read while open: no unread count comes back
        await expect(unread).to_have_count(0)
        reply_box = page.get_by_label("Reply")
        await reply_box.fill("Thank you, I am checking your invoice now.")
        agent_typing = await receive(socket, "typing", timeout=10)
        assert agent_typing["party"] == "agent"
        assert agent_typing["active"] is True
        await page.get_by_role("button", name="Send", exact=True).click()
        answer = await receive(socket, "agent_message", timeout=30)
        assert answer["text"] == "Thank you, I am checking your invoice now."
        assert answer["agent"] == agent
        reply = page.locator("#timeline li", has_text="checking your invoice")
        await expect(reply.locator("[data-status]")).to_have_attribute(
            "data-status", "sent", timeout=20 * SECONDS
        )

        # An internal note, then a colleague edits the case first: the desk's edit is
        # refused (its ETag is old) and it shows the colleague's version.
        await page.get_by_label("Internal note (@agent to mention)").fill("@ken please check")
        await page.get_by_role("button", name="Add note").click()
        await expect(page.locator("#timeline li", has_text="@ken please check")).to_be_visible(
            timeout=10 * SECONDS
        )
        # A colleague, in their own desk, opens the same case and saves first.
        colleague = await browser.new_page(viewport={"width": 1280, "height": 800})
        await sign_in(colleague, stack, tenant, "ken")
        await open_customer(colleague, "まだ届きません")
        await expect(colleague.locator("#case-fields[data-version]")).to_be_attached()
        await colleague.get_by_label("Priority").select_option("high")
        await colleague.get_by_role("button", name="Save").click()
        await expect(colleague.get_by_text("Case saved.")).to_be_visible()
        await page.get_by_label("Priority").select_option("urgent")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_text("A colleague changed this case first")).to_be_visible()
        await expect(page.get_by_label("Priority")).to_have_value("high")

        # A macro of the agent's team (another team's is not offered): its text filled
        # for this case, edited, sent; its case changes made; the visitor gets it.
        macro = page.get_by_label("Macro")
        assert "販売チームの挨拶" not in await macro.locator("option").all_inner_texts()
        await macro.select_option(label="請求書の再送")
        await expect(page.locator("#macro-effects")).to_contain_text("Pending")
        reply_box = page.get_by_label("Reply")
        await expect(reply_box).to_have_value(re.compile("^お客様、担当の田中えみです。"))
        await reply_box.press("End")
        await reply_box.type(" よろしくお願いいたします。")
        # Meanwhile ken starts a reply of his own: emi's desk says so, and her send is
        # held until she takes over; ken's desk is told.
        await colleague.get_by_label("Reply").fill("Let me check that for you.")
        await expect(page.locator("#case-presence")).to_contain_text(
            "ken is writing a reply", timeout=15 * SECONDS
        )
        await page.get_by_role("button", name="Send", exact=True).click()
        await expect(page.get_by_text("ken is writing a reply on this case")).to_be_visible()
        await page.get_by_role("button", name="Take over and send").click()
        answer = await receive(socket, "agent_message", timeout=30)
        assert answer["text"].startswith("お客様、担当の田中えみです。請求書を再送しました")
        assert answer["text"].endswith("よろしくお願いいたします。")
        await expect(page.get_by_label("Status")).to_have_value("pending", timeout=10 * SECONDS)
        await expect(page.get_by_label("Tags (comma separated)")).to_have_value("invoice")
        await expect(page.locator("#timeline li[data-kind='case.macro']")).to_contain_text(
            "請求書の再送"
        )
        await expect(
            colleague.get_by_text("emi sent a reply while you were drafting")
        ).to_be_visible(timeout=15 * SECONDS)
        await colleague.close()
        await page.screenshot(path=SCREENSHOTS / "desk-case-en.png", full_page=True)

        # Search by a piece of a Japanese word: 届き finds まだ届きません.
        await page.get_by_label("Words (any part, Japanese too)").fill("届き")
        await page.get_by_role("button", name="Search").click()
        hit = page.locator("#search-results li", has_text="まだ届きません")
        await expect(hit).to_be_visible(timeout=10 * SECONDS)
        await hit.get_by_role("button", name="Open").click()
        await expect(page.locator("#timeline li", has_text="まだ届きません")).to_be_visible()

    # The wallboard counted the answered chat without a reload.
    await expect(billing.locator("[data-field='answered']")).to_have_text("1", timeout=20 * SECONDS)
    await expect(billing.locator("[data-field='offeredCount']")).to_have_text("1")
    await expect(billing.locator("[data-field='agentsAvailable']")).to_have_text("1")
    await expect(billing.locator("[data-field='agentsOnBreak']")).to_have_text("0")
    await expect(board.locator("#kpis [data-kpi='answered']")).to_have_text(
        "1", timeout=20 * SECONDS
    )
    emi = board.locator(f"#agents tr[data-agent='{agent}']")
    await expect(emi.locator("[data-field='presence']")).to_have_text("Available")
    await expect(emi.locator("[data-field='workInHand']")).to_contain_text("chat 1/")
    await board.get_by_role("button", name="Show").click()  # the chart per day, redrawn
    today = board.locator("#kpi-chart tbody tr").last
    await expect(today.locator("[data-kpi='offeredCount']")).to_have_text("1", timeout=10 * SECONDS)
    await expect(today.locator("[data-kpi='answered']")).to_have_text("1")
    await board.get_by_label("Chart").select_option("serviceLevel")
    await board.get_by_role("button", name="Show").click()
    await expect(board.locator("#kpi-chart figcaption")).to_have_text("Service level per day")
    await board.screenshot(path=SCREENSHOTS / "wallboard-en.png", full_page=True)
    await board.close()

    await page.get_by_label("Language").select_option("ja")
    await expect(page.get_by_role("button", name="サインアウト")).to_be_visible()
    await expect(page.get_by_role("heading", name="対応中")).to_be_visible()
    await page.screenshot(path=SCREENSHOTS / "desk-ja.png", full_page=True)
    await page.close()


async def test_a_customer_with_five_thousand_entries_opens_at_once(
    stack: Stack, browser: Browser
) -> None:
    """Reported, not a gate: from Open to the first page shown, and one older page."""
    tenant, agent = f"t{uuid.uuid4().hex[:8]}", "ivy"
    reader = token(stack, tenant, Role.AGENT, subject=agent)
    chat = stack.url("ingest-chat")
    async with httpx.AsyncClient(timeout=10) as client:
        conversation = await visitor_writes(client, chat, tenant, "注文番号98765の件です")

        async def stored() -> dict[str, Any] | None:
            return await find_customer(client, stack.url("case"), reader, visitor_key(conversation))

        customer = await eventually(stored, what="the visitor's customer")
    async with httpx.AsyncClient(base_url=stack.url("case"), timeout=30) as client:
        bearer = {"Authorization": f"Bearer {reader}"}
        await top_up_timeline(stack, client, bearer, customer["id"], HISTORY, tenant=tenant)

    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await sign_in(page, stack, tenant, agent)
    await page.get_by_label("Words (any part, Japanese too)").fill("98765")
    await page.get_by_role("button", name="Search").click()
    hit = page.locator("#search-results li", has_text="98765")
    await expect(hit).to_be_visible(timeout=15 * SECONDS)
    entries = page.locator("#timeline li")
    began = time.perf_counter()
    await hit.get_by_role("button", name="Open").click()
    await expect(entries).to_have_count(50, timeout=30 * SECONDS)
    await expect(page.get_by_label("Reply")).to_be_editable()
    first_page_ms = (time.perf_counter() - began) * 1000
    began = time.perf_counter()
    await page.get_by_role("button", name="Load older entries").click()
    await expect(entries).to_have_count(100, timeout=30 * SECONDS)
    older_page_ms = (time.perf_counter() - began) * 1000
    timing = {
        "entries": HISTORY,
        "open_to_first_page_ms": round(first_page_ms),
        "older_page_ms": round(older_page_ms),
    }
    (SCREENSHOTS / "desk-timing.json").write_text(json.dumps(timing, indent=2) + "\n")
    await page.close()


async def test_a_supervisor_looks_a_customer_up_and_undoes_a_merge(
    stack: Stack, browser: Browser
) -> None:
    """Two web-chat visitors are merged through the API; the supervisor finds the
    customer in the desk's customer view, sees the merge and undoes it; then accepts
    a proposal that a mail's sender and a chat visitor are one person."""
    tenant = f"t{uuid.uuid4().hex[:8]}"
    supervisor = token(stack, tenant, Role.SUPERVISOR, subject="sam")
    chat, case = stack.url("ingest-chat"), stack.url("case")
    customers = []
    async with httpx.AsyncClient(timeout=10) as client:
        for text in ("パスワード再発行11111", "パスワード再発行22222"):
            conversation = await visitor_writes(client, chat, tenant, text)

            async def stored(conversation: dict[str, Any] = conversation) -> Any:
                return await find_customer(client, case, supervisor, visitor_key(conversation))

            customers.append(await eventually(stored, what="the visitor's customer"))
        target, source = (c["id"] for c in customers)
        merged = await client.post(
            f"{case}/v1/customers/{target}/merges",
            json={"source_customer_id": source, "reason": "same phone on both"},
            headers={"Authorization": f"Bearer {supervisor}"},
        )
        assert merged.status_code == 201, merged.text

    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await sign_in(page, stack, tenant, "sam", role="supervisor")
    await page.get_by_label("View").select_option("customers")
    await page.get_by_label("Words (any part, Japanese too)").fill("22222")
    await page.get_by_role("button", name="Search").click()
    hit = page.locator("#search-results li", has_text="22222")
    await expect(hit).to_be_visible(timeout=15 * SECONDS)
    await hit.get_by_role("button", name="Open").click()
    merge = page.locator("#merges li")
    await expect(merge).to_contain_text("same phone on both", timeout=10 * SECONDS)
    await expect(merge).to_have_attribute("data-state", "active")
    await expect(page.locator("#timeline li", has_text="22222")).to_be_visible()
    await expect(page.locator("#customer-panel")).not_to_contain_text("null")
    await page.screenshot(path=SCREENSHOTS / "desk-supervisor-customer.png", full_page=True)
    await merge.get_by_role("button", name="Unmerge").click()
    await expect(page.get_by_text("Unmerged: both have their own history again.")).to_be_visible()
    await expect(page.locator("#merges li")).to_have_attribute(
        "data-state", "undone", timeout=10 * SECONDS
    )

    # A mail from an address, then a visitor who typed that address: a proposal that
    # they are one person, which the supervisor accepts from the mail's customer.
    address = f"kei.{uuid.uuid4().hex[:6]}@example.jp"
    mail = (
        f"From: Kei <{address}>\r\nSubject: 33333\r\nMessage-ID: <{uuid.uuid4().hex}@x.jp>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n返品33333のお願い\r\n"
    ).encode()
    integration = {"Authorization": f"Bearer {token(stack, tenant, Role.INTEGRATION)}"}
    async with httpx.AsyncClient(timeout=10) as client:
        uploaded = await client.post(
            f"{stack.url('ingest-email')}/v1/messages",
            content=mail,
            headers={**integration, "Content-Type": "message/rfc822"},
        )
        assert uploaded.status_code == 202, uploaded.text
        await eventually(
            lambda: find_customer(client, case, supervisor, f"email:{address}"),
            what="the mail's customer",
        )
        await visitor_writes(client, chat, tenant, "返品33333のチャットです", email=address)
    proposal = page.locator("#proposals li")
    for _ in range(30):  # proposed once the chat is stored
        await open_customer(page, "返品33333のお願い")
        try:
            await expect(proposal).to_be_visible(timeout=SECONDS)
            break
        except AssertionError:
            continue
    await expect(proposal).to_contain_text("unverified")
    await proposal.get_by_role("button", name="Merge").click()
    await expect(page.get_by_text("Merged.")).to_be_visible()
    await expect(page.locator("#proposals li")).to_have_count(0)
    await expect(page.locator("#timeline li", has_text="返品33333のチャットです")).to_be_visible(
        timeout=15 * SECONDS
    )
    await page.close()


def line_message(user_id: str, text: str) -> tuple[bytes, dict[str, str]]:
    """A LINE webhook as the platform signs it."""
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
        "replyToken": f"token-{uuid.uuid4().hex}",
        "message": {"id": str(uuid.uuid4().int)[:18], "type": "text", "text": text},
    }
    body = json.dumps({"destination": "U0", "events": [event]}).encode()
    digest = hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()
    return body, {"X-Line-Signature": base64.b64encode(digest).decode()}


RECEIPT = "領収書 A-100\n合計 3,300円\n".encode()


def html_mail(sender: str, order: str) -> bytes:
    """A mail with a plain and an HTML part and a receipt attached; the HTML carries a
    script and a remote image (a tracking pixel) that must never run or load in the desk."""
    receipt = base64.b64encode(RECEIPT).decode()
    return (
        f"From: Sato <{sender}>\r\nTo: support@example.com\r\nSubject: {order} の件\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.jp>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="m1"\r\n\r\n'
        '--m1\r\nContent-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{order} はいつ届きますか。\r\n"
        "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f"<p><b>{order}</b> はいつ届きますか。</p><script>parent.postMessage('pwned','*')</script>"
        '<img src="https://tracker.example/p.gif" alt="">\r\n'
        "--b1--\r\n"
        "--m1\r\nContent-Type: text/plain; charset=utf-8; name=receipt.txt\r\n"
        'Content-Disposition: attachment; filename="receipt.txt"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{receipt}\r\n"
        "--m1--\r\n"
    ).encode()


RECORDING_URL = "https://recordings.invalid/desk-call.mp3"


async def pbx_call(stack: Stack, caller: str, *, transcript: str) -> None:
    """A PBX reports a call from ``caller``: answered, 95 s, recorded and transcribed."""
    integration = token(stack, CHANNEL_TENANT, Role.INTEGRATION)
    call_id = f"pbx-{uuid.uuid4().hex[:8]}"
    start = time.time() - 120
    events: list[tuple[int, dict[str, Any]]] = [  # (seconds after it rang, the event)
        (0, {"event": "call_started", "from_number": caller}),
        (10, {"event": "answered", "agent_id": "aoi"}),
        (105, {"event": "ended", "duration_seconds": 95}),
        (
            106,
            {
                "event": "recording_available",
                "recording_id": f"rec-{call_id}",
                "recording_url": RECORDING_URL,
                "recording_duration_seconds": 95,
            },
        ),
        (110, {"event": "transcript_available", "transcript": transcript}),
    ]
    async with httpx.AsyncClient(timeout=10) as client:
        for offset, event in events:
            at = datetime.fromtimestamp(start + offset, UTC).isoformat()
            sent = await client.post(
                f"{stack.url('ingest-voice')}/v1/cti/events",
                json={"call_id": call_id, "occurred_at": at, **event},
                headers={"Authorization": f"Bearer {integration}"},
            )
            assert sent.status_code == 202, sent.text


async def cases_of(
    client: httpx.AsyncClient, case_url: str, headers: dict[str, str], customer_id: str
) -> list[dict[str, Any]]:
    """The customer's cases, once stored (a moment after the customer is)."""

    async def stored() -> list[dict[str, Any]]:
        listed = await client.get(f"{case_url}/v1/customers/{customer_id}/cases", headers=headers)
        cases: list[dict[str, Any]] = listed.json()
        return cases

    return await eventually(stored, what="the customer's case")


async def publish_article(stack: Stack, title: str, body: str) -> None:
    """The channel tenant's supervisor writes and publishes a knowledge article."""
    supervisor = {"Authorization": f"Bearer {token(stack, CHANNEL_TENANT, Role.SUPERVISOR)}"}
    async with httpx.AsyncClient(base_url=stack.url("case"), timeout=10) as client:
        made = await client.post(
            "/v1/articles",
            json={"title": title, "body": body, "keywords": ["注文"]},
            headers=supervisor,
        )
        assert made.status_code == 201, made.text
        published = await client.post(
            f"/v1/articles/{made.json()['id']}/publish", headers=supervisor
        )
        assert published.status_code == 200, published.text


async def desk_agents(stack: Stack) -> None:
    """The channel tenant's agents, known to the router (their presence shows)."""
    await configure_routing(
        stack,
        CHANNEL_TENANT,
        queues=[{"name": "messaging", "requires": "messaging>=1"}],
        agents={"aoi": {"messaging": 3}, "ren": {"messaging": 3}},
    )


async def open_customer(page: Page, words: str) -> None:
    """Search for ``words`` and open the first hit, until it is found (it is stored
    a moment after the provider's webhook is answered)."""
    for _ in range(30):
        await page.get_by_label("Words (any part, Japanese too)").fill(words)
        await page.get_by_role("button", name="Search").click()
        hit = page.locator("#search-results li", has_text=words).first
        try:
            await expect(hit).to_be_visible(timeout=SECONDS)
        except AssertionError:
            continue
        await hit.get_by_role("button", name="Open").click()
        return
    raise AssertionError(f"nothing found for {words!r}")


async def test_a_line_customer_who_writes_by_mail_has_one_timeline(
    stack: Stack, browser: Browser, providers: ProviderStandIn
) -> None:
    """The agent links the email a LINE customer gave; their mail then joins the same
    timeline, shown as text with the HTML as sent in a sandboxed frame (no script ran,
    no remote image loaded); then a call from a linked number, with its recording and
    transcript; the mail's attachment downloads; a custom field is added to the case."""
    order = f"A-{uuid.uuid4().int % 100000:05d}"
    address = f"sato.{uuid.uuid4().hex[:6]}@example.jp"
    body, signature = line_message(
        "U" + uuid.uuid4().hex, f"LINEから失礼します。注文{order}について"
    )
    async with httpx.AsyncClient(timeout=10) as client:
        hook = f"{stack.url('ingest-chat')}/v1/line/{CHANNEL_TENANT}/webhook"
        assert (await client.post(hook, content=body, headers=signature)).status_code == 200

    await desk_agents(stack)
    await publish_article(
        stack, "ご注文の配送状況の確認", "マイページの注文履歴から配送状況を確認できます。"
    )
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    pwned: list[str] = []
    page.on("console", lambda message: pwned.append(message.text))
    await sign_in(page, stack, CHANNEL_TENANT, "aoi")
    await open_customer(page, order)
    await expect(page.locator("#timeline li[data-kind='message']").first).to_contain_text(order)

    # The knowledge base's answer to what they wrote, used in the reply.
    suggestion = page.locator("#suggestions li[data-article]").first
    await expect(suggestion).to_contain_text("ご注文の配送状況", timeout=10 * SECONDS)
    await suggestion.get_by_role("button", name="Use in reply").click()
    await expect(page.get_by_label("Reply")).to_have_value(re.compile("^マイページの注文履歴"))
    await expect(page.get_by_text("kept on the case")).to_be_visible()

    panel = page.locator("#customer-panel")
    await panel.get_by_text("Link another way to reach them").click()
    await panel.get_by_label("Kind").select_option("email")
    await panel.get_by_label("Value").fill(address)
    await panel.get_by_role("button", name="Link").click()
    await expect(panel.locator("#customer-identities")).to_contain_text(address)

    integration = token(stack, CHANNEL_TENANT, Role.INTEGRATION)
    async with httpx.AsyncClient(timeout=10) as client:
        uploaded = await client.post(
            f"{stack.url('ingest-email')}/v1/messages",
            content=html_mail(address, order),
            headers={"Authorization": f"Bearer {integration}", "Content-Type": "message/rfc822"},
        )
        assert uploaded.status_code == 202, uploaded.text

    mail = page.locator("#timeline li[data-kind='message']", has_text="はいつ届きますか")
    for _ in range(30):  # the mail is stored a moment after the upload is answered
        try:
            await expect(mail).to_be_visible(timeout=SECONDS)
            break
        except AssertionError:
            await open_customer(page, order)
    await expect(page.locator("#timeline li .badge", has_text="line").first).to_be_visible()
    await expect(page.locator("#timeline li .badge", has_text="email").first).to_be_visible()
    assert await page.locator("#timeline b").count() == 0  # the text part, as text

    async with page.expect_download() as downloading:
        await mail.get_by_role("button", name="receipt.txt").click()
    receipt = await downloading.value
    assert receipt.suggested_filename == "receipt.txt"
    assert Path(await receipt.path()).read_bytes() == RECEIPT
    replies_on = await page.locator("#reply-channel option").all_inner_texts()
    assert {"line", "email"} & set(replies_on), replies_on  # the customer's other channel

    await mail.get_by_text("Show the mail as sent").click()
    frame_element = mail.locator("iframe")
    await expect(frame_element).to_have_attribute("sandbox", "")
    frame = mail.frame_locator("iframe")
    await expect(frame.locator("b")).to_have_text(order)  # laid out as sent
    assert await frame.locator("script").count() == 0  # removed when it arrived
    assert not any("pwned" in text for text in pwned)
    assert not any("tracker.example" in r["path"] for r in providers.requests)

    # The customer calls from a number the agent links: the call, its recording and
    # transcript join the same timeline (the player loads nothing until played).
    phone = f"+8190{uuid.uuid4().int % 10**8:08d}"
    await panel.get_by_text("Link another way to reach them").click()
    await panel.get_by_label("Kind").select_option("phone")
    await panel.get_by_label("Value").fill(phone)
    await panel.get_by_role("button", name="Link").click()
    await expect(panel.locator("#customer-identities")).to_contain_text(phone)
    await pbx_call(stack, phone, transcript=f"{order}の配達日を知りたいです")
    call = page.locator("#timeline li[data-kind='call']")
    for _ in range(30):
        try:
            await expect(call.locator("audio")).to_be_visible(timeout=SECONDS)
            break
        except AssertionError:
            await open_customer(page, order)
    await expect(call.locator("[data-call]")).to_contain_text("duration 95 s")
    await expect(call.locator("audio")).to_have_attribute("preload", "none")
    await expect(call.locator("audio")).to_have_attribute("src", RECORDING_URL)
    await expect(call).to_contain_text("の配達日を知りたいです")

    await page.get_by_label("New field name").fill("order_number")
    await page.get_by_label("New field value").fill(order)
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_label("order_number")).to_have_value(order, timeout=10 * SECONDS)
    await page.screenshot(path=SCREENSHOTS / "desk-line-and-mail.png", full_page=True)
    await page.close()


async def test_outside_whatsapp_s_window_the_desk_offers_only_approved_templates(
    stack: Stack, browser: Browser, providers: ProviderStandIn
) -> None:
    """A customer who last wrote on WhatsApp two days ago: the desk says why free text
    cannot go, the agent picks the approved template, fills its parameters and sends
    it (with the keyboard); the provider receives the template. At 200% zoom (half
    the width) nothing needs scrolling sideways."""
    wa_id = f"8190{uuid.uuid4().int % 10**8:08d}"
    two_days_ago = time.time() - 2 * 86_400
    body = whatsapp_message(
        wa_id, f"注文{wa_id[-5:]}はまだですか", at=two_days_ago, phone_number_id="PNDESK"
    )
    signature = meta_signed(body, META_SECRET)
    async with httpx.AsyncClient(timeout=10) as client:
        hook = f"{stack.url('ingest-chat')}/v1/meta/{CHANNEL_TENANT}/webhook"
        assert (await client.post(hook, content=body, headers=signature)).status_code == 200

    await desk_agents(stack)
    page = await browser.new_page(viewport={"width": 640, "height": 400})  # 1280x800 at 200%
    await sign_in(page, stack, CHANNEL_TENANT, "ren")
    await open_customer(page, wa_id[-5:])
    rule = page.locator("#reply-rule")
    await expect(rule).to_contain_text("over 24 hours ago", timeout=10 * SECONDS)
    await page.get_by_label("Approved template").select_option("order_shipped|ja")
    await page.get_by_label("Parameter 1").fill("佐藤")
    await page.get_by_label("Parameter 2").fill("B-200")
    await expect(page.get_by_label("Reply")).to_have_value("佐藤様、ご注文B-200を発送しました。")
    wide = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not wide, "the desk scrolls sideways at 200% zoom"
    await page.screenshot(path=SCREENSHOTS / "desk-whatsapp-template.png", full_page=True)
    await page.get_by_label("Reply").press("Control+Enter")

    def template_sent() -> list[dict[str, Any]]:
        return [
            r
            for r in providers.requests
            if r.get("body", {}).get("to") == wa_id and r["body"].get("type") == "template"
        ]

    async def sent() -> list[dict[str, Any]]:
        return template_sent()

    (request,) = await eventually(sent, what="the template at the provider")
    template = request["body"]["template"]
    assert (template["name"], template["language"]) == ("order_shipped", {"code": "ja"})
    assert [p["text"] for p in template["components"][0]["parameters"]] == ["佐藤", "B-200"]
    reply = page.locator("#timeline li", has_text="佐藤様、ご注文B-200を発送しました。")
    await expect(reply).to_be_visible(timeout=15 * SECONDS)
    await page.close()


async def test_a_trainee_s_reply_reaches_the_visitor_only_once_a_supervisor_approves(
    stack: Stack, browser: Browser
) -> None:
    """承認: the channel tenant's trainee replies; the visitor's socket gets nothing until
    the supervisor approves it in the desk, then the reply."""
    chat, case_url = stack.url("ingest-chat"), stack.url("case")
    trainee_token = token(stack, CHANNEL_TENANT, Role.AGENT, subject="trainee")
    trainee = {"Authorization": f"Bearer {trainee_token}"}
    supervisor = {"Authorization": f"Bearer {token(stack, CHANNEL_TENANT, Role.SUPERVISOR)}"}
    async with httpx.AsyncClient(timeout=10) as client:
        conversation = await visitor_writes(
            client, chat, CHANNEL_TENANT, "返品の方法を教えてください"
        )
        customer = await eventually(
            lambda: find_customer(client, case_url, trainee_token, visitor_key(conversation)),
            what="the visitor's customer",
        )
        cases = await cases_of(client, case_url, trainee, customer["id"])
        async with visitor_socket(chat, conversation["token"]) as socket:
            held = await client.post(
                f"{case_url}/v1/cases/{cases[0]['id']}/replies",
                json={"text": "マイページから返品を申請できます。"},
                headers={**trainee, "Idempotency-Key": "trainee-1"},
            )
            assert held.json()["status"] == "awaiting_approval", held.text
            with pytest.raises(TimeoutError):
                await receive(socket, "agent_message", timeout=3)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await sign_in(page, stack, CHANNEL_TENANT, "sam", role="supervisor")
            await page.get_by_label("View").select_option("customers")
            await open_customer(page, "返品の方法を教えてください")
            waiting = page.locator("#timeline li", has_text="マイページから返品を申請できます")
            await expect(waiting.locator("[data-status]")).to_have_attribute(
                "data-status", "awaiting_approval", timeout=10 * SECONDS
            )
            await waiting.get_by_role("button", name="Approve").click()
            await expect(page.get_by_text("Approved: the reply is being sent.")).to_be_visible()
            answer = await receive(socket, "agent_message", timeout=30)
            assert answer["text"] == "マイページから返品を申請できます。"
            await expect(waiting.locator("[data-status]")).to_have_attribute(
                "data-status", "sent", timeout=20 * SECONDS
            )
            await page.close()
        approvals = await client.get(f"{case_url}/v1/approvals", headers=supervisor)
        assert approvals.json() == []


async def test_a_solved_chat_asks_the_visitor_for_a_rating_and_their_answer_counts(
    stack: Stack,
) -> None:
    """The case is solved: the visitor's socket gets the survey; they answer with a
    full-width digit; the case is rated and stays solved."""
    chat, case_url = stack.url("ingest-chat"), stack.url("case")
    agent_token = token(stack, CHANNEL_TENANT, Role.AGENT, subject="aoi")
    agent = {"Authorization": f"Bearer {agent_token}"}
    async with httpx.AsyncClient(timeout=10) as client:
        conversation = await visitor_writes(client, chat, CHANNEL_TENANT, "送料はいくらですか")
        customer = await eventually(
            lambda: find_customer(client, case_url, agent_token, visitor_key(conversation)),
            what="the visitor's customer",
        )
        (case,) = await cases_of(client, case_url, agent, customer["id"])
        async with visitor_socket(chat, conversation["token"]) as socket:
            solved = await client.patch(
                f"{case_url}/v1/cases/{case['id']}",
                json={"status": "solved"},
                headers={**agent, "If-Match": f'"{case["version"]}"'},
            )
            assert solved.status_code == 200, solved.text
            survey = await receive(socket, "agent_message", timeout=30)
            assert "1（不満）〜5（満足）" in survey["text"]
            frame = {"type": "message", "client_message_id": "r1", "text": "５"}  # noqa: RUF001
            await socket.send(json.dumps(frame))

            async def rated() -> dict[str, Any] | None:
                read = await client.get(f"{case_url}/v1/cases/{case['id']}", headers=agent)
                current: dict[str, Any] = read.json()
                return current if current.get("csat") else None

            current = await eventually(rated, what="the visitor's rating")
    assert current["csat"]["score"] == 5
    assert current["status"] == "solved"
