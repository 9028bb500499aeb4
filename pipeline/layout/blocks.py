"""Document blocks: what a template produces and the typesetter lays out, with no layout yet."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class TextBlock:
    """A paragraph set in one style; `label` is a hanging prefix such as 报：."""

    style: str
    text: str
    label: str = ""
    origin: str = ""


@dataclass(frozen=True)
class RowBlock:
    """One line with text flush left and text flush right, such as editor and date."""

    style: str
    left: str
    right: str
    origin: str = ""


@dataclass(frozen=True)
class RuleBlock:
    """A horizontal rule across the type area."""

    style: str


@dataclass(frozen=True)
class PageBreak:
    """Start a new page."""


@dataclass(frozen=True)
class PhotoBlock:
    """A photo between paragraphs: its file, its share of the type-area width and its caption."""

    path: Path
    width_share: float = 0.75
    caption: str = ""
    origin: str = ""  # the photo's key, e.g. columns[1].articles[1].photos[1]

    @property
    def caption_origin(self) -> str:
        """The key of the caption, for reports on its characters."""
        return f"{self.origin}.caption" if self.origin else ""


@dataclass(frozen=True)
class TableBlock:
    """A ruled table between paragraphs: rows of cell texts, the first header_rows in 黑体."""

    rows: tuple[tuple[str, ...], ...]
    header_rows: int = 1
    caption: str = ""
    origin: str = ""  # the table's key, e.g. columns[1].articles[1].tables[1]


FigureBlock = PhotoBlock | TableBlock
Block = TextBlock | RowBlock | RuleBlock | PageBreak | FigureBlock


@dataclass(frozen=True)
class Document:
    """A whole issue as blocks: the flowing content and the imprint pinned to the last page."""

    title: str
    author: str
    date: datetime.date
    blocks: tuple[Block, ...]
    imprint: tuple[Block, ...] = ()
    duplex: bool = False
    subject: str = ""
    keywords: tuple[str, ...] = field(default_factory=tuple)

    def photo_paths(self) -> list[Path]:
        """The picture files the document shows, each once, in order."""
        blocks = (*self.blocks, *self.imprint)
        return list(dict.fromkeys(b.path for b in blocks if isinstance(b, PhotoBlock)))
