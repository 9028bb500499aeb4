"""Kept drawings: the last PDF a Builder drew of each issue, reused while its inputs are alike."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.files import FileStat, file_stat
from pipeline.fonts.chains import FontChain
from pipeline.fonts.roles import Role
from pipeline.i18n import language
from pipeline.layout.blocks import Document
from pipeline.layout.pages import DrawnDocument
from pipeline.layout.style import Style

DRAWINGS_KEPT = 8  # issues whose last drawing is kept (a watch edits a few)


@dataclass(frozen=True)
class DrawingKey:
    """What a drawing was made from: the blocks, style and chains (by identity), files, language
    and the finish (by name)."""

    document: Document
    style_id: int
    chain_ids: tuple[tuple[Role, int], ...]
    files: tuple[tuple[Path, FileStat | None], ...]
    language: str
    finish: str


def drawing_key(
    document: Document, style: Style, chains: dict[Role, FontChain], finish: str
) -> DrawingKey:
    """The key of a drawing: equal only when drawing the document again gives the same bytes."""
    fonts = dict.fromkeys(face.path for chain in chains.values() for face in chain.faces)
    photos = document.photo_paths()
    return DrawingKey(
        document,
        id(style),
        tuple((role, id(chain)) for role, chain in chains.items()),
        tuple((path, file_stat(path)) for path in (*fonts, *photos)),
        language(),
        finish,
    )


class KeptDrawings:
    """The last drawing of each issue file, with its key; the oldest beyond DRAWINGS_KEPT dropped.

    Objects compared by identity (style, chains) are held with the entry, so an id is
    never reused while its entry lives.
    """

    def __init__(self) -> None:
        self._entries: dict[Path, tuple[DrawingKey, tuple[object, ...], DrawnDocument]] = {}

    def get(self, issue: Path, key: DrawingKey) -> DrawnDocument | None:
        """The issue's kept drawing when it was made from exactly `key`, else None."""
        entry = self._entries.get(issue)
        if entry is None or entry[0] != key:
            return None
        return entry[2]

    def put(
        self, issue: Path, key: DrawingKey, held: tuple[object, ...], drawn: DrawnDocument
    ) -> None:
        """Keep the issue's drawing (and the objects its key names by identity)."""
        self._entries.pop(issue, None)
        self._entries[issue] = (key, held, drawn)
        while len(self._entries) > DRAWINGS_KEPT:
            del self._entries[next(iter(self._entries))]
