"""The address book (recipients.toml): who receives an issue, by e-mail or into a folder."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email.utils import parseaddr
from pathlib import Path, PurePosixPath
from typing import Literal

import attrs
import email_validator
from attrs import field

from pipeline.diagnostics import BulletinError, Diagnostic, did_you_mean, has_errors
from pipeline.source.load import (
    LoadedIssue,
    SourceFile,
    diagnostics_from_schema,
    place_diagnostic,
    read_toml,
)
from pipeline.source.schema import PositiveInt, SchemaError, check, doc
from pipeline.source.textrules import walk_strings
from pipeline.source.tomlpos import KeyPath

ADDRESS_BOOK = "recipients.toml"
LISTS = (("report_to", "报"), ("send_to", "送"), ("issue_to", "发"))
MAX_COPIES = 100_000  # printed copies one recipient may take


@attrs.frozen(kw_only=True)
class SmtpSettings:
    """The [smtp] table: the mail server; user and password come from the environment."""

    host: str = field(metadata=doc("the mail server, e.g. mail.example.gov.cn"))
    port: PositiveInt = field(default=587, metadata=doc("587 for starttls, 465 for ssl"))
    security: Literal["starttls", "ssl", "none"] = "starttls"
    sender: str = field(metadata=doc('the From address, e.g. "综合处 <office@example.gov.cn>"'))


@attrs.frozen(kw_only=True)
class Recipient:
    """One [[recipient]]: a body that receives the issue by e-mail or into its folder."""

    name: str = field(metadata=doc("the name exactly as it stands on the 报/送/发 lists"))
    email: str | None = field(default=None, metadata=doc("e-mail address"))
    folder: str | None = field(default=None, metadata=doc("folder under <output>/outbox/"))
    # The TOML key is `copies`; in code it is "a recipient's copies", never the print run.
    copies: PositiveInt = field(default=1, metadata=doc("printed copies this body receives"))

    @property
    def channel(self) -> Literal["email", "folder"]:
        """How the copy is delivered."""
        return "email" if self.email else "folder"

    @property
    def address(self) -> str:
        """The e-mail address or the outbox folder."""
        return self.email or self.folder or ""


@attrs.frozen(kw_only=True)
class AddressBookFile:
    """The whole recipients.toml."""

    smtp: SmtpSettings | None = None
    recipient: list[Recipient] = field(factory=list)
    groups: dict[str, list[str]] = field(factory=dict)


@dataclass(frozen=True)
class MailAddress:
    """An e-mail address checked by email-validator, in the forms SMTP needs."""

    written: str
    envelope: str  # the local part @ the domain in IDNA (ASCII) form
    smtputf8: bool  # the local part is not ASCII: only a server offering SMTPUTF8 takes it


@dataclass(frozen=True)
class Resolved:
    """The recipients of one issue in list order (报, 送, 发; group members in order), once each."""

    recipients: tuple[Recipient, ...]

    @property
    def print_run(self) -> int:
        """Printed copies the recipients need together: the number for 共印N份."""
        return sum(r.copies for r in self.recipients)


@dataclass(frozen=True)
class AddressBook:
    """A validated address book with where its keys stand."""

    path: Path
    smtp: SmtpSettings | None
    recipients: dict[str, Recipient]
    groups: dict[str, list[str]]
    source: SourceFile
    mail_addresses: dict[str, MailAddress]  # by recipient name
    sender: tuple[str, MailAddress] | None  # [smtp] sender: display name and address

    def place(self, recipient: str, key: str | None, message: str, hint: str) -> Diagnostic:
        """An error placed at a recipient's entry (or one of its keys) in the address book."""
        index = list(self.recipients).index(recipient)
        path: KeyPath = ("recipient", index, key) if key else ("recipient", index)
        return _error(self.source, path, message, hint)

    def place_smtp(self, key: str, message: str, hint: str) -> Diagnostic:
        """An error placed at a key of the [smtp] table."""
        return _error(self.source, ("smtp", key), message, hint)

    def names(self) -> list[str]:
        """Every name a list may use: recipients and groups."""
        return [*self.recipients, *self.groups]

    def expand(self, name: str) -> Iterator[Recipient]:
        """The recipients a name stands for, groups expanded depth-first in order."""
        if name in self.recipients:
            yield self.recipients[name]
        for member in self.groups.get(name, []):
            yield from self.expand(member)

    def resolve(self, loaded: LoadedIssue) -> Resolved:
        """Every recipient of an issue, once each; unknown names raise with a did-you-mean."""
        found: dict[str, Recipient] = {}
        problems: list[Diagnostic] = []
        dist = loaded.issue.distribution
        for key, _label in LISTS:
            for index, name in enumerate(getattr(dist, key)):
                if name not in self.recipients and name not in self.groups:
                    problems.append(_unknown_name(loaded, self, (key, index), name))
                    continue
                for recipient in self.expand(name):
                    found.setdefault(recipient.name, recipient)
        if problems:
            raise BulletinError(problems)
        return Resolved(tuple(found.values()))


def find_address_book(series_dir: Path) -> Path | None:
    """recipients.toml of the series folder, else the one in the folder above (issues/)."""
    for folder in (series_dir, series_dir.parent):
        if (folder / ADDRESS_BOOK).is_file():
            return folder / ADDRESS_BOOK
    return None


def load_address_book(path: Path) -> AddressBook:
    """Read and validate an address book; raise BulletinError with every problem found."""
    source = read_toml(path)
    try:
        model = check(source.data, AddressBookFile)
    except SchemaError as exc:
        raise BulletinError(
            [_for_book(d) for d in diagnostics_from_schema(exc, AddressBookFile, source)]
        ) from None
    problems = list(_control_characters(source))
    problems += _check(model, source)
    addresses: dict[str, MailAddress] = {}
    for index, person in enumerate(model.recipient):
        if person.email is not None:
            found = mail_address(person.email)
            if isinstance(found, str):
                problems.append(_bad_address(source, ("recipient", index, "email"), found))
            else:
                addresses[person.name] = found
    sender = None
    if model.smtp is not None:
        name, written = parseaddr(model.smtp.sender)
        found = mail_address(written)
        if isinstance(found, str):
            problems.append(_bad_address(source, ("smtp", "sender"), found, sender=True))
        else:
            sender = (name, found)
    if has_errors(problems):
        raise BulletinError(problems)
    recipients = {r.name: r for r in model.recipient}
    return AddressBook(path, model.smtp, recipients, model.groups, source, addresses, sender)


def mail_address(text: str) -> MailAddress | str:
    """The address in its SMTP forms, or why it is not an e-mail address."""
    try:
        checked = email_validator.validate_email(
            text, check_deliverability=False, allow_smtputf8=True, test_environment=True
        )
    except email_validator.EmailNotValidError as exc:
        return f"'{text}' is not an e-mail address: {exc}"
    envelope = checked.ascii_email or f"{checked.local_part}@{checked.ascii_domain}"
    return MailAddress(text, envelope, checked.ascii_email is None)


def book_for(loaded: LoadedIssue) -> AddressBook | None:
    """The address book that serves an issue, or None when there is none."""
    path = find_address_book(loaded.series_dir)
    return load_address_book(path) if path else None


def print_run_for(loaded: LoadedIssue) -> tuple[int | None, list[Diagnostic]]:
    """共印N份 and warnings: "auto" sums the recipients' copies; a fixed number below warns."""
    copies = loaded.issue.distribution.copies
    dist = loaded.issue.distribution
    if copies is None:
        return None, []
    if copies == "auto":
        book = book_for(loaded)
        if book is None:
            return len(dict.fromkeys([*dist.report_to, *dist.send_to, *dist.issue_to])) or None, []
        return book.resolve(loaded).print_run or None, []
    try:
        book = book_for(loaded)
        needed = book.resolve(loaded).print_run if book else 0
    except BulletinError:
        return copies, []  # recipients not known: `bulletin distribute` reports the problem
    if copies >= needed:
        return copies, []
    return copies, [
        loaded.diagnostic(
            "warning",
            f"共印{copies}份 is fewer than the {needed} copies the recipients in "
            f"{ADDRESS_BOOK} need",
            ("distribution", "copies"),
            f'write copies = {needed}, or copies = "auto" to count them',
        )
    ]


def _unknown_name(
    loaded: LoadedIssue, book: AddressBook, key: tuple[str, int], name: str
) -> Diagnostic:
    hint = did_you_mean(name, book.names()) or (
        f'add it to {book.path.name} as a [[recipient]] with name = "{name}", '
        "or as a group under [groups]"
    )
    diagnostic = loaded.diagnostic(
        "error",
        f"'{name}' is neither a recipient nor a group in {book.path.parent.name}/{book.path.name}",
        ("distribution", *key),
        hint,
    )
    return _at_text(diagnostic, f'"{name}"')


def _at_text(diagnostic: Diagnostic, needle: str) -> Diagnostic:
    """Move a diagnostic to where `needle` first stands at or after its line (list items)."""
    if diagnostic.file is None or diagnostic.line is None:
        return diagnostic
    try:
        lines = diagnostic.file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return diagnostic
    for number in range(diagnostic.line, len(lines) + 1):
        column = lines[number - 1].find(needle)
        if column >= 0:
            return diagnostic.at(number, column + 1)
        if number > diagnostic.line and "=" in lines[number - 1].split("#")[0]:
            break
    return diagnostic


def _for_book(diagnostic: Diagnostic) -> Diagnostic:
    """Reword load.py's hints, which speak of issues and series.toml, for the address book."""
    hint = diagnostic.hint
    if hint and ", in the issue or in" in hint:
        hint = hint.split(", in the issue or in")[0]
    return replace(diagnostic, hint=hint)


def _error(source: SourceFile, key: KeyPath, message: str, hint: str | None) -> Diagnostic:
    return place_diagnostic("error", message, key, hint, source)


def _check(model: AddressBookFile, source: SourceFile) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for index, person in enumerate(model.recipient):
        where: KeyPath = ("recipient", index)
        if person.name in seen:
            yield _error(
                source,
                (*where, "name"),
                f"recipient '{person.name}' is listed twice",
                "keep one [[recipient]] per name",
            )
        seen.add(person.name)
        if (person.email is None) == (person.folder is None):
            yield _error(
                source,
                where,
                f"recipient '{person.name}' needs exactly one of email and folder",
                'write email = "…" or folder = "…", not both',
            )
        if person.copies > MAX_COPIES:
            yield _error(
                source,
                (*where, "copies"),
                f"recipient '{person.name}' asks for {person.copies} copies; at most "
                f"{MAX_COPIES} are allowed",
                f"write the number of printed copies, at most copies = {MAX_COPIES}",
            )
        if person.folder is not None and not _safe_folder(person.folder):
            yield _error(
                source,
                (*where, "folder"),
                f"folder '{person.folder}' must be a plain relative name",
                'write a name such as folder = "chengdu"',
            )
    for group, members in model.groups.items():
        if group in seen:
            yield _error(
                source,
                ("groups", group),
                f"'{group}' is both a recipient and a group",
                "rename one of them",
            )
        for member in members:
            if member not in seen and member not in model.groups:
                yield _error(
                    source,
                    ("groups", group),
                    f"group '{group}' names '{member}', which is neither a recipient nor a group",
                    did_you_mean(member, [*seen, *model.groups]) or "add it as a [[recipient]]",
                )
    yield from _cycles(model.groups, source)


def _cycles(groups: dict[str, list[str]], source: SourceFile) -> Iterator[Diagnostic]:
    done: set[str] = set()
    for start in groups:
        path: list[str] = []
        cycle = _find_cycle(start, groups, path, done)
        if cycle:
            yield _error(
                source,
                ("groups", cycle[0]),
                "groups contain each other: " + " → ".join(cycle),
                "a group may not contain itself, directly or through other groups",
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


def _bad_address(source: SourceFile, key: KeyPath, why: str, sender: bool = False) -> Diagnostic:
    example = '"综合处 <office@example.gov.cn>"' if sender else '"office@example.gov.cn"'
    return _error(source, key, why, f"write it as {example}")


def _control_characters(source: SourceFile) -> Iterator[Diagnostic]:
    """Every value of an address book is one line: no newline, tab, NUL or other control."""
    for key, text in walk_strings(source.data):
        bad = next((c for c in text if unicodedata.category(c) == "Cc"), None)
        if bad is not None:
            yield _error(
                source,
                key,
                f"control character U+{ord(bad):04X} in '{text.encode('unicode_escape').decode()}'",
                "write the value on one line, without control characters "
                "(often pasted in from another program)",
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
