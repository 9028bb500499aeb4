"""Distribution against a real SMTP server on 127.0.0.1: each recipient gets its copies, once."""

from __future__ import annotations

import functools
import hashlib
import random
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from mailserver import (
    E_MAILS,
    EXPECTED,
    FILE_NAME,
    ISSUE,
    Mailbox,
    Project,
    attachments,
    first_line_numbers,
    make_project,
    serving,
)
from pypdf import PdfReader

from pipeline.deliver.ledger import LEDGER_FILE, Ledger
from pipeline.diagnostics import BulletinError


@pytest.fixture
def server() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1."""
    with serving() as (box, _controller):
        yield box


@pytest.fixture
def project(tmp_path: Path, server: Mailbox) -> Project:
    """The test project, its address book pointing at the server."""
    return make_project(tmp_path, server.port)


def test_every_recipient_gets_one_message_with_its_numbered_copies(
    project: Project, server: Mailbox
) -> None:
    report = project.distributor().distribute(project.issue)
    assert [o.status for o in report.outcomes] == ["sent"] * 5
    assert sorted(to[0] for to, _raw in server.messages) == sorted(E_MAILS)
    assert all(len(to) == 1 for to, _raw in server.messages)
    assert server.mail_from == ["office@example.gov.cn"] * 4
    for (to, raw), message in zip(server.messages, server.parsed(), strict=True):
        name = next(n for n, (_c, a) in EXPECTED.items() if a == to[0])
        numbers = EXPECTED[name][0]
        copies = attachments(message)
        # RFC 2231: the Chinese name percent-encoded as UTF-8 (in continuations when long)
        assert re.search(rb"filename\*(0\*)?=utf-8''%E5%B7%A5%E4%BD%9C", raw), raw[:2000]
        if "–" not in numbers:
            assert [n for n, _pdf in copies] == [FILE_NAME]
        for _file, pdf in copies:
            assert name in pdf.pages[-1].extract_text()
        assert [first_line_numbers(pdf) for _f, pdf in copies] == [[n] for n in _expand(numbers)]
        assert message["Subject"] == f"《工作简报》2024年第3期（份号{numbers}）"
        assert name in str(message["To"]) and to[0] in str(message["To"])
        assert message["Message-ID"]
    assert (
        "（共印7份）"
        in PdfReader(project.output / "test-series" / "2024-03.pdf").pages[-1].extract_text()
    )  # "auto": 1 + 3 + 1 + 1 + 1 printed copies
    assert project.sleeps == []


def _expand(numbers: str) -> list[str]:
    first, _, last = numbers.partition("–")
    return [f"{n:06d}" for n in range(int(first), int(last or first) + 1)]


def test_a_recipient_with_21_copies_gets_the_whole_range_stamped(
    project: Project, server: Mailbox
) -> None:
    project.edit_book('folder = "xiaji"', 'folder = "xiaji"\ncopies = 21')
    result = project.cli()
    assert result.exit_code == 0, result.output
    assert "sent      000007–000027   下级机关 → outbox/xiaji/" in result.output
    folder = project.output / "outbox" / "xiaji"
    files = sorted(p.name for p in folder.iterdir())
    assert files == [f"工作简报2024年第3期-{n:06d}.pdf" for n in range(7, 28)]
    for name in files:
        pdf = PdfReader(folder / name)
        assert first_line_numbers(pdf) == [name[-10:-4]]
        assert "下级机关" in pdf.pages[-1].extract_text()
    assert (
        "（共印27份）"
        in PdfReader(project.output / "test-series" / "2024-03.pdf").pages[-1].extract_text()
    )
    [row] = [r for r in project.rows() if r["recipient"] == "下级机关"]
    assert row["copy_number"] == "000007–000027"
    digests = [hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in files]
    assert row["copy_sha256"] == hashlib.sha256("\n".join(digests).encode()).hexdigest()


def test_a_second_run_sends_nothing(project: Project, server: Mailbox) -> None:
    assert len(project.distributor().distribute(project.issue).outcomes) == 5
    result = project.cli()
    assert result.exit_code == 0, result.output
    assert "0 sent, 0 failed, 5 already delivered" in result.output
    assert len(server.messages) == 4


def test_any_spelling_of_the_issue_path_is_the_same_issue(
    project: Project, server: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, series = project.root, project.issue.parent
    monkeypatch.chdir(root)
    first = project.cli(issue="issues/test-series/2024-03.toml", output="output")
    assert first.exit_code == 0 and "5 sent" in first.output, first.output
    outbox = project.output / "outbox" / "xiaji" / FILE_NAME
    written = outbox.stat().st_mtime_ns
    (root / "link").symlink_to(series)
    (series / "sub").mkdir()
    runs = [
        (series, "2024-03.toml", "../../output"),
        (series / "sub", "../2024-03.toml", "../../../output"),
        (root, "link/2024-03.toml", "output"),
        (root, str(series / "sub" / ".." / "2024-03.toml"), str(project.output)),
    ]
    for cwd, issue, output in runs:
        monkeypatch.chdir(cwd)
        again = project.cli(issue=issue, output=output)
        assert again.exit_code == 0, (cwd, issue, again.output)
        assert "0 sent, 0 failed, 5 already delivered" in again.output, (cwd, issue)
    monkeypatch.chdir(root)
    project.issue.rename(series / "third.toml")
    renamed = project.cli(issue="issues/test-series/third.toml", output="output")
    assert "0 sent, 0 failed, 5 already delivered" in renamed.output, renamed.output
    assert len(server.messages) == 4
    assert outbox.stat().st_mtime_ns == written
    assert {r["issue"] for r in project.rows()} == {"test-series/2024年第3期"}
    assert not list(project.output.glob("*/..*")) and not (project.root / "2024-03.pdf").exists()


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
        assert row["issue"] == "test-series/2024年第3期"
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
    assert first_line_numbers(pdf) == ["000007"]
    assert "下级机关" in pdf.pages[-1].extract_text()
    assert project.rows()[-1]["address"] == f"outbox/xiaji/{FILE_NAME}"


def _run_in_a_process(project: Project) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
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
    process = _run_in_a_process(project)
    running.append(process)
    process.wait(timeout=60)
    assert process.returncode < 0  # killed, not finished
    assert len(server.messages) == delivered_before_kill
    server.on_mail = None
    assert [r["status"] for r in project.rows()] == ["sent", "sent", "sending"]

    status = project.cli("--status")
    assert "interrupted while sending" in status.output, (status.output, status.exception)
    report = project.distributor().distribute(project.issue)
    assert [o.delivery.action for o in report.outcomes] == ["resend", "send", "send"]
    assert all(server.count(address) == 1 for address in E_MAILS)
    assert (project.output / "outbox" / "xiaji" / FILE_NAME).is_file()
    assert project.distributor().distribute(project.issue).outcomes == []


def _start_at_first_message(timer: threading.Timer, transaction: int) -> None:
    if transaction == 1:
        timer.start()


def test_kill_9_at_random_points_loses_nothing_and_doubles_only_the_copy_in_flight(
    tmp_path: Path,
) -> None:
    chance = random.Random(12)
    killed = 0
    for attempt in range(3):
        with serving() as (box, _controller):
            project = make_project(tmp_path / str(attempt), box.port)
            box.delay_s = 0.05  # a run of four messages takes a few tenths of a second
            process = _run_in_a_process(project)
            kill_after = chance.uniform(0.0, 0.5)
            timer = threading.Timer(kill_after, process.kill)
            box.on_mail = functools.partial(_start_at_first_message, timer)
            process.wait(timeout=60)
            timer.cancel()
            box.on_mail = None
            killed += process.returncode < 0
            in_flight = [r["recipient"] for r in project.rows() if r["status"] == "sending"]
            assert len(in_flight) <= 1
            report = project.distributor().distribute(project.issue)
            assert report.complete, (attempt, kill_after)
            doubled = [a for a in E_MAILS if box.count(a) > 1]
            assert all(box.count(a) >= 1 for a in E_MAILS), (attempt, kill_after)  # none lost
            assert len(doubled) <= 1 and all(box.count(a) == 2 for a in doubled)
            for address in doubled:
                assert EXPECTED[in_flight[0]][1] == address
                first, second = box.to(address)
                assert first["Message-ID"] == second["Message-ID"]
            assert (project.output / "outbox" / "xiaji" / FILE_NAME).is_file()
            assert project.distributor().distribute(project.issue).outcomes == []
    assert killed >= 2  # the runs were really killed midway, not finished first


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
            raise SystemExit(1)  # as abrupt as a kill for the ledger: the row stays 'sending'
        finish(self, delivery_id, status, error)

    monkeypatch.setattr(Ledger, "finish", dies_before_recording)
    with pytest.raises(SystemExit):
        project.distributor().distribute(project.issue)
    monkeypatch.setattr(Ledger, "finish", finish)
    project.distributor().distribute(project.issue)
    # The documented choice: an uncertain copy is sent again rather than risk a loss; the
    # duplicate carries the same Message-ID and copy numbers, so mail clients can fold it.
    first, second = server.to("jia@example.gov.cn")
    assert first["Message-ID"] == second["Message-ID"]
    assert all(server.count(a) == 1 for a in E_MAILS if a != "jia@example.gov.cn")


def test_a_changed_pdf_is_resent_only_with_resend_changed(
    project: Project, server: Mailbox
) -> None:
    project.distributor().distribute(project.issue)
    project.issue.write_text(ISSUE.format(body="更正后的正文。"), encoding="utf-8")
    result = project.cli()
    assert result.exit_code == 1  # copies that should have gone did not
    assert "0 sent, 0 failed, 0 already delivered, 5 changed since delivery" in result.output
    assert len(server.messages) == 4
    result = project.cli("--resend-changed")
    assert result.exit_code == 0, result.output
    assert "5 sent, 0 failed" in result.output
    assert re.search(r"^sent 更正 +000001 ", result.output, re.M), result.output
    revised = server.parsed()[4:]
    assert len(revised) == 4
    assert all(str(m["Subject"]).startswith("【更正】") for m in revised)
    for message in revised:
        for _name, pdf in attachments(message):
            assert "更正后的正文。" in pdf.pages[0].extract_text()
    numbers = {r["recipient"]: r["copy_number"] for r in project.rows()}
    assert numbers == {n: c for n, (c, _a) in EXPECTED.items()}  # copy numbers stay
    assert all(r["revised"] == 1 for r in project.rows()[5:])
    assert "0 sent" in project.cli("--resend-changed").output


def test_one_run_at_a_time(project: Project, server: Mailbox) -> None:
    ledger = Ledger(project.output / LEDGER_FILE)
    try:
        with ledger.exclusive(), pytest.raises(BulletinError) as caught:
            project.distributor().distribute(project.issue)
    finally:
        ledger.close()
    assert "another distribution run" in caught.value.diagnostics[0].message
    assert server.messages == []
