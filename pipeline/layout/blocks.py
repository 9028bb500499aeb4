"""Document blocks: what a template produces and the typesetter lays out, with no layout yet."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


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


Block = TextBlock | RowBlock | RuleBlock | PageBreak


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
