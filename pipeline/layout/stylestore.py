"""Checked style files kept on disk by their bytes, so that a one-shot build need not parse and
check its template's style.toml again (~7 ms of each build, the same file every time)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import pickle
from pathlib import Path

from pipeline.files import cache_dir, source_digest, trim_folder, write_atomically

FOLDER = "styles-v1"
FILES_KEPT = 32  # style files kept; the least recently written go first
BYTES_KEPT = 4 * 1024 * 1024

# What checking a style file runs: its classes and the TOML reader and checker.
_CODE = ("layout/style.py", "source/schema.py", "source/load.py", "fonts/roles.py")


@functools.cache
def _code_digest() -> bytes:
    """A digest of the code that turns a style file into a Style; where it cannot be read, one
    that no other process shares."""
    package = Path(__file__).resolve().parent.parent
    return source_digest(package / name for name in _CODE)


def _path(raw: bytes) -> Path:
    return cache_dir() / FOLDER / f"{hashlib.sha256(_code_digest() + raw).hexdigest()[:32]}.style"


def kept_style(raw: bytes) -> object | None:
    """The style checked from these exact bytes by this code before; None if there is none (or
    its file cannot be read)."""
    try:
        data = _path(raw).read_bytes()
    except OSError:
        return None
    try:
        found: object = pickle.loads(data)  # our own cache folder, written by keep_style
    except Exception:  # a damaged or foreign file: checked anew
        return None
    return found


def keep_style(raw: bytes, style: object) -> None:
    """Keep a style checked from these bytes; a cache that cannot be written is skipped."""
    path = _path(raw)
    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
        write_atomically(path, pickle.dumps(style, protocol=pickle.HIGHEST_PROTOCOL))
        trim_folder(path.parent, ".style", FILES_KEPT, BYTES_KEPT)
