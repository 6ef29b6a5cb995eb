"""Turning the bytes of a text file into str: BOMs, UTF-8, a declared charset, then detection."""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Sequence

from charset_normalizer import from_bytes

from connectors.base import LoadError

__all__ = ["decode_bytes", "looks_binary"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# When detection is close to a tie, the encodings most files in the wild use win (Latin-1
# text reads as cp1252, its superset; short Chinese text as GB18030 rather than Korean).
_PREFERRED = ("cp1252", "gb18030", "cp932", "cp1251", "big5", "cp1250", "euc_kr")
# WHATWG: a page declaring Latin-1 or ASCII is decoded as windows-1252.
_DECLARED_ALIASES = {"iso8859_1": "cp1252", "latin_1": "cp1252", "ascii": "cp1252"}
_CHAOS_TOLERANCE = 0.1
_CONTROL_RATIO_LIMIT = 0.1
_UTF16_NUL_SHARE = 0.3  # of the high bytes: NUL in Latin-script UTF-16 text
_UTF16_STRAY_NULS = 0.01  # of the low bytes: NUL only for U+0000 or U+xx00 characters


def _bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _canonical(encoding: str) -> str | None:
    try:
        name = codecs.lookup(encoding).name.replace("-", "_")
    except LookupError:
        return None
    return _DECLARED_ALIASES.get(name, name)


def _detect(data: bytes) -> str | None:
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    close = [m for m in matches if m.chaos <= best.chaos + _CHAOS_TOLERANCE]
    for preferred in _PREFERRED:
        for match in close:
            if preferred in match.could_be_from_charset:
                try:
                    return data.decode(preferred)
                except UnicodeDecodeError:
                    break
    return str(best)


def looks_binary(text: str) -> bool:
    """True if more than a tenth of ``text`` is control characters other than whitespace."""
    sample = text[:65536]
    if not sample:
        return False
    controls = sum(
        1 for ch in sample if ch not in "\t\n\r\f\v" and unicodedata.category(ch) == "Cc"
    )
    return controls / len(sample) > _CONTROL_RATIO_LIMIT


def decode_bytes(data: bytes, source: str, *, declared: Sequence[str] = ()) -> str:
    """Decode a text file's bytes, refusing binary data.

    Order: a BOM; UTF-16 without a BOM (told by where its NUL bytes fall); the ``declared``
    encodings (e.g. an HTML meta charset) if they decode cleanly; strict UTF-8; UTF-8 with a
    few bad bytes (each becomes U+FFFD); then charset-normalizer's detection.

    Args:
        data: The whole file.
        source: The file, for error messages.
        declared: Encodings the file itself declares, tried in order.

    Returns:
        The text, without a BOM.

    Raises:
        LoadError: The data is empty, has NUL bytes (and is not UTF-16) or decodes to
            nothing sensible.
    """
    if not data:
        raise LoadError(source, "empty file, nothing to index")
    bom = _bom_encoding(data)
    if bom is not None:
        try:
            return data.decode(bom).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise LoadError(source, f"starts with a {bom} BOM but is not {bom}: {exc}") from exc
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is None:
            raise LoadError(source, "binary file (it contains NUL bytes), not text; not indexed")
        return text
    text = _decode_unmarked(data, declared)
    if text is None or looks_binary(text):
        raise LoadError(
            source,
            "binary file or unknown text encoding: it does not decode as text; "
            "convert it to UTF-8 (e.g. `iconv -f OLD -t UTF-8`) to index it",
        )
    return text


def _decode_unmarked(data: bytes, declared: Sequence[str]) -> str | None:
    for name in declared:
        encoding = _canonical(name)
        if encoding is None:
            continue
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _mostly_utf8(data) or _detect(data)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few bad bytes (a cut, a stray byte), decoded with U+FFFD for each; None
    when fewer of its non-ASCII sequences are valid UTF-8 than not (another encoding, then).

    Single-byte encodings almost never form valid multi-byte UTF-8 sequences, so valid ones
    outnumbering the invalid ones tells UTF-8 that was damaged from text in another encoding.
    """
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = sum(1 for ch in text if ord(ch) > 0x7F) - text.count("\ufffd")
    return text if valid > 0 and invalid <= valid else None


def _utf16_without_bom(data: bytes) -> str | None:
    """Text in UTF-16 without a BOM, told by its NUL bytes falling on one side of each pair
    (Latin-script text in UTF-16 has a NUL in every other byte); None when it is not that."""
    sample = data[:65536]
    pairs = len(sample) // 2
    if pairs == 0 or len(data) % 2:
        return None
    even_nuls = sample[0::2].count(0) / pairs
    odd_nuls = sample[1::2].count(0) / pairs
    if odd_nuls >= _UTF16_NUL_SHARE and even_nuls <= _UTF16_STRAY_NULS:
        encoding = "utf-16-le"
    elif even_nuls >= _UTF16_NUL_SHARE and odd_nuls <= _UTF16_STRAY_NULS:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    head = text[:65536]
    words = any(ch.isalpha() for ch in head) and (
        len(head) < 40 or any(ch.isspace() for ch in head)
    )
    if looks_binary(text) or not words or len(set(head)) < 4:
        return None  # text has letters, spaces between words and more than a few characters
    return text
