"""Kept documents: an unchanged issue is not rendered again; any change to what it is made from
renders it anew."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SERIES_TOML, issue_toml, write

from pipeline.layout import documentstore, jinjarun, templates
from pipeline.layout.templates import TEMPLATE_FILE, TemplateStore, render_document
from pipeline.source.load import load_issue


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An issue, a copy of the work-bulletin template, and a cache folder of their own."""
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copytree(ROOT / "templates" / "work-bulletin", tmp_path / "templates" / "kind")
    write(tmp_path / "issues" / "s" / "series.toml", SERIES_TOML)
    write(tmp_path / "issues" / "s" / "2024-07.toml", issue_toml(7, "2024-07-24", 236))
    return tmp_path


def _renders(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The templates rendered from now on."""
    rendered: list[object] = []
    real = jinjarun.render

    def counting(*args: object) -> object:
        rendered.append(args[0])
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(jinjarun, "render", counting)
    return rendered


def _document(project: Path, copies: int = 30) -> templates.Document:
    loaded = load_issue(project / "issues" / "s" / "2024-07.toml")
    return render_document(loaded, TemplateStore([project / "templates"]).get("kind"), copies)


def test_an_unchanged_issue_is_not_rendered_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _document(project)  # rendered by jinja2 (which keeps the template's code): not kept
    first = _document(project)  # rendered from the kept code: kept
    rendered = _renders(monkeypatch)
    assert _document(project) == first
    assert rendered == []


def test_an_edited_issue_another_copies_count_or_template_is_rendered(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _document(project)
    rendered = _renders(monkeypatch)
    issue = project / "issues" / "s" / "2024-07.toml"
    issue.write_text(issue.read_text(encoding="utf-8").replace("第一段", "第壹段"), "utf-8")
    edited = _document(project)
    assert edited != first and any("第壹段" in getattr(b, "text", "") for b in edited.blocks)
    assert len(rendered) == 1
    assert _document(project, copies=31) != edited
    assert len(rendered) == 2
    template = project / "templates" / "kind" / TEMPLATE_FILE
    template.write_text(template.read_text("utf-8").replace("印发", "印制"), "utf-8")
    assert _document(project, copies=31) != edited
    assert len(rendered) == 3


def test_other_rendering_code_or_a_damaged_file_renders_anew(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _document(project)
    rendered = _renders(monkeypatch)
    monkeypatch.setattr(documentstore, "_code_digest", lambda: b"other code")
    assert _document(project) == first
    assert len(rendered) == 1
    for path in (project / "cache" / documentstore.FOLDER).glob("*.document"):
        path.write_bytes(path.read_bytes()[:40])
    assert _document(project) == first
    assert len(rendered) == 2


def test_a_template_error_is_never_kept(project: Path) -> None:
    template = project / "templates" / "kind" / TEMPLATE_FILE
    template.write_text(template.read_text("utf-8") + "<p>", "utf-8")  # malformed markup
    with pytest.raises(templates.BulletinError):
        _document(project)
    assert not list((project / "cache" / documentstore.FOLDER).glob("*.document"))


def test_at_most_files_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(documentstore, "FILES_KEPT", 2)
    monkeypatch.setattr(documentstore, "TRIM_EVERY", 2)
    monkeypatch.setattr(documentstore, "_new_files", [0])
    folder = tmp_path / "cache" / documentstore.FOLDER
    counts = []
    for n in range(6):
        documentstore.keep_document(tmp_path / f"{n}.toml", bytes(32), {"n": n})
        counts.append(len(list(folder.glob("*.document"))))
    assert counts == [1, 2, 2, 3, 2, 3]  # trimmed at the first new file and every 2nd after
    documentstore.keep_document(tmp_path / "2.toml", bytes(32), {"n": 2})
    assert documentstore.kept_document(tmp_path / "2.toml", bytes(32)) == {"n": 2}
    assert documentstore.kept_document(tmp_path / "2.toml", bytes([1]) * 32) is None


def test_a_document_jinja2_rendered_is_not_kept(project: Path) -> None:
    """What the kept template code cannot render (an include: other files it reads) is rendered
    by jinja2 every time, and an edit of the included file is seen."""
    folder = project / "templates" / "kind"
    template = folder / TEMPLATE_FILE
    write(folder / "part.j2", "甲")
    template.write_text(
        template.read_text("utf-8").replace("印发", '印发{% include "part.j2" %}', 1), "utf-8"
    )
    imprint = _document(project).imprint
    assert any("印发甲" in getattr(b, "right", "") for b in imprint)
    write(folder / "part.j2", "乙")
    assert any("印发乙" in getattr(b, "right", "") for b in _document(project).imprint)
    assert not list((project / "cache" / documentstore.FOLDER).glob("*.document"))


def test_a_kept_template_renders_an_edited_issue_without_the_disk_store(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A watcher's second render of an issue file (edited) neither looks up nor writes the
    disk store: its own memory has the last document."""
    issue = project / "issues" / "s" / "2024-07.toml"
    template = TemplateStore([project / "templates"]).get("kind")
    render_document(load_issue(issue), template, 30)  # by jinja2, which keeps the code
    render_document(load_issue(issue), template, 30)  # from the kept code: kept in memory
    stored: list[object] = []
    monkeypatch.setattr(templates, "document_key", lambda *args: stored.append(args) or b"")
    issue.write_text(issue.read_text(encoding="utf-8").replace("第一段", "第壹段"), "utf-8")
    edited = render_document(load_issue(issue), template, 30)
    assert any("第壹段" in getattr(b, "text", "") for b in edited.blocks)
    assert stored == []


def test_a_kept_document_loads_no_renderer_or_parser(project: Path) -> None:
    """Neither jinja2 nor jinjalite.py, ElementTree nor expat: the document is the kept one."""
    _document(project)
    _document(project)  # kept from now on
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pipeline.layout.templates import TemplateStore, render_document\n"
        "from pipeline.source.load import load_issue\n"
        f"loaded = load_issue(Path({str(project / 'issues' / 's' / '2024-07.toml')!r}))\n"
        f"template = TemplateStore([Path({str(project / 'templates')!r})]).get('kind')\n"
        "assert render_document(loaded, template, 30).blocks\n"
        "names = ('jinja2', 'pipeline.layout.jinjalite', 'xml.etree', 'pyexpat')\n"
        "print([name for name in names if name in sys.modules])\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], env=dict(os.environ), capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
