"""The lines `bulletin distribute` prints for people: the plan (--dry-run), the state of each
recipient (--status), one line per delivery as it ends, and the run's summary."""

from __future__ import annotations

import datetime
import unicodedata

from pipeline.deliver.distribute import Outcome, Report
from pipeline.deliver.plan import Action, Plan, PlannedDelivery
from pipeline.i18n import N_, _

_WORDS: dict[Action, tuple[str, str]] = {
    "send": (N_("would send"), N_("pending")),
    "resend": (
        N_("would resend"),
        N_("interrupted while sending; the next run sends it again"),
    ),
    "revise": (
        N_("would send 更正"),
        N_("changed since delivery; the next run sends it as 更正"),
    ),
    "delivered": (N_("delivered"), N_("delivered")),
    "changed": (
        N_("changed"),
        N_("changed since delivery; not sent again without --resend-changed"),
    ),
}
RANGE_WIDTH = 16  # 000003–000010 and two spaces


def plan_lines(plan: Plan) -> list[str]:
    """--dry-run: who would get what, one line per recipient."""
    head = _head(plan) + f", {plan.file_name}"
    if plan.rebuilt:
        head += _(" (its PDF is missing or stale: it would be built first)")
    lines = [head]
    for d in plan.deliveries:
        lines.append(_pad(_(_WORDS[d.action][0]), 14) + _numbered(d))
    due = len(plan.due)
    lines.append(
        _(
            "{due} to send, {rest} not sent; nothing was sent",
            due=due,
            rest=len(plan.deliveries) - due,
        )
    )
    return lines


def status_lines(plan: Plan) -> list[str]:
    """--status: each recipient's state from the ledger, times in local time, then a total."""
    lines = [_head(plan)]
    delivered = failed = owed = changed = 0
    for d in plan.deliveries:
        state = _(_WORDS[d.action][1])
        last = d.latest
        if d.action == "changed":
            changed += 1
        elif d.action == "delivered":
            delivered += 1
        elif last is not None and last.status == "failed":
            failed += 1
        else:
            owed += 1
        if last is not None and d.action in ("send", "delivered"):
            word = {"sent": _("sent"), "failed": _("failed"), "sending": _("sending")}
            revised = last.status == "sent" and last.revised
            state = _("sent 更正") if revised else word[last.status]
            state += " " + local_time(last.time)
            if last.status == "failed":
                state += f": {last.error}"
            elif last.message_id and last.status == "sent":
                state += f" {last.message_id}"
        lines.append(f"{_numbered(d)}: {state}")
    lines.append(
        _(
            "total: {recipients} recipients, {copies} copies: {delivered} delivered, "
            "{failed} failed, {owed} not yet sent, {changed} changed since delivery",
            recipients=len(plan.deliveries),
            copies=sum(d.numbers.count for d in plan.deliveries),
            delivered=delivered,
            failed=failed,
            owed=owed,
            changed=changed,
        )
    )
    return lines


def status_complete(plan: Plan) -> bool:
    """Whether every recipient has its current copy (--status exits 1 otherwise)."""
    return all(d.action == "delivered" for d in plan.deliveries)


def outcome_line(outcome: Outcome) -> str:
    """One line as a delivery ends."""
    d = outcome.delivery
    if outcome.status == "sent":
        word = _("sent 更正") if d.revised else _("sent")
    else:
        word = _("FAILED") if outcome.status == "failed" else _("UNSURE")
    tail = f": {outcome.error}" if outcome.error else ""
    return _pad(word, 10) + _numbered(d) + tail


def summary_lines(report: Report) -> list[str]:
    """The counts (the first line), then every delivery not made and what this run sent."""
    plan = report.plan
    sent = [o for o in report.outcomes if o.status == "sent"]
    skipped = [d.action for d in plan.deliveries if not d.due]
    counts = _("{sent} sent, {failed} failed", sent=len(sent), failed=len(report.failed))
    if report.not_sent:
        counts += _(", {count} not sent", count=len(report.not_sent))
    counts += _(", {count} already delivered", count=skipped.count("delivered"))
    if "changed" in skipped:
        counts += _(
            ", {count} changed since delivery (not sent; use --resend-changed)",
            count=skipped.count("changed"),
        )
    lines = [counts]
    if report.stopped:
        lines.append(_("stopped: {reason}", reason=report.stopped))
    lines += [
        _(
            "failed  {numbers}  {name} <{where}>: {reason}",
            numbers=o.delivery.number_range,
            name=o.delivery.recipient.name,
            where=o.delivery.where,
            reason=o.error,
        )
        for o in report.failed
    ]
    lines += [
        _(
            "not sent  {numbers}  {name} <{where}>: the run stopped before it",
            numbers=d.number_range,
            name=d.recipient.name,
            where=d.where,
        )
        for d in report.not_sent
    ]
    if sent and not report.complete:
        done = ", ".join(f"{o.delivery.number_range} {o.delivery.recipient.name}" for o in sent)
        lines.append(_("sent in this run: {copies}", copies=done))
    return lines


def local_time(stamp: str) -> str:
    """A ledger time (ISO 8601 with its offset) in this machine's time zone (TZ honoured)."""
    try:
        moment = datetime.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.astimezone().isoformat(sep=" ", timespec="seconds")


def _head(plan: Plan) -> str:
    return _(
        "{issue}: {recipients} recipients, {copies} copies",
        issue=plan.identity.key,
        recipients=len(plan.deliveries),
        copies=sum(d.numbers.count for d in plan.deliveries),
    )


def _numbered(d: PlannedDelivery) -> str:
    """000003–000010   机关第一党支部 → outbox/zhibu-1/…"""
    where = _("e-mail {address}", address=d.where) if d.address is not None else d.where
    return f"{d.number_range:<{RANGE_WIDTH}}{d.recipient.name} → {where}"


def _pad(text: str, width: int) -> str:
    """Pad to a width in terminal columns (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - columns, 1)
