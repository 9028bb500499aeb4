"""Ledgers of older versions (keys `<folder as typed>/<file stem>`) keep working: their rows are
moved to the issue's identity where that is certain, and the run stops and asks where not."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from mailserver import ISSUE, Mailbox, Project, make_project, serving

from pipeline.deliver.ledger import LEDGER_FILE

IDENTITY = "test-series/2024年第3期"


@pytest.fixture
def server() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1."""
    with serving() as (box, _controller):
        yield box


@pytest.fixture
def project(tmp_path: Path, server: Mailbox) -> Project:
    """The test project, distributed once; its ledger then rewritten as an old version wrote it."""
    made = make_project(tmp_path, server.port)
    assert made.distributor().distribute(made.issue).complete
    assert len(server.messages) == 4
    return made


def make_old(project: Project, *keys: str, other_pdf: bool = False) -> None:
    """Put the identity's rows under each old key instead (a copy per key), as old runs did."""
    with sqlite3.connect(project.output / LEDGER_FILE) as db:
        if other_pdf:  # as if built by an older version: other bytes
            db.execute("UPDATE deliveries SET pdf_sha256 = ?", ("0" * 64,))
        for key in keys:
            db.execute(
                "INSERT INTO copy_numbers SELECT ?, recipient, first, count FROM copy_numbers "
                "WHERE issue = ?",
                (key, IDENTITY),
            )
            db.execute(
                "INSERT INTO deliveries (issue, recipient, copy_number, pdf_sha256, copy_sha256, "
                "channel, address, status, revised, time, message_id, error) SELECT ?, recipient, "
                "copy_number, pdf_sha256, copy_sha256, channel, address, status, revised, time, "
                "message_id, error FROM deliveries WHERE issue = ?",
                (key, IDENTITY),
            )
        db.execute("DELETE FROM copy_numbers WHERE issue = ?", (IDENTITY,))
        db.execute("DELETE FROM deliveries WHERE issue = ?", (IDENTITY,))


def keys_of(project: Project) -> set[str]:
    """The issue keys of the ledger's delivery rows."""
    return {r["issue"] for r in project.rows()}


def test_the_key_of_a_run_from_the_project_root_is_moved_to_the_identity(
    project: Project, server: Mailbox
) -> None:
    make_old(project, "test-series/2024-03")
    result = project.cli()
    assert result.exit_code == 0, result.output
    assert f"the rows under the old key 'test-series/2024-03' are now {IDENTITY}" in result.output
    assert "0 sent, 0 failed, 5 already delivered" in result.output
    assert keys_of(project) == {IDENTITY} and len(server.messages) == 4


def test_the_two_keys_of_the_old_double_sending_bug_become_one(
    project: Project, server: Mailbox
) -> None:
    make_old(project, "test-series/2024-03", "/2024-03")
    result = project.cli()
    assert "0 sent, 0 failed, 5 already delivered" in result.output, result.output
    assert keys_of(project) == {IDENTITY}
    assert len(project.rows()) == 10  # both runs' history is kept


def test_a_key_typed_from_inside_the_folder_is_this_issue_when_no_other_has_its_name(
    project: Project, server: Mailbox
) -> None:
    make_old(project, "/2024-03", other_pdf=True)
    result = project.cli()
    assert "5 changed since delivery" in result.output, result.output
    assert keys_of(project) == {IDENTITY} and len(server.messages) == 4


def test_an_ambiguous_key_stops_the_run_until_the_clerk_answers(
    project: Project, server: Mailbox
) -> None:
    other = project.root / "issues" / "other"
    other.mkdir()
    (other / "2024-03.toml").write_text(ISSUE.format(body="另一期。"), encoding="utf-8")
    make_old(project, "/2024-03", "../2024-03", other_pdf=True)
    result = project.cli()
    assert result.exit_code == 1
    assert "old key '/2024-03' that may be those of test-series/2024年第3期" in result.output
    assert "old key '../2024-03'" in result.output
    assert 'run again with --adopt "/2024-03"' in result.output
    assert "nothing sent for" in result.output
    assert len(server.messages) == 4 and keys_of(project) == {"/2024-03", "../2024-03"}

    adopted = project.cli("--adopt", "/2024-03", "--not-mine", "../2024-03")
    assert "0 sent" in adopted.output and "5 changed since delivery" in adopted.output
    assert keys_of(project) == {IDENTITY, "../2024-03"}
    assert "changed since delivery" in project.cli().output  # answered once, asked no more
    assert len(server.messages) == 4


def test_an_answer_for_a_key_the_ledger_lacks_is_an_error(project: Project) -> None:
    result = project.cli("--adopt", "nope/2024-03")
    assert result.exit_code == 1
    assert "the ledger has no rows under the key 'nope/2024-03'" in result.output


def test_old_keys_whose_copy_numbers_disagree_are_not_merged(
    project: Project, server: Mailbox
) -> None:
    make_old(project, "test-series/2024-03", "/2024-03")
    with sqlite3.connect(project.output / LEDGER_FILE) as db:
        db.execute("UPDATE copy_numbers SET first = first + 100 WHERE issue = '/2024-03'")
    result = project.cli()
    assert result.exit_code == 1
    assert "other copy numbers" in result.output and "nothing sent for" in result.output
    assert len(server.messages) == 4
