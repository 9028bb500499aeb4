"""What composing a block leaves for the next build: its lines and its reports, by block; in
memory for a kept Builder and, for an issue file, on disk for the next process (`linestore`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from pipeline.layout import linestore
from pipeline.layout.glyphs import RUN_FIELDS, Run
from pipeline.layout.linestore import Key, Raw


@dataclass(frozen=True)
class CharReport:
    """A character that was drawn from a fallback font, or that no font has."""

    char: str
    origin: str
    font: str = ""


@dataclass(frozen=True)
class LayoutProblem:
    """Text the layout cannot set as the house standard says: an error on the issue's key."""

    origin: str
    message: str
    hint: str


@dataclass(frozen=True)
class Composed:
    """A block's composed lines and reports, as kept in the LineCache."""

    lines: tuple[tuple[tuple[Run, ...], float, int, float], ...]
    fallbacks: tuple[CharReport, ...]
    missing: tuple[CharReport, ...]
    problems: tuple[LayoutProblem, ...]


class LineCache:
    """One document's composed blocks, reused by its next build so only edits are recomposed.

    Keys are the blocks' contents (the same in every process); what else composing depends on
    (style, fonts, code) is the context bound before a build, and a new context starts empty.
    Generational: sweep() after a build keeps exactly the blocks that build used, so memory
    follows the document's size, not the number of edits a long-running watcher has seen.
    With an issue file, sweep() also keeps them on disk when they changed, and the first
    build of a new process reads them back.
    """

    def __init__(self, issue_path: Path | None = None) -> None:
        self._entries: dict[Key, Composed] = {}
        self._used: dict[Key, Composed] = {}
        self._store = linestore.store_path(issue_path) if issue_path is not None else None
        self._context: str | None = None
        self._stored: linestore.Entries = {}  # read from disk, not yet asked for
        self._packed: linestore.Entries = {}  # of the entries, and of those used since
        self._saved: set[Key] = set()  # the keys the store file holds
        self._swept = False  # a build of this process has been kept: this one is a rebuild
        self._writer: threading.Thread | None = None

    def bind(self, context: str) -> None:
        """Compose under this context from now on: what was composed under another is dropped."""
        if context == self._context:
            return
        self._entries, self._used, self._packed, self._context = {}, {}, {}, context
        if self._store is not None:
            self.flush()
            self._stored = linestore.load(self._store, context)
            self._saved = set(self._stored)

    def get(self, key: Key) -> Composed | None:
        """The cached composition of a block, or None."""
        found = self._used.get(key)
        if found is None:
            found = self._entries.get(key)
            if found is None:
                packed = self._stored.get(key)
                if packed is None:
                    return None
                try:
                    found = _thawed(linestore.unpack(packed))
                except (TypeError, ValueError):  # not what _frozen makes: compose it again
                    return None
                self._packed[key] = packed
            self._used[key] = found
        return found

    def put(self, key: Key, value: Composed) -> None:
        """Keep a composition for the next build."""
        self._used[key] = value
        # Problems are messages in the clerk's language: composed again, never kept on disk.
        if self._store is not None and not value.problems:
            self._packed[key] = linestore.pack(_frozen(value))

    def sweep(self) -> None:
        """Forget every block the build just finished did not use; keep the rest on disk."""
        packed = {key: self._packed[key] for key in self._used if key in self._packed}
        if self._store is not None and self._context is not None and packed.keys() != self._saved:
            self.flush()
            save = (self._store, self._context, packed)
            if self._swept:  # a rebuild (watch, serve): the file is written beside the build
                self._writer = threading.Thread(target=linestore.save, args=save, daemon=True)
                self._writer.start()
            else:  # a one-shot build may end the process right after
                linestore.save(*save)
            self._saved = set(packed)
        self._entries, self._used, self._stored, self._packed = self._used, {}, {}, packed
        self._swept = True

    def flush(self) -> None:
        """Wait until what the last sweep keeps on disk is written."""
        if self._writer is not None:
            self._writer.join()
            self._writer = None


def _frozen(composed: Composed) -> Raw:
    """A composition as tuples of strings and numbers only."""
    return (
        composed.lines,
        tuple((r.char, r.origin, r.font) for r in composed.fallbacks),
        tuple((r.char, r.origin, r.font) for r in composed.missing),
    )


def _thawed(raw: Raw) -> Composed:
    """The composition _frozen made `raw` of."""
    lines, fallbacks, missing = raw
    for runs, _size, _cells, _centre in lines:  # the shape _frozen gives, else an error
        if any(len(run) != RUN_FIELDS for run in runs):
            raise ValueError("not a glyph run")
    return Composed(
        lines,
        tuple(CharReport(*r) for r in fallbacks),
        tuple(CharReport(*r) for r in missing),
        (),
    )
