"""Child processes of the embedded stack: start, wait until they answer, stop."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx


class StartupFailed(RuntimeError):
    """A process exited or did not answer in time."""


@dataclass
class ManagedProcess:
    """One child process whose output goes to a log file."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process (in its own process group, so Ctrl-C reaches us first)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            list(self.argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            start_new_session=True,
        )
        log.close()

    @property
    def pid(self) -> int:
        """The child's pid."""
        if self.process is None:
            raise StartupFailed(f"{self.name} is not started")
        return self.process.pid

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, wait for a clean exit, SIGKILL if it does not come."""
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: the crash the delivery rules must survive."""
        if self.alive():
            assert self.process is not None
            self.process.kill()
            self.process.wait(10)

    def log_tail(self, lines: int = 20) -> str:
        """The end of the process's log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


PORTS_LOW, PORTS_HIGH = 20_000, 32_000
"""Where test and benchmark stacks take their ports: below Linux's ephemeral range
(32768-60999), from which outgoing connections take theirs. A port the kernel hands
out for ``bind(0)`` lies inside it, so between choosing it and the server binding it a
client connection could take it (seen once in CI: "address already in use")."""


def free_port() -> int:
    """A TCP port nobody listens on right now (outside the ephemeral range)."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports (held open together while chosen, so none repeats)."""
    held: list[socket.socket] = []
    try:
        for _ in range(count * 50):
            if len(held) == count:
                break
            sock = socket.socket()
            try:
                sock.bind(("127.0.0.1", random.randrange(PORTS_LOW, PORTS_HIGH)))
            except OSError:
                sock.close()
                continue
            held.append(sock)
        if len(held) < count:
            raise RuntimeError(f"no {count} free ports found")
        return [int(sock.getsockname()[1]) for sock in held]
    finally:
        for sock in held:
            sock.close()


def free_port_block(count: int, *, low: int = PORTS_LOW, high: int = PORTS_HIGH) -> int:
    """The first of ``count`` consecutive free ports (for a stack's services)."""
    for _ in range(50):
        base = random.randrange(low, high - count)
        if all(_is_free(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no block of {count} free ports found")


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for_port(proc: ManagedProcess, port: int, timeout: float) -> None:
    """Wait until ``port`` accepts connections, or fail with the process's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise StartupFailed(f"{proc.name} exited:\n{proc.log_tail()}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise StartupFailed(f"{proc.name} did not listen on {port} in {timeout}s:\n{proc.log_tail()}")


def wait_for_ready(proc: ManagedProcess, url: str, timeout: float) -> None:
    """Wait until ``url`` (a /readyz) answers 200, or fail with the process's log."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not proc.alive():
            raise StartupFailed(f"{proc.name} exited:\n{proc.log_tail()}")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise StartupFailed(f"{proc.name} not ready in {timeout}s ({last}):\n{proc.log_tail()}")


def resident_mib(pid: int) -> float | None:
    """The process's resident memory in MiB (Linux ``/proc``; None where unavailable)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user and system) the process has used so far (Linux ``/proc``)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def require_wrk() -> str:
    """wrk's path; stops with how to install it (checked before a stack is started)."""
    import shutil

    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit(
            "This benchmark drives HTTP load with wrk, which is not installed: "
            "apt-get install wrk (Debian, Ubuntu) or brew install wrk (macOS)."
        )
    return wrk
