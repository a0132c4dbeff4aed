"""Multipart mail whose boundary the strict parser cannot use (pure).

Real senders write ``boundary=abc=def`` unquoted (``=`` is not allowed in a
token), leave the parameter out, or name one that never occurs. The standard
parser then keeps the whole body as one opaque payload, which would reach the
timeline as an attachment called ``multipart/mixed`` and no text. We re-read
the header leniently and, failing that, the body's own delimiter lines; when
no boundary works the body is read as text, which is what a person sees.
"""

from __future__ import annotations

import re

_CONTENT_TYPE = re.compile(rb"^content-type[ \t]*:", re.IGNORECASE)
_LENIENT_BOUNDARY = re.compile(rb'boundary[ \t]*=[ \t]*(?:"([^"\r\n]+)"|([^;\s]+))', re.IGNORECASE)
_SUBTYPE = re.compile(rb"multipart/([a-z0-9.+-]+)", re.IGNORECASE)
_CHARSET = re.compile(rb'charset[ \t]*=[ \t]*"?([a-z0-9_.:-]+)', re.IGNORECASE)
_DELIMITER_LINE = re.compile(rb"^--([0-9A-Za-z'()+_,./:=?-]{1,70}?)(--)?[ \t]*\r?$", re.MULTILINE)


def boundary_candidates(raw: bytes) -> list[bytes]:
    """Boundaries worth trying, best first: the header's (read leniently), then the body's."""
    head, _, body = _split(raw)
    found: list[bytes] = []
    content_type = _content_type(head)
    if content_type is not None:
        match = _LENIENT_BOUNDARY.search(content_type)
        if match:
            found.append((match.group(1) or match.group(2)).strip())
    # A delimiter line that occurs at least twice (an opening and a closing).
    seen: dict[bytes, int] = {}
    for match in _DELIMITER_LINE.finditer(body):
        seen[match.group(1)] = seen.get(match.group(1), 0) + 1
    found.extend(b for b, count in seen.items() if count >= 2)
    return [b for b in dict.fromkeys(found) if b"\n--" + b in b"\n" + body]


def with_boundary(raw: bytes, boundary: bytes) -> bytes:
    """``raw`` with its Content-Type rewritten to quote ``boundary`` (other params dropped)."""
    head, separator, body = _split(raw)
    content_type = _content_type(head) or b""
    subtype = _SUBTYPE.search(content_type)
    value = b"multipart/" + (subtype.group(1) if subtype else b"mixed")
    header = b"Content-Type: " + value + b'; boundary="' + boundary.replace(b'"', b"") + b'"'
    return _replace_content_type(head, header) + separator + body


def as_text(raw: bytes) -> bytes:
    """``raw`` with its Content-Type rewritten to text/plain, keeping a declared charset."""
    head, separator, body = _split(raw)
    charset = _CHARSET.search(_content_type(head) or b"")
    header = b"Content-Type: text/plain; charset=" + (charset.group(1) if charset else b"utf-8")
    return _replace_content_type(head, header) + separator + body


def _split(raw: bytes) -> tuple[bytes, bytes, bytes]:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = raw.partition(separator)
        if found:
            return head, found, body
    return raw, b"", b""


def _header_blocks(head: bytes) -> list[list[bytes]]:
    """The head's lines grouped per header (a header and its continuation lines)."""
    blocks: list[list[bytes]] = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def _content_type(head: bytes) -> bytes | None:
    for block in _header_blocks(head):
        if _CONTENT_TYPE.match(block[0]):
            unfolded = b" ".join(line.strip() for line in block)
            return unfolded.split(b":", 1)[1]
    return None


def _replace_content_type(head: bytes, header: bytes) -> bytes:
    """``head`` with its Content-Type header (first one, unfolded) replaced by ``header``."""
    carriage = b"\r" if b"\r\n" in head else b""
    blocks = _header_blocks(head)
    kept = [block for block in blocks if not _CONTENT_TYPE.match(block[0])]
    lines = [header + carriage] + [line for block in kept for line in block]
    if carriage and lines[-1].endswith(b"\r"):
        lines[-1] = lines[-1][:-1]  # the separator after the head brings its own
    return b"\n".join(lines)
