"""Distribution: each recipient gets its own numbered copies, by e-mail or into its folder, once.

`Distributor.distribute` plans (deliver.plan: every check before anything is built or sent),
connects to the mail server, then delivers each due copy, recording it in the ledger as
`sending` before anything leaves and `sent` or `failed` after. A run that stops midway (the
server gone, a full disk, Ctrl-C) returns what was sent and what was not; it never raises then.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any, Literal

from pipeline.build import Builder
from pipeline.deliver.ledger import LEDGER_FILE, Channel, Ledger
from pipeline.deliver.mailer import TIMEOUT_S, LostReply, Mailer, Refused, ServerGone
from pipeline.deliver.plan import (
    OUTBOX,
    KeyAnswers,
    Plan,
    PlannedDelivery,
    check_inside,
    make_plan,
)
from pipeline.deliver.stamp import StampPlace, stamp_copy
from pipeline.diagnostics import BulletinError
from pipeline.files import write_atomically
from pipeline.i18n import _
from pipeline.source.addressbook import AddressBook, SmtpSettings

Status = Literal["sent", "failed", "uncertain"]


@dataclass(frozen=True)
class Outcome:
    """How one delivery ended in this run; `uncertain`: it may have arrived (a lost reply)."""

    delivery: PlannedDelivery
    status: Status
    error: str | None = None


@dataclass(frozen=True)
class Report:
    """One run: its plan, how each delivery it tried ended, and what it did not get to."""

    plan: Plan
    outcomes: list[Outcome]
    not_sent: list[PlannedDelivery] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped before the end

    @property
    def failed(self) -> list[Outcome]:
        """The deliveries that were tried and not (surely) delivered."""
        return [o for o in self.outcomes if o.status != "sent"]

    @property
    def complete(self) -> bool:
        """Whether every copy that should have gone out did (exit status 0)."""
        changed = any(d.action == "changed" for d in self.plan.deliveries)
        return not (self.failed or self.not_sent or self.stopped or changed)


class _Stop(Exception):
    """The run cannot go on; the delivery in hand ended as `outcome`."""

    def __init__(self, outcome: Outcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome, self.reason = outcome, reason


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
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self.builder = Builder(project_root, output_root)
        self.output_root = self.builder.output_root
        self.smtp_host, self.smtp_port, self.smtp_security = smtp_host, smtp_port, smtp_security
        self.sleep, self.attempts, self.timeout_s = sleep, attempts, timeout_s
        self.environ = os.environ if environ is None else environ

    def ledger(self, create: bool = True) -> Ledger:
        """Open the ledger (created on first use unless `create` is false)."""
        path = self.output_root / LEDGER_FILE
        found = [
            check_inside(self.output_root, p, _("the ledger"))
            for p in (path, path.with_suffix(".lock"))
        ]
        outside = [d for d in found if d is not None]
        if outside:
            raise BulletinError(outside)
        try:
            return Ledger(path, create)
        except (OSError, sqlite3.Error) as exc:
            raise BulletinError.single(
                _("cannot open the ledger: {reason}", reason=exc),
                file=path,
                hint=_("check that the output folder can be written, or give another with -o"),
            ) from None

    def plan(
        self,
        issue_path: Path,
        ledger: Ledger,
        *,
        write: bool,
        resend_changed: bool = False,
        answers: KeyAnswers = KeyAnswers(),  # noqa: B008 - frozen
    ) -> Plan:
        """The run's plan; see deliver.plan.make_plan."""
        return make_plan(
            self.builder,
            ledger,
            issue_path,
            write=write,
            resend_changed=resend_changed,
            answers=answers,
        )

    def distribute(
        self,
        issue_path: Path,
        *,
        resend_changed: bool = False,
        answers: KeyAnswers = KeyAnswers(),  # noqa: B008 - frozen
        on_plan: Callable[[Plan], None] | None = None,
        progress: Callable[[Outcome], None] | None = None,
    ) -> Report:
        """Deliver every copy this run owes; raise BulletinError before sending on any problem."""
        ledger = self.ledger()
        try:
            with ledger.exclusive():
                plan = self.plan(
                    issue_path, ledger, write=True, resend_changed=resend_changed, answers=answers
                )
                if on_plan is not None:
                    on_plan(plan)
                mailer = self._mailer(plan)
                return self._deliver(plan, ledger, mailer, progress or (lambda _o: None))
        finally:
            ledger.close()

    def preview(
        self,
        issue_path: Path,
        resend_changed: bool = False,
        answers: KeyAnswers = KeyAnswers(),  # noqa: B008 - frozen
    ) -> Plan:
        """The plan without building, numbering or sending anything (--dry-run, --status)."""
        ledger = self.ledger(create=False)
        try:
            return self.plan(
                issue_path, ledger, write=False, resend_changed=resend_changed, answers=answers
            )
        finally:
            ledger.close()

    def _mailer(self, plan: Plan) -> Mailer | None:
        """Connected to the server if any e-mail is due; SMTPUTF8 needs checked before sending."""
        due = [d for d in plan.due if d.address is not None]
        if not due:
            return None
        settings = self._smtp_settings(plan.book)
        mailer = Mailer(settings, self.environ, self.sleep, self.attempts, timeout_s=self.timeout_s)
        mailer.open()
        if mailer.smtputf8:
            return mailer
        hint = _(
            "use an address with an ASCII part before the @ (the domain may stay Chinese), "
            "or a server that offers SMTPUTF8"
        )
        problems = [
            plan.book.place(d.recipient.name, "email", _lacks(mailer, d.address.written), hint)
            for d in due
            if d.address and d.address.smtputf8
        ]
        if plan.book.sender is not None and plan.book.sender[1].smtputf8:
            written = plan.book.sender[1].written
            problems.append(plan.book.place_smtp("sender", _lacks(mailer, written), hint))
        if problems:
            mailer.close()
            raise BulletinError(problems)
        return mailer

    def _deliver(
        self, plan: Plan, ledger: Ledger, mailer: Mailer | None, progress: Callable[[Outcome], None]
    ) -> Report:
        due = plan.due
        template = self.builder.templates.get(plan.loaded.issue.template)
        place = StampPlace.for_style(template.style)
        outcomes: list[Outcome] = []
        stopped: str | None = None
        try:
            for planned in due:
                stamped = [
                    stamp_copy(plan.pdf, number, planned.recipient.name, place)
                    for number in planned.stamped_numbers
                ]
                try:
                    if planned.address is not None and mailer is not None:
                        outcome = self._mail(plan, planned, stamped, ledger, mailer)
                    else:
                        outcome = self._file(plan, planned, stamped, ledger)
                except _Stop as stop:
                    outcomes.append(stop.outcome)
                    progress(stop.outcome)
                    stopped = stop.reason
                    break
                outcomes.append(outcome)
                progress(outcome)
        except KeyboardInterrupt:
            stopped = _(
                "interrupted (Ctrl-C); a copy being sent then is sent again by the next run"
            )
        except (OSError, sqlite3.Error, BulletinError) as exc:
            stopped = str(exc)
        finally:
            if mailer is not None:
                mailer.close()
        return Report(plan, outcomes, due[len(outcomes) :], stopped)

    def _mail(
        self,
        plan: Plan,
        planned: PlannedDelivery,
        stamped: list[bytes],
        ledger: Ledger,
        mailer: Mailer,
    ) -> Outcome:
        assert planned.address is not None and planned.mail_text is not None
        assert plan.book.sender is not None
        sender_name, sender = plan.book.sender
        subject, body = planned.mail_text
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = _header_address(sender_name, sender.envelope)
        message["To"] = _header_address(planned.recipient.name, planned.address.envelope)
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = planned.message_id
        message.set_content(body)
        for name, pdf in zip(planned.file_names, stamped, strict=True):
            message.add_attachment(pdf, maintype="application", subtype="pdf", filename=name)
        lost = False  # whether an attempt of this run may have arrived
        for attempt in (1, 2):  # a lost reply is sent again once in a run, never more
            row = _begin(ledger, plan, planned, stamped, "email", planned.address.written)
            status: Status = "uncertain" if lost else "failed"
            try:
                mailer.send(message, sender.envelope, planned.address.envelope)
            except Refused as exc:
                ledger.finish(row, "failed", str(exc))
                return Outcome(planned, status, str(exc))
            except ServerGone as exc:
                ledger.finish(row, "failed", str(exc))
                raise _Stop(
                    Outcome(planned, status, str(exc)),
                    _("the mail server is gone: {reason}", reason=exc),
                ) from None
            except LostReply as exc:
                lost = True
                why = _(
                    "the connection broke after the message was sent ({reason}); it may have "
                    "arrived: the next run sends it again with the same Message-ID",
                    reason=exc,
                )
                ledger.finish(row, "failed", why)
                if attempt == 2:
                    return Outcome(planned, "uncertain", why)
                continue
            ledger.finish(row, "sent")
            return Outcome(planned, "sent")
        raise AssertionError("unreachable")  # pragma: no cover

    def _file(
        self, plan: Plan, planned: PlannedDelivery, stamped: list[bytes], ledger: Ledger
    ) -> Outcome:
        folder = self.output_root / OUTBOX / (planned.recipient.folder or "")
        row = _begin(ledger, plan, planned, stamped, "folder", planned.where)
        try:
            for name, pdf in zip(planned.file_names, stamped, strict=True):
                write_atomically(folder / name, pdf)
        except OSError as exc:
            ledger.finish(row, "failed", str(exc))
            why = _("cannot write {folder}: {reason}", folder=folder, reason=exc.strerror or exc)
            return Outcome(planned, "failed", why)
        ledger.finish(row, "sent")
        return Outcome(planned, "sent")

    def _smtp_settings(self, book: AddressBook) -> SmtpSettings:
        assert book.smtp is not None  # the plan checked it
        update: dict[str, Any] = {}
        if self.smtp_host:
            update["host"] = self.smtp_host
        if self.smtp_port:
            update["port"] = self.smtp_port
        if self.smtp_security:
            update["security"] = self.smtp_security
        return replace(book.smtp, **update)


def _lacks(mailer: Mailer, address: str) -> str:
    return _(
        "the mail server {server} does not offer SMTPUTF8, which the address {address} needs",
        server=mailer.where,
        address=address,
    )


def _header_address(name: str, address: str) -> Address:
    local, _, domain = address.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def _begin(
    ledger: Ledger,
    plan: Plan,
    planned: PlannedDelivery,
    stamped: list[bytes],
    channel: Channel,
    address: str,
) -> int:
    """Record in the ledger that this delivery is about to go out, before anything leaves."""
    digests = [hashlib.sha256(pdf).hexdigest() for pdf in stamped]
    copy_sha = digests[0] if len(digests) == 1 else hashlib.sha256("\n".join(digests).encode())
    return ledger.begin(
        plan.identity.key,
        planned.recipient.name,
        planned.number_range,
        plan.pdf_sha256,
        copy_sha if isinstance(copy_sha, str) else copy_sha.hexdigest(),
        channel,
        address,
        planned.revised,
        planned.message_id if channel == "email" else None,
    )
