"""Rules across a series folder: which files are issues, numbers and totals, sibling mastheads."""

from __future__ import annotations

import datetime
import random
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from conftest import SERIES_TOML, issue_toml, only_error, write

from pipeline.diagnostics import BulletinError
from pipeline.source import series
from pipeline.source.load import load_issue
from pipeline.source.model import Masthead
from pipeline.source.series import (
    is_issue_file,
    is_issue_name,
    masthead_table,
    peek_masthead,
    series_findings,
    shared_series_index,
)


def test_files_that_are_not_issues() -> None:
    assert is_issue_file(Path("s/2024-01.toml"))
    assert not is_issue_file(Path("s/series.toml"))
    assert not is_issue_file(Path("s/_draft.toml"))
    assert not is_issue_file(Path("s/.hidden.toml"))
    assert not is_issue_file(Path("s/notes.txt"))


NAMES = [
    "2024-01.toml", "A.toml", "b.toml", "series.toml", "recipients.toml", "recipients.txt",
    "_draft.toml", ".hidden.toml", ".toml", "x.TOML", "x.toml.txt", "x.toml.", "a..toml",
    "notes.txt", "2024-10.toml", "2024-9.toml", "toml", "z.toml",
]  # fmt: skip


def test_a_name_is_an_issue_files_as_its_path_is() -> None:
    assert [is_issue_name(name) for name in NAMES] == [
        is_issue_file(Path("s") / name) for name in NAMES
    ]
    assert is_issue_name("2024-01.toml") and not is_issue_name("recipients.toml")


def test_a_folders_issue_names_are_its_sorted_issue_files(tmp_path: Path) -> None:
    for name in NAMES:
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "folder.toml").mkdir()  # glob lists a folder too (its masthead is None)
    expected = sorted(p for p in tmp_path.glob("*.toml") if is_issue_file(p))
    assert [tmp_path / name for name in series._issue_names(tmp_path)] == expected
    assert len(expected) == 8 and series._issue_names(tmp_path / "gone") == []


def _series(tmp_path: Path, *issues: tuple[str, int, int, str]) -> Path:
    folder = tmp_path / "s"
    write(folder / "series.toml", SERIES_TOML)
    for name, number, total, date in issues:
        write(folder / f"{name}.toml", issue_toml(number, date, total))
    return folder


def test_two_issues_with_one_number_in_a_year(tmp_path: Path) -> None:
    folder = _series(tmp_path, ("2024-01", 1, 10, "2024-01-05"), ("2024-01b", 1, 11, "2024-02-05"))
    error = only_error(folder / "2024-01b.toml")
    assert (error.line, error.key) == (2, "masthead.number")
    assert "2024-01.toml" in error.message


def test_the_same_number_in_another_year_is_fine(tmp_path: Path) -> None:
    folder = _series(tmp_path, ("2023-01", 1, 10, "2023-01-05"), ("2024-01", 1, 11, "2024-01-05"))
    assert load_issue(folder / "2024-01.toml").warnings == []


def test_two_issues_with_one_total(tmp_path: Path) -> None:
    folder = _series(tmp_path, ("2023-09", 9, 12, "2023-12-05"), ("2024-01", 1, 12, "2024-01-05"))
    error = only_error(folder / "2024-01.toml")
    assert (error.line, error.key) == (3, "masthead.total")
    assert "2023-09.toml" in error.message


def test_a_gap_in_the_numbers_is_a_warning(tmp_path: Path) -> None:
    folder = _series(
        tmp_path,
        ("2024-01", 1, 10, "2024-01-05"),
        ("2024-02", 2, 11, "2024-02-05"),
        ("2024-05", 5, 12, "2024-05-05"),
    )
    warnings = load_issue(folder / "2024-05.toml").warnings
    assert [(w.severity, w.line, w.key) for w in warnings] == [("warning", 2, "masthead.number")]
    assert "3, 4 missing" in warnings[0].message
    assert load_issue(folder / "2024-02.toml").warnings == []


def test_a_total_that_falls_with_the_date_is_a_warning(tmp_path: Path) -> None:
    folder = _series(tmp_path, ("2024-01", 1, 20, "2024-01-05"), ("2024-02", 2, 15, "2024-02-05"))
    warnings = load_issue(folder / "2024-02.toml").warnings
    assert [(w.line, w.key) for w in warnings] == [(3, "masthead.total")]


def test_a_draft_is_not_an_issue_of_the_series(tmp_path: Path) -> None:
    folder = _series(tmp_path, ("2024-01", 1, 10, "2024-01-05"), ("_2024-01", 1, 10, "2024-01-05"))
    assert load_issue(folder / "2024-01.toml").warnings == []


def test_a_sibling_with_a_date_time_does_not_break_the_others(tmp_path: Path) -> None:
    folder = _series(tmp_path, ("2024-02", 2, 11, "2024-02-05"))
    write(folder / "2024-01.toml", issue_toml(1, "2024-01-05T10:00:00", 10))
    assert load_issue(folder / "2024-02.toml").issue.masthead.number == 2
    error = only_error(folder / "2024-01.toml")
    assert (error.line, error.key) == (4, "masthead.date")


@pytest.mark.parametrize(
    "text",
    [
        '[masthead] # 报头\nnumber = 3\n\n[[columns]]\nname = "甲"\n',
        'template = "x"\n[masthead]\nnumber = 3\n',
        '[masthead]\nmark = """\n[内部]\n"""\nnumber = 3\n[distribution]\n',
        "masthead = { number = 3 }\n",
        "[masthead]\nnumber = 3\n[masthead.extra]\nx = 1\n",
    ],
)
def test_a_siblings_masthead_is_read_however_it_is_written(text: str) -> None:
    assert masthead_table(text)["number"] == 3  # type: ignore[index]


def test_a_sibling_without_a_masthead() -> None:
    assert masthead_table('[[columns]]\nname = "甲"\n') is None


def test_a_siblings_masthead_is_read_again_after_an_edit(tmp_path: Path) -> None:
    sibling = write(tmp_path / "2024-07.toml", issue_toml(7, "2024-07-24"))
    assert peek_masthead(sibling) == {"number": 7, "date": datetime.date(2024, 7, 24)}
    sibling.write_text(issue_toml(18, "2024-07-25"), encoding="utf-8")  # a new size: no mtime race
    assert peek_masthead(sibling) == {"number": 18, "date": datetime.date(2024, 7, 25)}


def _random_series(folder: Path, rng: random.Random) -> list[Path]:
    """Issue files with clashing, missing, falling and oddly typed numbers, totals and dates."""
    folder.mkdir(parents=True)
    issues = []
    for n in range(rng.randint(1, 12)):
        lines = ["number = " + rng.choice(["1", "2", "3", "5", "true", "2.0", '"4"'])]
        total = rng.choice([None, "10", "11", "12", "13", "14", "12.0", "[1]", "nan"])
        if total is not None:
            lines.append(f"total = {total}")
        day = f"202{rng.randint(3, 4)}-0{rng.randint(1, 3)}-0{rng.randint(1, 3)}"
        lines.append(f"date = {day}" + rng.choice(["", "", "", "T10:00:00"]))
        rng.shuffle(lines)
        masthead = "[masthead]\n" + "\n".join(lines) if rng.random() > 0.1 else "[columns]"
        issues.append(write(folder / f"{2024 + n % 3}-{n:02}.toml", masthead + "\n"))
    return issues


def _masthead_for(issue: Path, rng: random.Random) -> Masthead:
    """What a load would give: the file's own masthead, or values from elsewhere (series.toml)."""
    head = peek_masthead(issue) or {}
    number, total, day = head.get("number"), head.get("total"), head.get("date")
    if not isinstance(number, int) or rng.random() < 0.1:
        number = rng.randint(1, 5)
    if not isinstance(total, int) or rng.random() < 0.1:
        total = rng.choice([None, 10, 12, 14])
    if type(day) is not datetime.date or rng.random() < 0.1:
        day = datetime.date(2024, 2, 2)
    return cast(Masthead, SimpleNamespace(number=number, total=total, date=day))


def test_a_shared_index_finds_what_reading_every_sibling_finds(tmp_path: Path) -> None:
    rng = random.Random(17)
    hints = set()
    for trial in range(300):
        folder = tmp_path / str(trial)
        issues = _random_series(folder, rng)
        mastheads = [_masthead_for(issue, rng) for issue in issues]
        expected = [list(series_findings(i, m)) for i, m in zip(issues, mastheads, strict=True)]
        with shared_series_index([folder]):
            found = [list(series_findings(i, m)) for i, m in zip(issues, mastheads, strict=True)]
        assert found == expected, folder
        hints |= {finding.hint for findings in expected for finding in findings}
    assert len(hints) == 4  # clashing numbers and totals, falling totals and gaps were compared


def test_a_shared_index_is_the_folder_as_it_was_and_is_dropped_after(tmp_path: Path) -> None:
    folder = _series(tmp_path, ("2024-01", 1, 10, "2024-01-05"), ("2024-02", 2, 11, "2024-02-05"))
    with shared_series_index([folder]):
        write(folder / "2024-02b.toml", issue_toml(2, "2024-02-06", 12))  # during the batch
        assert load_issue(folder / "2024-02.toml").warnings == []
        with shared_series_index([folder]):  # as a forked worker does: the batch's is kept
            assert load_issue(folder / "2024-02.toml").warnings == []
        assert load_issue(folder / "2024-02.toml").warnings == []  # and still shared
    with pytest.raises(BulletinError, match=r"2024-02b\.toml"):  # after it: the files again
        load_issue(folder / "2024-02.toml")
