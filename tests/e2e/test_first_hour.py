"""A new user's first hour, as the README tells it: `make run` (``contactcenter up
--demo``), one signed message on every channel with ``contactcenter send``, the
README's "Five minutes" run as written (a billing queue, the agent taking an offer
from ``GET /v1/agents/me/tasks`` and replying), Ctrl-C, `make run` again over the
same data folder, and new work is routed again (the in-memory broker started over)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from contactcenter_cli.demo_channels import CUSTOMER_PHONE
from contactcenter_cli.processes import free_port_block, free_ports
from contactcenter_cli.send import CHANNELS, DEFAULT_SENDERS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLI = [sys.executable, "-m", "contactcenter_cli.main"]
REPO = Path(__file__).resolve().parents[2]
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
            if time.monotonic() - started > 150:
                break
        self.stop()
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

    def stop(self) -> None:
        """Ctrl-C, so the stack's processes stop with it; SIGKILL only if it hangs."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
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
    stack_env = {
        "CC_DATA_DIR": str(tmp_path),
        "CONTACTCENTER_KAFKA_PORT": str(kafka),
        "CONTACTCENTER_MONGO_PORT": str(mongo),
        "CONTACTCENTER_BASE_PORT": str(base),
        "CONTACTCENTER_SMTP_PORT": str(smtp),
        "CONTACTCENTER_MAIL_SINK_PORT": str(sink),
        "CONTACTCENTER_PROVIDER_SINK_PORT": str(providers),
    }
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
            # The README's five minutes, as written (only the ports are this test's).
            tour = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", readme_tour(base)],
                cwd=REPO,
                env={**os.environ, **stack_env},
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert tour.returncode == 0, tour.stdout + tour.stderr
            work = client.get(f"{case}/v1/agents/me/tasks", headers=as_ana).json()
            # Mail offers are accepted on the spot; the chat one she accepted herself.
            [accepted] = [
                t for t in work["tasks"] if t["state"] == "accepted" and t["channel"] != "email"
            ]
            assert accepted["offer_expires_at"] is None
            entries = client.get(
                f"{case}/v1/cases/{accepted['case_id']}/timeline",
                params={"kind": "message"},
                headers=as_ana,
            ).json()["items"]
            replies = [e for e in entries if e.get("reply")]
            assert [r["reply"]["content"]["text"] for r in replies] == [
                "ご不便をおかけしております。すぐに確認いたします。"
            ], entries
            identity = "line_user_id:U00000000000000000000000000000001"
            wait_for_entry(client, case, as_supervisor, identity, "line", "task.")
            queues = client.get(f"{case}/v1/queues", headers=as_supervisor).json()
            assert "billing" in {q["queue"] for q in queues}
        first.ctrl_c()
    finally:
        first.stop()

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
            assert state_of(client, case, as_ana, accepted["task_id"]) == "accepted"
            queues = client.get(f"{case}/v1/queues", headers=as_supervisor).json()
            assert {"messaging", "email", "voice", "billing"} <= {q["queue"] for q in queues}
        router_log = (tmp_path / "logs" / "router.log").read_text()
        assert "router.log_replaced" in router_log
        second.ctrl_c()
    finally:
        second.stop()
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


def readme_tour(base: int) -> str:
    """The README's "Five minutes" commands, pointed at this test's ports."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("## Five minutes", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    first, rest = block.split("\n", 1)
    assert first == "CASE=http://localhost:8005; ROUTER=http://localhost:8004", first
    return f"CASE=http://127.0.0.1:{base + 4}; ROUTER=http://127.0.0.1:{base + 3}\n{rest}"


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


def state_of(client: httpx.Client, case: str, headers: dict[str, str], task_id: str) -> str:
    work = client.get(f"{case}/v1/agents/me/tasks", headers=headers).json()
    return next((t["state"] for t in work["tasks"] if t["task_id"] == task_id), "gone")
