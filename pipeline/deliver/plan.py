"""Planning a distribution run: each recipient's copy numbers and action, and every check that
can fail (names the stamp font cannot draw, addresses, folders, paths, mail texts, number
bounds) made before anything is built or sent."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from email.utils import make_msgid
from pathlib import Path
from typing import Literal

from pipeline.build import Builder, IssueIdentity, issue_identity, output_path
from pipeline.deliver.ledger import LEDGER_FILE, Delivery, Ledger, NumberRange
from pipeline.deliver.mailer import MailTexts
from pipeline.deliver.oldkeys import IssueWhere, adopt_old_keys
from pipeline.deliver.stamp import format_copy_number, stamp_font_lacks
from pipeline.diagnostics import BulletinError, Diagnostic
from pipeline.files import write_atomically, write_problem
from pipeline.i18n import _
from pipeline.source.addressbook import ADDRESS_BOOK, AddressBook, MailAddress, Recipient, book_for
from pipeline.source.load import LoadedIssue, load_issue

OUTBOX = "outbox"
MAX_COPY_NUMBER = 999_999  # six digits
Action = Literal["send", "resend", "revise", "delivered", "changed"]
SENDS: tuple[Action, ...] = ("send", "resend", "revise")


@dataclass(frozen=True)
class PlannedDelivery:
    """One recipient's delivery: its copy-number range, what this run does, the last attempt."""

    recipient: Recipient
    numbers: NumberRange
    action: Action
    latest: Delivery | None
    file_names: tuple[str, ...]  # one stamped PDF per copy number
    address: MailAddress | None = None  # for e-mail
    message_id: str | None = None  # for e-mail: kept from an attempt of the same PDF
    mail_text: tuple[str, str] | None = None  # subject and body, rendered in the plan

    @property
    def stamped_numbers(self) -> tuple[str, ...]:
        """The 份号 stamped on each copy, in order (000008, 000009, …)."""
        return tuple(format_copy_number(n) for n in self.numbers.numbers())

    @property
    def number_range(self) -> str:
        """000004, or 000004–000006 when the recipient takes several printed copies."""
        first, last = format_copy_number(self.numbers.first), format_copy_number(self.numbers.last)
        return first if self.numbers.count == 1 else f"{first}–{last}"

    @property
    def due(self) -> bool:
        """Whether this run sends it."""
        return self.action in SENDS

    @property
    def revised(self) -> bool:
        """Whether this copy replaces one delivered before (更正)."""
        return self.action == "revise" or (
            self.action == "resend" and self.latest is not None and self.latest.revised
        )

    @property
    def where(self) -> str:
        """The e-mail address, or the outbox file(s) below the output folder."""
        if self.address is not None:
            return self.address.written
        folder = f"{OUTBOX}/{self.recipient.folder}/"
        if len(self.file_names) == 1:
            return folder + self.file_names[0]
        last = self.file_names[-1]
        return f"{folder}{self.file_names[0]} … {last[last.rindex('-') :]}"


@dataclass
class Plan:
    """What one distribution run of an issue will do."""

    identity: IssueIdentity
    loaded: LoadedIssue
    book: AddressBook
    pdf_path: Path
    pdf: bytes
    rebuilt: bool
    file_name: str
    deliveries: list[PlannedDelivery]
    pdf_sha256: str  # of the built (unstamped) PDF: a change means a revised issue
    warnings: list[Diagnostic] = field(default_factory=list)
    adopted_keys: list[str] = field(default_factory=list)  # old ledger keys moved to identity

    @property
    def due(self) -> list[PlannedDelivery]:
        """The deliveries this run sends."""
        return [d for d in self.deliveries if d.due]


@dataclass(frozen=True)
class KeyAnswers:
    """The clerk's answers about old ledger keys (--adopt, --not-mine)."""

    adopt: Collection[str] = ()
    not_mine: Collection[str] = ()


def make_plan(
    builder: Builder,
    ledger: Ledger,
    issue_path: Path,
    *,
    write: bool,
    resend_changed: bool = False,
    answers: KeyAnswers = KeyAnswers(),
) -> Plan:
    """Check everything, build if stale (when `write`), number the copies, decide each action."""
    output_root = builder.output_root
    loaded = load_issue(issue_path.resolve())
    book = book_for(loaded)
    if book is None:
        raise BulletinError.single(
            _("no {file} for this series", file=ADDRESS_BOOK),
            file=issue_path,
            hint=_(
                "write one in {folder} or in {parent}",
                folder=loaded.series_dir,
                parent=loaded.series_dir.parent,
            ),
        )
    recipients = book.resolve(loaded).recipients
    target = output_path(loaded.path, output_root)
    problems = list(_recipient_problems(book, recipients))
    problems += _path_problems(output_root, target, recipients)
    if problems:
        raise BulletinError(problems)
    pdf, _pages, warnings, _deps = builder.render(loaded)
    sha = hashlib.sha256(pdf).hexdigest()
    identity = issue_identity(loaded)
    key = identity.key
    file_name = _file_name(loaded)
    with ledger.transaction(commit=write):
        where = IssueWhere(identity, loaded.path, issue_path, sha)
        adopted = adopt_old_keys(ledger, where, answers.adopt, answers.not_mine)
        numbers = ledger.allocate(key, [(r.name, r.copies) for r in recipients])
        _check_bounds(book, recipients, numbers)
        latest, sent = ledger.latest(key), ledger.last_sent(key)
        deliveries = [
            _planned(
                book,
                r,
                numbers[r.name],
                latest.get(r.name),
                sent.get(r.name),
                sha,
                resend_changed,
                file_name,
            )
            for r in recipients
        ]
        if any(d.due and d.address for d in deliveries):
            deliveries = _with_mail(builder, loaded, book, deliveries, file_name)
    rebuilt = not target.is_file() or target.read_bytes() != pdf
    if rebuilt and write:
        try:
            write_atomically(target, pdf)
        except OSError as exc:
            raise BulletinError([write_problem(target, exc)]) from None
    return Plan(
        identity, loaded, book, target, pdf, rebuilt, file_name, deliveries, sha, warnings, adopted
    )


def check_inside(output_root: Path, path: Path, what: str) -> Diagnostic | None:
    """An error if writing `path` would follow a link out of the output folder."""
    if path.resolve().is_relative_to(output_root.resolve()):
        return None
    return Diagnostic(
        "error",
        _(
            "{what} {path} leads outside the output folder {root} (through a link, to "
            "{target}); nothing was written there",
            what=what,
            path=path,
            root=output_root,
            target=path.resolve(),
        ),
        path,
        hint=_("remove the link, or give another output folder with -o"),
    )


def _planned(
    book: AddressBook,
    recipient: Recipient,
    numbers: NumberRange,
    latest: Delivery | None,
    sent: Delivery | None,
    sha: str,
    resend_changed: bool,
    file_name: str,
) -> PlannedDelivery:
    action = _action(sent, latest, sha, resend_changed)
    stem = file_name.removesuffix(".pdf")
    names = (
        (file_name,)
        if numbers.count == 1
        else tuple(f"{stem}-{format_copy_number(n)}.pdf" for n in numbers.numbers())
    )
    address = book.mail_addresses.get(recipient.name)
    message_id = None
    if address is not None:
        same = latest is not None and latest.pdf_sha256 == sha and latest.channel == "email"
        message_id = latest.message_id if same and latest else None
        if message_id is None and book.sender is not None:
            message_id = make_msgid(domain=book.sender[1].envelope.partition("@")[2])
    return PlannedDelivery(recipient, numbers, action, latest, names, address, message_id)


def _action(sent: Delivery | None, latest: Delivery | None, sha: str, resend: bool) -> Action:
    """Delivered if the same PDF went out; 'sending' or 'failed' rows count as not delivered."""
    interrupted = latest is not None and latest.status == "sending" and latest.pdf_sha256 == sha
    if sent is None:
        return "resend" if interrupted else "send"
    if sent.pdf_sha256 == sha:
        return "delivered"
    if not resend:
        return "changed"
    return "resend" if interrupted else "revise"


def _with_mail(
    builder: Builder,
    loaded: LoadedIssue,
    book: AddressBook,
    deliveries: list[PlannedDelivery],
    file_name: str,
) -> list[PlannedDelivery]:
    """Render every due e-mail's subject and body now: a template error stops the plan."""
    if book.smtp is None or book.sender is None:
        raise BulletinError.single(
            _("recipients are reached by e-mail, but the address book has no [smtp] table"),
            file=book.path,
            hint=_('add [smtp] with host = "…" and sender = "…"'),
        )
    texts = MailTexts(builder.templates.get(loaded.issue.template).folder)
    issue = loaded.issue
    done: list[PlannedDelivery] = []
    for d in deliveries:
        if d.due and d.address:
            text = texts.render(
                {
                    "masthead": issue.masthead,
                    "distribution": issue.distribution,
                    "print_date": issue.print_date,
                    "recipient": d.recipient.name,
                    "copy_number": d.stamped_numbers[0],
                    "copy_range": d.number_range,
                    "copies": d.numbers.count,
                    "file_name": file_name,
                    "file_names": d.file_names,
                    "revised": d.revised,
                }
            )
            d = replace(d, mail_text=text)
        done.append(d)
    return done


def _recipient_problems(book: AddressBook, recipients: tuple[Recipient, ...]) -> list[Diagnostic]:
    """Names the stamp font cannot draw; every recipient's problem, at its entry."""
    problems = []
    for r in recipients:
        missing = stamp_font_lacks(r.name)
        if missing:
            codes = ", ".join(f"U+{ord(c):04X}" for c in missing)
            problems.append(
                book.place(
                    r.name,
                    "name",
                    _(
                        "the stamp font cannot draw {chars} ({codes}) of the name '{name}'",
                        chars=" ".join(missing),
                        codes=codes,
                        name=r.name,
                    ),
                    _(
                        "write the name with common characters: replace an emoji or a rare "
                        "character by its usual form"
                    ),
                )
            )
    return problems


def _path_problems(
    output_root: Path, target: Path, recipients: tuple[Recipient, ...]
) -> list[Diagnostic]:
    checks = [(target.parent, _("the PDF's folder")), (output_root / LEDGER_FILE, _("the ledger"))]
    checks += [
        (output_root / OUTBOX / r.folder, _("the outbox folder of '{name}'", name=r.name))
        for r in recipients
        if r.folder is not None
    ]
    return [p for path, what in checks if (p := check_inside(output_root, path, what))]


def _check_bounds(
    book: AddressBook, recipients: tuple[Recipient, ...], numbers: dict[str, NumberRange]
) -> None:
    over = [r for r in recipients if numbers[r.name].last > MAX_COPY_NUMBER]
    if over:
        raise BulletinError(
            [
                book.place(
                    r.name,
                    "copies",
                    _(
                        "the copy numbers of '{name}' would pass {most} (up to {last}); a copy "
                        "number has six digits",
                        name=r.name,
                        most=MAX_COPY_NUMBER,
                        last=numbers[r.name].last,
                    ),
                    _("lower the copies of the recipients of this issue"),
                )
                for r in over
            ]
        )


def _file_name(loaded: LoadedIssue) -> str:
    """The attachment's Chinese file name, e.g. 工作简报2024年第14期.pdf."""
    head = loaded.issue.masthead
    title = re.sub(r'[\\/:*?"<>|\s]+', "", head.title) or "简报"
    return f"{title}{head.date.year}年第{head.number}期.pdf"
