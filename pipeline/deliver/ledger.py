"""The distribution ledger (SQLite beside the output): copy numbers and every delivery attempt.

Rows are keyed by the issue's identity (`IssueIdentity.key`, e.g. work-bulletin/2024年第14期).
Ledgers written before that used `<folder as typed>/<file stem>`; `deliver.oldkeys` moves such
rows to the identity. A delivery's `copy_number` is the recipient's number range as printed
(000008 or 000008–000028); its `copy_sha256` is the stamped PDF's sha256, or for a range the
sha256 of the copies' hex digests joined by newlines.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from pipeline.diagnostics import BulletinError
from pipeline.i18n import _

LEDGER_FILE = "distribution.sqlite3"
DeliveryStatus = Literal["sending", "sent", "failed"]
Channel = Literal["email", "folder"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS copy_numbers (
    issue TEXT NOT NULL, recipient TEXT NOT NULL,
    first INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (issue, recipient));
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    issue TEXT NOT NULL, recipient TEXT NOT NULL, copy_number TEXT NOT NULL,
    pdf_sha256 TEXT NOT NULL, copy_sha256 TEXT NOT NULL,
    channel TEXT NOT NULL, address TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    revised INTEGER NOT NULL DEFAULT 0,
    time TEXT NOT NULL, message_id TEXT, error TEXT);
CREATE INDEX IF NOT EXISTS deliveries_by_recipient ON deliveries (issue, recipient, id);
CREATE TABLE IF NOT EXISTS old_keys (
    old_key TEXT NOT NULL, issue TEXT NOT NULL, mine INTEGER NOT NULL,
    PRIMARY KEY (old_key, issue));
"""


@dataclass(frozen=True)
class NumberRange:
    """The copy numbers (份号) of one recipient of one issue: first .. first + count - 1."""

    first: int
    count: int

    @property
    def last(self) -> int:
        """The range's last copy number."""
        return self.first + self.count - 1

    def numbers(self) -> range:
        """Every copy number of the range, in order."""
        return range(self.first, self.first + self.count)

    def overlaps(self, other: NumberRange) -> bool:
        """Whether the two ranges share a copy number."""
        return self.first <= other.last and other.first <= self.last


class NumbersDisagree(Exception):
    """Two keys being merged give one recipient different copy numbers, or two the same."""


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt as recorded."""

    id: int
    issue: str
    recipient: str
    copy_number: str
    pdf_sha256: str
    copy_sha256: str
    channel: Channel
    address: str
    status: DeliveryStatus
    revised: bool
    time: str
    message_id: str | None
    error: str | None


class Ledger:
    """Copy-number allocation and the delivery record; every change is committed at once."""

    def __init__(self, path: Path, create: bool = True) -> None:
        self.path = path
        if create or path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        else:  # a preview before the first run leaves no file behind
            self._db = sqlite3.connect(":memory:", isolation_level=None)
        self._db.executescript(_SCHEMA)
        self._lock: IO[bytes] | None = None

    def close(self) -> None:
        """Release the run lock and close the database."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        self._db.close()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the run lock: one distribution run at a time; a killed run releases it."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            yield
            return
        handle = open(self.path.with_suffix(".lock"), "wb")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise BulletinError.single(
                _("another distribution run is using the ledger"),
                file=self.path,
                hint=_("wait for it to finish; a run that was killed releases the lock"),
            ) from None
        self._lock = handle
        try:
            yield
        finally:
            self._lock = None
            handle.close()

    @contextmanager
    def transaction(self, commit: bool = True) -> Iterator[None]:
        """One write transaction; rolled back on an exception, or at the end unless `commit`."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT" if commit else "ROLLBACK")

    def keys(self) -> list[str]:
        """Every issue key the ledger holds, sorted."""
        rows = self._db.execute(
            "SELECT issue FROM copy_numbers UNION SELECT issue FROM deliveries ORDER BY issue"
        )
        return [str(key) for (key,) in rows]

    def has_pdf(self, issue: str, pdf_sha256: str) -> bool:
        """Whether a delivery of this issue key was of the PDF with this digest."""
        row = self._db.execute(
            "SELECT 1 FROM deliveries WHERE issue = ? AND pdf_sha256 = ? LIMIT 1",
            (issue, pdf_sha256),
        )
        return row.fetchone() is not None

    def number_ranges(self, issue: str) -> dict[str, NumberRange]:
        """The copy numbers already given out for an issue, by recipient."""
        rows = self._db.execute(
            "SELECT recipient, first, count FROM copy_numbers WHERE issue = ?", (issue,)
        )
        return {name: NumberRange(first, count) for name, first, count in rows}

    def allocate(self, issue: str, wanted: Sequence[tuple[str, int]]) -> dict[str, NumberRange]:
        """Copy numbers for each (recipient, its copies): kept if given before, else the next free.

        Call inside `transaction`.
        """
        known = self.number_ranges(issue)
        following = max((r.last + 1 for r in known.values()), default=1)
        for name, count in wanted:
            if name not in known:
                known[name] = NumberRange(following, count)
                following += count
                self._db.execute(
                    "INSERT INTO copy_numbers VALUES (?, ?, ?, ?)",
                    (issue, name, known[name].first, count),
                )
        return known

    def merge_key(self, old: str, issue: str) -> None:
        """Move an old key's rows to `issue` (inside `transaction`); raise NumbersDisagree."""
        ranges = self.number_ranges(issue)
        for name, taken in self.number_ranges(old).items():
            if name in ranges and ranges[name] != taken:
                raise NumbersDisagree(name)
            if name not in ranges and any(taken.overlaps(r) for r in ranges.values()):
                raise NumbersDisagree(name)
            ranges[name] = taken
        self._db.execute("DELETE FROM copy_numbers WHERE issue = ?", (issue,))
        self._db.execute("DELETE FROM copy_numbers WHERE issue = ?", (old,))
        self._db.executemany(
            "INSERT INTO copy_numbers VALUES (?, ?, ?, ?)",
            [(issue, name, r.first, r.count) for name, r in ranges.items()],
        )
        self._db.execute("UPDATE deliveries SET issue = ? WHERE issue = ?", (issue, old))
        self.decide(old, issue, mine=True)

    def decide(self, old: str, issue: str, mine: bool) -> None:
        """Record whether an old key's rows are this issue's (the clerk's answer or a merge)."""
        self._db.execute(
            "INSERT OR REPLACE INTO old_keys VALUES (?, ?, ?)", (old, issue, int(mine))
        )

    def not_mine(self, issue: str) -> set[str]:
        """The old keys recorded as belonging to another issue than this one."""
        rows = self._db.execute(
            "SELECT old_key FROM old_keys WHERE issue = ? AND mine = 0", (issue,)
        )
        return {str(key) for (key,) in rows}

    def latest(self, issue: str) -> dict[str, Delivery]:
        """The most recent delivery attempt of each recipient of an issue."""
        rows = self._db.execute(
            "SELECT * FROM deliveries WHERE id IN (SELECT MAX(id) FROM deliveries "
            "WHERE issue = ? GROUP BY recipient)",
            (issue,),
        )
        return {d.recipient: d for d in map(_delivery, rows)}

    def deliveries(self, issue: str) -> list[Delivery]:
        """Every delivery attempt recorded for an issue, oldest first."""
        rows = self._db.execute("SELECT * FROM deliveries WHERE issue = ? ORDER BY id", (issue,))
        return [_delivery(row) for row in rows]

    def last_sent(self, issue: str) -> dict[str, Delivery]:
        """The most recent successful delivery of each recipient of an issue."""
        rows = self._db.execute(
            "SELECT * FROM deliveries WHERE id IN (SELECT MAX(id) FROM deliveries "
            "WHERE issue = ? AND status = 'sent' GROUP BY recipient)",
            (issue,),
        )
        return {d.recipient: d for d in map(_delivery, rows)}

    def begin(
        self,
        issue: str,
        recipient: str,
        copy_number: str,
        pdf_sha256: str,
        copy_sha256: str,
        channel: Channel,
        address: str,
        revised: bool,
        message_id: str | None,
    ) -> int:
        """Record that a delivery is about to start ('sending'), before anything leaves."""
        cursor = self._db.execute(
            "INSERT INTO deliveries (issue, recipient, copy_number, pdf_sha256, copy_sha256, "
            "channel, address, status, revised, time, message_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'sending', ?, ?, ?)",
            (
                issue,
                recipient,
                copy_number,
                pdf_sha256,
                copy_sha256,
                channel,
                address,
                int(revised),
                _now(),
                message_id,
            ),
        )
        return int(cursor.lastrowid or 0)

    def finish(self, delivery_id: int, status: DeliveryStatus, error: str | None = None) -> None:
        """Record how a delivery ended: 'sent' or 'failed' with the reason."""
        self._db.execute(
            "UPDATE deliveries SET status = ?, time = ?, error = ? WHERE id = ?",
            (status, _now(), error, delivery_id),
        )


def _delivery(row: tuple[object, ...]) -> Delivery:
    (
        id_,
        issue,
        recipient,
        copy_number,
        pdf_sha,
        copy_sha,
        channel,
        address,
        status,
        revised,
        time,
        message_id,
        error,
    ) = row
    return Delivery(
        int(str(id_)),
        str(issue),
        str(recipient),
        str(copy_number),
        str(pdf_sha),
        str(copy_sha),
        "email" if channel == "email" else "folder",
        str(address),
        "sent" if status == "sent" else "failed" if status == "failed" else "sending",
        bool(revised),
        str(time),
        None if message_id is None else str(message_id),
        None if error is None else str(error),
    )


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds")
