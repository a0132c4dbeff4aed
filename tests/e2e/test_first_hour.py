"""A new user's first hour, as the README tells it: `make run`, the README's "Five
minutes" run as written (a signed message on every channel, a billing queue, the
agent taking an offer from ``GET /v1/agents/me/tasks`` and replying), Ctrl-C, `make
run` again over the same data folder, the five minutes again, and new work is routed
(the in-memory broker started over, the router's saved offsets did not).

Only the ports and the data folder are this test's own, given the way a user would
(``CONTACTCENTER_*`` and ``CC_DATA_DIR``), so it runs beside anything else."""

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

from contactcenter_cli.demo_channels import CUSTOMER_EMAIL, CUSTOMER_PHONE
from contactcenter_cli.processes import free_port_block, free_ports
from contactcenter_cli.send import DEFAULT_SENDERS

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
    "email": (f"email:{CUSTOMER_EMAIL}", "email", "message"),
}
"""Which customer (by identity) a channel's default sender is, and the entry it makes."""

REPLY = "ご不便をおかけしております。すぐに確認いたします。"


class MakeRun:
    """`make run` in its own process group, as in a terminal, with its output."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["make", "run"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output: list[str] = []
        assert self.process.stdout is not None
        started = time.monotonic()
        for line in self.process.stdout:
            self.output.append(line)
            if "Press Ctrl-C to stop." in line:
                return
            if time.monotonic() - started > 180:
                break
        self.stop()
        pytest.fail(self.text)

    @property
    def text(self) -> str:
        return "".join(self.output)

    def ctrl_c(self) -> None:
        """What Ctrl-C in the terminal does: SIGINT to make and everything it runs."""
        os.killpg(self.process.pid, signal.SIGINT)
        rest, _ = self.process.communicate(timeout=90)
        self.output.append(rest)
        assert "Stopped." in self.text, self.text

    def stop(self) -> None:
        """Ctrl-C, so the stack's processes stop with it; SIGKILL only if it hangs."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def test_make_run_twice_with_every_channel_and_the_readme_as_written(tmp_path: Path) -> None:
    kafka, mongo, smtp, sink, providers = free_ports(5)
    base = free_port_block(5)
    env = {
        **os.environ,
        "CC_DATA_DIR": str(tmp_path),
        "CONTACTCENTER_KAFKA_PORT": str(kafka),
        "CONTACTCENTER_MONGO_PORT": str(mongo),
        "CONTACTCENTER_BASE_PORT": str(base),
        "CONTACTCENTER_SMTP_PORT": str(smtp),
        "CONTACTCENTER_MAIL_SINK_PORT": str(sink),
        "CONTACTCENTER_PROVIDER_SINK_PORT": str(providers),
    }
    case = f"http://127.0.0.1:{base + 4}"
    as_ana = {"Authorization": f"Bearer {cli(env, 'token', '--role', 'agent', '--subject', 'ana')}"}
    as_supervisor = {"Authorization": f"Bearer {cli(env, 'token', '--role', 'supervisor')}"}

    first = MakeRun(env)
    try:
        assert "Customer Hanako Yamada" in first.text
        up_line = next(line for line in first.output if line.startswith("Up in"))
        assert float(up_line.split()[2].rstrip("s.")) < 60
        for name in ("ingest-chat", "ingest-email", "ingest-voice", "router", "case"):
            assert f"{name:<13} http://127.0.0.1:" in first.text
        assert "LINE channel secret" in first.text
        run_readme_tour(env, base)
        with httpx.Client(timeout=15) as client:
            for identity, entry_channel, kind in WHERE_EACH_CHANNEL_LANDS.values():
                wait_for_entry(client, case, as_supervisor, identity, entry_channel, kind)
            # The billing keyword chose the billing queue for the LINE newcomer.
            billing = "line_user_id:U00000000000000000000000000000001"
            wait_for_entry(client, case, as_supervisor, billing, "line", "task.", "billing")
            # Mail is assigned on the spot; the chat she accepted herself, and answered.
            work = client.get(f"{case}/v1/agents/me/tasks", headers=as_ana).json()
            [accepted] = [
                t for t in work["tasks"] if t["state"] == "accepted" and t["channel"] != "email"
            ]
            assert accepted["offer_expires_at"] is None
            assert replies_on(client, case, as_ana, accepted["case_id"]) == [REPLY]
        first.ctrl_c()
    finally:
        first.stop()

    second = MakeRun(env)
    try:
        run_readme_tour(env, base)
        with httpx.Client(timeout=15) as client:
            newcomer = "U" + "f" * 32
            sent = cli(env, "send", "line", "--from", newcomer, "--text", "second run")
            assert " -> 200 " in sent, sent
            # Routed: a task entry (queued or offered) on the newcomer's timeline.
            wait_for_entry(client, case, as_supervisor, f"line_user_id:{newcomer}", "line", "task.")
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


def cli(env: dict[str, str], *args: str) -> str:
    if args[0] == "token":
        args = (*args, "--tenant", "demo")
    done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def run_readme_tour(env: dict[str, str], base: int) -> None:
    """The README's "Five minutes" block, as written but for the two base URLs."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("## Five minutes", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    first, rest = block.split("\n", 1)
    assert first == "CASE=http://localhost:8005; ROUTER=http://localhost:8004", first
    script = f"CASE=http://127.0.0.1:{base + 4}; ROUTER=http://127.0.0.1:{base + 3}\n{rest}"
    tour = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert tour.returncode == 0, tour.stdout[-3000:] + tour.stderr


def eventually(probe: Callable[[], T | None], *, what: str, timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def wait_for_entry(
    client: httpx.Client,
    case: str,
    headers: dict[str, str],
    identity: str,
    channel: str,
    kind: str,
    in_summary: str = "",
) -> None:
    eventually(
        lambda: has_entry(client, case, headers, identity, channel, kind, in_summary),
        what=f"a {channel} {kind} entry on the timeline of {identity}",
    )


def has_entry(
    client: httpx.Client,
    case: str,
    headers: dict[str, str],
    identity: str,
    channel: str,
    kind: str,
    in_summary: str,
) -> bool:
    found = client.get(f"{case}/v1/customers", params={"identity": identity}, headers=headers)
    if found.status_code != 200 or not found.json():
        return False
    customer = found.json()[0]["id"]
    page = client.get(
        f"{case}/v1/customers/{customer}/timeline", params={"limit": 100}, headers=headers
    ).json()
    return any(
        e["channel"] == channel
        and (e["kind"] == kind or e["kind"].startswith(kind))
        and in_summary in (e.get("summary") or "")
        for e in page["items"]
    )


def replies_on(client: httpx.Client, case: str, headers: dict[str, str], case_id: str) -> list[str]:
    entries = client.get(
        f"{case}/v1/cases/{case_id}/timeline", params={"kind": "message"}, headers=headers
    ).json()["items"]
    return [e["reply"]["content"]["text"] for e in entries if e.get("reply")]


def state_of(client: httpx.Client, case: str, headers: dict[str, str], task_id: str) -> str:
    work = client.get(f"{case}/v1/agents/me/tasks", headers=headers).json()
    return next((t["state"] for t in work["tasks"] if t["task_id"] == task_id), "gone")


def _port_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0
