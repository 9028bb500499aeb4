"""The document model: the typed schema of one bulletin issue, as a clerk writes it in TOML."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Literal

from pipeline.source.schema import PositiveInt, doc


@dataclass(frozen=True, kw_only=True)
class Masthead:
    """The 报头: bulletin name, issue number, editor and date."""

    title: str = field(metadata=doc("简报名称, printed in red"))
    number: PositiveInt = field(metadata=doc("期号: 第N期"))
    total: PositiveInt | None = field(default=None, metadata=doc("总期号: （总第M期）"))
    editor: str = field(metadata=doc("编发单位"))
    date: datetime.date = field(metadata=doc("日期 (a TOML date, e.g. 2023-07-24)"))
    mark: str | None = field(default=None, metadata=doc("角标, e.g. 内部资料 注意保存"))
    duplex: bool = field(default=False, metadata=doc("双面印刷: imprint on an even page"))


@dataclass(frozen=True, kw_only=True)
class Photo:
    """A photo placed after a paragraph of its article, centred, with an optional caption."""

    file: str = field(metadata=doc("JPEG or PNG file, relative to the issue file's folder"))
    caption: str | None = field(default=None, metadata=doc("图注, printed below the photo"))
    after: PositiveInt | None = field(
        default=None, metadata=doc("the paragraph it follows (1 = the first); default the last")
    )
    width: float = field(default=0.75, metadata=doc("share of the type-area width, 0 to 1"))


@dataclass(frozen=True, kw_only=True)
class Table:
    """A fully ruled table placed after a paragraph of its article."""

    caption: str | None = field(default=None, metadata=doc("表题, printed above the table"))
    after: PositiveInt | None = field(
        default=None, metadata=doc("the paragraph it follows (1 = the first); default the last")
    )
    header_rows: int = field(default=1, metadata=doc("rows at the top set in 黑体 (0 for none)"))
    rows: list[list[str]] = field(metadata=doc("the table's rows, each a list of cell texts"))


@dataclass(frozen=True, kw_only=True)
class Article:
    """One article: a centred title, body paragraphs and an optional source line."""

    title: str = field(metadata=doc("标题"))
    source: str | None = field(default=None, metadata=doc("来源, printed as （…）"))
    body: str = field(metadata=doc("正文; paragraphs separated by one blank line"))
    photos: list[Photo] = field(
        default_factory=list, metadata=doc("photos, each after a paragraph")
    )
    tables: list[Table] = field(
        default_factory=list, metadata=doc("tables, each after a paragraph")
    )


@dataclass(frozen=True, kw_only=True)
class Column:
    """A column (栏目) such as 【特别关注】 with its articles."""

    name: str | None = field(default=None, metadata=doc("栏目名, printed as 【…】"))
    articles: list[Article] = field(metadata=doc("the column's articles"))


@dataclass(frozen=True, kw_only=True)
class Distribution:
    """The imprint (版记): who receives the issue, the printer and the print count."""

    disclosure: str | None = field(default=None, metadata=doc("信息公开选项"))
    report_to: list[str] = field(default_factory=list, metadata=doc("报 (to superiors)"))
    send_to: list[str] = field(default_factory=list, metadata=doc("送 (to peers)"))
    issue_to: list[str] = field(default_factory=list, metadata=doc("发 (to subordinates)"))
    printer: str | None = field(default=None, metadata=doc("印发单位"))
    print_date: datetime.date | None = field(default=None, metadata=doc("印发日期"))
    copies: PositiveInt | Literal["auto"] | None = field(default=None, metadata=doc("共印N份"))


@dataclass(frozen=True, kw_only=True)
class Issue:
    """One issue (一期) of a bulletin."""

    template: str = field(default="work-bulletin", metadata=doc("a folder under templates/"))
    masthead: Masthead
    note: str | None = field(default=None, metadata=doc("编者按"))
    columns: list[Column] = field(metadata=doc("columns with their articles"))
    distribution: Distribution = field(default_factory=Distribution)

    @property
    def print_date(self) -> datetime.date:
        """The 印发 date: distribution.print_date, or the masthead date."""
        return self.distribution.print_date or self.masthead.date


_LEVEL1 = re.compile(r"^[一二三四五六七八九十百零〇]+、")
_LEVEL2 = re.compile(r"^（[一二三四五六七八九十百零〇]+）")
_EDGE_SPACE = " \t\u3000"


@dataclass(frozen=True)
class Paragraph:
    """A body paragraph with its heading level: 0 body text, 1 一、 heading, 2 （一） heading."""

    text: str
    level: int = 0


def split_paragraphs(body: str) -> list[Paragraph]:
    """Split a body into paragraphs at blank lines, joining single newlines without a space."""
    paragraphs: list[Paragraph] = []
    for chunk in re.split(r"\n[ \t\u3000]*\n", body.replace("\r\n", "\n")):
        text = "".join(line.strip(_EDGE_SPACE) for line in chunk.split("\n"))
        if text:
            paragraphs.append(Paragraph(text, heading_level(text)))
    return paragraphs


def heading_level(text: str) -> int:
    """Level of a paragraph that is only a heading: 1 for 一、…, 2 for （一）…, else 0."""
    if text.endswith("。"):
        return 0
    if _LEVEL1.match(text):
        return 1
    if _LEVEL2.match(text):
        return 2
    return 0


def format_date_cn(day: datetime.date) -> str:
    """Write a date as 2023年7月24日: Arabic digits, no leading zeros."""
    return f"{day.year}年{day.month}月{day.day}日"
