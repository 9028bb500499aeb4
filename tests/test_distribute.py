"""Distribution against a real SMTP server on 127.0.0.1: each recipient gets its copy, once."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import re
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from pypdf import PdfReader

from pipeline.app.cli import main
from pipeline.deliver.distribute import Distributor
from pipeline.deliver.ledger import LEDGER_FILE, Ledger
from pipeline.diagnostics import BulletinError

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

# name → (first copy number, e-mail or None); list order 报, 送 (group), 发; 上级机关 once
EXPECTED = {
    "上级机关": ("000001", "up@example.gov.cn"),
    "同级机关甲": ("000002", "jia@example.gov.cn"),
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
    refuse: set[str] = field(default_factory=set)
    busy: dict[str, int] = field(default_factory=dict)
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


class Handler:
    """aiosmtpd hooks that record messages, refuse or defer some recipients."""

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
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1."""
    box = Mailbox(free_port())
    controller = Controller(Handler(box), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Project:
    """A project folder with one issue and its address book."""

    root: Path
    issue: Path
    output: Path
    sleeps: list[float]

    def distributor(self, **options: Any) -> Distributor:
        """A distributor whose backoff sleeps are recorded, not slept."""
        return Distributor(self.root, self.output, sleep=self.sleeps.append, environ={}, **options)

    def cli(self, *args: str) -> Any:
        """Run `bulletin distribute ISSUE -o OUTPUT ARGS`."""
        return CliRunner().invoke(
            main, ["distribute", str(self.issue), "-o", str(self.output), *args]
        )

    def rows(self) -> list[dict[str, Any]]:
        """The ledger's delivery rows."""
        with sqlite3.connect(self.output / LEDGER_FILE) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM deliveries ORDER BY id")]


@pytest.fixture
def project(tmp_path: Path, server: Mailbox) -> Project:
    """The issue goes to four e-mail recipients (one twice on the lists) and one folder."""
    series = tmp_path / "issues" / "test-series"
    series.mkdir(parents=True)
    (series / "recipients.toml").write_text(BOOK.format(port=server.port), encoding="utf-8")
    issue = series / "2024-03.toml"
    issue.write_text(ISSUE.format(body="正文。"), encoding="utf-8")
    return Project(tmp_path, issue, tmp_path / "output", [])


def copy_of(message: EmailMessage) -> tuple[str, PdfReader]:
    """The attachment's file name and the PDF it holds."""
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    return str(part.get_filename()), PdfReader(io.BytesIO(part.get_content()))


def test_every_recipient_gets_one_message_with_its_numbered_copy(
    project: Project, server: Mailbox
) -> None:
    report = project.distributor().distribute(project.issue)
    assert [o.status for o in report.outcomes] == ["sent"] * 5
    assert sorted(to[0] for to, _raw in server.messages) == sorted(E_MAILS)
    assert all(len(to) == 1 for to, _raw in server.messages)
    for (to, raw), message in zip(server.messages, server.parsed(), strict=True):
        name = next(n for n, (_c, a) in EXPECTED.items() if a == to[0])
        file_name, pdf = copy_of(message)
        assert file_name == FILE_NAME
        # RFC 2231: the Chinese name percent-encoded as UTF-8 (in continuations when long)
        assert re.search(rb"filename\*(0\*)?=utf-8''%E5%B7%A5%E4%BD%9C", raw), raw[:2000]
        assert EXPECTED[name][0] in pdf.pages[0].extract_text().split("\n")
        assert name in pdf.pages[-1].extract_text()
        assert message["Subject"] == f"《工作简报》2024年第3期（份号{EXPECTED[name][0]}）"
        assert name in str(message["To"]) and to[0] in str(message["To"])
        assert message["Message-ID"]
    assert (
        "（共印7份）"
        in PdfReader(project.output / "test-series" / "2024-03.pdf").pages[-1].extract_text()
    )  # "auto": 1 + 3 + 1 + 1 + 1 printed copies
    assert project.sleeps == []


def test_a_second_run_sends_nothing(project: Project, server: Mailbox) -> None:
    assert len(project.distributor().distribute(project.issue).outcomes) == 5
    result = project.cli()
    assert result.exit_code == 0, result.output
    assert "0 sent, 0 failed, 5 already delivered" in result.output
    assert len(server.messages) == 4


def test_the_ledger_records_each_delivery(project: Project, server: Mailbox) -> None:
    project.distributor().distribute(project.issue)
    rows = project.rows()
    pdf_sha = hashlib.sha256((project.output / "test-series" / "2024-03.pdf").read_bytes())
    ids = {
        to[0]: m["Message-ID"] for (to, _r), m in zip(server.messages, server.parsed(), strict=True)
    }
    assert [r["recipient"] for r in rows] == list(EXPECTED)
    for row in rows:
        copy_number, address = EXPECTED[row["recipient"]]
        assert row["issue"] == "test-series/2024-03"
        assert row["copy_number"] == copy_number
        assert row["pdf_sha256"] == pdf_sha.hexdigest()
        assert row["status"] == "sent" and row["time"]
        assert row["channel"] == ("email" if address else "folder")
        assert row["message_id"] == (ids[address] if address else None)


def test_the_folder_channel_writes_the_stamped_copy(project: Project, server: Mailbox) -> None:
    project.distributor().distribute(project.issue)
    folder = project.output / "outbox" / "xiaji"
    assert [p.name for p in folder.iterdir()] == [FILE_NAME]
    pdf = PdfReader(folder / FILE_NAME)
    assert "000007" in pdf.pages[0].extract_text().split("\n")
    assert "下级机关" in pdf.pages[-1].extract_text()
    assert project.rows()[-1]["address"] == f"outbox/xiaji/{FILE_NAME}"


def test_a_killed_run_resumes_and_delivers_each_exactly_once(
    project: Project, server: Mailbox
) -> None:
    delivered_before_kill = 2
    running: list[subprocess.Popen[bytes]] = []

    def kill_when_the_next_message_starts(transaction: int) -> None:
        if transaction == delivered_before_kill + 1 and running:
            running[0].kill()
            running[0].wait()

    server.on_mail = kill_when_the_next_message_starts
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pipeline.app.cli import main; main()",
            "distribute",
            str(project.issue),
            "-o",
            str(project.output),
        ],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    running.append(process)
    process.wait(timeout=60)
    assert process.returncode < 0  # killed, not finished
    assert len(server.messages) == delivered_before_kill
    server.on_mail = None
    statuses = [r["status"] for r in project.rows()]
    assert statuses == ["sent", "sent", "sending"]  # killed as the third went out

    status = project.cli("--status")
    assert "interrupted while sending" in status.output, (status.output, status.exception)
    report = project.distributor().distribute(project.issue)
    assert [o.copy.action for o in report.outcomes] == ["resend", "send", "send"]
    assert all(server.count(address) == 1 for address in E_MAILS)
    assert len(server.messages) == len(E_MAILS)
    assert (project.output / "outbox" / "xiaji" / FILE_NAME).is_file()
    assert project.distributor().distribute(project.issue).outcomes == []


def test_an_interruption_after_the_server_accepted_resends_with_the_same_message_id(
    project: Project, server: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    finish = Ledger.finish
    calls: list[int] = []

    def dies_before_recording(
        self: Ledger, delivery_id: int, status: str, error: str | None = None
    ) -> None:
        calls.append(delivery_id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        finish(self, delivery_id, status, error)

    monkeypatch.setattr(Ledger, "finish", dies_before_recording)
    with pytest.raises(KeyboardInterrupt):
        project.distributor().distribute(project.issue)
    monkeypatch.setattr(Ledger, "finish", finish)
    project.distributor().distribute(project.issue)
    # The documented choice: an uncertain copy is sent again rather than risk a loss; the
    # duplicate carries the same Message-ID and copy number, so mail clients can fold it.
    assert server.count("jia@example.gov.cn") == 2
    first, second = [
        m
        for (to, _r), m in zip(server.messages, server.parsed(), strict=True)
        if to == ["jia@example.gov.cn"]
    ]
    assert first["Message-ID"] == second["Message-ID"]
    assert all(server.count(a) == 1 for a in E_MAILS if a != "jia@example.gov.cn")


def test_a_refused_recipient_fails_and_the_others_are_delivered(
    project: Project, server: Mailbox
) -> None:
    server.refuse.add("yi@example.gov.cn")
    result = project.cli()
    assert result.exit_code == 1
    assert "4 sent, 1 failed" in result.output
    assert (
        "failed  000005  同级机关乙 <yi@example.gov.cn>: 550 5.1.1 mailbox unavailable"
        in result.output
    )
    assert server.count("yi@example.gov.cn") == 0
    assert all(server.count(a) == 1 for a in E_MAILS if a != "yi@example.gov.cn")
    assert project.sleeps == []  # a 5xx is not retried
    failed = [r for r in project.rows() if r["status"] == "failed"]
    assert [(r["recipient"], r["error"]) for r in failed] == [
        ("同级机关乙", "550 5.1.1 mailbox unavailable")
    ]

    server.refuse.clear()
    report = project.distributor().distribute(project.issue)  # the next run tries it again
    assert [o.copy.recipient.name for o in report.outcomes] == ["同级机关乙"]
    assert server.count("yi@example.gov.cn") == 1


def test_transient_errors_are_retried_with_backoff(project: Project, server: Mailbox) -> None:
    server.busy["jia@example.gov.cn"] = 2
    report = project.distributor().distribute(project.issue)
    assert not report.failed
    assert project.sleeps == [1.0, 2.0]
    assert server.count("jia@example.gov.cn") == 1


def test_an_unreachable_server_fails_before_anything_is_sent(
    project: Project, server: Mailbox
) -> None:
    with pytest.raises(BulletinError) as caught:
        project.distributor(smtp_port=free_port()).distribute(project.issue)
    assert "cannot use the mail server" in caught.value.diagnostics[0].message
    assert project.sleeps == [1.0, 2.0, 4.0]
    assert project.rows() == []
    assert not (project.output / "outbox").exists()


def test_an_unknown_list_name_fails_before_anything_is_sent(
    project: Project, server: Mailbox
) -> None:
    text = project.issue.read_text(encoding="utf-8").replace('"下级机关", ', '"下级机构", ')
    project.issue.write_text(text, encoding="utf-8")
    result = project.cli()
    assert result.exit_code == 1
    assert (
        "2024-03.toml:17:13: error: '下级机构' is neither a recipient nor a group" in result.output
    )
    assert "did you mean '下级机关'?" in result.output
    assert server.messages == [] and server.transactions == 0
    assert not (project.output / "outbox").exists()
    assert not (project.output / "test-series").exists()


def test_a_changed_pdf_is_resent_only_with_resend_changed(
    project: Project, server: Mailbox
) -> None:
    project.distributor().distribute(project.issue)
    project.issue.write_text(ISSUE.format(body="更正后的正文。"), encoding="utf-8")
    result = project.cli()
    assert result.exit_code == 0
    assert "0 sent, 0 failed, 0 already delivered, 5 changed since delivery" in result.output
    assert len(server.messages) == 4
    result = project.cli("--resend-changed")
    assert result.exit_code == 0, result.output
    assert "5 sent, 0 failed" in result.output
    revised = server.parsed()[4:]
    assert len(revised) == 4
    assert all(str(m["Subject"]).startswith("【更正】") for m in revised)
    for message in revised:
        _name, pdf = copy_of(message)
        assert "更正后的正文。" in pdf.pages[0].extract_text()
    numbers = {r["recipient"]: r["copy_number"] for r in project.rows()}
    assert numbers == {n: c for n, (c, _a) in EXPECTED.items()}  # copy numbers stay
    assert all(r["revised"] == 1 for r in project.rows()[5:])
    assert "0 sent" in project.cli("--resend-changed").output


def test_dry_run_sends_nothing_and_status_reports_each_recipient(
    project: Project, server: Mailbox
) -> None:
    result = project.cli("--dry-run")
    assert result.exit_code == 0, result.output
    assert "would send    000002–000004   同级机关甲 → e-mail jia@example.gov.cn" in result.output
    assert f"would send    000007          下级机关 → outbox/xiaji/{FILE_NAME}" in result.output
    assert "5 to send, 0 not sent; nothing was sent" in result.output
    assert server.transactions == 0
    assert not project.output.exists()

    server.refuse.add("bing@example.gov.cn")
    project.cli()
    status = project.cli("--status")
    assert status.exit_code == 0
    lines = status.output.splitlines()
    assert lines[0] == "test-series/2024-03: 5 recipients"
    assert ": sent " in lines[1] and "up@example.gov.cn" in lines[1]
    assert "failed" in lines[4] and "550 5.1.1 mailbox unavailable" in lines[4]


def test_one_run_at_a_time(project: Project, server: Mailbox) -> None:
    ledger = Ledger(project.output / LEDGER_FILE)
    try:
        with ledger.exclusive(), pytest.raises(BulletinError) as caught:
            project.distributor().distribute(project.issue)
    finally:
        ledger.close()
    assert "another distribution run" in caught.value.diagnostics[0].message
    assert server.messages == []
