"""`bulletin import`: Word articles round-trip into issue files that keep comments and build."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from conftest import SERIES_TOML, write
from docx.shared import Inches
from pdfmeasure import read_pdf
from PIL import Image

from pipeline.app.cli import main
from pipeline.build import Builder
from pipeline.diagnostics import BulletinError

ISSUE = """\
# 工作简报 2024年第1期 — the clerk's own comments must survive an import
[masthead]
number = 1          # 期号
date = 2024-07-24

[[columns]]
name = "特别关注"   # 第一个栏目

[[columns.articles]]
title = "已有的文章"
body = \"\"\"
已有文章的正文。
\"\"\"

[[columns]]
name = "市州动态"

[[columns.articles]]
title = "另一篇"
body = \"\"\"
另一篇的正文。
\"\"\"

# 版记
[distribution]
copies = 3
"""
TITLE = "内江全覆盖建设乡镇（街道）史志阅览室"
PARAGRAPHS = [
    "为深入贯彻落实全省地方志工作会议精神，内江市全面推进。",
    "截至6月底，已建成阅览室120个。",
]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    folder = tmp_path / "issues" / "s"
    write(folder / "series.toml", SERIES_TOML)
    path = folder / "2024-01.toml"
    path.write_text(ISSUE, encoding="utf-8")
    return path


def make_docx(tmp_path: Path, paragraphs: list[str] = PARAGRAPHS) -> Path:
    """A Word article as city offices send them: title, paragraphs, a picture, a table, source."""
    document = docx.Document()
    document.add_paragraph(TITLE, style="Title")
    document.add_paragraph(paragraphs[0])
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (1200, 800), (30, 110, 190)).save(photo, quality=85)
    document.add_picture(str(photo), width=Inches(4))
    for text in paragraphs[1:]:
        document.add_paragraph(text)
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([["县（市、区）", "已建成"], ["市中区", "6"]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.add_paragraph("（内江市委党史地方志研究室）")
    path = tmp_path / "article.docx"
    document.save(str(path))
    return path


def test_an_import_appends_the_article_keeping_comments_and_order(
    tmp_path: Path, issue: Path, make_builder: Callable[[Path], Builder]
) -> None:
    """interfaces.md `bulletin import`; the built PDF (layout.md §8) shows its text and photo."""
    code, out, _ = run(
        "import", str(make_docx(tmp_path)), "--into", str(issue), "--column", "市州动态"
    )
    assert code == 0
    text = issue.read_text(encoding="utf-8")
    assert text.startswith(ISSUE.split("# 版记")[0].rstrip())  # all before it untouched
    assert "# 版记\n[distribution]\ncopies = 3" in text  # what followed, kept after it
    data = tomllib.loads(text)
    article = data["columns"][1]["articles"][1]
    assert article["title"] == TITLE
    assert article["source"] == "内江市委党史地方志研究室"
    assert article["body"].split("\n\n") == [*PARAGRAPHS[:1], PARAGRAPHS[1] + "\n"]
    assert article["photos"] == [{"file": "photos/2024-01-1.jpg", "after": 1}]
    assert article["tables"] == [
        {"after": 2, "rows": [["县（市、区）", "已建成"], ["市中区", "6"]]}
    ]
    assert (issue.parent / "photos" / "2024-01-1.jpg").read_bytes() == (
        tmp_path / "photo.jpg"
    ).read_bytes()
    assert f"《{TITLE}》" in out and "photos/2024-01-1.jpg" in out and "2 paragraphs" in out

    pdf = read_pdf(make_builder(tmp_path / "output").build(issue).pdf)
    assert "".join(PARAGRAPHS) in pdf.content_text.replace("（内江", "")
    assert "（内江市委党史地方志研究室）" in pdf.content_text
    assert sum(len(page.images) for page in pdf.pages) == 1


def test_dry_run_prints_the_toml_and_writes_nothing(tmp_path: Path, issue: Path) -> None:
    code, out, _ = run("import", str(make_docx(tmp_path)), "--into", str(issue), "--dry-run")
    assert code == 0
    assert issue.read_text(encoding="utf-8") == ISSUE
    assert not (issue.parent / "photos").exists()
    added = out.split(":\n", 1)[1].rsplit("nothing was written", 1)[0]
    assert tomllib.loads(added)["columns"]["articles"][0]["title"] == TITLE  # the TOML it adds
    assert '[[columns.articles.photos]]\nfile = "photos/2024-01-1.jpg"' in added


def test_a_new_column_and_a_second_import_number_their_photos_on(
    tmp_path: Path, issue: Path
) -> None:
    source = make_docx(tmp_path)
    assert run("import", str(source), "--into", str(issue), "--column", "工作交流")[0] == 0
    assert run("import", str(source), "--into", str(issue))[0] == 0
    data = tomllib.loads(issue.read_text(encoding="utf-8"))
    assert [c["name"] for c in data["columns"]] == ["特别关注", "市州动态", "工作交流"]
    articles = data["columns"][2]["articles"]
    assert [a["photos"][0]["file"] for a in articles] == [
        "photos/2024-01-1.jpg",
        "photos/2024-01-2.jpg",
    ]


def test_a_character_no_font_has_is_reported_at_its_line_in_the_issue(
    tmp_path: Path, issue: Path, make_builder: Callable[[Path], Builder]
) -> None:
    rare = "\U0002a6a5"  # 𪚥: no bundled font has it
    source = make_docx(tmp_path, [PARAGRAPHS[0], f"第二段有生僻字{rare}。"])
    assert run("import", str(source), "--into", str(issue))[0] == 0
    with pytest.raises(BulletinError) as caught:
        make_builder(tmp_path / "output").build(issue)
    (error,) = [d for d in caught.value.diagnostics if d.is_error]
    lines = issue.read_text(encoding="utf-8").splitlines()
    assert error.file == issue and rare in lines[error.line - 1]  # type: ignore[operator]
    assert error.key == "columns[2].articles[2].body"


def test_an_old_doc_is_a_clear_error_and_nothing_changes(tmp_path: Path, issue: Path) -> None:
    old = tmp_path / "article.doc"
    old.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600)
    code, _, err = run("import", str(old), "--into", str(issue))
    assert code == 1
    assert "old binary Word" in err and "save it as a Word document (.docx)" in err
    assert "Traceback" not in err
    assert issue.read_text(encoding="utf-8") == ISSUE


def test_a_malformed_issue_file_is_reported_with_its_line(tmp_path: Path, issue: Path) -> None:
    issue.write_text(ISSUE.replace('name = "市州动态"', "name = 市州动态"), encoding="utf-8")
    code, _, err = run("import", str(make_docx(tmp_path)), "--into", str(issue))
    assert code == 1 and "2024-01.toml:16:" in err
