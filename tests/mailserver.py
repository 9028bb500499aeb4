"""A real SMTP server on 127.0.0.1 (aiosmtpd) that misbehaves on demand, and a test project."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import socket
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result
from pypdf import PdfReader

from pipeline.app.cli import main
from pipeline.deliver.distribute import Distributor
from pipeline.deliver.ledger import LEDGER_FILE

ISSUE = """\
[masthead]
title = "工作简报"
number = 3
date = 2024-07-24
editor = "测试编发单位"

[[columns]]
name = "栏目"

[[columns.articles]]
title = "标题"
body = "{body}"

[distribution]
report_to = ["上级机关"]
send_to = ["各同级机关"]
issue_to = ["下级机关", "上级机关"]
printer = "测试印发单位"
copies = "auto"
"""

BOOK = """\
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "综合处 <office@example.gov.cn>"

[[recipient]]
name = "上级机关"
email = "up@example.gov.cn"

[[recipient]]
name = "同级机关甲"
email = "jia@example.gov.cn"
copies = 3

[[recipient]]
name = "同级机关乙"
email = "yi@example.gov.cn"

[[recipient]]
name = "同级机关丙"
email = "bing@example.gov.cn"

[[recipient]]
name = "下级机关"
folder = "xiaji"

[groups]
"各同级机关" = ["同级机关甲", "同级机关乙", "同级机关丙"]
"""

# name → (copy numbers, e-mail or None); list order 报, 送 (group), 发; 上级机关 once
EXPECTED = {
    "上级机关": ("000001", "up@example.gov.cn"),
    "同级机关甲": ("000002–000004", "jia@example.gov.cn"),
    "同级机关乙": ("000005", "yi@example.gov.cn"),
    "同级机关丙": ("000006", "bing@example.gov.cn"),
    "下级机关": ("000007", None),
}
E_MAILS = [address for _n, address in EXPECTED.values() if address]
FILE_NAME = "工作简报2024年第3期.pdf"


@dataclass
class Mailbox:
    """What the test server received, and how it misbehaves."""

    port: int
    messages: list[tuple[list[str], bytes]] = field(default_factory=list)
    mail_from: list[str] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # 550 at RCPT
    busy: dict[str, int] = field(default_factory=dict)  # this many 451s at RCPT
    drop_before_dot: int = 0  # close the connection after RCPT (before DATA) this many times
    drop_after_dot: int = 0  # take the message, then close without a reply, this many times
    delay_s: float = 0.0  # wait before answering the final dot …
    delays: int = 10**9  # … for this many messages
    transactions: int = 0
    on_mail: Callable[[int], None] | None = None

    def parsed(self) -> list[EmailMessage]:
        """Every received message, parsed with the default policy."""
        return [
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for _to, raw in self.messages
        ]

    def count(self, address: str) -> int:
        """How many messages went to one address."""
        return sum(address in to for to, _raw in self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages that went to one address, parsed."""
        return [
            m for (to, _r), m in zip(self.messages, self.parsed(), strict=True) if address in to
        ]


class Handler:
    """aiosmtpd hooks that record messages and refuse, defer, delay or drop on demand."""

    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.box.transactions += 1
        if self.box.on_mail is not None:
            self.box.on_mail(self.box.transactions)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.box.refuse:
            return "550 5.1.1 mailbox unavailable"
        if self.box.busy.get(address, 0) > 0:
            self.box.busy[address] -= 1
            return "451 4.7.1 try again later"
        if self.box.drop_before_dot > 0:
            self.box.drop_before_dot -= 1
            server.transport.close()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        self.box.mail_from.append(envelope.mail_from)
        if self.box.delay_s and self.box.delays > 0:
            self.box.delays -= 1
            await asyncio.sleep(self.box.delay_s)
        if self.box.drop_after_dot > 0:
            self.box.drop_after_dot -= 1
            server.transport.close()
        return "250 OK"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(smtputf8: bool = True) -> Iterator[tuple[Mailbox, Controller]]:
    """A real SMTP server on 127.0.0.1, offering SMTPUTF8 or not."""
    box = Mailbox(free_port())
    controller = Controller(
        Handler(box), hostname="127.0.0.1", port=box.port, enable_SMTPUTF8=smtputf8
    )
    controller.start()
    try:
        yield box, controller
    finally:
        if getattr(controller, "_thread", None) is not None:
            controller.stop()


@dataclass
class Project:
    """A project folder with one issue and its address book."""

    root: Path
    issue: Path
    output: Path
    sleeps: list[float]

    @property
    def book(self) -> Path:
        """The series' address book."""
        return self.issue.parent / "recipients.toml"

    def distributor(self, **options: Any) -> Distributor:
        """A distributor whose backoff sleeps are recorded, not slept."""
        options.setdefault("timeout_s", 5.0)
        return Distributor(self.root, self.output, sleep=self.sleeps.append, environ={}, **options)

    def cli(
        self, *args: str, issue: Path | str | None = None, output: Path | str | None = None
    ) -> Result:
        """Run `bulletin distribute ISSUE -o OUTPUT ARGS` in this process."""
        where = str(self.issue if issue is None else issue)
        return CliRunner().invoke(
            main, ["distribute", where, "-o", str(output or self.output), *args]
        )

    def rows(self) -> list[dict[str, Any]]:
        """The ledger's delivery rows."""
        with sqlite3.connect(self.output / LEDGER_FILE) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM deliveries ORDER BY id")]

    def edit_book(self, old: str, new: str) -> None:
        """Replace text in the address book."""
        text = self.book.read_text(encoding="utf-8")
        assert old in text, old
        self.book.write_text(text.replace(old, new, 1), encoding="utf-8")


def make_project(tmp_path: Path, port: int) -> Project:
    """The issue goes to four e-mail recipients (one twice on the lists) and one folder."""
    series = tmp_path / "issues" / "test-series"
    series.mkdir(parents=True)
    (series / "recipients.toml").write_text(BOOK.format(port=port), encoding="utf-8")
    issue = series / "2024-03.toml"
    issue.write_text(ISSUE.format(body="正文。"), encoding="utf-8")
    return Project(tmp_path, issue, tmp_path / "output", [])


def attachments(message: EmailMessage) -> list[tuple[str, PdfReader]]:
    """Each attachment's file name and the PDF it holds."""
    found = []
    for part in message.iter_attachments():
        assert part.get_content_type() == "application/pdf"
        found.append((str(part.get_filename()), PdfReader(io.BytesIO(part.get_content()))))
    return found


def first_line_numbers(pdf: PdfReader) -> list[str]:
    """The six-digit numbers printed on page 1 (the stamped 份号)."""
    return [w for w in pdf.pages[0].extract_text().split() if len(w) == 6 and w.isdigit()]
