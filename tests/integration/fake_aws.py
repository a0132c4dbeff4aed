"""A stand-in for AWS's side of SNS: a locally generated signing certificate served over
HTTP, messages signed with it as SNS documents, and subscription confirmations recorded."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from contactcenter_cli.processes import free_port
from ingest_email.domain.sns import parse_sns


class FakeAws:
    """Serves the signing certificate and records subscription confirmations."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)
        self.confirmations: list[str] = []
        self.certificate_fetches = 0
        aws = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.endswith(".pem"):
                    aws.certificate_fetches += 1
                    body = aws.pem
                else:
                    aws.confirmations.append(self.path)
                    body = b"<ConfirmSubscriptionResponse/>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sign(self, fields: dict[str, str], *, version: str = "2") -> dict[str, str]:
        document = {
            **fields,
            "SignatureVersion": version,
            "SigningCertURL": f"{self.base}/SimpleNotificationService-test.pem",
            "Signature": "",
        }
        # SignatureVersion 1 is SHA1 by the provider's definition.
        digest = hashes.SHA256() if version == "2" else hashes.SHA1()  # noqa: S303
        signed = parse_sns(json.dumps(document).encode()).string_to_sign()
        signature = self.key.sign(signed, padding.PKCS1v15(), digest)
        document["Signature"] = base64.b64encode(signature).decode()
        return document
