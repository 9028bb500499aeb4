"""Compressed font programs on disk, so a one-shot build of glyphs drawn before makes none.

Making and compressing the subsets of an issue's faces costs a one-shot build ~30 ms (the
body face's few hundred glyphs are most of it); reading them back costs ~0.5 ms. An entry is
named by a digest of the face (its file's path, size, mtime and inode, the face's place in the
file, and a digest of the file's first 64 KiB and head table, as the font parse cache checks)
and of the glyph set, and holds both again, so it is used only for the very face and glyphs it
was made of; FOLDER is renamed whenever the programs made would be other bytes. The folder is
trimmed to FILES_KEPT entries and BYTES_KEPT bytes, the least recently written deleted first, at
a process's first save and then every TRIM_EVERY saves (listing and stat-ing every entry at each
save cost a batch issue ~2 ms), so it holds at most TRIM_EVERY - 1 entries more than that (see
the list of caches in pipeline/files.py).
"""

from __future__ import annotations

import hashlib
import marshal
from pathlib import Path
from typing import Any

from pipeline.files import cache_dir, trim_at_times, write_atomically
from pipeline.fonts.sfnt import content_check

FOLDER = "programs-v2"  # v2: compressed in pieces (subsets.deflated)
FILES_KEPT = 100  # a few issues' faces (~5 an issue)
BYTES_KEPT = 32 * 2**20
TRIM_EVERY = 8  # saves between trims of the folder; the first save of a process trims
_SAVES = [0]  # the saves this process has made
_MAGIC = b"bulletin-font-program-2\n"

Stored = tuple[str, int, bytes]  # tag, length before compression, zlib bytes


def entry(face: Any, glyphs: bytes) -> tuple[Path, bytes] | None:
    """The entry of these glyphs (array('H') bytes) of reportlab's face, and what it must say
    of the face; None for a face whose bytes are not a font file read on demand."""
    data = face._ttf_data
    key, read, path = (
        getattr(data, "key", None),
        getattr(data, "read", None),
        getattr(data, "path", None),
    )
    if key is None or read is None or path is None:
        return None
    head = face.table["head"]
    try:
        check = content_check(read, (head["offset"], head["length"]))
    except OSError:
        return None
    identity = marshal.dumps((str(path), head["offset"], tuple(key), check, glyphs))
    name = hashlib.sha1(identity).hexdigest()[:32]
    return cache_dir() / FOLDER / f"{name}.program", identity


def load(where: tuple[Path, bytes]) -> Stored | None:
    """The program kept at the entry, if it is one of this face and these glyphs."""
    path, identity = where
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    if not raw.startswith(_MAGIC):
        return None
    at = len(_MAGIC)
    try:
        size = int.from_bytes(raw[at : at + 4], "big")
        stored, tag, length, deflated_size = marshal.loads(raw[at + 4 : at + 4 + size])
    except (ValueError, EOFError, TypeError):
        return None
    deflated = raw[at + 4 + size :]
    if stored != identity or not isinstance(tag, str) or not isinstance(length, int):
        return None
    if deflated_size != len(deflated):
        return None
    return tag, length, deflated


def save(where: tuple[Path, bytes], program: Stored) -> None:
    """Keep the program at the entry (the folder trimmed at times); a failure only costs time."""
    path, identity = where
    tag, length, deflated = program
    header = marshal.dumps((identity, tag, length, len(deflated)))
    try:
        write_atomically(path, _MAGIC + len(header).to_bytes(4, "big") + header + deflated)
        trim_at_times(_SAVES, TRIM_EVERY, path.parent, ".program", FILES_KEPT, BYTES_KEPT)
    except OSError:
        pass
