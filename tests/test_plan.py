"""The plan checks everything before anything is built or sent: every bad address-book entry,
names the stamp font cannot draw, writes that would leave the output folder, number bounds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mailserver import FILE_NAME, Mailbox, Project, make_project, serving

from pipeline.build import IssueIdentity
from pipeline.deliver.ledger import LEDGER_FILE, Ledger


@pytest.fixture
def server() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1."""
    with serving() as (box, _controller):
        yield box


@pytest.fixture
def project(tmp_path: Path, server: Mailbox) -> Project:
    """The test project, its address book pointing at the server."""
    return make_project(tmp_path, server.port)


def assert_nothing_done(project: Project, server: Mailbox) -> None:
    """No message, no transaction, no PDF, no outbox, no delivery row."""
    assert server.messages == [] and server.transactions == 0
    assert not (project.output / "outbox").exists()
    assert not (project.output / "test-series" / "2024-03.pdf").exists()
    if (project.output / LEDGER_FILE).exists():
        assert project.rows() == []


BAD_ENTRIES = [
    # (text in the address book, replaced by, where the error stands, words of the message)
    (
        'name = "下级机关"',
        'name = "下级机关😀"',
        ":25:1:",
        "the stamp font cannot draw 😀 (U+1F600)",
    ),
    ('name = "下级机关"', 'name = "下级机关𪚥"', ":25:1:", "cannot draw 𪚥 (U+2A6A5)"),
    ('folder = "xiaji"', 'folder = "xia\\u0000ji"', ":26:1:", "control character U+0000"),
    ('folder = "xiaji"', 'folder = "xia\\nji"', ":26:1:", "control character U+000A"),
    (
        'email = "yi@example.gov.cn"',
        'email = "yi@example.gov.cn\\r\\nBcc: all@example.gov.cn"',
        ":18:1:",
        "control character U+000D",
    ),
    ('email = "yi@example.gov.cn"', 'email = "yi example.gov.cn"', ":18:1:", "not an e-mail"),
    ('email = "yi@example.gov.cn"', 'email = "yi@@example.gov.cn"', ":18:1:", "not an e-mail"),
    (
        'sender = "综合处 <office@example.gov.cn>"',
        'sender = "综合处 <office@example.gov.cn>\\r\\nBcc: all@example.gov.cn"',
        ":5:1:",
        "control character U+000D",
    ),
    ('sender = "综合处 <office@example.gov.cn>"', 'sender = "综合处"', ":5:1:", "not an e-mail"),
    ("copies = 3", "copies = 9223372036854775807", ":14:1:", "at most 100000 are allowed"),
    ("copies = 3", "copies = 100001", ":14:1:", "at most 100000 are allowed"),
    ("copies = 3", "copies = 0", ":14:1:", "must be a positive whole number"),
    ('folder = "xiaji"', 'folder = "../xiaji"', ":26:1:", "plain relative name"),
]


@pytest.mark.parametrize(("old", "new", "where", "words"), BAD_ENTRIES)
def test_every_bad_address_book_entry_is_rejected_before_anything_is_sent(
    project: Project, server: Mailbox, old: str, new: str, where: str, words: str
) -> None:
    project.edit_book(old, new)
    if "下级机关" in new and "name" in old:
        text = project.issue.read_text(encoding="utf-8")
        name = new.split('"')[1]
        project.issue.write_text(text.replace('"下级机关",', f'"{name}",'), encoding="utf-8")
    for args in ((), ("--dry-run",)):
        result = project.cli(*args)
        assert result.exit_code == 1, result.output
        errors = [line for line in result.output.splitlines() if ": error: " in line]
        assert any(f"recipients.toml{where} error:" in line and words in line for line in errors), (
            result.output
        )
        assert "Traceback" not in result.output
        assert_nothing_done(project, server)


def test_a_template_name_that_is_not_a_folder_name_is_refused(
    project: Project, server: Mailbox
) -> None:
    text = project.issue.read_text(encoding="utf-8")
    project.issue.write_text('template = ".."\n' + text, encoding="utf-8")
    result = project.cli()
    assert result.exit_code == 1
    assert "2024-03.toml:1:1: error: template '..' is not a plain folder name [template]" in (
        result.output
    )
    assert_nothing_done(project, server)


@pytest.mark.parametrize(
    ("link", "what"),
    [
        ("outbox/xiaji", "the outbox folder of '下级机关'"),
        ("test-series", "the PDF's folder"),
        (LEDGER_FILE, "the ledger"),
    ],
)
def test_a_link_out_of_the_output_folder_is_never_written_through(
    project: Project, server: Mailbox, tmp_path: Path, link: str, what: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project.output / link).parent.mkdir(parents=True, exist_ok=True)
    (project.output / link).symlink_to(elsewhere / "target" if link == LEDGER_FILE else elsewhere)
    result = project.cli()
    assert result.exit_code == 1
    assert f"error: {what} " in result.output and "leads outside the output folder" in result.output
    assert list(elsewhere.iterdir()) == []
    assert server.messages == []


def test_a_link_that_stays_inside_the_output_folder_is_fine(
    project: Project, server: Mailbox
) -> None:
    shared = project.output / "shared"
    shared.mkdir(parents=True)
    (project.output / "outbox").mkdir()
    (project.output / "outbox" / "xiaji").symlink_to(shared)
    result = project.cli()
    assert result.exit_code == 0, result.output
    assert (shared / FILE_NAME).is_file()


def test_copy_numbers_past_six_digits_are_refused(project: Project, server: Mailbox) -> None:
    ledger = Ledger(project.output / LEDGER_FILE)
    key = IssueIdentity("test-series", 2024, 3).key
    with ledger.transaction():
        ledger.allocate(key, [("某个已不在名单上的单位", 999_995)])
    ledger.close()
    result = project.cli()
    assert result.exit_code == 1
    assert "would pass 999999" in result.output
    assert server.messages == []


def test_an_output_folder_that_cannot_hold_the_ledger_is_an_error_not_a_traceback(
    project: Project, server: Mailbox
) -> None:
    (project.output / LEDGER_FILE).mkdir(parents=True)  # a folder where the database should be
    result = project.cli()
    assert result.exit_code == 1
    assert "cannot open the ledger" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert server.messages == []
