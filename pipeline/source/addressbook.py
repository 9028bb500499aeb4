"""The address book (recipients.toml): who receives an issue, by e-mail or into a folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.diagnostics import BulletinError, Diagnostic, did_you_mean, has_errors
from pipeline.i18n import _, language
from pipeline.source.bookcheck import (
    MAX_COPIES,
    AddressBookFile,
    Recipient,
    SmtpSettings,
    bad_address,
    check_entries,
    control_characters,
    error_at,
)
from pipeline.source.bookpath import ADDRESS_BOOK, find_address_book
from pipeline.source.kept import KeptByContent
from pipeline.source.load import (
    LoadedIssue,
    SourceFile,
    diagnostics_from_schema,
    parse_toml,
    read_source,
    read_toml,
)
from pipeline.source.schema import SchemaError, check
from pipeline.source.tomlpos import KeyPath

__all__ = [
    "ADDRESS_BOOK",
    "MAX_COPIES",
    "AddressBook",
    "MailAddress",
    "Recipient",
    "SmtpSettings",
    "find_address_book",
]

LISTS = (("report_to", "报"), ("send_to", "送"), ("issue_to", "发"))


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
        return error_at(self.source, path, message, hint)

    def place_smtp(self, key: str, message: str, hint: str) -> Diagnostic:
        """An error placed at a key of the [smtp] table."""
        return error_at(self.source, ("smtp", key), message, hint)

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


def load_address_book(path: Path, raw: bytes | None = None) -> AddressBook:
    """Read (unless its bytes are given) and validate an address book; raise BulletinError with
    every problem found."""
    source = read_toml(path) if raw is None else parse_toml(path, raw)
    try:
        model = check(source.data, AddressBookFile)
    except SchemaError as exc:
        raise BulletinError(
            [_for_book(d) for d in diagnostics_from_schema(exc, AddressBookFile, source)]
        ) from None
    problems = list(control_characters(source))
    problems += check_entries(model, source)
    addresses: dict[str, MailAddress] = {}
    for index, person in enumerate(model.recipient):
        if person.email is not None:
            found = mail_address(person.email)
            if isinstance(found, str):
                problems.append(bad_address(source, ("recipient", index, "email"), found))
            else:
                addresses[person.name] = found
    sender = None
    if model.smtp is not None:
        from email.utils import parseaddr  # only a book with [smtp]

        name, written = parseaddr(model.smtp.sender)
        found = mail_address(written)
        if isinstance(found, str):
            problems.append(bad_address(source, ("smtp", "sender"), found, sender=True))
        else:
            sender = (name, found)
    if has_errors(problems):
        raise BulletinError(problems)
    recipients = {r.name: r for r in model.recipient}
    return AddressBook(path, model.smtp, recipients, model.groups, source, addresses, sender)


def mail_address(text: str) -> MailAddress | str:
    """The address in its SMTP forms, or why it is not an e-mail address."""
    import email_validator  # ~30 ms; only distributing and checking the book need it

    try:
        checked = email_validator.validate_email(
            text, check_deliverability=False, allow_smtputf8=True, test_environment=True
        )
    except email_validator.EmailNotValidError as exc:
        return _("'{text}' is not an e-mail address: {reason}", text=text, reason=exc)
    envelope = checked.ascii_email or f"{checked.local_part}@{checked.ascii_domain}"
    return MailAddress(text, envelope, checked.ascii_email is None)


class KeptBooks:
    """Address books checked once and kept while their files hold the same bytes (a Builder's)."""

    def __init__(self, limit: int = 4) -> None:
        self._kept: KeptByContent[AddressBook | BulletinError] = KeptByContent(limit)

    def load(self, path: Path) -> AddressBook:
        """The address book, parsed and checked again only when its bytes change."""
        raw = read_source(path)
        name = (path, language())
        found = self._kept.get(name, (raw,))
        if found is None:
            try:
                found = load_address_book(path, raw)
            except BulletinError as exc:
                found = exc
            self._kept.put(name, (raw,), found)
        if isinstance(found, BulletinError):
            raise BulletinError(list(found.diagnostics))
        return found


def book_for(
    loaded: LoadedIssue, load: Callable[[Path], AddressBook] | None = None
) -> AddressBook | None:
    """The address book that serves an issue (read by `load`), or None when there is none."""
    path = find_address_book(loaded.series_dir)
    return (load or load_address_book)(path) if path else None


def print_run_for(
    loaded: LoadedIssue, load: Callable[[Path], AddressBook] | None = None
) -> tuple[int | None, list[Diagnostic]]:
    """共印N份 and warnings: "auto" sums the recipients' copies; a fixed number below warns.

    `load` reads the address book (a Builder's keeps it while its bytes stay the same).
    """
    copies = loaded.issue.distribution.copies
    dist = loaded.issue.distribution
    if copies is None:
        return None, []
    if copies == "auto":
        book = book_for(loaded, load)
        if book is None:
            return len(dict.fromkeys([*dist.report_to, *dist.send_to, *dist.issue_to])) or None, []
        return book.resolve(loaded).print_run or None, []
    try:
        book = book_for(loaded, load)
        needed = book.resolve(loaded).print_run if book else 0
    except BulletinError:
        return copies, []  # recipients not known: `bulletin distribute` reports the problem
    if copies >= needed:
        return copies, []
    return copies, [
        loaded.diagnostic(
            "warning",
            _(
                "共印{copies}份 is fewer than the {needed} copies the recipients in {book} need",
                copies=copies,
                needed=needed,
                book=ADDRESS_BOOK,
            ),
            ("distribution", "copies"),
            _('write copies = {needed}, or copies = "auto" to count them', needed=needed),
        )
    ]


def _unknown_name(
    loaded: LoadedIssue, book: AddressBook, key: tuple[str, int], name: str
) -> Diagnostic:
    hint = did_you_mean(name, book.names()) or _(
        'add it to {file} as a [[recipient]] with name = "{name}", or as a group under [groups]',
        file=book.path.name,
        name=name,
    )
    diagnostic = loaded.diagnostic(
        "error",
        _(
            "'{name}' is neither a recipient nor a group in {book}",
            name=name,
            book=f"{book.path.parent.name}/{book.path.name}",
        ),
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
