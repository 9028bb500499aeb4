"""An issue's rendered document kept on disk, so that a one-shot build of an issue whose text did
not change need not load jinja2 (~45M instructions), render the template and parse its markup.

One file per issue file holds the last document made from it, under a key: a digest of the
template's bytes, of everything the template is given (the context, written out by repr: plain
data and dataclasses of plain data), of jinja2's version and of the code that renders and
parses (templates.py, jinjarun.py, jinjalite.py, markuptree.py, blocks.py). A document whose
key differs is not used. Only documents rendered from the template's kept code are kept: that
code reads nothing but the template, while jinja2 itself may read other files (an include) that
the key does not name.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import pickle
from pathlib import Path
from typing import Any

from pipeline.files import issue_cache_file, source_digest, trim_at_times, write_atomically

FOLDER = "documents-v1"
FILES_KEPT = 200  # issues whose document is kept; the least recently built go first
BYTES_KEPT = 32 * 1024 * 1024
TRIM_EVERY = 8  # new files: the folder is trimmed at a process's first and every 8th after
_KEY_BYTES = 32
_new_files = [0]  # files this process added to the folder
_CODE = ("templates.py", "jinjarun.py", "jinjalite.py", "markuptree.py", "blocks.py")


@functools.cache
def _code_digest() -> bytes:
    """A digest of the rendering code; where it cannot be read, one no other process shares."""
    here = Path(__file__).resolve().parent
    return source_digest(here / name for name in _CODE)


def document_key(template_source: bytes, options: bytes, context: dict[str, Any]) -> bytes:
    """The key of the document a template renders from a context (options: jinja2's version
    and the rendering options)."""
    digest = hashlib.sha256(_code_digest())
    for part in (options, template_source, repr(context).encode("utf-8", "surrogatepass")):
        digest.update(len(part).to_bytes(8, "little") + part)
    return digest.digest()


def _path(issue_path: Path) -> Path:
    return issue_cache_file(FOLDER, issue_path, ".document")


def kept_document(issue_path: Path, key: bytes) -> object | None:
    """The document kept for the issue file under this key; None if there is none."""
    try:
        data = _path(issue_path).read_bytes()
    except OSError:
        return None
    if data[:_KEY_BYTES] != key:
        return None
    try:
        found: object = pickle.loads(data[_KEY_BYTES:])  # our own cache, written below
    except Exception:  # a damaged file: rendered anew
        return None
    return found


def keep_document(issue_path: Path, key: bytes, document: object) -> None:
    """Keep the issue file's document under its key; a cache that cannot be written is skipped."""
    path = _path(issue_path)
    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
        data = pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL)
        new = not path.exists()
        write_atomically(path, key + data)
        if new:  # a batch of new issues: the folder is not listed for each
            trim_at_times(_new_files, TRIM_EVERY, path.parent, ".document", FILES_KEPT, BYTES_KEPT)
