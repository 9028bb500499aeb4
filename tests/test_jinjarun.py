"""Templates rendered from their kept code with jinja2's runtime alone: jinja2's markup exactly,
jinja2 itself for anything else, never code of an older template."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SERIES_TOML, issue_toml, write

from pipeline.layout import jinjarun, templates
from pipeline.layout.templates import (
    FILTERS,
    TEMPLATE_FILE,
    TemplateStore,
    _context,
    _render_with_jinja2,
    render_document,
)
from pipeline.source.load import load_issue

pytestmark = pytest.mark.usefixtures("cache_folder")  # a cache folder of its own


@pytest.fixture(autouse=True)
def rendered_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """No document is taken from the document store: each render_document renders."""
    monkeypatch.setattr(templates, "kept_document", lambda *args: None)


def issue(tmp_path: Path) -> Path:
    folder = tmp_path / "issues" / "s"
    write(folder / "series.toml", SERIES_TOML)
    body = "第一段：<甲> & “乙”。\n\n一、标题\n\n（一）小标题"
    return write(folder / "2024-07.toml", issue_toml(7, "2024-07-24", 236, body=body))


@pytest.mark.parametrize("name", ["work-bulletin", "brief-news"])
def test_the_kept_code_gives_jinja2s_markup(tmp_path: Path, name: str) -> None:
    loaded = load_issue(issue(tmp_path))
    template = TemplateStore([ROOT / "templates"]).get(name)
    context = _context(loaded, 30)
    source = (template.folder / TEMPLATE_FILE).read_bytes()
    assert jinjarun.render(source, context, FILTERS) is None  # nothing kept yet
    theirs = _render_with_jinja2(template, context, source)  # and keeps the code
    mine = jinjarun.render(source, context, FILTERS)
    assert mine == theirs and "&lt;甲&gt; &amp; “乙”" in mine
    assert render_document(loaded, template, 30).blocks  # the same through the store


def test_a_build_with_kept_code_imports_no_jinja2(tmp_path: Path) -> None:
    path = issue(tmp_path)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pipeline.build import Builder\n"
        f"Builder(Path({str(tmp_path)!r}), Path({str(tmp_path / 'out')!r}))"
        f".build(Path({str(path)!r}))\n"
        "print('jinja2.environment' in sys.modules, 'jinja2.runtime' in sys.modules)\n"
        "import jinja2\n"
        "print(jinja2.Environment.__name__, jinja2.__version__ > '3')\n"
    )
    env = {**os.environ, "BULLETIN_CACHE_DIR": str(tmp_path / "cache")}
    runs = []
    for _ in range(2):
        shutil.rmtree(tmp_path / "cache" / "documents-v1", ignore_errors=True)  # it renders
        runs.append(
            subprocess.run(
                [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
            ).stdout.split()
        )
    assert runs[0] == ["True", "True", "Environment", "True"]  # the first build compiles it
    # then jinjalite.py runs the code, and jinja2 imports as usual when asked for
    assert runs[1] == ["False", "False", "Environment", "True"]


def test_what_the_runtime_alone_lacks_is_rendered_by_jinja2(tmp_path: Path) -> None:
    folder = tmp_path / "templates" / "kind"
    shutil.copytree(ROOT / "templates" / "work-bulletin", folder)
    template_file = folder / TEMPLATE_FILE
    text = template_file.read_text(encoding="utf-8")
    text = text.replace(
        "{{ masthead.title }}</p>", "{{ masthead.title | upper }}{{ range(2) | list }}</p>", 1
    )
    template_file.write_text(text, encoding="utf-8")
    loaded = load_issue(issue(tmp_path))
    template = TemplateStore([tmp_path / "templates"]).get("kind")
    context = _context(loaded, 30)
    source = template_file.read_bytes()
    theirs = _render_with_jinja2(template, context, source)
    assert "[0, 1]" in theirs
    assert jinjarun.render(source, context, FILTERS) is None  # no `upper`, no `range`: jinja2's
    document = render_document(loaded, template, 30)
    assert any("[0, 1]" in getattr(block, "text", "") for block in document.blocks)
    kept = jinjarun._code_path(source)
    written = kept.stat().st_mtime_ns
    os.utime(kept, ns=(written - 10**9, written - 10**9))
    render_document(loaded, template, 30)  # kept code it cannot run is not compiled again
    assert kept.stat().st_mtime_ns == written - 10**9


def test_an_edited_template_never_runs_the_code_of_the_old_one(tmp_path: Path) -> None:
    folder = tmp_path / "templates" / "kind"
    shutil.copytree(ROOT / "templates" / "work-bulletin", folder)
    template_file = folder / TEMPLATE_FILE
    loaded = load_issue(issue(tmp_path))
    store = TemplateStore([tmp_path / "templates"])
    first = render_document(loaded, store.get("kind"), 30)
    assert render_document(loaded, store.get("kind"), 30) == first  # from the kept code
    stat = template_file.stat()
    text = template_file.read_text(encoding="utf-8").replace(
        "【{{ column.name }}】", "〖{{ column.name }}〗"
    )
    template_file.write_text(text, encoding="utf-8")
    os.utime(template_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old mtime
    edited = render_document(loaded, TemplateStore([tmp_path / "templates"]).get("kind"), 30)
    assert any(getattr(b, "text", "") == "〖栏目〗" for b in edited.blocks)
