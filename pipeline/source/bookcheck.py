"""The address book's schema ([smtp], [[recipient]], [groups]) and the checks of its entries:
every value on one line, exactly one of email and folder, plain folder names, bounded copies,
groups that name known entries and do not contain themselves."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

from pipeline.diagnostics import Diagnostic, did_you_mean
from pipeline.i18n import _
from pipeline.source.load import SourceFile, place_diagnostic
from pipeline.source.schema import PositiveInt, doc
from pipeline.source.textrules import walk_strings
from pipeline.source.tomlpos import KeyPath

MAX_COPIES = 100_000  # printed copies one recipient may take


@dataclass(frozen=True, kw_only=True)
class SmtpSettings:
    """The [smtp] table: the mail server; user and password come from the environment."""

    host: str = field(metadata=doc("the mail server, e.g. mail.example.gov.cn"))
    port: PositiveInt = field(default=587, metadata=doc("587 for starttls, 465 for ssl"))
    security: Literal["starttls", "ssl", "none"] = "starttls"
    sender: str = field(metadata=doc('the From address, e.g. "综合处 <office@example.gov.cn>"'))


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """One [[recipient]]: a body that receives the issue by e-mail or into its folder."""

    name: str = field(metadata=doc("the name exactly as it stands on the 报/送/发 lists"))
    email: str | None = field(default=None, metadata=doc("e-mail address"))
    folder: str | None = field(default=None, metadata=doc("folder under <output>/outbox/"))
    # The TOML key is `copies`; in code it is "a recipient's copies", never the print run.
    copies: PositiveInt = field(default=1, metadata=doc("printed copies this body receives"))


@dataclass(frozen=True, kw_only=True)
class AddressBookFile:
    """The whole recipients.toml."""

    smtp: SmtpSettings | None = None
    recipient: list[Recipient] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)


def error_at(source: SourceFile, key: KeyPath, message: str, hint: str | None) -> Diagnostic:
    """An error placed where `key` stands in the address book."""
    return place_diagnostic("error", message, key, hint, source)


def check_entries(model: AddressBookFile, source: SourceFile) -> Iterator[Diagnostic]:
    """Every problem of the recipients and groups that the schema cannot see."""
    seen: set[str] = set()
    for index, person in enumerate(model.recipient):
        where: KeyPath = ("recipient", index)
        if person.name in seen:
            yield error_at(
                source,
                (*where, "name"),
                _("recipient '{name}' is listed twice", name=person.name),
                _("keep one [[recipient]] per name"),
            )
        seen.add(person.name)
        if (person.email is None) == (person.folder is None):
            yield error_at(
                source,
                where,
                _("recipient '{name}' needs exactly one of email and folder", name=person.name),
                _('write email = "…" or folder = "…", not both'),
            )
        if person.copies > MAX_COPIES:
            yield error_at(
                source,
                (*where, "copies"),
                _(
                    "recipient '{name}' asks for {count} copies; at most {most} are allowed",
                    name=person.name,
                    count=person.copies,
                    most=MAX_COPIES,
                ),
                _("write the number of printed copies, at most copies = {most}", most=MAX_COPIES),
            )
        if person.folder is not None and not _safe_folder(person.folder):
            yield error_at(
                source,
                (*where, "folder"),
                _("folder '{folder}' must be a plain relative name", folder=person.folder),
                _('write a name such as folder = "chengdu"'),
            )
    for group, members in model.groups.items():
        if group in seen:
            yield error_at(
                source,
                ("groups", group),
                _("'{name}' is both a recipient and a group", name=group),
                _("rename one of them"),
            )
        for member in members:
            if member not in seen and member not in model.groups:
                yield error_at(
                    source,
                    ("groups", group),
                    _(
                        "group '{group}' names '{member}', which is neither a recipient nor a "
                        "group",
                        group=group,
                        member=member,
                    ),
                    did_you_mean(member, [*seen, *model.groups]) or _("add it as a [[recipient]]"),
                )
    yield from _cycles(model.groups, source)


def _cycles(groups: dict[str, list[str]], source: SourceFile) -> Iterator[Diagnostic]:
    done: set[str] = set()
    for start in groups:
        path: list[str] = []
        cycle = _find_cycle(start, groups, path, done)
        if cycle:
            yield error_at(
                source,
                ("groups", cycle[0]),
                _("groups contain each other: {cycle}", cycle=" → ".join(cycle)),
                _("a group may not contain itself, directly or through other groups"),
            )
            done.update(cycle)


def _find_cycle(
    name: str, groups: dict[str, list[str]], path: list[str], done: set[str]
) -> list[str] | None:
    if name in path:
        return [*path[path.index(name) :], name]
    if name in done or name not in groups:
        return None
    path.append(name)
    for member in groups[name]:
        cycle = _find_cycle(member, groups, path, done)
        if cycle:
            return cycle
    path.pop()
    done.add(name)
    return None


def bad_address(source: SourceFile, key: KeyPath, why: str, sender: bool = False) -> Diagnostic:
    """An address that is not one, with an example of one."""
    example = '"综合处 <office@example.gov.cn>"' if sender else '"office@example.gov.cn"'
    return error_at(source, key, why, _("write it as {example}", example=example))


def control_characters(source: SourceFile) -> Iterator[Diagnostic]:
    """Every value of an address book is one line: no newline, tab, NUL or other control."""
    for key, text in walk_strings(source.data):
        bad = next((c for c in text if unicodedata.category(c) == "Cc"), None)
        if bad is not None:
            yield error_at(
                source,
                key,
                _(
                    "control character U+{code} in '{text}'",
                    code=f"{ord(bad):04X}",
                    text=text.encode("unicode_escape").decode(),
                ),
                _(
                    "write the value on one line, without control characters (often pasted "
                    "in from another program)"
                ),
            )


def _safe_folder(folder: str) -> bool:
    parts = PurePosixPath(folder.replace("\\", "/")).parts
    return (
        bool(parts)
        and not folder.startswith(("/", "\\"))
        and ":" not in folder
        and not any(unicodedata.category(c) == "Cc" for c in folder)
        and all(part not in ("..", ".") for part in parts)
    )
