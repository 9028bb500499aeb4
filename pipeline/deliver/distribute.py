"""Distribution: each recipient gets its own numbered copy, by e-mail or into its folder, once."""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Literal

import attrs

from pipeline.build import Builder, output_path
from pipeline.deliver.ledger import LEDGER_FILE, Allocation, Delivery, Ledger
from pipeline.deliver.mailer import Mailer, MailTexts, Refused
from pipeline.deliver.stamp import StampPlace, format_copy_number, stamp_copy
from pipeline.diagnostics import BulletinError, Diagnostic
from pipeline.files import write_atomically
from pipeline.source.addressbook import ADDRESS_BOOK, AddressBook, Recipient, SmtpSettings, book_for
from pipeline.source.load import LoadedIssue, load_issue

OUTBOX = "outbox"
Action = Literal["send", "resend", "revise", "delivered", "changed"]
SENDS: tuple[Action, ...] = ("send", "resend", "revise")


@dataclass(frozen=True)
class PlannedCopy:
    """One recipient's copy: its numbers, what this run does with it, and the last attempt."""

    recipient: Recipient
    numbers: Allocation
    action: Action
    latest: Delivery | None

    @property
    def copy_number(self) -> str:
        """The 份号 stamped on the PDF: the first number of the recipient's range."""
        return format_copy_number(self.numbers.first)

    @property
    def revised(self) -> bool:
        """Whether this copy replaces one delivered before (更正)."""
        return self.action == "revise" or (
            self.action == "resend" and self.latest is not None and self.latest.revised
        )

    @property
    def number_range(self) -> str:
        """000004 or 000004–000006 when the recipient takes several printed copies."""
        last = self.numbers.first + self.numbers.count - 1
        return self.copy_number + (f"–{format_copy_number(last)}" if self.numbers.count > 1 else "")


@dataclass
class Plan:
    """What one distribution run of an issue will do."""

    issue_key: str
    loaded: LoadedIssue
    book: AddressBook
    pdf_path: Path
    pdf: bytes
    rebuilt: bool
    file_name: str
    copies: list[PlannedCopy]
    sha256: str  # of the built (unstamped) PDF: a change means a revised issue
    warnings: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """How one copy's delivery ended in this run."""

    copy: PlannedCopy
    status: Literal["sent", "failed"]
    where: str
    message_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Report:
    """One run: its plan and how each copy it owed ended."""

    plan: Plan
    outcomes: list[Outcome]

    @property
    def failed(self) -> list[Outcome]:
        """The copies that could not be delivered."""
        return [o for o in self.outcomes if o.status == "failed"]

    def summary(self) -> list[str]:
        """Counts, then every failure again, for the end of the run."""
        sent = sum(o.status == "sent" for o in self.outcomes)
        skipped = [c.action for c in self.plan.copies if c.action not in SENDS]
        lines = [
            f"{sent} sent, {len(self.failed)} failed, "
            f"{skipped.count('delivered')} already delivered"
            + (
                f", {skipped.count('changed')} changed since delivery (not sent; use "
                "--resend-changed)"
                if "changed" in skipped
                else ""
            )
        ]
        lines += [
            f"failed  {o.copy.copy_number}  {o.copy.recipient.name} <{o.where}>: {o.error}"
            for o in self.failed
        ]
        return lines


class Distributor:
    """Plans and runs the distribution of issues; the ledger lives beside the output."""

    def __init__(
        self,
        project_root: Path,
        output_root: Path | None = None,
        *,
        smtp_host: str | None = None,
        smtp_port: int | None = None,
        smtp_security: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 4,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.builder = Builder(project_root, output_root)
        self.output_root = self.builder.output_root
        self.smtp_host, self.smtp_port, self.smtp_security = smtp_host, smtp_port, smtp_security
        self.sleep, self.attempts = sleep, attempts
        self.environ = os.environ if environ is None else environ

    def ledger(self, create: bool = True) -> Ledger:
        """Open the ledger (created on first use unless `create` is false)."""
        return Ledger(self.output_root / LEDGER_FILE, create)

    def plan(
        self, issue_path: Path, ledger: Ledger, *, write: bool, resend_changed: bool = False
    ) -> Plan:
        """Check names, build if stale (when `write`), number the copies and decide each action."""
        loaded = load_issue(issue_path)
        book = book_for(loaded)
        if book is None:
            raise BulletinError.single(
                f"no {ADDRESS_BOOK} for this series",
                file=issue_path,
                hint=f"write one in {loaded.series_dir} or in {loaded.series_dir.parent}",
            )
        resolved = book.resolve(loaded)
        pdf, _pages, warnings, _deps = self.builder.render(loaded)
        target = output_path(issue_path, self.output_root)
        rebuilt = not target.is_file() or target.read_bytes() != pdf
        if rebuilt and write:
            write_atomically(target, pdf)
        key = f"{issue_path.parent.name}/{issue_path.stem}"
        numbers = ledger.allocate(
            key, [(r.name, r.copies) for r in resolved.recipients], commit=write
        )
        sha = _digest(pdf)
        latest, sent = ledger.latest(key), ledger.last_sent(key)
        copies = [
            PlannedCopy(
                r,
                numbers[r.name],
                _action(sent.get(r.name), latest.get(r.name), sha, resend_changed),
                latest.get(r.name),
            )
            for r in resolved.recipients
        ]
        file_name = _file_name(loaded)
        return Plan(key, loaded, book, target, pdf, rebuilt, file_name, copies, sha, warnings)

    def distribute(
        self,
        issue_path: Path,
        *,
        resend_changed: bool = False,
        on_plan: Callable[[Plan], None] | None = None,
        progress: Callable[[Outcome], None] | None = None,
    ) -> Report:
        """Deliver every copy this run owes; raise BulletinError before sending on any problem."""
        ledger = self.ledger()
        try:
            with ledger.exclusive():
                plan = self.plan(issue_path, ledger, write=True, resend_changed=resend_changed)
                if on_plan is not None:
                    on_plan(plan)
                return Report(plan, self._deliver(plan, ledger, progress or (lambda _o: None)))
        finally:
            ledger.close()

    def preview(self, issue_path: Path, resend_changed: bool = False) -> Plan:
        """The plan without building, numbering or sending anything (--dry-run, --status)."""
        ledger = self.ledger(create=False)
        try:
            return self.plan(issue_path, ledger, write=False, resend_changed=resend_changed)
        finally:
            ledger.close()

    def _deliver(
        self, plan: Plan, ledger: Ledger, progress: Callable[[Outcome], None]
    ) -> list[Outcome]:
        due = [c for c in plan.copies if c.action in SENDS]
        template = self.builder.templates.get(plan.loaded.issue.template)
        place = StampPlace.for_style(template.style)
        mailer: Mailer | None = None
        texts: MailTexts | None = None
        if any(c.recipient.channel == "email" for c in due):
            texts = MailTexts(template.folder)
            mailer = Mailer(self._smtp_settings(plan.book), self.environ, self.sleep, self.attempts)
            mailer.open()
        outcomes: list[Outcome] = []
        try:
            for planned in due:
                personal = stamp_copy(plan.pdf, planned.copy_number, planned.recipient.name, place)
                if mailer and texts and planned.recipient.channel == "email":
                    outcome = self._mail(plan, planned, personal, ledger, mailer, texts)
                else:
                    outcome = self._file(plan, planned, personal, ledger)
                outcomes.append(outcome)
                progress(outcome)
        finally:
            if mailer is not None:
                mailer.close()
        return outcomes

    def _mail(
        self,
        plan: Plan,
        planned: PlannedCopy,
        personal: bytes,
        ledger: Ledger,
        mailer: Mailer,
        texts: MailTexts,
    ) -> Outcome:
        recipient, revised = planned.recipient, planned.revised
        sender = mailer.settings.sender
        reused = (
            planned.latest.message_id if planned.action == "resend" and planned.latest else None
        )
        message_id = reused or make_msgid(domain=parseaddr(sender)[1].partition("@")[2] or None)
        issue = plan.loaded.issue
        subject, body = texts.render(
            {
                "masthead": issue.masthead,
                "distribution": issue.distribution,
                "print_date": issue.print_date,
                "recipient": recipient.name,
                "copy_number": planned.copy_number,
                "copy_range": planned.number_range,
                "copies": planned.numbers.count,
                "file_name": plan.file_name,
                "revised": revised,
            }
        )
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = sender
        message["To"] = formataddr((recipient.name, recipient.address))
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = message_id
        message.set_content(body)
        message.add_attachment(
            personal, maintype="application", subtype="pdf", filename=plan.file_name
        )
        row = _begin(ledger, plan, planned, personal, "email", recipient.address, message_id)
        try:
            mailer.send(message, recipient.address)
        except Refused as exc:
            ledger.finish(row, "failed", str(exc))
            return Outcome(planned, "failed", recipient.address, message_id, str(exc))
        ledger.finish(row, "sent")
        return Outcome(planned, "sent", recipient.address, message_id)

    def _file(self, plan: Plan, planned: PlannedCopy, personal: bytes, ledger: Ledger) -> Outcome:
        recipient = planned.recipient
        target = self.output_root / OUTBOX / (recipient.folder or "") / plan.file_name
        shown = f"{OUTBOX}/{recipient.folder}/{plan.file_name}"
        row = _begin(ledger, plan, planned, personal, "folder", shown, None)
        try:
            write_atomically(target, personal)
        except OSError as exc:
            ledger.finish(row, "failed", str(exc))
            return Outcome(planned, "failed", shown, error=str(exc))
        ledger.finish(row, "sent")
        return Outcome(planned, "sent", shown)

    def _smtp_settings(self, book: AddressBook) -> SmtpSettings:
        settings = book.smtp
        if settings is None:
            raise BulletinError.single(
                "recipients are reached by e-mail, but the address book has no [smtp] table",
                file=book.path,
                hint='add [smtp] with host = "…" and sender = "…"',
            )
        update: dict[str, Any] = {}
        if self.smtp_host:
            update["host"] = self.smtp_host
        if self.smtp_port:
            update["port"] = self.smtp_port
        if self.smtp_security:
            update["security"] = self.smtp_security
        return attrs.evolve(settings, **update)


def _action(
    sent: Delivery | None, latest: Delivery | None, sha: str, resend_changed: bool
) -> Action:
    """Delivered if the same PDF went out; 'sending' or 'failed' rows count as not delivered."""
    interrupted = latest is not None and latest.status == "sending" and latest.pdf_sha256 == sha
    if sent is None:
        return "resend" if interrupted else "send"
    if sent.pdf_sha256 == sha:
        return "delivered"
    if not resend_changed:
        return "changed"
    return "resend" if interrupted else "revise"


def _file_name(loaded: LoadedIssue) -> str:
    """The attachment's Chinese file name, e.g. 工作简报2024年第14期.pdf."""
    head = loaded.issue.masthead
    title = re.sub(r'[\\/:*?"<>|\s]+', "", head.title) or "简报"
    return f"{title}{head.date.year}年第{head.number}期.pdf"


def _begin(
    ledger: Ledger,
    plan: Plan,
    planned: PlannedCopy,
    personal: bytes,
    channel: str,
    address: str,
    message_id: str | None,
) -> int:
    """Record in the ledger that this copy is about to go out, before anything leaves."""
    return ledger.begin(
        plan.issue_key,
        planned.recipient.name,
        planned.copy_number,
        plan.sha256,
        _digest(personal),
        channel,
        address,
        planned.revised,
        message_id,
    )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_WORDS: dict[Action, tuple[str, str]] = {
    "send": ("would send", "pending"),
    "resend": ("would resend", "interrupted while sending; the next run sends it again"),
    "revise": ("would send 更正", "changed since delivery; the next run sends it as 更正"),
    "delivered": ("delivered", "delivered"),
    "changed": ("changed", "changed since delivery; not sent again without --resend-changed"),
}


def _where(plan: Plan, recipient: Recipient) -> str:
    if recipient.channel == "email":
        return f"e-mail {recipient.address}"
    return f"{OUTBOX}/{recipient.folder}/{plan.file_name}"


def plan_lines(plan: Plan) -> list[str]:
    """--dry-run: who would get what, one line per recipient."""
    head = f"{plan.issue_key}: {len(plan.copies)} recipients, {plan.file_name}" + (
        " (its PDF is missing or stale: it would be built first)" if plan.rebuilt else ""
    )
    lines = [head]
    for c in plan.copies:
        word = _WORDS[c.action][0]
        lines.append(
            f"{word:<14}{c.number_range:<16}{c.recipient.name} → {_where(plan, c.recipient)}"
        )
    due = sum(c.action in SENDS for c in plan.copies)
    lines.append(f"{due} to send, {len(plan.copies) - due} not sent; nothing was sent")
    return lines


def status_lines(plan: Plan) -> list[str]:
    """--status: each recipient's state from the ledger."""
    lines = [f"{plan.issue_key}: {len(plan.copies)} recipients"]
    for c in plan.copies:
        state = _WORDS[c.action][1]
        last = c.latest
        if last is not None and c.action in ("send", "delivered"):
            state = (
                f"{last.status} {last.time}"
                if last.status != "failed"
                else f"failed {last.time}: {last.error}"
            )
            state += f" {last.message_id}" if last.message_id and last.status == "sent" else ""
        lines.append(
            f"{c.number_range:<16}{c.recipient.name} → {_where(plan, c.recipient)}: {state}"
        )
    return lines


def outcome_line(outcome: Outcome) -> str:
    """One line as a copy goes out (or fails)."""
    c = outcome.copy
    word = ("sent 更正" if c.revised else "sent") if outcome.status == "sent" else "FAILED"
    tail = f": {outcome.error}" if outcome.error else ""
    return f"{word:<10}{c.copy_number}  {c.recipient.name} → {outcome.where}{tail}"
