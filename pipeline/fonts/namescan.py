"""The names, weight, style and licence of each face of a font file, read straight from its tables.

Scanning a new machine's font folders with fontTools costs ~1.5 ms a file and ~30 ms to import
it (hundreds of files on Windows). `read_faces` reads the table directory, the name table and
OS/2 with struct, decoding the names as fontTools does (its encodings and its repair of
UTF-16 text stored as single bytes); a file with anything else (another name encoding, odd-length
UTF-16, a short OS/2 table, an unknown header) is left to fontTools: the answer is None.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

# fontTools' encodings (misc/encodingTools.py) of the name records read here.
_UTF16 = "utf_16_be"
_MAC_ROMAN_BY_LANGUAGE = {15: "mac_iceland", 17: "mac_turkish", 18: "mac_croatian"}
_MAC_ROMAN_BY_LANGUAGE |= dict.fromkeys((24, 25, 26, 27, 28, 36, 38, 39, 40), "mac_latin2")
_MAC_ROMAN_BY_LANGUAGE[37] = "mac_romanian"
_SFNT_VERSIONS = (b"\x00\x01\x00\x00", b"OTTO", b"true")
_OS2_LENGTHS = (78, 86, 96, 96, 96, 100)  # bytes of each OS/2 version


class _Unread(Exception):
    """fontTools must read this file."""


def _encoding(platform: int, encoding: int, language: int) -> str:
    if platform == 0 and encoding <= 6:
        return _UTF16
    if platform == 3 and encoding in (0, 1, 10):
        return _UTF16
    if platform == 1 and encoding == 0:
        return _MAC_ROMAN_BY_LANGUAGE.get(language, "mac_roman")
    raise _Unread("another name encoding")


def _is_ascii(code: int) -> bool:
    return 0x20 <= code <= 0x7E or code in (0x09, 0x0A, 0x0D)


def _text(raw: bytes, encoding: str) -> str:
    """NameRecord.toUnicode(errors="replace") of fontTools, for the encodings above."""
    if encoding == _UTF16 and len(raw) % 2:
        raise _Unread("odd-length UTF-16")
    text = raw.decode(encoding, errors="replace")
    if all(ord(c) == 0 if i % 2 == 0 else _is_ascii(ord(c)) for i, c in enumerate(text)):
        text = "".join(text[1::2])  # UTF-16 stored as if it were single bytes
    return text


def read_faces(
    read: Callable[[int, int], bytes],
    wanted: tuple[int, ...],
    describe: Callable[[int, dict[int, list[str]], tuple[int, int, int] | None, set[str]], Any],
) -> list[Any] | None:
    """describe(index, names by ID, (usWeightClass, fsSelection, fsType) or None, table tags)
    of each face of a file read by `read(offset, length)`; None when fontTools must read it."""
    try:
        head = read(0, 12)
        if head[:4] == b"ttcf":
            count = struct.unpack(">L", head[8:12])[0]
            offsets = struct.unpack(f">{count}L", read(12, 4 * count))
        else:
            offsets = (0,)
        return [describe(i, *_face(read, at, wanted)) for i, at in enumerate(offsets)]
    except (_Unread, struct.error, ValueError, IndexError, OverflowError, MemoryError):
        return None


def _face(
    read: Callable[[int, int], bytes], at: int, wanted: tuple[int, ...]
) -> tuple[dict[int, list[str]], tuple[int, int, int] | None, set[str]]:
    header = read(at, 12)
    if header[:4] not in _SFNT_VERSIONS:
        raise _Unread("not an sfnt font")
    count = struct.unpack(">H", header[4:6])[0]
    directory = read(at + 12, 16 * count)
    tables: dict[str, tuple[int, int]] = {}
    for n in range(count):
        tag, _checksum, offset, length = struct.unpack(">4sLLL", directory[16 * n : 16 * n + 16])
        tables[tag.decode("latin-1")] = (offset, length)
    names: dict[int, list[str]] = {i: [] for i in wanted}
    if "name" not in tables:
        raise _Unread("no name table")
    _names(read(*tables["name"]), names)
    os2 = None
    if "OS/2" in tables:
        table = read(*tables["OS/2"])
        version = struct.unpack(">H", table[:2])[0]
        if version > 5 or len(table) < _OS2_LENGTHS[version]:
            raise _Unread("an OS/2 table fontTools may refuse")
        weight, fs_type = struct.unpack(">H", table[4:6])[0], struct.unpack(">H", table[8:10])[0]
        os2 = (weight, struct.unpack(">H", table[62:64])[0], fs_type)
    return names, os2, set(tables)


def _names(table: bytes, names: dict[int, list[str]]) -> None:
    """Append each wanted name's text (stripped, once each) in the order of the records."""
    _format, count, strings = struct.unpack(">HHH", table[:6])
    data = table[strings:]
    for n in range(count):
        record = table[6 + 12 * n : 18 + 12 * n]
        if len(record) < 12:
            continue  # fontTools skips a malformed record
        platform, encoding, language, name_id, length, offset = struct.unpack(">6H", record)
        if offset + length > len(data):
            continue
        if name_id not in names:
            continue
        text = _text(data[offset : offset + length], _encoding(platform, encoding, language))
        text = text.strip().strip("\x00")
        if text and text not in names[name_id]:
            names[name_id].append(text)
