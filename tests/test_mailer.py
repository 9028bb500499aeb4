"""SMTP against a real server that refuses (550), defers (451), delays, and drops the connection
before and after the final dot; non-ASCII addresses with SMTPUTF8 and IDNA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from mailserver import E_MAILS, Mailbox, Project, free_port, make_project, serving

from pipeline.deliver.distribute import Outcome
from pipeline.diagnostics import BulletinError


@pytest.fixture
def served() -> Iterator[tuple[Mailbox, Controller]]:
    """A real SMTP server on 127.0.0.1 and its controller (to stop it mid-run)."""
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
    assert [o.delivery.recipient.name for o in report.outcomes] == ["同级机关乙"]
    assert server.count("yi@example.gov.cn") == 1


def test_a_deferral_is_retried_with_backoff(project: Project, server: Mailbox) -> None:
    server.busy["jia@example.gov.cn"] = 2
    report = project.distributor().distribute(project.issue)
    assert report.complete
    assert project.sleeps == [1.0, 2.0]
    assert server.count("jia@example.gov.cn") == 1


def test_a_slow_reply_within_the_timeout_is_a_delivery(project: Project, server: Mailbox) -> None:
    server.delay_s, server.delays = 0.3, 1
    report = project.distributor(timeout_s=5.0).distribute(project.issue)
    assert report.complete and project.sleeps == []
    assert all(server.count(a) == 1 for a in E_MAILS)


def test_a_drop_before_the_final_dot_is_retried_and_delivered_once(
    project: Project, server: Mailbox
) -> None:
    server.drop_before_dot = 1
    report = project.distributor().distribute(project.issue)
    assert report.complete
    assert all(server.count(a) == 1 for a in E_MAILS)
    assert project.sleeps == [1.0]


def test_a_lost_reply_after_the_final_dot_is_sent_once_more_with_the_same_message_id(
    project: Project, server: Mailbox
) -> None:
    server.drop_after_dot = 1
    report = project.distributor().distribute(project.issue)
    assert report.complete
    first, second = server.to("up@example.gov.cn")  # the first copy: it did arrive twice
    assert first["Message-ID"] == second["Message-ID"]
    assert all(server.count(a) == 1 for a in E_MAILS if a != "up@example.gov.cn")
    rows = [r for r in project.rows() if r["recipient"] == "上级机关"]
    assert [r["status"] for r in rows] == ["failed", "sent"]
    assert "it may have arrived" in rows[0]["error"]


def test_replies_lost_every_time_send_each_copy_at_most_twice_a_run(
    project: Project, server: Mailbox
) -> None:
    server.drop_after_dot = 100
    result = project.cli()
    assert result.exit_code == 1
    assert all(server.count(a) == 2 for a in E_MAILS)  # once, and once again: never more
    assert "1 sent, 4 failed, 0 already delivered" in result.output  # the folder copy went
    assert result.output.count("UNSURE") == 4
    server.drop_after_dot = 0
    again = project.cli()
    assert again.exit_code == 0, again.output
    for address in E_MAILS:
        ids = {m["Message-ID"] for m in server.to(address)}
        assert len(ids) == 1 and server.count(address) == 3


def test_a_reply_slower_than_the_timeout_counts_as_lost(project: Project, server: Mailbox) -> None:
    server.delay_s, server.delays = 1.0, 1
    outcomes: list[Outcome] = []
    project.distributor(timeout_s=0.3).distribute(project.issue, progress=outcomes.append)
    assert [o.status for o in outcomes] == ["sent"] * 5
    assert server.count("up@example.gov.cn") == 2  # the slow one, then once more


def test_a_server_that_dies_mid_run_stops_the_run_after_a_few_refused_connections(
    project: Project, served: tuple[Mailbox, Controller]
) -> None:
    server, controller = served
    outcomes: list[Outcome] = []

    def progress(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if len(outcomes) == 2:
            controller.stop()

    report = project.distributor().distribute(project.issue, progress=progress)
    assert [o.status for o in report.outcomes] == ["sent", "sent", "failed"]
    assert [d.recipient.name for d in report.not_sent] == ["同级机关丙", "下级机关"]
    assert report.stopped is not None and "connections in a row failed" in report.stopped
    assert sum(project.sleeps) <= 7.0  # once for the run, not once per recipient
    assert len(server.messages) == 2
    assert not report.complete


def test_an_unreachable_server_fails_before_anything_is_sent(project: Project) -> None:
    with pytest.raises(BulletinError) as caught:
        project.distributor(smtp_port=free_port()).distribute(project.issue)
    assert "cannot use the mail server" in caught.value.diagnostics[0].message
    assert project.sleeps == [1.0, 2.0]  # three refused connections, then it stops
    assert project.rows() == []
    assert not (project.output / "outbox").exists()


NON_ASCII = {
    "up@example.gov.cn": "档案@example.gov.cn",
    "jia@example.gov.cn": "用户@例子.中国",
    "yi@example.gov.cn": "office@例子.中国",
}


def test_non_ascii_addresses_go_with_smtputf8_and_an_idna_domain(
    project: Project, server: Mailbox
) -> None:
    for old, new in NON_ASCII.items():
        project.edit_book(old, new)
    report = project.distributor().distribute(project.issue)
    assert report.complete
    received = {to[0] for to, _raw in server.messages}
    assert received == {
        "档案@example.gov.cn",
        "用户@xn--fsqu00a.xn--fiqs8s",
        "office@xn--fsqu00a.xn--fiqs8s",
        "bing@example.gov.cn",
    }
    message = server.to("档案@example.gov.cn")[0]
    assert "档案@example.gov.cn" in str(message["To"])


def test_without_smtputf8_a_non_ascii_local_part_is_an_error_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    with serving(smtputf8=False) as (server, _controller):
        project = make_project(tmp_path, server.port)
        for old, new in NON_ASCII.items():
            project.edit_book(old, new)
        result = project.cli()
        assert result.exit_code == 1
        assert server.messages == []
        errors = [line for line in result.output.splitlines() if "error: the mail" in line]
        assert len(errors) == 2, result.output  # 档案@… and 用户@…; office@例子.中国 is fine
        assert "recipients.toml:9:1: error:" in errors[0] and "档案@example.gov.cn" in errors[0]
        assert "[recipient[1].email]" in errors[0]
        assert "nothing sent for" in result.output
        assert [r["status"] for r in project.rows()] == []
