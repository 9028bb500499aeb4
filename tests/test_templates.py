"""Templates: structure and fixed wording, escaping, style files, new kinds without Python."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest
from conftest import ROOT, SERIES_TOML, issue_toml, write
from pdfmeasure import read_pdf

from pipeline.build import Builder
from pipeline.diagnostics import BulletinError
from pipeline.layout import templates
from pipeline.layout.blocks import Document, RowBlock, RuleBlock, TextBlock
from pipeline.layout.templates import TemplateStore, render_document
from pipeline.source.load import load_issue

STORE_ROOTS = [ROOT / "templates"]


def test_template_names() -> None:
    assert {"work-bulletin", "brief-news"} <= set(TemplateStore(STORE_ROOTS).names())


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("work-bulletn", "did you mean 'work-bulletin'?"),
        ("zzzzzz", "templates: "),
    ],
)
def test_unknown_templates(name: str, hint: str | None) -> None:
    with pytest.raises(BulletinError) as caught:
        TemplateStore(STORE_ROOTS).get(name)
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.message == f"unknown template '{name}'"
    if hint:
        assert diagnostic.hint is not None and diagnostic.hint.startswith(hint)


@pytest.mark.parametrize(
    ("language", "message", "hint"),
    [
        ("en", "unknown template 'zzzzzz'", "templates: "),
        ("zh", "没有名为“zzzzzz”的模板", "现有模板："),
    ],
)
def test_an_unknown_template_is_named_in_the_clerks_language(
    language: str, message: str, hint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_LANG", language)
    with pytest.raises(BulletinError) as caught:
        TemplateStore(STORE_ROOTS).get("zzzzzz")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.message == message
    assert diagnostic.hint is not None and diagnostic.hint.startswith(hint)


@pytest.mark.parametrize(
    ("language", "message", "hint"),
    [
        (
            "en",
            "the template uses text style 'nosuch', which the style file does not define",
            "known styles: ",
        ),
        ("zh", "模板用到了文字样式“nosuch”，但样式文件里没有定义它", "已定义的样式："),
    ],
)
def test_an_undefined_text_style_is_named_in_the_clerks_language(
    language: str, message: str, hint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_LANG", language)
    style = TemplateStore(STORE_ROOTS).get("work-bulletin").style
    with pytest.raises(BulletinError) as caught:
        style.text_style("nosuch")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.message == message
    assert diagnostic.hint is not None and diagnostic.hint.startswith(hint)


@pytest.mark.parametrize(
    "name", ["..", ".", "", "../templates/work-bulletin", "work-bulletin/../brief-news", "a\nb"]
)
def test_a_template_name_is_a_plain_folder_name(name: str, tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "bulletin.xml.j2").write_text("", encoding="utf-8")  # ".." would find this
    with pytest.raises(BulletinError) as caught:
        TemplateStore([tmp_path / "templates", *STORE_ROOTS]).get(name)
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.message == f"template '{name}' is not a plain folder name"
    assert diagnostic.hint is not None and '"work-bulletin"' in diagnostic.hint


def _issue(tmp_path: Path, **fields: str) -> Path:
    folder = tmp_path / "issues" / "s"
    write(folder / "series.toml", SERIES_TOML)
    text = issue_toml(7, "2024-07-24", 236)
    for key, value in fields.items():
        text = text.replace(f'{key} = "', f'{key} = "{value}', 1)
    return write(folder / "2024-07.toml", text)


def test_the_work_bulletin_adds_all_fixed_wording(tmp_path: Path) -> None:
    loaded = load_issue(_issue(tmp_path))
    document = render_document(loaded, TemplateStore(STORE_ROOTS).get("work-bulletin"), 30)
    texts = [(b.style, b.label + b.text) for b in document.blocks if isinstance(b, TextBlock)]
    assert texts[:3] == [
        ("name", "工作简报"),
        ("issue-line", "第7期（总第236期）"),
        ("tag", "【栏目】"),
    ]
    assert ("title", "标题") in texts
    assert ("body", "第一段正文。") in texts and ("body", "第二段正文。") in texts
    editor = next(b for b in document.blocks if isinstance(b, RowBlock))
    assert (editor.left, editor.right) == ("测试编发单位", "2024年7月24日")
    assert isinstance(document.blocks[2], RowBlock) and isinstance(document.blocks[3], RuleBlock)
    imprint = [
        (b.style, getattr(b, "label", "") + getattr(b, "text", ""))
        for b in document.imprint
        if isinstance(b, TextBlock)
    ]
    assert imprint == [
        ("imprint-list", "报：上级机关甲、上级机关乙。"),
        ("imprint-list", "送：同级机关。"),
        ("imprint-list", "发：下级机关。"),
        ("imprint-copies", "（共印30份）"),
    ]
    printer = next(b for b in document.imprint if isinstance(b, RowBlock))
    assert (printer.left, printer.right) == ("测试印发单位", "2024年7月24日印发")
    rules = [b.style for b in document.imprint if isinstance(b, RuleBlock)]
    assert rules == ["imprint-thick", "imprint-thin", "imprint-thick"]
    assert (document.title, document.author) == ("工作简报 第7期", "测试编发单位")


def test_issue_text_is_escaped_never_markup(tmp_path: Path) -> None:
    markup = '<b>粗</b> <img src=\\"x\\"/> & \\\\ ]]> &amp; {{ masthead.title }}'
    loaded = load_issue(_issue(tmp_path, title=markup, name=markup))
    document = render_document(loaded, TemplateStore(STORE_ROOTS).get("work-bulletin"), None)
    printed = '<b>粗</b> <img src="x"/> & \\ ]]> &amp; {{ masthead.title }}'
    texts = [b.text for b in document.blocks if isinstance(b, TextBlock)]
    assert f"{printed}标题" in texts
    assert f"【{printed}栏目】" in texts


def test_the_brief_news_template_prints_no_column_names(tmp_path: Path) -> None:
    loaded = load_issue(_issue(tmp_path))
    document = render_document(loaded, TemplateStore(STORE_ROOTS).get("brief-news"), None)
    assert not [b for b in document.blocks if isinstance(b, TextBlock) and "【" in b.text]
    assert not [b for b in document.imprint if getattr(b, "style", "") == "imprint-copies"]


def _kind(tmp_path: Path, name: str = "my-kind") -> Path:
    """A new kind of bulletin: a copy of the work-bulletin folder in the project's templates/."""
    folder = tmp_path / "templates" / name
    shutil.copytree(ROOT / "templates" / "work-bulletin", folder)
    return folder


def test_a_new_kind_is_a_copied_folder_no_python(
    tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    """layout.md §2: a copied template's own name and style reach the masthead."""
    folder = _kind(tmp_path)
    style = folder / "style.toml"
    text = style.read_text(encoding="utf-8")
    text = text.replace(
        '[text.name]                  # 工作简报, red, 初号, centred\nfont = "title"\nsize_pt = 42',
        '[text.name]\nfont = "title"\nsize_pt = 36',
    )
    assert "size_pt = 36" in text
    style.write_text(text, encoding="utf-8")
    template = folder / "bulletin.xml.j2"
    template.write_text(
        template.read_text(encoding="utf-8").replace(
            "【{{ column.name }}】", "〖{{ column.name }}〗"
        )
    )
    path = _issue(tmp_path)
    path.write_text('template = "my-kind"\n' + path.read_text(encoding="utf-8"))
    pdf = read_pdf(make_builder(tmp_path / "out", tmp_path).build(path).pdf)
    lines = pdf.pages[0].grid_lines
    assert [line.size for line in lines if line.text == "工作简报"] == [36]
    assert any(line.text == "〖栏目〗" for line in lines)


def test_a_template_syntax_error_names_the_template_line(
    tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    folder = _kind(tmp_path)
    template = folder / "bulletin.xml.j2"
    lines = template.read_text(encoding="utf-8").splitlines()
    lines[5] = "{% if %}"
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = _issue(tmp_path)
    path.write_text('template = "my-kind"\n' + path.read_text(encoding="utf-8"))
    with pytest.raises(BulletinError) as caught:
        make_builder(tmp_path / "out", tmp_path).build(path)
    [error] = caught.value.diagnostics
    assert (error.file, error.line) == (template, 6)
    assert error.message.startswith("template error")


def test_a_template_using_an_unknown_name_names_its_line(
    tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    folder = _kind(tmp_path)
    template = folder / "bulletin.xml.j2"
    text = template.read_text(encoding="utf-8").replace(
        "{{ masthead.title }}</p>", "{{ no_such_name.x }}</p>", 1
    )
    template.write_text(text, encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "no_such_name" in t)
    path = _issue(tmp_path)
    path.write_text('template = "my-kind"\n' + path.read_text(encoding="utf-8"))
    with pytest.raises(BulletinError) as caught:
        make_builder(tmp_path / "out", tmp_path).build(path)
    [error] = caught.value.diagnostics
    assert (error.file, error.line) == (template, line)
    assert "no_such_name" in error.message


def test_an_unknown_key_in_a_style_file(
    tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    folder = _kind(tmp_path)
    style = folder / "style.toml"
    lines = style.read_text(encoding="utf-8").splitlines()
    number = next(n for n, t in enumerate(lines, 1) if t.startswith("size_pt = 42"))
    lines[number - 1] = "sise_pt = 42"
    style.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = _issue(tmp_path)
    path.write_text('template = "my-kind"\n' + path.read_text(encoding="utf-8"))
    with pytest.raises(BulletinError) as caught:
        make_builder(tmp_path / "out", tmp_path).build(path)
    [error] = caught.value.diagnostics
    assert (error.file, error.line, error.col) == (style, number, 1)
    assert error.key == "text.name.sise_pt"
    assert error.hint == "did you mean 'size_pt'?"


def test_a_changed_style_file_is_read_again(tmp_path: Path) -> None:
    folder = _kind(tmp_path)
    store = TemplateStore([tmp_path / "templates"])
    assert store.get("my-kind").style.text["name"].size_pt == 42
    style = folder / "style.toml"
    style.write_text(style.read_text(encoding="utf-8").replace("size_pt = 42", "size_pt = 40"))
    import os

    stat = style.stat()
    os.utime(style, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    assert store.get("my-kind").style.text["name"].size_pt == 40


def _render(tmp_path: Path) -> Document:
    loaded = load_issue(_issue(tmp_path))
    return render_document(loaded, TemplateStore(STORE_ROOTS).get("work-bulletin"), 30)


def test_a_compiled_template_is_kept_and_used_by_the_next_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "cache"))
    first = _render(tmp_path)
    assert list((tmp_path / "cache").glob("templates-jinja*/__jinja2_*.cache"))

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("the template was compiled again")

    monkeypatch.setattr(jinja2.Environment, "compile", no_compiling)
    monkeypatch.setattr(templates, "kept_document", lambda *args: None)  # rendered again
    assert _render(tmp_path) == first  # a new store, as in a new process


def test_an_unusable_cache_folder_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(write(tmp_path / "a-file", "")))
    assert _render(tmp_path).blocks


def test_an_edited_template_is_compiled_anew_though_its_code_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "cache"))
    folder = _kind(tmp_path, "work-bulletin")
    loaded = load_issue(_issue(tmp_path))
    first = render_document(
        loaded, TemplateStore([tmp_path / "templates"]).get("work-bulletin"), 30
    )
    template = folder / "bulletin.xml.j2"
    template.write_text(template.read_text(encoding="utf-8").replace("印发", "印制"), "utf-8")
    again = render_document(
        loaded, TemplateStore([tmp_path / "templates"]).get("work-bulletin"), 30
    )
    assert again != first  # a new store, as in a new process: the cached code was not reused
