"""Rules for the text a clerk types: printable characters, one-line fields, placeholders, and
fixed wording (【 】, （ ）, 、。) that the pipeline adds itself and so must not print twice."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from pipeline.diagnostics import Diagnostic, Severity
from pipeline.i18n import _
from pipeline.source.model import Issue
from pipeline.source.tomlpos import KeyPath, key_name

Place = Callable[[Severity, str, KeyPath, str | None], Diagnostic]
LineOf = Callable[[KeyPath, int], int | None]  # line of a character after n newlines, if known

MULTI_LINE_KEYS = frozenset({"body", "note"})  # every other text is one line
FREE_KEYS = frozenset({"rows"})  # table cells: the table's own rules apply
MAX_ONE_LINE = 200  # characters of a one-line field; a long title has ~60
MAX_TEXT = 20_000  # characters of a body or note: about 12 pages; an article has ~2,000
MAX_CELL = 1_000  # characters of a table cell
MAX_TEMPLATE_NAME = 64  # characters: a folder name, well within every file system's limit
MAX_SPACES = 100  # in a row, in any text: more lay out nothing, and cost the layout time
_SPACE_RUN = re.compile(f"[ \u3000\t]{{{MAX_SPACES + 1},}}")
PLACEHOLDER = "××××"  # what `bulletin new` writes where the clerk must fill in a text


def walk_strings(value: Any) -> Iterator[tuple[KeyPath, str]]:
    """Every text in parsed TOML with its key path, without recursion."""
    stack: list[tuple[KeyPath, Any]] = [((), value)]
    while stack:
        key, item = stack.pop()
        if isinstance(item, str):
            yield key, item
        elif isinstance(item, dict):
            stack.extend(((*key, name), inner) for name, inner in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend(((*key, index), inner) for index, inner in reversed(list(enumerate(item))))


def is_noncharacter(char: str) -> bool:
    """U+FDD0–U+FDEF and U+xFFFE/U+xFFFF: code points that are never characters."""
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


# Every character _bad_character may refuse (controls, category Cc, and noncharacters): the
# text is searched for these at C speed instead of asking about each of its characters.
_SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f\ufdd0-\ufdef"
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17))
    + "]"
)


def check_text(data: dict[str, Any], place: Place, line_of: LineOf) -> Iterator[Diagnostic]:
    """Errors for invisible characters, broken one-line fields, overlong ones and placeholders."""
    for key, text in walk_strings(data):
        name = key_name(key) or ""
        names = {part for part in key if isinstance(part, str)}
        one_line = not names & (MULTI_LINE_KEYS | FREE_KEYS)
        for suspect in _SUSPECT.finditer(text):
            offset = suspect.start()
            found = _bad_character(suspect.group(), name, one_line)
            if found is not None:
                diagnostic = place("error", found[0], key, found[1])
                line = line_of(key, text.count("\n", 0, offset))
                start = text.rfind("\n", 0, offset)
                col = offset - start if start >= 0 else diagnostic.col
                yield diagnostic.at(line, col) if line else diagnostic
                break
        limit = MAX_ONE_LINE if one_line else MAX_CELL if "rows" in names else MAX_TEXT
        if len(text) > limit and not one_line:
            yield place(
                "error",
                _(
                    "'{key}' is {length} characters long; it holds at most {limit}",
                    key=name,
                    length=len(text),
                    limit=limit,
                ),
                key,
                _("split it into several articles (or table rows)"),
            )
        if one_line and len(text) > MAX_ONE_LINE:
            yield place(
                "error",
                _(
                    "'{key}' is {length} characters long; a one-line text holds at most {limit}",
                    key=name,
                    length=len(text),
                    limit=MAX_ONE_LINE,
                ),
                key,
                _("shorten it; long text belongs in an article's body"),
            )
        spaces = _SPACE_RUN.search(text)
        if spaces is not None:
            line = line_of(key, text.count("\n", 0, spaces.start()))
            diagnostic = place(
                "error",
                _(
                    "'{key}' has a run of {count} spaces, which lay out nothing",
                    key=name,
                    count=len(spaces.group(0)),
                ),
                key,
                _("delete them: the pipeline indents paragraphs itself"),
            )
            yield diagnostic.at(line, 1) if line else diagnostic
        if key == ("template",) and len(text) > MAX_TEMPLATE_NAME:
            yield place(
                "error",
                _(
                    "a template name is a folder name of at most {limit} characters",
                    limit=MAX_TEMPLATE_NAME,
                ),
                key,
                _('write the name of a folder under templates/, e.g. template = "work-bulletin"'),
            )
        if PLACEHOLDER[:2] in text:
            line = line_of(key, text.count("\n", 0, text.index(PLACEHOLDER[:2])))
            diagnostic = place(
                "error",
                _("'{key}' still holds the placeholder ×××× that bulletin new wrote", key=name),
                key,
                _("write the real name or text in place of ××××"),
            )
            yield diagnostic.at(line, 1) if line else diagnostic


def _bad_character(char: str, name: str, one_line: bool) -> tuple[str, str] | None:
    """The message and hint for a character that cannot stand in this text, else None."""
    if char == "\n" and one_line:
        return (
            _("a line break in '{key}', which must stay on one line", key=name),
            _("join the lines into one"),
        )
    if char == "\t" and one_line:
        return (
            _("a tab in '{key}', which prints as an empty box", key=name),
            _("replace the tab with a space, or delete it"),
        )
    if char not in "\n\t" and unicodedata.category(char) == "Cc":
        return (
            _("control character U+{code:04X} in '{key}'", code=ord(char), key=name),
            _(
                "delete it: it is invisible and cannot be printed "
                "(often pasted in from another program)"
            ),
        )
    if is_noncharacter(char):
        return (
            _("U+{code:04X} in '{key}' is not a character", code=ord(char), key=name),
            _("delete it: it is left over from a broken copy or conversion"),
        )
    return None


_LIST_ENDINGS = "、，。,;；"
_NAME_LISTS = ("report_to", "send_to", "issue_to")


def without_fixed_wording(issue: Issue, place: Place) -> tuple[Issue, list[Diagnostic]]:
    """The issue without the 【 】, （ ） and list punctuation the pipeline adds, and a warning
    for each place it was typed."""
    warnings: list[Diagnostic] = []
    columns = []
    for c, column in enumerate(issue.columns):
        name = column.name
        if name is not None and (name.startswith("【") or name.endswith("】")):
            name = name.removeprefix("【").removesuffix("】")
            warnings.append(
                place(
                    "warning",
                    _("the column name is written with 【 】, which the pipeline adds"),
                    ("columns", c, "name"),
                    _('write name = "{name}"; it is printed as 【{name}】', name=name),
                )
            )
        articles = []
        for a, article in enumerate(column.articles):
            source = article.source
            if source is not None and source[:1] in "（(" and source[-1:] in "）)":
                source = source[1:-1]
                warnings.append(
                    place(
                        "warning",
                        _("the source is written with （ ）, which the pipeline adds"),
                        ("columns", c, "articles", a, "source"),
                        _(
                            'write source = "{source}"; it is printed as （{source}）',
                            source=source,
                        ),
                    )
                )
            articles.append(replace(article, source=source))
        columns.append(replace(column, name=name, articles=articles))
    lists: dict[str, list[str]] = {}
    for field in _NAME_LISTS:
        names = []
        for index, written in enumerate(getattr(issue.distribution, field)):
            name = written.rstrip(_LIST_ENDINGS)
            if name != written and name:
                warnings.append(
                    place(
                        "warning",
                        _(
                            "'{name}' ends with {ending}; the pipeline puts 、 between the names "
                            "and 。 after the last",
                            name=written,
                            ending=written[len(name) :],
                        ),
                        ("distribution", field, index),
                        _('write "{name}"', name=name),
                    )
                )
            names.append(name or written)
        lists[field] = names
    distribution = replace(
        issue.distribution,
        report_to=lists["report_to"],
        send_to=lists["send_to"],
        issue_to=lists["issue_to"],
    )
    return replace(issue, columns=columns, distribution=distribution), warnings


def check_contents(issue: Issue, place: Place) -> Iterator[Diagnostic]:
    """Errors for what an issue must hold: a name, articles with titles and bodies, dates."""
    if not issue.masthead.title.strip():
        yield place(
            "error",
            _("the bulletin name is empty"),
            ("masthead", "title"),
            _('write the name, e.g. title = "工作简报"'),
        )
    if not issue.columns:
        yield place(
            "error",
            _("the issue has no articles"),
            ("columns",),
            _("add a [[columns]] table with at least one [[columns.articles]]"),
        )
    for c, column in enumerate(issue.columns):
        if not column.articles:
            yield place(
                "error",
                _("this column has no articles"),
                ("columns", c),
                _("add a [[columns.articles]] table after it, or remove the column"),
            )
        for a, article in enumerate(column.articles):
            where: KeyPath = ("columns", c, "articles", a)
            if not article.title.strip():
                yield place(
                    "error",
                    _("the article's title is empty"),
                    (*where, "title"),
                    _("write the title between the quotes"),
                )
            if not article.body.strip():
                yield place(
                    "error",
                    _("the article's body is empty"),
                    (*where, "body"),
                    _('write the text between body = """ and """'),
                )
    dist = issue.distribution
    if dist.print_date is not None and dist.print_date < issue.masthead.date:
        yield place(
            "error",
            _(
                "print_date {print_date} is before the issue date {date}",
                print_date=dist.print_date,
                date=issue.masthead.date,
            ),
            ("distribution", "print_date"),
            _(
                "the 印发 date cannot come before the masthead date; "
                "remove print_date to use the masthead date"
            ),
        )
