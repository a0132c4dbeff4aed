"""Decoding declared charsets the way mail clients do (pure).

Mail labels are often narrower than what the sender's client really wrote:
"Shift_JIS" mail carries Windows-31J (cp932) characters such as ① and ㈱, and
"ISO-2022-JP" mail carries the same NEC and IBM extensions (CP50220). Decoding by
the label alone turns those into errors, so labels map to the superset clients use.
"""

from __future__ import annotations

import codecs

_SUPERSETS = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "euc-jp": "euc_jis_2004",
    "x-euc-jp": "euc_jis_2004",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "iso-8859-8-i": "iso-8859-8",
    "unicode-1-1-utf-7": "utf-7",
}
_ISO2022JP = {"iso-2022-jp", "iso2022jp", "iso-2022-jp-ms", "cp50220", "cp50221", "csiso2022jp"}
_ESC = 0x1B
_SINGLE_BYTE = {
    *(f"iso8859-{n}" for n in range(1, 17)),
    *(f"cp125{n}" for n in range(9)),
    "latin-1",
    "koi8-r",
    "koi8-u",
}


def _is_utf8(payload: bytes) -> bool:
    """Valid UTF-8 with at least one multi-byte sequence (pure ASCII says nothing)."""
    if payload.isascii():
        return False
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_text(payload: bytes, charset: str | None, defects: list[str]) -> str:
    """Decode ``payload`` labelled ``charset``; unreadable bytes become U+FFFD and a defect."""
    label = (charset or "utf-8").strip().strip('"').lower()
    if label in _ISO2022JP:
        return _decode_iso2022jp(payload, defects)
    codec = _SUPERSETS.get(label, label)
    try:
        codecs.lookup(codec)
    except LookupError:
        defects.append(f"unknown charset {label!r}")
        return decode_undeclared(payload, defects)
    if codecs.lookup(codec).name in _SINGLE_BYTE and _is_utf8(payload):
        # Mislabelled UTF-8 is the most common charset lie, and single-byte
        # codecs never fail, so it has to be checked first.
        return payload.decode("utf-8")
    try:
        return payload.decode(codec)
    except UnicodeDecodeError:
        if codec != "utf-8":
            try:
                # Mislabelled UTF-8 is the most common charset lie.
                return payload.decode("utf-8")
            except UnicodeDecodeError:
                pass
        defects.append(f"bytes not valid in charset {label!r}")
        return payload.decode(codec, "replace")


def decode_undeclared(payload: bytes, defects: list[str]) -> str:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        defects.append("undeclared bytes decoded as windows-1252")
        return payload.decode("cp1252", "replace")


def _decode_iso2022jp(payload: bytes, defects: list[str]) -> str:
    try:
        return payload.decode("iso2022_jp")
    except UnicodeDecodeError:
        pass
    sjis = _iso2022jp_to_sjis(payload)
    text = sjis.decode("cp932", "replace")
    if "\ufffd" in text:
        defects.append("bytes not valid in charset 'iso-2022-jp'")
    return text


def _iso2022jp_to_sjis(payload: bytes) -> bytes:
    """Transcode ISO-2022-JP (with its CP50220 extensions) to Shift_JIS bytes.

    JIS X 0208 rows map arithmetically onto Shift_JIS, and cp932 then reads the
    NEC/IBM extension rows that the strict codec refuses.
    """
    out = bytearray()
    mode = "ascii"
    i = 0
    n = len(payload)
    while i < n:
        byte = payload[i]
        if byte == _ESC and i + 2 < n:
            seq = payload[i + 1 : i + 3]
            if seq in (b"$B", b"$@"):
                mode, i = "jis", i + 3
                continue
            if seq in (b"(B", b"(J"):
                mode, i = "ascii", i + 3
                continue
            if seq == b"(I":
                mode, i = "kana", i + 3
                continue
        if byte in (0x0A, 0x0D):
            out.append(byte)
            i += 1
            continue
        if mode == "jis" and i + 1 < n:
            out += _jis_pair_to_sjis(byte, payload[i + 1])
            i += 2
        elif mode == "kana":
            out.append(byte | 0x80)
            i += 1
        else:
            out.append(byte)
            i += 1
    return bytes(out)


def _jis_pair_to_sjis(first: int, second: int) -> bytes:
    if not (0x21 <= first <= 0x7E and 0x21 <= second <= 0x7E):
        return b"?"
    lead = ((first + 1) >> 1) + (0x70 if first <= 0x5E else 0xB0)
    odd_row = first % 2 == 1
    trail = second + (0x1F if second <= 0x5F else 0x20) if odd_row else second + 0x7E
    return bytes((lead, trail))
