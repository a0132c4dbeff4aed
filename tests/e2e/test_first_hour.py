"""A new user's first hour, as the README tells it: `make run` (``contactcenter up
--demo``), one signed message on every channel with ``contactcenter send``, the agent
takes an offer from ``GET /v1/agents/me/tasks``, Ctrl-C, `make run` again over the
same data folder, and new work is routed again (the in-memory broker started over)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from contactcenter_cli.demo_channels import CUSTOMER_PHONE
from contactcenter_cli.processes import free_port_block, free_ports
from contactcenter_cli.send import CHANNELS, DEFAULT_SENDERS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLI = [sys.executable, "-m", "contactcenter_cli.main"]
T = TypeVar("T")

WHERE_EACH_CHANNEL_LANDS = {
    "line": ("line_user_id:" + DEFAULT_SENDERS["line"], "line", "message"),
    "messenger": ("messenger_psid:" + DEFAULT_SENDERS["messenger"], "messenger", "message"),
    "telegram": ("telegram_user_id:" + DEFAULT_SENDERS["telegram"], "telegram", "message"),
    "whatsapp": (f"phone:{CUSTOMER_PHONE}", "whatsapp", "message"),
    "sms": (f"phone:{CUSTOMER_PHONE}", "sms", "message"),
    "twilio-call": (f"phone:{CUSTOMER_PHONE}", "voice", "call"),
    "email": ("email:hanako.yamada@example.jp", "email", "message"),
}
"""Which customer (by identity) a channel's default sender is, and the entry it makes."""


class Running:
    """One ``contactcenter up --demo`` process and the output it printed."""

    def __init__(self, options: list[str]) -> None:
        self.options = options
        self.process = subprocess.Popen(
            [*CLI, "up", "--demo", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        assert self.process.stdout is not None
        started = time.monotonic()
        for line in self.process.stdout:
            self.output.append(line)
            if "Press Ctrl-C to stop." in line:
                return
            assert time.monotonic() - started < 150, self.text
        pytest.fail(self.text)

    @property
    def text(self) -> str:
        return "".join(self.output)

    def ctrl_c(self) -> None:
        self.process.send_signal(signal.SIGINT)
        rest, _ = self.process.communicate(timeout=60)
        self.output.append(rest)
        assert self.process.returncode == 0, self.text
        assert "Stopped." in self.text

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def cli(*args: str) -> str:
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def eventually(probe: Callable[[], T | None], *, what: str, timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def test_make_run_twice_with_every_channel_and_an_agent_taking_an_offer(tmp_path: Path) -> None:
    kafka, mongo, smtp, sink, providers = free_ports(5)
    base = free_port_block(5)
    stack = [
        "--data-dir",
        str(tmp_path),
        "--kafka-port",
        str(kafka),
        "--mongo-port",
        str(mongo),
        "--base-port",
        str(base),
        "--smtp-port",
        str(smtp),
        "--mail-sink-port",
        str(sink),
        "--provider-sink-port",
        str(providers),
    ]
    case = f"http://127.0.0.1:{base + 4}"
    ana = cli("token", "--tenant", "demo", "--role", "agent", "--subject", "ana", *stack)
    supervisor = cli("token", "--tenant", "demo", "--role", "supervisor", *stack)
    as_ana = {"Authorization": f"Bearer {ana}"}
    as_supervisor = {"Authorization": f"Bearer {supervisor}"}

    first = Running(stack)
    try:
        assert "Customer Hanako Yamada" in first.text
        up_line = next(line for line in first.output if line.startswith("Up in"))
        assert float(up_line.split()[2].rstrip("s.")) < 60
        for name in ("ingest-chat", "ingest-email", "ingest-voice", "router", "case"):
            assert f"{name:<13} http://127.0.0.1:" in first.text
        assert "LINE channel secret" in first.text
        with httpx.Client(timeout=15) as client:
            for channel in CHANNELS:
                sent = cli("send", channel, "--text", f"first run on {channel}", *stack)
                assert " -> 200 " in sent or " -> 250 " in sent, sent
            for identity, entry_channel, kind in WHERE_EACH_CHANNEL_LANDS.values():
                wait_for_entry(client, case, as_supervisor, identity, entry_channel, kind)
            # The README's tour: ana says she is available, sees offers, takes one.
            response = client.put(
                f"{case}/v1/agents/me/presence", json={"presence": "available"}, headers=as_ana
            )
            assert response.status_code == 202, response.text
            offers = eventually(
                lambda: offered(client, case, as_ana), what="an offer listed for ana"
            )
            offer = offers[0]
            assert offer["offer_expires_in_seconds"] > 0
            assert offer["case_id"]
            assert offer["customer_id"]
            response = client.post(
                f"{case}/v1/tasks/{offer['task_id']}/actions",
                json={"action": "accept"},
                headers=as_ana,
            )
            assert response.status_code == 202, response.text
            eventually(
                lambda: state_of(client, case, as_ana, offer["task_id"]) == "accepted",
                what="the offer accepted",
            )
        first.ctrl_c()
    finally:
        first.kill()

    second = Running(stack)
    try:
        with httpx.Client(timeout=15) as client:
            newcomer = "U" + "f" * 32
            sent = cli("send", "line", "--from", newcomer, "--text", "second run", *stack)
            assert " -> 200 " in sent, sent
            # Routed: a task entry (queued or offered) on the newcomer's timeline.
            identity = f"line_user_id:{newcomer}"
            wait_for_entry(client, case, as_supervisor, identity, "line", "task.")
            # Configuration and open work survived the restart of the broker.
            assert state_of(client, case, as_ana, offer["task_id"]) == "accepted"
            queues = client.get(f"{case}/v1/queues", headers=as_supervisor).json()
            assert {"messaging", "email", "voice"} <= {q["queue"] for q in queues}
        router_log = (tmp_path / "logs" / "router.log").read_text()
        assert "router.log_replaced" in router_log
        second.ctrl_c()
    finally:
        second.kill()
    for port in (*range(base, base + 5), kafka, mongo, smtp, sink, providers):
        assert _port_closed(port), f"port {port} still open after Ctrl-C"


def _port_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_for_entry(
    client: httpx.Client,
    case: str,
    headers: dict[str, str],
    identity: str,
    channel: str,
    kind: str,
) -> None:
    eventually(
        lambda: has_entry(client, case, headers, identity, channel, kind),
        what=f"a {channel} {kind} entry on the timeline of {identity}",
    )


def has_entry(
    client: httpx.Client,
    case: str,
    headers: dict[str, str],
    identity: str,
    channel: str,
    kind: str,
) -> bool:
    found = client.get(f"{case}/v1/customers", params={"identity": identity}, headers=headers)
    if found.status_code != 200 or not found.json():
        return False
    customer = found.json()[0]["id"]
    page = client.get(
        f"{case}/v1/customers/{customer}/timeline", params={"limit": 100}, headers=headers
    ).json()
    return any(
        e["channel"] == channel and (e["kind"] == kind or e["kind"].startswith(kind))
        for e in page["items"]
    )


def offered(client: httpx.Client, case: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    work = client.get(f"{case}/v1/agents/me/tasks", headers=headers)
    if work.status_code != 200:
        return []
    return [t for t in work.json()["tasks"] if t["state"] == "offered" and t["case_id"]]


def state_of(client: httpx.Client, case: str, headers: dict[str, str], task_id: str) -> str:
    work = client.get(f"{case}/v1/agents/me/tasks", headers=headers).json()
    return next((t["state"] for t in work["tasks"] if t["task_id"] == task_id), "gone")
