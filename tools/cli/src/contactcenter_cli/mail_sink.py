"""A local SMTP sink for the embedded stack: every reply the system sends lands here.

Each message is saved as an ``.eml`` file (open it in any mail client) and
logged with its recipients and subject, so a newcomer can see what was sent.
Run: ``python -m contactcenter_cli.mail_sink --port 1025 --dir ./outbox``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import time
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session


class SavingHandler:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._counter = itertools.count(1)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{next(self._counter):05d}.eml"
        (self._folder / name).write_bytes(data)
        subject = message_from_bytes(data, policy=policy.default).get("subject", "")
        print(f"mail-sink: to={','.join(envelope.rcpt_tos)} subject={subject!r} file={name}")
        return "250 2.0.0 Saved"


async def serve(host: str, port: int, folder: Path) -> None:
    handler = SavingHandler(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="mail-sink"), host, port)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"mail-sink: listening on {host}:{port}, saving to {folder}")
    await stop.wait()
    server.close()
    await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=Path("outbox"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.host, args.port, args.dir))


if __name__ == "__main__":
    main()
