"""build.py: an issue's identity and output path, and what a build reports it read (by kind)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SERIES_TOML, Built, issue_toml, write
from PIL import Image

from pipeline.app.cli import main
from pipeline.build import (
    Builder,
    Dependency,
    IssueIdentity,
    issue_identity,
    output_path,
    series_of,
)
from pipeline.fonts.chains import BUNDLED_DIR
from pipeline.source.load import load_issue


@pytest.fixture
def series(tmp_path: Path) -> Path:
    """issues/news/2024-07.toml (number 7) in a project folder."""
    folder = tmp_path / "issues" / "news"
    write(folder / "series.toml", SERIES_TOML)
    write(folder / "2024-07.toml", issue_toml(7, "2024-07-05", 10))
    return folder


def test_the_series_is_the_folder_below_issues_however_the_path_is_typed(
    series: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "link").symlink_to(series)
    (series / "sub").mkdir()
    spellings = [
        (tmp_path, series / "2024-07.toml"),
        (tmp_path, tmp_path / "link" / "2024-07.toml"),
        (tmp_path, Path("link/2024-07.toml")),
        (tmp_path, Path("issues/news/sub/../2024-07.toml")),
        (series, Path("2024-07.toml")),
        (series / "sub", Path("../2024-07.toml")),
    ]
    for cwd, path in spellings:
        monkeypatch.chdir(cwd)
        assert series_of(path) == "news", path
        assert output_path(path, Path("OUT")) == Path("OUT/news/2024-07.pdf"), path
        assert issue_identity(load_issue(path)) == IssueIdentity("news", 2024, 7)


def test_a_nested_series_keeps_its_whole_path_and_a_loose_file_its_folder(tmp_path: Path) -> None:
    nested = write(tmp_path / "issues" / "a" / "b" / "2024-01.toml", "")
    loose = write(tmp_path / "elsewhere" / "2024-01.toml", "")
    assert series_of(nested) == "a/b"
    assert series_of(loose) == "elsewhere"


def test_the_identity_ignores_the_file_name(series: Path) -> None:
    renamed = series / "2024-07.toml"
    renamed = renamed.rename(series / "seventh.toml")
    identity = issue_identity(load_issue(renamed))
    assert identity.key == "news/2024年第7期"
    assert output_path(renamed, Path("o")) == Path("o/news/seventh.pdf")


def test_build_via_dotdot_writes_inside_the_output_folder(
    series: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (series / "sub").mkdir()
    monkeypatch.chdir(series / "sub")
    result = CliRunner().invoke(main, ["build", "../2024-07.toml", "-o", "OUT2/x"])
    assert result.exit_code == 0, result.output
    assert (series / "sub" / "OUT2" / "x" / "news" / "2024-07.pdf").is_file()
    written = [
        Path(folder, name) for folder, _d, names in os.walk(series.parent.parent) for name in names
    ]
    assert [p for p in written if p.suffix == ".pdf"] == [
        series / "sub" / "OUT2" / "x" / "news" / "2024-07.pdf"
    ]


BOOK = """\
[[recipient]]
name = "{name}"
folder = "a"
copies = 3
"""


def kinds(dependencies: tuple[Dependency, ...]) -> dict[Path, str]:
    return {d.path: d.kind for d in dependencies}


def test_a_sample_reports_its_issue_series_book_template_and_fonts(
    samples: dict[str, Built],
) -> None:
    reported = kinds(samples["2024-14"].result.dependencies)
    series = ROOT / "issues" / "work-bulletin"
    assert reported[samples["2024-14"].source] == "issue"
    assert reported[series / "series.toml"] == "series"
    assert reported[series / "recipients.toml"] == "address book"  # copies = 150 is checked
    assert ROOT / "issues" / "recipients.toml" not in reported  # the series' own book wins
    assert reported[ROOT / "templates" / "work-bulletin"] == "template"
    assert reported[ROOT / "fonts"] == "font"  # a font dropped in may change a chain
    bundled = [p for p, kind in reported.items() if kind == "font" and p.parent == BUNDLED_DIR]
    assert bundled, "the chains' font files"


def test_the_shared_address_book_is_a_dependency_only_of_issues_that_read_it(
    tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    write(tmp_path / "issues" / "recipients.toml", BOOK.format(name="下级机关"))
    counted = write(tmp_path / "issues" / "a" / "2024-01.toml", issue_toml(1))
    write(tmp_path / "issues" / "a" / "series.toml", SERIES_TOML)
    uncounted = write(tmp_path / "issues" / "b" / "2024-01.toml", issue_toml(1))
    write(tmp_path / "issues" / "b" / "series.toml", SERIES_TOML.replace("copies = 30\n", ""))
    builder = make_builder(tmp_path / "output", tmp_path)

    books = {
        p
        for p, kind in kinds(builder.build(counted).dependencies).items()
        if kind == "address book"
    }
    # the shared book it read, and the series' own it would lose to once written
    assert books == {tmp_path / "issues" / "recipients.toml", counted.parent / "recipients.toml"}
    reported = kinds(builder.build(uncounted).dependencies)
    assert "address book" not in reported.values()  # no 共印N份: no address book read
    assert reported[uncounted.parent / "series.toml"] == "series"


def test_a_template_of_the_package_also_names_the_workspace_folder_that_would_win(
    tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    (tmp_path / "templates").mkdir()  # a workspace without its own work-bulletin template
    write(tmp_path / "issues" / "a" / "series.toml", SERIES_TOML)
    issue = write(tmp_path / "issues" / "a" / "2024-01.toml", issue_toml(1))
    builder = make_builder(tmp_path / "output", tmp_path)
    templates = [d.path for d in builder.build(issue).dependencies if d.kind == "template"]
    assert templates == [
        tmp_path / "templates" / "work-bulletin",
        ROOT / "templates" / "work-bulletin",
    ]


def test_possible_dependencies_cover_every_kind_a_failed_build_may_need(tmp_path: Path) -> None:
    builder = Builder(tmp_path)
    issue = tmp_path / "issues" / "a" / "2024-01.toml"
    possible = kinds(builder.possible_dependencies(issue))
    assert possible[issue] == "issue"
    assert possible[tmp_path / "issues" / "recipients.toml"] == "address book"
    assert possible[issue.parent / "recipients.toml"] == "address book"
    assert possible[tmp_path / "templates"] == "template"
    assert possible[tmp_path / "fonts"] == "font"


def test_a_photo_is_a_dependency_of_the_issue_that_shows_it(
    tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    folder = tmp_path / "issues" / "s"
    (folder / "photos").mkdir(parents=True)
    Image.new("RGB", (60, 40), (200, 30, 30)).save(folder / "photos" / "a.jpg")
    write(folder / "series.toml", SERIES_TOML)
    issue = folder / "2024-01.toml"
    issue.write_text(
        issue_toml(1) + '\n[[columns.articles.photos]]\nfile = "photos/a.jpg"\n', encoding="utf-8"
    )
    builder = make_builder(tmp_path / "output", ROOT)
    reported = kinds(builder.build(issue).dependencies)
    assert reported[folder / "photos" / "a.jpg"] == "photo"
