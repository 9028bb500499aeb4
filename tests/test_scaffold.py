"""`bulletin new SERIES`: the next issue file, which then builds."""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SERIES_TOML, issue_toml, write

from pipeline.app.cli import main
from pipeline.app.scaffold import write_next_issue
from pipeline.build import Builder
from pipeline.diagnostics import BulletinError
from pipeline.source.load import load_issue

OPTIONAL = [
    "template",
    "mark",
    "duplex",
    "note",
    "disclosure",
    "report_to",
    "send_to",
    "issue_to",
    "printer",
    "print_date",
    "copies",
]


def series(tmp_path: Path, *issues: tuple[str, int, int | None, str]) -> Path:
    folder = tmp_path / "issues" / "s"
    write(folder / "series.toml", SERIES_TOML)
    for name, number, total, date in issues:
        write(folder / f"{name}.toml", issue_toml(number, date, total))
    return folder


def test_next_number_and_total_within_the_year(tmp_path: Path) -> None:
    folder = series(
        tmp_path,
        ("2024-06", 6, 40, "2024-06-10"),
        ("2024-07", 7, 41, "2024-07-10"),
        ("2023-12", 12, 39, "2023-12-10"),
    )
    path = write_next_issue(folder, today=datetime.date(2024, 8, 1))
    assert path == folder / "2024-08.toml"
    head = tomllib.loads(path.read_text(encoding="utf-8"))["masthead"]
    assert (head["number"], head["total"], head["date"]) == (8, 42, datetime.date(2024, 8, 1))


def test_number_1_in_a_new_year(tmp_path: Path) -> None:
    folder = series(tmp_path, ("2024-12", 12, 50, "2024-12-20"))
    path = write_next_issue(folder, today=datetime.date(2025, 1, 3))
    assert path.name == "2025-01.toml"
    head = tomllib.loads(path.read_text(encoding="utf-8"))["masthead"]
    assert (head["number"], head["total"]) == (1, 51)


def test_the_latest_issue_counts_not_the_last_file_name(tmp_path: Path) -> None:
    folder = series(tmp_path, ("a", 3, 30, "2024-03-01"), ("b", 2, 29, "2024-02-01"))
    head = tomllib.loads(write_next_issue(folder, datetime.date(2024, 4, 1)).read_text("utf-8"))
    assert (head["masthead"]["number"], head["masthead"]["total"]) == (4, 31)


def test_drafts_and_broken_files_are_not_counted(tmp_path: Path) -> None:
    folder = series(tmp_path, ("2024-02", 2, 20, "2024-02-01"), ("_2024-09", 9, 90, "2024-09-01"))
    write(folder / "2024-05.toml", "[masthead\nnumber = 5\n")
    write(folder / "odd.toml", 'masthead = "not a table"\n')
    text = write_next_issue(folder, datetime.date(2024, 10, 1)).read_text(encoding="utf-8")
    head = tomllib.loads(text)["masthead"]
    assert (head["number"], head["total"]) == (3, 21)


def test_optional_keys_are_comments_and_the_file_builds(
    tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    """layout.md §2 and §4: what the new file sets is printed in the masthead and imprint."""
    folder = series(tmp_path, ("2024-01", 1, 10, "2024-01-05"))
    path = write_next_issue(folder, datetime.date(2024, 2, 1))
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for key in OPTIONAL:
        assert f"# {key} = " in text, key
        assert key not in data and key not in data["masthead"]
        assert key not in data.get("distribution", {})
    # what the series sets is shown with the series' value, commented
    assert '# editor = "测试编发单位"' in text
    assert '# printer = "测试印发单位"' in text
    assert "（可选）" in text
    with pytest.raises(BulletinError) as untouched:  # the article is still ×××× placeholders
        load_issue(path)
    assert {d.key for d in untouched.value.diagnostics} == {
        "columns[1].articles[1].title",
        "columns[1].articles[1].source",
        "columns[1].articles[1].body",
    }
    path.write_text(text.replace("××××", "实际文字"), encoding="utf-8")
    loaded = load_issue(path)
    assert loaded.warnings == []
    assert loaded.issue.masthead.editor == "测试编发单位"
    result = make_builder(tmp_path / "out").build(path)
    assert result.pdf == tmp_path / "out" / "s" / "2024-02.pdf"
    assert result.pdf.read_bytes().startswith(b"%PDF-")


def test_a_series_with_nothing_yet(tmp_path: Path, make_builder: Callable[..., Builder]) -> None:
    folder = tmp_path / "issues" / "empty"
    folder.mkdir(parents=True)
    path = write_next_issue(folder, datetime.date(2024, 5, 6))
    assert path.name == "2024-01.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["masthead"]["number"] == 1
    assert "total" not in data["masthead"]
    assert {"title", "editor"} <= set(data["masthead"])  # required, so written out
    assert data["masthead"]["editor"] == "××××办公室"
    with pytest.raises(BulletinError):
        make_builder(tmp_path / "out").build(path)
    text = path.read_text(encoding="utf-8").replace("××××", "实际文字")
    path.write_text(text, encoding="utf-8")
    assert make_builder(tmp_path / "out").build(path).pdf.is_file()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_folder_of_all_series_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    series(tmp_path, ("2024-01", 1, 10, "2024-01-05"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BULLETIN_LANG", language)
    result = CliRunner().invoke(main, ["new", "issues"])
    assert result.exit_code == 1
    expected = {
        "en": (
            "issues: error: this folder holds series folders; an issue belongs in one of them",
            "  hint: give the series, e.g. bulletin new issues/work-bulletin",
        ),
        "zh": (
            "issues: 错误: 此文件夹存放的是各个系列的文件夹，一期简报应放在其中一个里",
            "  提示：请给出系列文件夹，例如 bulletin new issues/work-bulletin",
        ),
    }
    assert result.stderr.splitlines() == list(expected[language])
    assert sorted(p.name for p in (tmp_path / "issues").iterdir()) == ["s"]


def test_never_overwrites(tmp_path: Path) -> None:
    folder = series(tmp_path, ("2024-01", 1, 10, "2024-01-05"))
    existing = write(folder / "2024-02.toml", "# mine\n")
    with pytest.raises(BulletinError) as caught:
        write_next_issue(folder, datetime.date(2024, 2, 1))
    assert caught.value.diagnostics[0].file == existing
    assert existing.read_text(encoding="utf-8") == "# mine\n"


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(BulletinError):
        write_next_issue(tmp_path / "nope")


def test_bulletin_new_uses_today(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_builder: Callable[..., Builder]
) -> None:
    today = datetime.date.today()
    folder = series(tmp_path, (f"{today.year}-00", 4, 44, f"{today.year}-01-01"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["new", "issues/s"])
    assert result.exit_code == 0, result.stderr
    path = folder / f"{today.year}-05.toml"
    assert f"wrote   issues/s/{today.year}-05.toml" in result.stdout
    head = tomllib.loads(path.read_text(encoding="utf-8"))["masthead"]
    assert (head["number"], head["total"], head["date"]) == (5, 45, today)
    path.write_text(path.read_text(encoding="utf-8").replace("××××", "文字"), encoding="utf-8")
    assert load_issue(path).issue.masthead.date == today
    mine = write(folder / f"{today.year}-06.toml", "# mine\n")  # the next name, taken
    again = CliRunner().invoke(main, ["new", "issues/s"])
    assert again.exit_code == 1
    assert f"issues/s/{today.year}-06.toml: error: the next issue file already exists" in (
        again.stderr
    )
    assert mine.read_text(encoding="utf-8") == "# mine\n"
