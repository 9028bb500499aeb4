"""The lines `bulletin distribute` prints for people: the plan (--dry-run), the state of each
recipient (--status), one line per delivery as it ends, and the run's summary."""

from __future__ import annotations

import datetime

from pipeline.deliver.distribute import Outcome, Report
from pipeline.deliver.plan import Action, Plan, PlannedDelivery

_WORDS: dict[Action, tuple[str, str]] = {
    "send": ("would send", "pending"),
    "resend": ("would resend", "interrupted while sending; the next run sends it again"),
    "revise": ("would send 更正", "changed since delivery; the next run sends it as 更正"),
    "delivered": ("delivered", "delivered"),
    "changed": ("changed", "changed since delivery; not sent again without --resend-changed"),
}
RANGE_WIDTH = 16  # 000003–000010 and two spaces


def plan_lines(plan: Plan) -> list[str]:
    """--dry-run: who would get what, one line per recipient."""
    lines = [
        _head(plan)
        + f", {plan.file_name}"
        + (" (its PDF is missing or stale: it would be built first)" if plan.rebuilt else "")
    ]
    for d in plan.deliveries:
        word = _WORDS[d.action][0]
        lines.append(f"{word:<14}{d.number_range:<{RANGE_WIDTH}}{d.recipient.name} → {_where(d)}")
    due = len(plan.due)
    lines.append(f"{due} to send, {len(plan.deliveries) - due} not sent; nothing was sent")
    return lines


def status_lines(plan: Plan) -> list[str]:
    """--status: each recipient's state from the ledger, times in local time, then a total."""
    lines = [_head(plan)]
    counts = {"delivered": 0, "failed": 0, "not yet sent": 0, "changed since delivery": 0}
    for d in plan.deliveries:
        state = _WORDS[d.action][1]
        last = d.latest
        if d.action == "changed":
            counts["changed since delivery"] += 1
        elif d.action == "delivered":
            counts["delivered"] += 1
        elif last is not None and last.status == "failed":
            counts["failed"] += 1
        else:
            counts["not yet sent"] += 1
        if last is not None and d.action in ("send", "delivered"):
            word = "sent 更正" if last.status == "sent" and last.revised else last.status
            state = f"{word} {local_time(last.time)}"
            if last.status == "failed":
                state += f": {last.error}"
            elif last.message_id and last.status == "sent":
                state += f" {last.message_id}"
        lines.append(f"{d.number_range:<{RANGE_WIDTH}}{d.recipient.name} → {_where(d)}: {state}")
    copies = sum(d.numbers.count for d in plan.deliveries)
    lines.append(
        f"total: {len(plan.deliveries)} recipients, {copies} copies: "
        + ", ".join(f"{n} {word}" for word, n in counts.items())
    )
    return lines


def status_complete(plan: Plan) -> bool:
    """Whether every recipient has its current copy (--status exits 1 otherwise)."""
    return all(d.action == "delivered" for d in plan.deliveries)


def outcome_line(outcome: Outcome) -> str:
    """One line as a delivery ends."""
    d = outcome.delivery
    if outcome.status == "sent":
        word = "sent 更正" if d.revised else "sent"
    else:
        word = "FAILED" if outcome.status == "failed" else "UNSURE"
    tail = f": {outcome.error}" if outcome.error else ""
    return f"{word:<10}{d.number_range:<{RANGE_WIDTH}}{d.recipient.name} → {_where(d)}{tail}"


def summary_lines(report: Report) -> list[str]:
    """Counts, then every delivery not made (failed, unsure, not reached), for the end of a run."""
    plan = report.plan
    sent = [o for o in report.outcomes if o.status == "sent"]
    skipped = [d.action for d in plan.deliveries if not d.due]
    counts = f"{len(sent)} sent, {len(report.failed)} failed"
    if report.not_sent:
        counts += f", {len(report.not_sent)} not sent"
    counts += f", {skipped.count('delivered')} already delivered"
    if "changed" in skipped:
        counts += (
            f", {skipped.count('changed')} changed since delivery (not sent; use --resend-changed)"
        )
    lines = [counts]
    if report.stopped:
        lines.append(f"stopped: {report.stopped}")
    lines += [
        f"failed  {o.delivery.number_range}  {o.delivery.recipient.name} <{o.delivery.where}>: "
        f"{o.error}"
        for o in report.failed
    ]
    lines += [
        f"not sent  {d.number_range}  {d.recipient.name} <{d.where}>: the run stopped before it"
        for d in report.not_sent
    ]
    if sent and not report.complete:
        lines.append(
            "sent in this run: "
            + ", ".join(f"{o.delivery.number_range} {o.delivery.recipient.name}" for o in sent)
        )
    return lines


def local_time(stamp: str) -> str:
    """A ledger time (ISO 8601 with its offset) in this machine's time zone (TZ honoured)."""
    try:
        moment = datetime.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.astimezone().isoformat(sep=" ", timespec="seconds")


def _head(plan: Plan) -> str:
    copies = sum(d.numbers.count for d in plan.deliveries)
    return f"{plan.identity.key}: {len(plan.deliveries)} recipients, {copies} copies"


def _where(d: PlannedDelivery) -> str:
    return f"e-mail {d.where}" if d.address is not None else d.where
