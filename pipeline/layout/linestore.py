"""Composed lines on disk, one file per issue, so that a one-shot build after a clerk's edit
recomposes only the blocks that changed (a kept Builder has them in memory already).

A file holds the blocks of the issue's last build under one context: a digest of the layout
code, the style's values and each role's font faces with their files' signatures. A file of
another context is not read; a file that cannot be read is as good as none. Each block is
packed on its own when composed, so writing the file after an edit costs little more than the
edited blocks.
"""

from __future__ import annotations

import functools
import hashlib
import io
import pickle
import zlib
from collections.abc import Mapping
from pathlib import Path

from pipeline.files import issue_cache_file, source_digest, trim_folder, write_atomically
from pipeline.fonts.chains import FontChain
from pipeline.fonts.roles import Role
from pipeline.layout.glyphs import Run
from pipeline.layout.style import Style

FOLDER = "lines-v1"
FILES_KEPT = 200  # issues whose lines are kept; the least recently built go first
BYTES_KEPT = 64 * 1024 * 1024  # and at most this much in all

Key = tuple[object, ...]  # a block's kind and fields, and its text style's
# A composed block as plain tuples: its lines (runs as glyphs.Run's fields, size, rows, centre),
# its fallback and its missing characters (char, origin, font family).
RawLine = tuple[tuple[Run, ...], float, int, float]
RawReport = tuple[str, str, str]
Raw = tuple[tuple[RawLine, ...], tuple[RawReport, ...], tuple[RawReport, ...]]
Entries = dict[Key, bytes]  # each block's Raw, packed


def store_path(issue_path: Path) -> Path:
    """The file that keeps an issue's composed lines."""
    return issue_cache_file(FOLDER, issue_path, ".lines")


@functools.cache
def _code_digest() -> bytes:
    """A digest of what composing runs besides the style and fonts: the layout code and the
    font chains'; where the source cannot be read, one that no other process shares."""
    here = Path(__file__).parent
    return source_digest((*sorted(here.glob("*.py")), here.parent / "fonts" / "chains.py"))


_last_style: list[tuple[Style, bytes]] = []  # the last style digested, with its digest


def _style_digest(style: Style) -> bytes:
    if not _last_style or _last_style[0][0] is not style:
        _last_style[:] = [(style, hashlib.sha256(repr(style).encode()).digest())]
    return _last_style[0][1]


def context_of(style: Style, chains: Mapping[Role, FontChain]) -> str:
    """What composed lines depend on besides their blocks: code, style values, font files."""
    faces: list[object] = []
    for role in sorted(chains):
        for face in chains[role].faces:
            try:
                found = face.path.stat()
                signature: object = (found.st_size, found.st_mtime_ns, found.st_ino)
            except OSError:
                signature = None
            faces.append((role, face.family, str(face.path), face.index, face.origin, signature))
    digest = hashlib.sha256(_code_digest() + _style_digest(style))
    digest.update(repr(faces).encode())
    return digest.hexdigest()


class PlainUnpickler(pickle.Unpickler):
    """Reads tuples, strings and numbers only: a store file never names a class."""

    def find_class(self, module: str, name: str) -> object:
        raise pickle.UnpicklingError(f"{module}.{name}")


def pack(raw: Raw) -> bytes:
    """A block's composition as bytes for the file."""
    return zlib.compress(pickle.dumps(raw, protocol=5), 1)


def unpack(packed: bytes) -> Raw:
    """What pack made the bytes of (raises ValueError if they are not that)."""
    try:
        found = PlainUnpickler(io.BytesIO(zlib.decompress(packed))).load()
    except Exception as exc:  # a damaged file: any of zlib's and pickle's errors
        raise ValueError("not a packed composition") from exc
    if not isinstance(found, tuple):
        raise ValueError("not a packed composition")
    return found


def load(path: Path, context: str) -> Entries:
    """The entries kept in the file under this context; empty if none or another context."""
    try:
        found = PlainUnpickler(io.BytesIO(path.read_bytes())).load()
    except Exception:  # a damaged or foreign file only costs the time to compose again
        return {}
    if not (isinstance(found, tuple) and len(found) == 2 and found[0] == context):
        return {}
    entries = found[1]
    return entries if isinstance(entries, dict) else {}


def save(path: Path, context: str, entries: Entries) -> None:
    """Keep the entries in the file (the folder trimmed when this adds a file)."""
    new = not path.exists()
    try:
        write_atomically(path, pickle.dumps((context, entries), protocol=5))
        if new:
            trim_folder(path.parent, ".lines", FILES_KEPT, BYTES_KEPT)
    except OSError:
        pass  # a cache that cannot be written only costs time
