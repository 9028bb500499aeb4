"""The document model: the typed schema of one bulletin issue, as a clerk writes it in TOML."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator


class _Strict(BaseModel):
    """Base of every table: unknown keys are errors and values keep their TOML types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Masthead(_Strict):
    """The 报头: bulletin name, issue number, editor and date."""

    title: str = Field(description="简报名称, printed in red")
    number: PositiveInt = Field(description="期号: 第N期")
    total: PositiveInt | None = Field(default=None, description="总期号: （总第M期）")
    editor: str = Field(description="编发单位")
    date: datetime.date = Field(description="日期 (a TOML date, e.g. 2023-07-24)")
    mark: str | None = Field(default=None, description="角标, e.g. 内部资料 注意保存")
    duplex: bool = Field(default=False, description="双面印刷: imprint on an even page")


class Article(_Strict):
    """One article: a centred title, body paragraphs and an optional source line."""

    title: str = Field(description="标题")
    source: str | None = Field(default=None, description="来源, printed as （…）")
    body: str = Field(description="正文; paragraphs separated by one blank line")


class Column(_Strict):
    """A column (栏目) such as 【特别关注】 with its articles."""

    name: str | None = Field(default=None, description="栏目名, printed as 【…】")
    articles: list[Article] = Field(description="the column's articles")


class Distribution(_Strict):
    """The imprint (版记): who receives the issue, the printer and the print count."""

    disclosure: str | None = Field(default=None, description="信息公开选项")
    report_to: list[str] = Field(default_factory=list, description="报 (to superiors)")
    send_to: list[str] = Field(default_factory=list, description="送 (to peers)")
    issue_to: list[str] = Field(default_factory=list, description="发 (to subordinates)")
    printer: str | None = Field(default=None, description="印发单位")
    print_date: datetime.date | None = Field(default=None, description="印发日期")
    copies: int | Literal["auto"] | None = Field(default=None, description="共印N份")

    @field_validator("copies", mode="before")
    @classmethod
    def _copies_is_count_or_auto(cls, value: object) -> object:
        if value is None or value == "auto":
            return value
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        raise ValueError('must be a positive whole number such as 120, or "auto"')


class Issue(_Strict):
    """One issue (一期) of a bulletin."""

    template: str = Field(default="work-bulletin", description="a folder under templates/")
    masthead: Masthead
    note: str | None = Field(default=None, description="编者按")
    columns: list[Column] = Field(description="columns with their articles")
    distribution: Distribution = Field(default_factory=Distribution)

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
