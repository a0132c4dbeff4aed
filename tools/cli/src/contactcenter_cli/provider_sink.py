"""A local stand-in for the messaging providers' send APIs, for the embedded stack.

Under ``contactcenter up`` the demo tenant's LINE, Meta (Messenger, WhatsApp),
Telegram and Twilio accounts point their API base URLs here, so an agent's reply on
those channels is "sent" without the internet: each request is saved as a JSON file
(method, path, body; authorization headers left out) and answered the way the
provider answers a successful send, with a fresh message id.
Run: ``python -m contactcenter_cli.provider_sink --port 1026 --dir ./provider-outbox``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import signal
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

_TELEGRAM = re.compile(r"^/bot[^/]+/(\w+)$")


def provider_answer(path: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(provider, the answer it gives to a successful send) for a request path."""
    if path.startswith("/v2/bot/"):
        return "line", {"sentMessages": [{"id": str(uuid.uuid4().int)[:18]}]}
    if path.endswith("/Messages.json"):
        return "twilio", {"sid": f"SM{uuid.uuid4().hex}", "status": "queued"}
    if path.endswith("/Calls.json"):
        return "twilio", {"sid": f"CA{uuid.uuid4().hex}", "status": "queued"}
    if _TELEGRAM.match(path):
        chat = body.get("chat_id")
        message = {"message_id": int(time.time() * 1000) % 2**31, "date": int(time.time())}
        return "telegram", {"ok": True, "result": {**message, "chat": {"id": chat}}}
    if body.get("messaging_product") == "whatsapp":
        return "whatsapp", {
            "messaging_product": "whatsapp",
            "messages": [{"id": f"wamid.{uuid.uuid4().hex}"}],
        }
    recipient = body.get("recipient") or {}
    return "meta", {"recipient_id": recipient.get("id"), "message_id": f"m_{uuid.uuid4().hex}"}


def _handler(folder: Path) -> type[BaseHTTPRequestHandler]:
    counter = itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            # Profiles and media: the stand-in has none.
            self._answer(404, {"message": "not found"})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body: dict[str, Any]
            if self.headers.get("Content-Type", "").startswith("application/x-www-form"):
                body = dict(parse_qsl(raw.decode()))
            else:
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"raw": raw.decode(errors="replace")}
            provider, answer = provider_answer(self.path, body)
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{next(counter):05d}-{provider}.json"
            saved = {"method": "POST", "path": self.path, "body": body, "answer": answer}
            (folder / name).write_text(json.dumps(saved, ensure_ascii=False, indent=2))
            print(f"provider-sink: {provider} {self.path} file={name}", flush=True)
            self._answer(200, answer)

        def _answer(self, status: int, answer: dict[str, Any]) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1026)
    parser.add_argument("--dir", type=Path, default=Path("provider-outbox"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer((args.host, args.port), _handler(args.dir))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"provider-sink: listening on {args.host}:{args.port}, saving to {args.dir}")
    stop.wait()
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
