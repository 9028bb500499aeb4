"""The distribution ledger (SQLite beside the output): copy numbers and every delivery attempt."""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pipeline.diagnostics import BulletinError

LEDGER_FILE = "distribution.sqlite3"

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
"""


@dataclass(frozen=True)
class Allocation:
    """The copy numbers of one recipient of one issue: first .. first + count - 1."""

    first: int
    count: int


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt as recorded."""

    id: int
    issue: str
    recipient: str
    copy_number: str
    pdf_sha256: str
    copy_sha256: str
    channel: str
    address: str
    status: str
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
                "another distribution run is using the ledger",
                file=self.path,
                hint="wait for it to finish; a run that was killed releases the lock",
            ) from None
        self._lock = handle
        try:
            yield
        finally:
            self._lock = None
            handle.close()

    def allocations(self, issue: str) -> dict[str, Allocation]:
        """The copy numbers already given out for an issue, by recipient."""
        rows = self._db.execute(
            "SELECT recipient, first, count FROM copy_numbers WHERE issue = ?", (issue,)
        )
        return {name: Allocation(first, count) for name, first, count in rows}

    def allocate(
        self, issue: str, wanted: Sequence[tuple[str, int]], commit: bool = True
    ) -> dict[str, Allocation]:
        """Copy numbers for each (recipient, copies): kept if given before, else the next free."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            known = self.allocations(issue)
            following = max((a.first + a.count for a in known.values()), default=1)
            for name, copies in wanted:
                if name not in known:
                    known[name] = Allocation(following, copies)
                    following += copies
                    self._db.execute(
                        "INSERT INTO copy_numbers VALUES (?, ?, ?, ?)",
                        (issue, name, known[name].first, copies),
                    )
            self._db.execute("COMMIT" if commit else "ROLLBACK")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return known

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
        channel: str,
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

    def finish(self, delivery_id: int, status: str, error: str | None = None) -> None:
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
        str(channel),
        str(address),
        str(status),
        bool(revised),
        str(time),
        None if message_id is None else str(message_id),
        None if error is None else str(error),
    )


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds")
