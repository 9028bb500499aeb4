"""`bulletin archive` (interfaces.md): PDF/A-3b, the same pages, sources and ledger rows inside."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner
from conftest import ROOT
from pdfmeasure import assert_pdfa, read_pdf

from pipeline.app.archive import archive_path, ledger_csv
from pipeline.app.cli import main
from pipeline.build import output_path
from pipeline.deliver.distribute import Distributor
from pipeline.deliver.ledger import LEDGER_FILE


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the brief-news series (folder deliveries only); the working folder."""
    shutil.copytree(ROOT / "issues" / "brief-news", tmp_path / "issues" / "brief-news")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def archive(issue: Path, output: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["archive", str(issue), "-o", str(output)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def attachments(path: Path) -> dict[str, tuple[str, str, bytes]]:
    """Each associated file of the document: relationship, MIME type, content."""
    with pikepdf.open(path) as pdf:
        associated = {str(spec.UF) for spec in pdf.Root.AF}
        found = {}
        for name, spec in pdf.attachments.items():
            assert name in associated  # an associated file of the document (catalog /AF)
            data = spec.get_file()
            found[name] = (str(spec.relationship), data.mime_type, data.read_bytes())
        return found


def test_the_archive_copy_is_pdfa_3b_with_the_issue_and_series_files(project: Path) -> None:
    """layout.md §1 (page size) and §3 (text positions): the same pages as the built PDF."""
    issue = project / "issues" / "brief-news" / "2024-07.toml"
    code, out, _ = archive(issue, project / "output")
    assert code == 0
    path = project / "output" / "brief-news" / "2024-07-archive.pdf"
    assert path == archive_path(issue, project / "output")
    assert "2024-07-archive.pdf" in out
    assert_pdfa(path, "3b")
    with pikepdf.open(path) as pdf:
        assert pdf.open_metadata()["pdfaid:part"] == "3"
    inside = attachments(path)
    assert set(inside) == {"2024-07.toml", "series.toml"}
    assert inside["2024-07.toml"] == ("/Source", "application/toml", issue.read_bytes())
    series = (issue.parent / "series.toml").read_bytes()
    assert inside["series.toml"] == ("/Source", "application/toml", series)

    assert CliRunner().invoke(main, ["build", str(issue), "-o", "output"]).exit_code == 0
    built = read_pdf(output_path(issue, project / "output"))
    archived = read_pdf(path, "3b")
    assert [p.text for p in archived.pages] == [p.text for p in built.pages]
    for mine, theirs in zip(archived.pages, built.pages, strict=True):
        assert (mine.width, mine.height) == (theirs.width, theirs.height)
        assert [(c.text, c.x0, c.baseline) for line in mine.lines for c in line.chars] == [
            (c.text, c.x0, c.baseline) for line in theirs.lines for c in line.chars
        ]


def test_after_distribution_the_ledger_rows_are_inside_as_data(project: Path) -> None:
    issue = project / "issues" / "brief-news" / "2024-07.toml"
    output = project / "output"
    report = Distributor(project, output, environ={}).distribute(issue)
    assert not report.failed
    assert archive(issue, output)[0] == 0
    path = archive_path(issue, output)
    assert_pdfa(path, "3b")
    inside = attachments(path)
    relationship, mime, data = inside["2024-07-ledger.csv"]
    assert (relationship, mime) == ("/Data", "text/csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert len(rows) == 6  # the six recipients of brief-news, one delivery each
    assert {r["status"] for r in rows} == {"sent"}
    assert rows[0]["copy_number"] == "000001" and rows[0]["recipient"] == "省直机关工委"
    first = path.read_bytes()
    assert archive(issue, output)[0] == 0
    assert path.read_bytes() == first  # the same input and ledger, the same bytes


def test_the_ledger_csv_has_a_header_even_for_an_issue_never_sent(tmp_path: Path) -> None:
    assert ledger_csv(tmp_path / LEDGER_FILE, "s/2024-01").startswith(b"id,issue,recipient,")
    assert not (tmp_path / LEDGER_FILE).exists()


def test_a_missing_issue_file_is_a_message_and_exit_status_1(project: Path) -> None:
    code, _, err = archive(project / "issues" / "brief-news" / "2099-01.toml", project / "out")
    assert code == 1
    assert "no such issue file" in err and "Traceback" not in err
    assert not (project / "out").exists()


def test_a_broken_issue_writes_no_archive_copy(project: Path) -> None:
    issue = project / "issues" / "brief-news" / "2024-07.toml"
    issue.write_text(issue.read_text(encoding="utf-8").replace("[masthead]", "[mast"), "utf-8")
    code, _, err = archive(issue, project / "output")
    assert code == 1 and "2024-07.toml:" in err
    assert not archive_path(issue, project / "output").exists()


ARCHIVED = "issues/brief-news/2024-07.toml → output/brief-news/2024-07-archive.pdf"


@pytest.mark.parametrize(
    ("language", "start", "end"),
    [("en", f"archived {ARCHIVED} (", ")"), ("zh", f"已存档  {ARCHIVED}（附件：", "）")],
)
def test_the_archived_line_is_in_the_clerks_language(
    language: str, start: str, end: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_LANG", language)
    code, out, _ = archive(Path("issues/brief-news/2024-07.toml"), Path("output"))
    assert code == 0
    [line] = [line for line in out.splitlines() if "2024-07-archive.pdf" in line]
    assert line.startswith(start) and line.endswith(end)
    assert "2024-07.toml" in line.removeprefix(start)  # the issue file is among the attachments
