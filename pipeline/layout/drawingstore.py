"""Drawn issues on disk: what the last build of an issue file drew, so that building it again
with every input unchanged only checks that its PDF is still in place, as a make tool would.

One small record per issue file: the key of its last drawing, a digest of the PDF's bytes, its
page count and its fallback-font reports. The key is a digest of everything drawing reads: the
document blocks (by repr), the composing context of linestore.py (the layout code, the style's
values, each role's faces with their files' size, mtime and inode), the rest of the drawing code
(build.py, fonts/*.py, the PDF/A finish and its colour profile, reportlab's and Pillow's
versions), Python's and zlib's versions, each photo file's size, mtime and inode, the language
and the finish. A build whose key is the record's and whose output file holds exactly the
recorded bytes is that file; anything else (another key, the output missing or changed, a record
that cannot be read) is drawn as usual. A drawing with errors is never recorded.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import pickle
import sys
import zlib
from collections.abc import Mapping
from pathlib import Path

from pipeline.files import (
    file_stat,
    issue_cache_file,
    source_digest,
    trim_at_times,
    write_atomically,
)
from pipeline.fonts.chains import FontChain
from pipeline.fonts.roles import Role
from pipeline.i18n import language
from pipeline.layout.blocks import Document
from pipeline.layout.linecache import CharReport
from pipeline.layout.linestore import PlainUnpickler, context_of
from pipeline.layout.pages import DrawnDocument
from pipeline.layout.style import Style

FOLDER = "drawings-v1"
FILES_KEPT = 4000  # issue files whose last drawing is recorded (~150 bytes each)
BYTES_KEPT = 8 * 1024 * 1024
TRIM_EVERY = 64  # new records: the folder is trimmed at a process's first and every 64th after
_new_files = [0]  # records this process added to the folder
_DIGEST_BYTES = 32


@functools.cache
def _code_digest() -> bytes:
    """A digest of the drawing code beyond what composing reads, and of the libraries' versions
    that shape the bytes; where the code cannot be read, one that no other process shares."""
    import importlib.util

    package = Path(__file__).resolve().parent.parent
    formats = package / "formats"
    files = [
        package / "build.py",  # what it asks draw_document for
        *sorted((package / "fonts").glob("*.py")),
        *(formats / name for name in ("pdfawrite.py", "pdfa.py")),
        *sorted((formats / "data").glob("*.icc")),
    ]
    # reportlab's __init__.py names its version; Pillow's _version.py (photos are re-encoded)
    for library, name in (("reportlab", "__init__.py"), ("PIL", "_version.py")):
        found = importlib.util.find_spec(library)
        if found is None or found.origin is None:
            return os.urandom(32)
        files.append(Path(found.origin).with_name(name))
    versions = f"{sys.version}\0{zlib.ZLIB_RUNTIME_VERSION}".encode()
    return hashlib.sha256(source_digest(files) + versions).digest()


def drawing_key(
    document: Document, style: Style, chains: Mapping[Role, FontChain], finish: str
) -> bytes:
    """The key of drawing the document: equal only when drawing it again gives the same bytes."""
    photos = document.photo_paths()
    digest = hashlib.sha256(_code_digest())
    for part in (
        context_of(style, chains),
        repr([(str(path), file_stat(path)) for path in photos]),
        language(),
        finish,
        repr(document),
    ):
        encoded = part.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little") + encoded)
    return digest.digest()


def _path(issue_path: Path) -> Path:
    return issue_cache_file(FOLDER, issue_path, ".drawn")


def drawn_in_place(issue_path: Path, key: bytes, output: Path) -> DrawnDocument | None:
    """The recorded drawing of the issue file under this key, when the output file holds it
    (in place, with no display list: nothing was drawn)."""
    try:
        data = _path(issue_path).read_bytes()
    except OSError:
        return None
    if data[:_DIGEST_BYTES] != key:
        return None
    try:
        pages, fallbacks = PlainUnpickler(io.BytesIO(data[2 * _DIGEST_BYTES :])).load()
        reports = [CharReport(char, origin, font) for char, origin, font in fallbacks]
        pdf = output.read_bytes()
    except Exception:  # a damaged record, or no output file: drawn again
        return None
    if hashlib.sha256(pdf).digest() != data[_DIGEST_BYTES : 2 * _DIGEST_BYTES]:
        return None
    return DrawnDocument(pdf, int(pages), reports, [], in_place=True)


def record_drawing(issue_path: Path, key: bytes, drawn: DrawnDocument) -> None:
    """Record the issue file's drawing under its key, unless it has errors (a cache: failing to
    write it only costs time)."""
    if drawn.missing or drawn.problems:
        return
    path = _path(issue_path)
    new = not path.exists()
    fallbacks = tuple((report.char, report.origin, report.font) for report in drawn.fallbacks)
    data = key + hashlib.sha256(drawn.pdf).digest() + pickle.dumps((drawn.pages, fallbacks))
    with contextlib.suppress(OSError):
        write_atomically(path, data)
        if new:
            trim_at_times(_new_files, TRIM_EVERY, path.parent, ".drawn", FILES_KEPT, BYTES_KEPT)
