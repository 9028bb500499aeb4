"""build.py: an issue's identity and its output path, whatever the path spelling."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SERIES_TOML, issue_toml, write

from pipeline.app.cli import main
from pipeline.build import IssueIdentity, issue_identity, output_path, series_of
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
