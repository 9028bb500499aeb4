"""Photos and tables in issue files: a bad photo, `after` or table row is an error at its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SERIES_TOML, issue_toml, only_error, problems, write
from PIL import Image

from pipeline.source.load import load_issue
from pipeline.source.media import photo_files

BODY = "第一段正文。\n\n第二段正文。"


def issue_with(folder: Path, extra: str) -> Path:
    """An issue of two paragraphs with `extra` TOML after its article."""
    write(folder / "series.toml", SERIES_TOML)
    path = folder / "2024-01.toml"
    path.write_text(issue_toml(body=BODY) + extra, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "issues" / "s"
    (folder / "photos").mkdir(parents=True)
    Image.new("RGB", (60, 40), (200, 30, 30)).save(folder / "photos" / "a.jpg")
    return folder


def line_of(path: Path, text: str) -> int:
    """The number of the line of `path` that starts with `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if line.strip().startswith(text))


def test_photos_and_tables_load_with_their_defaults(folder: Path) -> None:
    path = issue_with(
        folder,
        '\n[[columns.articles.photos]]\nfile = "photos/a.jpg"\ncaption = "图注"\n'
        '\n[[columns.articles.tables]]\nafter = 1\nrows = [["甲", "乙"], ["1", "2"]]\n',
    )
    article = load_issue(path).issue.columns[0].articles[0]
    photo, table = article.photos[0], article.tables[0]
    assert (photo.file, photo.caption, photo.after, photo.width) == (
        "photos/a.jpg",
        "图注",
        None,
        0.75,
    )
    assert (table.after, table.header_rows, table.rows) == (1, 1, [["甲", "乙"], ["1", "2"]])
    assert photo_files(load_issue(path).issue, path) == [folder / "photos" / "a.jpg"]


def test_a_missing_photo_names_its_file_line_and_key(folder: Path) -> None:
    path = issue_with(folder, '\n[[columns.articles.photos]]\nfile = "photos/nope.jpg"\n')
    error = only_error(path)
    assert error.file == path
    assert error.line == line_of(path, 'file = "photos/nope.jpg"')
    assert error.key == "columns[1].articles[1].photos[1].file"
    assert "photos/nope.jpg" in error.message and "not found" in error.message


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("a.gif", lambda p: Image.new("P", (8, 8)).save(p, "GIF"), "GIF"),
        ("a.jpg", lambda p: p.write_bytes(b"not a picture at all"), "not a picture"),
        ("a.png", lambda p: p.write_bytes(_truncated_png()), "damaged"),
    ],
)
def test_unsupported_or_damaged_photos_are_errors(
    folder: Path, name: str, make: object, words: str
) -> None:
    target = folder / "photos" / name
    make(target)  # type: ignore[operator]
    path = issue_with(folder, f'\n[[columns.articles.photos]]\nfile = "photos/{name}"\n')
    error = only_error(path)
    assert words in error.message
    assert error.key == "columns[1].articles[1].photos[1].file"
    assert error.line == line_of(path, "file =")
    assert error.hint and ".jpg" in error.hint


def _truncated_png() -> bytes:
    import io

    buffer = io.BytesIO()
    Image.effect_noise((200, 200), 60).save(buffer, "PNG")
    return buffer.getvalue()[:-200]


def test_after_beyond_the_paragraphs_is_an_error(folder: Path) -> None:
    path = issue_with(
        folder,
        '\n[[columns.articles.photos]]\nfile = "photos/a.jpg"\nafter = 3\n'
        '\n[[columns.articles.tables]]\nafter = 5\nrows = [["甲"]]\n',
    )
    found = [d for d in problems(path) if d.is_error]
    assert [d.key for d in found] == [
        "columns[1].articles[1].photos[1].after",
        "columns[1].articles[1].tables[1].after",
    ]
    assert [d.line for d in found] == [line_of(path, "after = 3"), line_of(path, "after = 5")]
    assert "only 2 paragraphs" in found[0].message
    assert found[0].hint and "1 to 2" in found[0].hint


def test_a_ragged_row_is_an_error_on_its_own_line(folder: Path) -> None:
    path = issue_with(
        folder,
        "\n[[columns.articles.tables]]\nrows = [\n"
        '  ["县（市、区）", "数", "已建成"],\n  ["市中区", "10", "6"],\n  ["东兴区", "12"],\n]\n',
    )
    error = only_error(path)
    assert error.key == "columns[1].articles[1].tables[1].rows[3]"
    assert error.line == line_of(path, '["东兴区"')
    assert "row 3" in error.message and "2 cells" in error.message


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('\n[[columns.articles.photos]]\nfile = "photos/a.jpg"\nwidth = 1.5\n', "photos[1].width"),
        (
            '\n[[columns.articles.photos]]\nfile = "photos/a.jpg"\nwidth = "half"\n',
            "photos[1].width",
        ),
        ("\n[[columns.articles.tables]]\nrows = []\n", "tables[1].rows"),
        (
            '\n[[columns.articles.tables]]\nheader_rows = 3\nrows = [["甲"]]\n',
            "tables[1].header_rows",
        ),
        ('\n[[columns.articles.photos]]\nfile = "photos/a.jpg"\nsize = 1\n', "photos[1].size"),
    ],
)
def test_other_bad_values_name_their_key(folder: Path, extra: str, key: str) -> None:
    error = only_error(issue_with(folder, extra))
    assert error.key == "columns[1].articles[1]." + key
