"""The agent desk in a real browser (Debian's Chromium, driven by Playwright) against the
real stack: an agent signs in, goes available, a visitor's web-chat message arrives as
an offer, the agent accepts, opens the customer's timeline and replies, and the
visitor's socket receives the reply; customers' markup shows as text; the desk's pages
carry their security headers; English and Japanese. Screenshots of each screen go to
``docs/screenshots/`` (shown in the README)."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

from cc_common.auth import Role
from contactcenter_cli.bench_case import top_up_timeline
from contactcenter_cli.stack import Stack
from contactcenter_cli.webchat_client import visitor_socket
from tests.e2e.conftest import configure_routing, token
from tests.e2e.helpers import eventually, find_customer, visitor_key
from tests.e2e.test_webchat_live import receive

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SECONDS = 1000  # Playwright counts milliseconds
HISTORY = 5000


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
    client: httpx.AsyncClient, chat: str, tenant: str, text: str
) -> dict[str, Any]:
    """A new web-chat visitor of ``tenant`` sends ``text``; their conversation."""
    started = await client.post(
        f"{chat}/v1/webchat/conversations",
        json={"tenant_id": tenant, "email": f"v{uuid.uuid4().hex[:8]}@example.com"},
    )
    conversation: dict[str, Any] = started.json()
    sent = await client.post(
        f"{chat}/v1/webchat/messages",
        json={"client_message_id": "1", "text": text},
        headers={"Authorization": f"Bearer {conversation['token']}"},
    )
    assert sent.status_code == 202, sent.text
    return conversation


def case_id_of(value: str | None) -> str:
    assert value, "the task in hand names its case"
    return value


async def colleague_sets_priority(stack: Stack, tenant: str, case_id: str, priority: str) -> None:
    """Another agent changes the case through the API, with the ETag they read."""
    colleague = {"Authorization": f"Bearer {token(stack, tenant, Role.AGENT, subject='ken')}"}
    async with httpx.AsyncClient(base_url=stack.url("case"), timeout=10) as client:
        read = await client.get(f"/v1/cases/{case_id}", headers=colleague)
        edited = await client.patch(
            f"/v1/cases/{case_id}",
            json={"priority": priority},
            headers={**colleague, "If-Match": read.headers["etag"]},
        )
        assert edited.status_code == 200, edited.text


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
    )
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
        await offer.get_by_role("button", name="Accept").click()

        in_hand = page.locator("#in-hand li[data-task]")
        await expect(in_hand).to_have_count(1, timeout=20 * SECONDS)
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
        assert await page.locator("#timeline b").count() == 0

        # Typing both ways, and a new message shown without a reload.
        typing = page.locator("#customer-typing")
        for _ in range(10):  # the desk's stream may start after the first signal
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
        reply_box = page.get_by_label("Reply")
        await reply_box.fill("Thank you, I am checking your invoice now.")
        agent_typing = await receive(socket, "typing", timeout=10)
        assert agent_typing["party"] == "agent"
        assert agent_typing["active"] is True
        await page.get_by_role("button", name="Send").click()
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
        await colleague_sets_priority(
            stack, tenant, case_id_of(await in_hand.get_attribute("data-case")), "high"
        )
        await page.get_by_label("Priority").select_option("urgent")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_text("A colleague changed this case first")).to_be_visible()
        await expect(page.get_by_label("Priority")).to_have_value("high")
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
    await expect(board.locator("[data-kpi='answered']")).to_have_text("1", timeout=20 * SECONDS)
    emi = board.locator(f"#agents tr[data-agent='{agent}']")
    await expect(emi.locator("[data-field='presence']")).to_have_text("Available")
    await expect(emi.locator("[data-field='workInHand']")).to_contain_text("chat 1/")
    await board.get_by_role("button", name="Show").click()  # the chart per day, redrawn
    today = board.locator("#kpi-chart tbody tr").last
    await expect(today.locator("td").first).to_have_text("1", timeout=10 * SECONDS)
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
    customer in the desk's customer view, sees the merge and undoes it."""
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
    await page.close()
