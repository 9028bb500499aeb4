"""The address book: validation with positions, group expansion, and the print count."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pipeline.build import Builder
from pipeline.diagnostics import BulletinError
from pipeline.source.addressbook import (
    book_for,
    find_address_book,
    load_address_book,
    print_run_for,
)
from pipeline.source.load import load_issue

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ISSUES = sorted((ROOT / "issues").glob("*/20*.toml"))

ISSUE = """\
[masthead]
title = "工作简报"
number = 1
date = 2024-07-24
editor = "测试编发单位"

[[columns]]
name = "栏目"

[[columns.articles]]
title = "标题"
body = "正文。"

[distribution]
report_to = ["上级机关"]
send_to = ["同级机关", "各下级机关"]
issue_to = [
  "下级机关乙",
  "本机关各处室",
]
printer = "测试印发单位"
copies = {copies}
"""

BOOK = """\
[[recipient]]
name = "上级机关"
email = "up@example.gov.cn"

[[recipient]]
name = "同级机关"
email = "peer@example.gov.cn"
copies = 2

[[recipient]]
name = "下级机关甲"
folder = "jia"

[[recipient]]
name = "下级机关乙"
folder = "yi"
copies = 3

[[recipient]]
name = "综合处"
folder = "zonghe"

[groups]
"各下级机关" = ["下级机关甲", "下级机关乙"]
"本机关各处室" = ["机关处室"]
"机关处室" = ["综合处", "上级机关"]
"""


def make_series(tmp_path: Path, book: str = BOOK, copies: str = '"auto"') -> Path:
    """A series folder with one issue and an address book; returns the issue file."""
    series = tmp_path / "issues" / "test-series"
    series.mkdir(parents=True)
    (series / "recipients.toml").write_text(textwrap.dedent(book), encoding="utf-8")
    issue = series / "2024-01.toml"
    issue.write_text(ISSUE.format(copies=copies), encoding="utf-8")
    return issue


def errors_of(path: Path) -> list[str]:
    """The formatted diagnostics of loading an address book."""
    with pytest.raises(BulletinError) as caught:
        load_address_book(path)
    return [d.format() for d in caught.value.diagnostics]


def test_the_sample_address_books_cover_every_name_on_the_samples_lists() -> None:
    assert len(SAMPLE_ISSUES) >= 3
    for issue_path in SAMPLE_ISSUES:
        loaded = load_issue(issue_path)
        book = book_for(loaded)
        assert book is not None, issue_path
        resolved = book.resolve(loaded)
        assert resolved.recipients
        count, warnings = print_run_for(loaded)
        assert warnings == [], issue_path
        assert count is not None and count >= resolved.print_run


def test_lists_resolve_in_order_groups_nested_and_each_recipient_once(tmp_path: Path) -> None:
    loaded = load_issue(make_series(tmp_path))
    book = book_for(loaded)
    assert book is not None
    names = [r.name for r in book.resolve(loaded).recipients]
    # 报, then 送 (group members in order), then 发; 下级机关乙 and 上级机关 are reached twice
    assert names == ["上级机关", "同级机关", "下级机关甲", "下级机关乙", "综合处"]
    assert book.resolve(loaded).print_run == 1 + 2 + 1 + 3 + 1


def test_copies_auto_prints_the_recipients_copies(tmp_path: Path) -> None:
    loaded = load_issue(make_series(tmp_path))
    assert print_run_for(loaded) == (8, [])
    assert Builder(ROOT, tmp_path / "output").print_run(loaded) == 8


def test_a_fixed_copies_below_the_need_is_a_warning_in_the_build(tmp_path: Path) -> None:
    issue = make_series(tmp_path, copies="5")
    result = Builder(ROOT, tmp_path / "output").build(issue)
    messages = [d.format() for d in result.warnings]
    assert any(
        "共印5份 is fewer than the 8 copies" in m and ":22:1:" in m and "[distribution.copies]" in m
        for m in messages
    ), messages
    enough = load_issue(make_series(tmp_path / "b", copies="8"))
    assert print_run_for(enough) == (8, [])


def test_an_unknown_name_is_an_error_at_its_line_with_did_you_mean(tmp_path: Path) -> None:
    issue = make_series(tmp_path)
    text = issue.read_text(encoding="utf-8").replace('"下级机关乙",', '"下级机关乙方",')
    issue.write_text(text, encoding="utf-8")
    loaded = load_issue(issue)
    book = book_for(loaded)
    assert book is not None
    with pytest.raises(BulletinError) as caught:
        book.resolve(loaded)
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.file == issue
    assert (diagnostic.line, diagnostic.col) == (18, 3)
    assert "'下级机关乙方' is neither a recipient nor a group" in diagnostic.message
    assert diagnostic.hint == "did you mean '下级机关乙'?"
    with pytest.raises(BulletinError):
        Builder(ROOT, tmp_path / "output").build(issue)  # "auto" cannot count an unknown name


def test_unknown_keys_and_wrong_types_are_placed_with_did_you_mean(tmp_path: Path) -> None:
    book = tmp_path / "recipients.toml"
    book.write_text(
        '[smtp]\nhost = "mail"\nsendr = "a@b.cn"\n\n[[recipient]]\nname = "甲"\n'
        'emial = "a@b.cn"\n\n[[recipient]]\nname = "乙"\nfolder = "yi"\n'
        'copies = "2"\n',
        encoding="utf-8",
    )
    messages = errors_of(book)
    assert (
        f"{book}:3:1: error: unknown key 'sendr' [smtp.sendr]\n  hint: did you mean "
        "'sender'?" in messages
    )
    assert any(
        m.startswith(f"{book}:7:1: error: unknown key 'emial'") and "did you mean 'email'?" in m
        for m in messages
    ), messages
    assert any(":12:1:" in m and "must be a whole number" in m for m in messages), messages
    # sendr is one mistake: no second error for the missing sender it was meant to be
    assert not [m for m in messages if "missing required key 'sender'" in m]


def test_a_recipient_needs_exactly_one_of_email_and_folder(tmp_path: Path) -> None:
    book = tmp_path / "recipients.toml"
    book.write_text(
        '[[recipient]]\nname = "甲"\nemail = "a@b.cn"\nfolder = "a"\n\n'
        '[[recipient]]\nname = "乙"\n\n[[recipient]]\nname = "丙"\n'
        'email = "not-an-address"\n\n[[recipient]]\nname = "丁"\n'
        'folder = "../escape"\n\n[[recipient]]\nname = "甲"\nfolder = "b"\n',
        encoding="utf-8",
    )
    messages = errors_of(book)
    assert any(
        m.startswith(f"{book}:1:1: error: recipient '甲' needs exactly one") for m in messages
    ), messages
    assert any(
        m.startswith(f"{book}:6:1: error: recipient '乙' needs exactly one") for m in messages
    ), messages
    assert any(":11:1:" in m and "is not an e-mail address" in m for m in messages)
    assert any(":15:1:" in m and "plain relative name" in m for m in messages)
    assert any(":18:1:" in m and "listed twice" in m for m in messages)


def test_group_cycles_and_unknown_members_are_errors(tmp_path: Path) -> None:
    book = tmp_path / "recipients.toml"
    book.write_text(
        '[[recipient]]\nname = "成都市地方志办公室"\nfolder = "cd"\n\n[groups]\n'
        '"甲组" = ["乙组"]\n"乙组" = ["丙组", "成都市地方志办公室"]\n'
        '"丙组" = ["甲组"]\n'
        '"丁组" = ["成都市地方志办"]\n',
        encoding="utf-8",
    )
    messages = errors_of(book)
    assert any(
        m.startswith(f"{book}:6:1: error: groups contain each other: 甲组 → 乙组 → 丙组 → 甲组")
        for m in messages
    ), messages
    assert sum("contain each other" in m for m in messages) == 1
    assert any(
        ":9:1:" in m and "names '成都市地方志办'" in m and "did you mean '成都市地方志办公室'?" in m
        for m in messages
    ), messages


def test_the_series_book_wins_over_the_one_for_all_series(tmp_path: Path) -> None:
    series = tmp_path / "issues" / "a"
    series.mkdir(parents=True)
    assert find_address_book(series) is None
    (tmp_path / "issues" / "recipients.toml").write_text("", encoding="utf-8")
    assert find_address_book(series) == tmp_path / "issues" / "recipients.toml"
    (series / "recipients.toml").write_text("", encoding="utf-8")
    assert find_address_book(series) == series / "recipients.toml"


def test_without_an_address_book_auto_counts_the_names(tmp_path: Path) -> None:
    issue = make_series(tmp_path)
    (issue.parent / "recipients.toml").unlink()
    assert print_run_for(load_issue(issue)) == (5, [])
