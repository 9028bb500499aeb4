"""The number, total and date of each issue file of a series folder, kept on disk between builds.

Every build checks its issue against all its siblings (unique numbers and totals, totals rising
with the date), and a one-shot process would read and parse every sibling file to do so (~0.2 ms
each: 24 ms for a folder of 100 issues). The three values of each file are kept per folder in
one small file, with the file's mtime, size and inode: a sibling whose stat differs is read again.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import marshal
from pathlib import Path

from pipeline.files import FileStat as Stat
from pipeline.files import cache_dir, trim_folder, write_atomically

FOLDER = "series-v1"
FOLDERS_KEPT = 64  # series folders kept; the least recently written file is deleted beyond
BYTES_KEPT = 16 * 1024 * 1024  # and at most this much in all

Fields = tuple[object, object, datetime.date | None]  # number, total, date
_PLAIN = (int, bool, str, float, type(None))  # values marshal gives back as they were


class SiblingStore:
    """One series folder's kept fields by file name: looked up, replaced, written back once."""

    def __init__(self, folder: Path) -> None:
        self.path = cache_dir() / FOLDER / f"{_digest(folder)}.marshal"
        self._entries: dict[str, tuple[Stat, tuple[object, object, int | None] | None]] = {}
        self._changed = False
        with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
            kept = marshal.loads(self.path.read_bytes())
            if isinstance(kept, dict):
                self._entries = kept

    def get(self, name: str, stat: Stat) -> tuple[bool, Fields | None]:
        """(True, fields) if the file was kept with this stat (fields None: it has no masthead);
        (False, None) if it must be read."""
        kept = self._entries.get(name)
        try:
            if kept is None or kept[0] != stat:
                return False, None
            values = kept[1]
            if values is None:
                return True, None
            number, total, ordinal = values
            day = None if ordinal is None else datetime.date.fromordinal(ordinal)
        except (TypeError, ValueError, OverflowError, IndexError):  # a damaged entry
            return False, None
        return True, (number, total, day)

    def put(self, name: str, stat: Stat, fields: Fields | None) -> None:
        """Keep a file's fields as read with this stat (only values marshal gives back as is)."""
        if fields is None:
            values = None
        else:
            number, total, day = fields
            if type(number) not in _PLAIN or type(total) not in _PLAIN:
                self._entries.pop(name, None)
                return
            values = (number, total, None if day is None else day.toordinal())
        if self._entries.get(name) != (stat, values):
            self._entries[name] = (stat, values)
            self._changed = True

    def keep_only(self, names: set[str]) -> None:
        """Forget the files that are no longer in the folder."""
        for gone in set(self._entries) - names:
            del self._entries[gone]
            self._changed = True

    def save(self) -> None:
        """Write the entries back if any changed; a cache that cannot be written is skipped."""
        if not self._changed:
            return
        new = not self.path.exists()
        with contextlib.suppress(OSError, ValueError):
            write_atomically(self.path, marshal.dumps(self._entries))
            if new:
                trim_folder(self.path.parent, ".marshal", FOLDERS_KEPT, BYTES_KEPT)
        self._changed = False


def _digest(folder: Path) -> str:
    return hashlib.sha256(str(folder.absolute()).encode("utf-8", "surrogatepass")).hexdigest()[:32]
