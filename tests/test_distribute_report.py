"""What `bulletin distribute` prints: --dry-run, --status (local time, a total, 更正, exit 1
while a copy is owed) and a run that stops midway (what was sent and what not)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from mailserver import FILE_NAME, ISSUE, Mailbox, Project, make_project, serving

from pipeline.app.distribute_report import local_time, summary_lines
from pipeline.deliver.distribute import Outcome


@pytest.fixture
def served() -> Iterator[tuple[Mailbox, Controller]]:
    """A real SMTP server on 127.0.0.1 and its controller."""
    with serving() as running:
        yield running


@pytest.fixture
def server(served: tuple[Mailbox, Controller]) -> Mailbox:
    """What the server received, and how it misbehaves."""
    return served[0]


@pytest.fixture
def project(tmp_path: Path, server: Mailbox) -> Project:
    """The test project, its address book pointing at the server."""
    return make_project(tmp_path, server.port)


@pytest.fixture
def shanghai(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process in the Asia/Shanghai time zone (UTC+8, no summer time)."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_dry_run_sends_nothing_and_names_every_copy(project: Project, server: Mailbox) -> None:
    result = project.cli("--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("test-series/2024年第3期: 5 recipients, 7 copies, " + FILE_NAME)
    assert "would send    000002–000004   同级机关甲 → e-mail jia@example.gov.cn" in lines
    assert f"would send    000007          下级机关 → outbox/xiaji/{FILE_NAME}" in lines
    assert lines[-1] == "5 to send, 0 not sent; nothing was sent"
    assert server.transactions == 0
    assert not project.output.exists()


def test_status_is_in_local_time_with_a_total_and_exit_1_while_a_copy_is_owed(
    project: Project, server: Mailbox, shanghai: None
) -> None:
    server.refuse.add("bing@example.gov.cn")
    project.cli()
    status = project.cli("--status")
    assert status.exit_code == 1  # 同级机关丙 did not get its copy
    lines = status.output.splitlines()
    assert lines[0] == "test-series/2024年第3期: 5 recipients, 7 copies"
    assert ": sent " in lines[1] and "up@example.gov.cn" in lines[1]
    assert "+08:00" in lines[1] and "T" not in lines[1].split(": sent ")[1][:11]
    assert "failed" in lines[4] and "550 5.1.1 mailbox unavailable" in lines[4]
    assert lines[-1] == (
        "total: 5 recipients, 7 copies: 4 delivered, 1 failed, 0 not yet sent, "
        "0 changed since delivery"
    )
    server.refuse.clear()
    project.cli()
    assert project.cli("--status").exit_code == 0


def test_status_marks_resent_copies_更正_and_counts_changed_ones(
    project: Project, server: Mailbox
) -> None:
    project.cli()
    project.issue.write_text(ISSUE.format(body="更正后的正文。"), encoding="utf-8")
    changed = project.cli("--status")
    assert changed.exit_code == 1
    assert changed.output.splitlines()[-1].endswith(
        "0 delivered, 0 failed, 0 not yet sent, 5 changed since delivery"
    )
    project.cli("--resend-changed")
    status = project.cli("--status")
    assert status.exit_code == 0, status.output
    assert all(": sent 更正 " in line for line in status.output.splitlines()[1:-1])


def test_a_ledger_time_is_shown_in_the_local_zone(shanghai: None) -> None:
    assert local_time("2026-11-21T06:14:50+00:00") == "2026-11-21 14:14:50+08:00"
    assert local_time("not a time") == "not a time"


def test_a_run_that_stops_midway_says_what_was_sent_and_what_not(
    project: Project, served: tuple[Mailbox, Controller]
) -> None:
    _server, controller = served

    def progress(outcome: Outcome) -> None:
        if outcome.delivery.recipient.name == "同级机关甲":
            controller.stop()

    report = project.distributor().distribute(project.issue, progress=progress)
    lines = summary_lines(report)
    assert lines[0] == "2 sent, 1 failed, 2 not sent, 0 already delivered"
    assert lines[1].startswith("stopped: the mail server is gone: 3 connections in a row failed")
    assert lines[2].startswith("failed  000005  同级机关乙 <yi@example.gov.cn>: 3 connections")
    assert lines[3:5] == [
        "not sent  000006  同级机关丙 <bing@example.gov.cn>: the run stopped before it",
        f"not sent  000007  下级机关 <outbox/xiaji/{FILE_NAME}>: the run stopped before it",
    ]
    assert lines[5] == "sent in this run: 000001 上级机关, 000002–000004 同级机关甲"


def test_the_lines_are_in_chinese_for_a_chinese_clerk(
    project: Project, server: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_LANG", "zh")
    lines = project.cli("--dry-run").output.splitlines()
    assert lines[0].startswith("test-series/2024年第3期：5 个收件单位，7 份")
    assert f"将发送        000007          下级机关 → outbox/xiaji/{FILE_NAME}" in lines
    assert lines[-1] == "待发送 5 份，不发送 0 份；本次未发送任何副本"
    server.refuse.add("bing@example.gov.cn")
    result = project.cli()
    assert "已发送 4 份，失败 1 份，此前已送达 0 份" in result.output
    assert "失败  000006  同级机关丙 <bing@example.gov.cn>：550 5.1.1 mailbox unavailable" in (
        result.output
    )
