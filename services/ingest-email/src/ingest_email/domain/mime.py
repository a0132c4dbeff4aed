"""MIME parsing with the standard library's modern email API (pure).

A message is read as far as it can be: broken boundaries, bad headers and
unknown charsets become ``defects`` rather than refusals. Only input with no
usable sender at all is :class:`UnreadableMessage`, and a structure built to exhaust
the parser is :class:`MessageTooComplex` (more than ``MAX_PARTS`` parts or
``MAX_MULTIPARTS`` multipart containers, counted on the raw bytes before parsing:
2,000 nested multiparts overflow the parser's recursion, 10,000 parts cost seconds).
Decoded content is never larger than its transfer encoding (base64 and
quoted-printable only shrink), so the body cap of the door bounds it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from cc_common.events import EmailAddress
from ingest_email.domain import boundaries
from ingest_email.domain import html as html_body
from ingest_email.domain.charsets import decode_text, decode_undeclared
from ingest_email.domain.forwards import is_forward
from ingest_email.domain.noise import Bounce, auto_reply_reason, bounce_of
from ingest_email.domain.quoting import split_quoted

_MSG_ID = re.compile(r"<[^<>\s]+>")
_BOUNDARY_DEFECTS = frozenset({"NoBoundaryInMultipartDefect", "StartBoundaryNotFoundDefect"})
_ADDRESS_HEADERS = frozenset({"from", "sender", "to", "cc", "reply-to"})
_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")
TEXT_LIMIT = 64 * 1024
HTML_LIMIT = 256 * 1024
"""Bodies above these are cut on the event (the raw message keeps everything)."""


MAX_PARTS = 1000
MAX_MULTIPARTS = 64
_CONTENT_TYPE = re.compile(rb"^content-type[ \t]*:", re.IGNORECASE | re.MULTILINE)
_MULTIPART = re.compile(rb"^content-type[ \t]*:[ \t]*multipart/", re.IGNORECASE | re.MULTILINE)


class UnreadableMessage(ValueError):
    """Not a mail message at all (no headers we can use)."""


class MessageTooComplex(UnreadableMessage):
    """Built past the parser's limits: refused for good, the limit named."""


def check_structure(raw: bytes) -> None:
    """Refuse a message whose MIME structure exceeds the limits, before parsing it
    (an upper bound: every part and container declares a Content-Type)."""
    if len(_CONTENT_TYPE.findall(raw)) > MAX_PARTS:
        raise MessageTooComplex(f"the message has more than {MAX_PARTS} MIME parts")
    if len(_MULTIPART.findall(raw)) > MAX_MULTIPARTS:
        raise MessageTooComplex(
            f"the message nests more than {MAX_MULTIPARTS} multipart containers"
        )


@dataclass(frozen=True, slots=True)
class MimePart:
    """An attachment or inline image, with its bytes (stored in the blob store, never sent on)."""

    filename: str | None
    content_type: str
    data: bytes
    inline: bool
    content_id: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    message_id: str
    sender: EmailAddress
    to: tuple[EmailAddress, ...]
    cc: tuple[EmailAddress, ...]
    reply_to: tuple[EmailAddress, ...]
    subject: str | None
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    text: str | None
    quoted_text: str | None
    html: str | None
    parts: tuple[MimePart, ...]
    auto_submitted: str | None
    bounce: Bounce | None
    forwarded: bool
    loop_markers: tuple[str, ...]
    defects: tuple[str, ...] = field(default=())
    content_language: str | None = None
    """The sender's ``Content-Language`` header (a hint, e.g. ``ja-JP``)."""
    authentication_results: tuple[str, ...] = ()
    """Every ``Authentication-Results`` header, topmost first (``sender_auth.py``)."""

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Ids this message answers, nearest first (In-Reply-To, then References backwards)."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids.extend(reversed(self.references))
        if self.bounce and self.bounce.original_message_id:
            ids.insert(0, self.bounce.original_message_id)
        return tuple(dict.fromkeys(ids))

    @property
    def customer_side(self) -> tuple[EmailAddress, ...]:
        """Everyone on the message (for matching replies to a thread's participants)."""
        return tuple({a.address: a for a in (self.sender, *self.to, *self.cc)}.values())


def parse_message(raw: bytes) -> ParsedEmail:
    """Extract what the timeline needs from raw RFC 5322 bytes (CPU-bound: callers
    on an event loop run it in a thread)."""
    check_structure(raw)
    repaired, defects = _drop_invalid_header_lines(raw)
    try:
        message = _parse(repaired)
    except RecursionError as exc:  # a structure check's blind spot, kept as a backstop
        raise MessageTooComplex("the message nests parts deeper than can be read") from exc
    defects.extend(_defect_name(d) for d in message.defects)
    if _broken_multipart(message):
        message = recover_multipart(repaired, defects)
    headers = _raw_headers(message, defects)
    sender = _first(_addresses(headers, "from", defects)) or _first(
        _addresses(headers, "sender", defects)
    )
    if sender is None:
        raise UnreadableMessage("the message has no usable From address")
    subject = _decoded(headers.get("subject"), defects)
    plain = _safe_body(message, ("plain",), defects)
    rich = _safe_body(message, ("html",), defects)
    text, html = _bodies(plain, rich, defects)
    forwarded = is_forward(subject, text)
    # A forward's quoted mail is its content; a reply's is history.
    split = split_quoted(text) if text and not forwarded else None
    return ParsedEmail(
        message_id=_first_id(headers.get("message-id")) or _synthetic_id(raw),
        sender=sender,
        to=_addresses(headers, "to", defects),
        cc=_addresses(headers, "cc", defects),
        reply_to=_addresses(headers, "reply-to", defects),
        subject=subject,
        date=_date(headers.get("date")),
        in_reply_to=_first_id(headers.get("in-reply-to")),
        references=tuple(_MSG_ID.findall(headers.get("references", ""))),
        text=_truncated(split.new if split else text, TEXT_LIMIT, "text", defects),
        quoted_text=_truncated(split.quoted if split else None, TEXT_LIMIT, "quoted text", defects),
        html=_truncated(html, HTML_LIMIT, "html", defects),
        parts=tuple(_attachments(message, {id(b) for b in (plain, rich) if b}, defects)),
        auto_submitted=auto_reply_reason(message, subject, text),
        bounce=bounce_of(message, sender.address),
        forwarded=forwarded,
        loop_markers=tuple(v.strip().lower() for v in message.get_all("x-loop", []) or []),
        defects=tuple(dict.fromkeys(defects)),
        content_language=_content_language(message, headers),
        authentication_results=tuple(
            _without_raw_bytes(str(v), "authentication-results", defects)
            for v in message.get_all("authentication-results", []) or []
        ),
    )


def _drop_invalid_header_lines(raw: bytes) -> tuple[bytes, list[str]]:
    """Remove lines in the header block that are neither a header nor a continuation.

    The standard parser ends the headers at the first such line and reads the rest
    (Message-ID, MIME structure) as body; dropping the stray line keeps them.
    """
    head, separator, body = _split_head(raw)
    if not separator:
        return raw, []
    lines = head.split(b"\n")
    kept = [line for line in lines if _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t")]
    if len(kept) == len(lines):
        return raw, []
    dropped = len(lines) - len(kept)
    return b"\n".join(kept) + separator + body, [f"{dropped} invalid header line(s) dropped"]


def _split_head(raw: bytes) -> tuple[bytes, bytes, bytes]:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = raw.partition(separator)
        if found:
            return head, found, body
    return raw, b"", b""


def _parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _broken_multipart(message: EmailMessage) -> bool:
    """Declared multipart, but the parser found no parts (no usable boundary)."""
    if any(type(d).__name__ in _BOUNDARY_DEFECTS for d in message.defects):
        return True
    declared = message.get_content_maintype() == "multipart"
    return declared and not isinstance(message.get_payload(), list)


def recover_multipart(raw: bytes, defects: list[str]) -> EmailMessage:
    """Re-read a multipart whose boundary failed; failing that, its body as text."""
    for boundary in boundaries.boundary_candidates(raw):
        message = _parse(boundaries.with_boundary(raw, boundary))
        if isinstance(message.get_payload(), list) and message.get_payload():
            defects.append("multipart boundary recovered leniently")
            return message
    defects.append("multipart without a usable boundary read as text")
    return _parse(boundaries.as_text(raw))


def _raw_headers(message: EmailMessage, defects: list[str]) -> dict[str, str]:
    """First value of each header, undecoded (we decode charsets ourselves).

    Raw 8-bit bytes in a header (not allowed, but sent) reach us as surrogate
    escapes; they are decoded here like an undeclared body, so that nothing
    downstream (pydantic, BSON) ever sees a lone surrogate.
    """
    found: dict[str, str] = {}
    for name, value in message.raw_items():
        found.setdefault(name.lower(), _without_raw_bytes(str(value), name.lower(), defects))
    return found


def _without_raw_bytes(value: str, name: str, defects: list[str]) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogateescape")
        try:
            return raw.decode("utf-8")  # RFC 6532: UTF-8 headers are allowed
        except UnicodeDecodeError:
            defects.append(f"raw non-UTF-8 bytes in {name}")
        if name in _ADDRESS_HEADERS:
            # A guessed charset would invent an address nobody owns: mark the
            # bytes unreadable so the address is dropped (see _valid_address).
            return raw.decode("utf-8", "replace")
        return decode_undeclared(raw, defects)
    return value


def _decoded(raw: str | None, defects: list[str]) -> str | None:
    """An RFC 2047 header value decoded with the charset supersets mail really uses."""
    if raw is None:
        return None
    try:
        chunks = decode_header(raw.replace("\r", "").replace("\n", ""))
    except ValueError:
        defects.append("malformed encoded word")
        return raw.strip()
    words: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            words.append(decode_text(chunk, charset or "utf-8", defects))
        else:
            words.append(chunk)
    return "".join(words).strip() or None


def _addresses(headers: dict[str, str], name: str, defects: list[str]) -> tuple[EmailAddress, ...]:
    raw = headers.get(name)
    if raw is None:
        return ()
    found: dict[str, EmailAddress] = {}
    for display, address in getaddresses([raw]):
        address = address.strip().lower()
        if not _valid_address(address):
            if address:
                defects.append(f"invalid address in {name} dropped")
            continue
        decoded = _decoded(display, defects) if display else None
        found.setdefault(address, EmailAddress(address=address, name=(decoded or "")[:200] or None))
    return tuple(found.values())


def _valid_address(address: str) -> bool:
    """An addr-spec we can store and answer: one @, no spaces or controls, no U+FFFD.

    Non-ASCII is allowed (RFC 6532 addresses are UTF-8); bytes that were not UTF-8
    decode with U+FFFD or as a guess, and a guessed address is not one anybody owns.
    """
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or "@" in local.strip('"'):
        return False
    if any(c.isspace() or ord(c) < 32 or c in "\ufffd<>()[],;" for c in address):
        return False
    return len(address) <= 320


def _first(addresses: tuple[EmailAddress, ...]) -> EmailAddress | None:
    return addresses[0] if addresses else None


def _first_id(value: str | None) -> str | None:
    found = _MSG_ID.findall(value or "")
    return found[0] if found else None


def _synthetic_id(raw: bytes) -> str:
    """A stable id for mail without one, so redelivery is still recognised."""
    return f"<sha256-{hashlib.sha256(raw).hexdigest()[:32]}@ingest.invalid>"


def _bodies(
    plain: EmailMessage | None, rich: EmailMessage | None, defects: list[str]
) -> tuple[str | None, str | None]:
    """(text, sanitised html): text from text/plain, else from the HTML."""
    html = html_body.sanitise(_part_text(rich, defects)) if rich is not None else None
    if plain is not None:
        text: str | None = _part_text(plain, defects).replace("\r\n", "\n").strip()
    elif rich is not None:
        text = html_body.to_text(_part_text(rich, defects))
    else:
        text = None
    return text or None, html


def _safe_body(
    message: EmailMessage, preference: tuple[str, ...], defects: list[str]
) -> EmailMessage | None:
    try:
        body = message.get_body(preferencelist=preference)
    except (KeyError, ValueError, IndexError) as exc:
        defects.append(f"unreadable structure: {exc}")
        return None
    return body if isinstance(body, EmailMessage) else None


def _part_text(part: Message, defects: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    return decode_text(payload, part.get_content_charset(), defects)


def _attachments(message: EmailMessage, bodies: set[int], defects: list[str]) -> list[MimePart]:
    """Every part that is not the chosen text or HTML body (``bodies``: their ids)."""
    parts: list[MimePart] = []
    stack: list[Message] = [message]
    while stack:
        part = stack.pop(0)
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            parts.append(_embedded_message(part))
            continue
        if part.is_multipart():
            payload = part.get_payload()
            children = payload if isinstance(payload, list) else []
            stack[0:0] = [c for c in children if isinstance(c, Message)]
            continue
        if id(part) in bodies or content_type in {"message/delivery-status"}:
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            continue
        disposition = (part.get_content_disposition() or "").lower()
        content_id = _first_id(str(part.get("content-id", "")))
        parts.append(
            MimePart(
                filename=_filename(part, defects),
                content_type=content_type,
                data=data,
                inline=disposition == "inline" or (content_id is not None and disposition == ""),
                content_id=content_id,
            )
        )
    return parts


def _embedded_message(part: Message) -> MimePart:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    data = inner.as_bytes(policy=policy.SMTP) if isinstance(inner, Message) else b""
    return MimePart(filename="message.eml", content_type="message/rfc822", data=data, inline=False)


def _filename(part: Message, defects: list[str]) -> str | None:
    try:
        name = part.get_filename()
    except (ValueError, LookupError):
        defects.append("unreadable attachment name")
        return None
    if name is None:
        return None
    # Names may still carry raw encoded words (some clients ignore RFC 2231).
    return _decoded(name, defects)


def _content_language(message: EmailMessage, headers: dict[str, str]) -> str | None:
    """Content-Language of the message, else of its chosen text part (first tag)."""
    value = headers.get("content-language")
    if value is None:
        for part in message.walk():
            if part.get_content_type() == "text/plain" and part.get("content-language"):
                value = str(part.get("content-language"))
                break
    first = (value or "").split(",")[0].strip()
    return first[:35] or None


def _date(value: str | None) -> datetime | None:
    try:
        stated = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" (RFC 5322: UTC, origin's zone unknown) parses without a zone.
    return stated.replace(tzinfo=UTC) if stated and stated.tzinfo is None else stated


def _truncated(text: str | None, limit: int, what: str, defects: list[str]) -> str | None:
    if text is None or len(text) <= limit:
        return text
    defects.append(f"{what} cut to {limit} characters (the raw message has it all)")
    return text[:limit]


def _defect_name(defect: object) -> str:
    return type(defect).__name__
