"""Text decoding of untrusted files: byte-order marks, declared charsets, Vietnamese code pages."""

from __future__ import annotations

import codecs

__all__ = ["BOMS", "decode_head", "decode_text"]

BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def decode_head(head: bytes) -> str | None:
    """Decode the first bytes of a text file, or None when it looks binary.

    >>> decode_head("Mã xã;Tên".encode("utf-8")[:-1] + b"\\xe1")
    'Mã xã;Tê'
    >>> decode_head(b"\\x00\\x01\\x02") is None
    True
    """
    for bom, enc in BOMS:
        if head.startswith(bom):
            return head.decode(enc, errors="replace")
    if b"\x00" in head:
        return None
    # A cut multi-byte character at the end of the sample is not binary.
    for enc in ("utf-8", "cp1258", "cp1252"):
        try:
            text = head.decode(enc)
            break
        except UnicodeDecodeError as exc:
            if enc == "utf-8" and exc.start >= len(head) - 3:
                text = head[: exc.start].decode("utf-8")
                break
    else:
        return None
    control = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\r\n\f")
    if control > len(text[:4096]) * 0.02:
        return None
    return text


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode a text file: BOM, declared charset, UTF-8, then Vietnamese/Western code pages.

    >>> decode_text("Trà Mai".encode("cp1258"))
    'Trà Mai'
    """
    for bom, enc in BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    encodings = [declared] if declared else []
    encodings += ["utf-8", "cp1258", "cp1252"]
    for enc in encodings:
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("cp1252", errors="replace")
