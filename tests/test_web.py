"""The web interface over HTTP: the pages, /api/issues, the PDFs, page images, events, safety."""

from __future__ import annotations

import html as html_module
import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from servehelp import KEEP_ALIVE_S, WAIT_S, EventStream, Served, copy_project, edit, serving

from pipeline.deliver.ledger import LEDGER_FILE, Ledger
from pipeline.fonts.chains import FontLibrary

W14 = "work-bulletin/2024-14"
W14_PAGES = 8  # pages of that sample
FIELDS = {"series", "name", "path", "state", "pages", "pdf", "built_at", "problems"}
PROBLEM_FIELDS = {"file", "line", "col", "severity", "message", "hint", "key"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, fonts: FontLibrary) -> Iterator[Served]:
    """One server over an unchanged copy of the samples, for the tests that only read."""
    with serving(copy_project(tmp_path_factory.mktemp("served")), fonts) as running:
        yield running


@pytest.fixture
def live(tmp_path: Path, fonts: FontLibrary) -> Iterator[Served]:
    """A server of its own, for a test that edits the issues."""
    with serving(copy_project(tmp_path), fonts) as running:
        yield running


def test_api_lists_every_issue_built_with_the_contract_fields(served: Served) -> None:
    items = served.api()
    assert [(i["series"], i["name"]) for i in items] == [
        ("brief-news", "2024-07"),
        ("work-bulletin", "2024-13"),
        ("work-bulletin", "2024-14"),
        ("work-bulletin", "2024-15"),
    ]
    for item in items:
        assert set(item) == FIELDS
        assert item["state"] == "built"
        for problem in item["problems"]:  # characters from a fallback font
            assert set(problem) == PROBLEM_FIELDS and problem["severity"] == "warning"
            assert problem["file"] == item["path"] and isinstance(problem["line"], int)
        assert item["pdf"] == f"/pdf/{item['series']}/{item['name']}.pdf"
        assert item["path"] == f"issues/{item['series']}/{item['name']}.toml"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", item["built_at"])
    assert served.item(W14)["pages"] == W14_PAGES


def test_index_links_every_issue_with_its_state_in_chinese(served: Served) -> None:
    status, headers, body = served.get("/")
    html = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "《工作简报》" in html and "《政工简讯》" in html
    assert 'href="/issues/work-bulletin/2024-14"' in html
    assert 'href="/issues/brief-news/2024-07"' in html
    assert html.count("已生成") >= 3
    assert "2024年第14期" in html


def test_issue_page_shows_every_page_and_its_text(served: Served) -> None:
    status, _headers, body = served.get(f"/issues/{W14}")
    html = body.decode()
    assert status == 200
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) == W14_PAGES
    assert "我省扎实推进地方志数字化建设" in html  # page 1's text, for find and screen readers
    assert "尚未分发" in html
    for problem in served.item(W14)["problems"]:  # beside the pages, with file:line and hint
        assert f"{problem['file']}:{problem['line']}" in html
        assert problem["hint"] in html_module.unescape(html)
    status, headers, png = served.get(sources[0].replace("&amp;", "&"))
    assert status == 200 and headers["content-type"] == "image/png"
    assert "immutable" in headers["cache-control"]
    image = Image.open(io.BytesIO(png))
    assert image.size == (900, 1273)  # A4 as the page shows it at 1366 and 1920 wide
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50  # text and the red masthead, not a blank page


def test_a_page_image_of_an_older_pdf_is_not_cached(served: Served) -> None:
    status, headers, _png = served.get(f"/pages/{W14}/1.png?v=old&w=900")
    assert status == 200 and headers["cache-control"] == "no-store"
    assert served.get(f"/pages/{W14}/{W14_PAGES + 1}.png?w=900")[0] == 404
    for width in ("999", "abc", ""):
        assert served.get(f"/pages/{W14}/1.png?w={width}")[0] == 404
    assert served.get(f"/pages/{W14}/0.png")[0] == 404


def test_pdf_is_the_built_file(served: Served) -> None:
    status, headers, body = served.get(f"/pdf/{W14}.pdf")
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert body == (served.root / "output" / f"{W14}.pdf").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/pdf/../../pyproject.toml",
        "/pdf/work-bulletin/../../../etc/passwd.pdf",
        "/pdf/%2e%2e/%2e%2e/etc/passwd.pdf",
        "/pdf/%2E%2E%2F%2E%2E%2Fetc/passwd.pdf",
        "/pdf//etc/passwd.pdf",
        "/pdf/%2Fetc/passwd.pdf",
        "/pdf/work-bulletin/..%2F..%2Fissues%2Fwork-bulletin%2F2024-14.pdf",
        "/pages/%2e%2e/%2e%2e/1.png",
        "/issues/%2e%2e/%2e%2e/etc/passwd",
        "/static/../../pyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/%2e%2e/web.py",
        "/static//etc/passwd",
        "/issues/work-bulletin/2024-14.toml",
        "/issues/work-bulletin/series",
        "/output/work-bulletin/2024-14.pdf",
    ],
)
def test_nothing_outside_the_output_and_issues_can_be_fetched(served: Served, path: str) -> None:
    status, _headers, body = served.get(path)
    assert status == 404, body[:200]
    assert b"root:" not in body and b"[project]" not in body and b"import" not in body


def test_a_symlink_in_the_output_is_not_followed_out(served: Served, tmp_path: Path) -> None:
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 secret")
    pdf = served.root / "output" / "brief-news" / "2024-07.pdf"
    kept = pdf.read_bytes()
    pdf.unlink()
    pdf.symlink_to(secret)
    try:
        status, _headers, body = served.get("/pdf/brief-news/2024-07.pdf")
        assert status == 404 and b"secret" not in body
        assert served.get("/pages/brief-news/2024-07/1.png?w=900")[0] == 404
    finally:
        pdf.unlink()
        pdf.write_bytes(kept)


def test_static_files_are_served(served: Served) -> None:
    status, headers, body = served.get("/static/app.js")
    assert status == 200 and b"EventSource" in body
    assert "javascript" in headers["content-type"]


def test_an_edit_sends_one_built_event_with_the_new_item(live: Served) -> None:
    stream = EventStream(live.port)
    try:
        assert " 200 " in stream.status_line
        edit(live.issue(W14), "number = 14", "number = 14  # edited")
        (when, kind, data), *_ = stream.wait(1)
        pdf = live.root / "output" / f"{W14}.pdf"
        assert kind == "built" and set(data) == FIELDS
        assert (data["series"], data["name"], data["state"]) == (*W14.split("/"), "built")
        assert when >= os.stat(pdf).st_mtime - 0.05  # sent once the PDF is in place
        assert live.item(W14) == data
    finally:
        stream.close()


def test_a_failed_build_keeps_the_last_good_pdf_and_shows_the_problem(live: Served) -> None:
    pdf = live.root / "output" / f"{W14}.pdf"
    good = pdf.read_bytes()
    stream = EventStream(live.port)
    try:
        edit(live.issue(W14), "number = 14", "number = = 14")
        (_when, kind, data), *_ = stream.wait(1)
    finally:
        stream.close()
    assert kind == "failed" and data["state"] == "failed"
    assert data["pdf"] == f"/pdf/{W14}.pdf" and data["pages"] == W14_PAGES
    (problem,) = data["problems"]
    assert set(problem) == PROBLEM_FIELDS
    assert problem["file"] == f"issues/{W14}.toml" and problem["severity"] == "error"
    assert isinstance(problem["line"], int) and isinstance(problem["col"], int)
    assert pdf.read_bytes() == good
    html = live.get(f"/issues/{W14}")[2].decode()
    assert "本次生成失败" in html and "上次成功生成的版本" in html
    assert f"issues/{W14}.toml:{problem['line']}:{problem['col']}" in html
    assert len(re.findall(r'<img src="', html)) == W14_PAGES  # the last good pages stay
    assert live.get(f"/pdf/{W14}.pdf")[2] == good


def test_a_new_issue_appears_and_a_deleted_one_goes(live: Served) -> None:
    source = live.issue(W14).read_text(encoding="utf-8")
    new = live.issue("work-bulletin/2024-15")
    new.write_text(
        source.replace("number = 14", "number = 15").replace("total = 236", "total = 237"),
        encoding="utf-8",
    )
    live.wait_for("work-bulletin/2024-15", lambda i: i["state"] == "built")
    new.unlink()
    deadline = time.monotonic() + WAIT_S
    while any(i["name"] == "2024-15" for i in live.api()):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert live.get("/issues/work-bulletin/2024-15")[0] == 404


def test_issue_page_shows_the_distribution_from_the_ledger(live: Served) -> None:
    ledger = Ledger(live.root / "output" / LEDGER_FILE)
    try:
        key = "work-bulletin/2024年第14期"  # the ledger names an issue by its identity
        with ledger.transaction():
            ledger.allocate(key, [("省委办公厅", 1), ("各市（州）党委办公室", 21)])
        sent = ledger.begin(
            key, "省委办公厅", "000001", "a", "b", "email", "x@example.cn", False, None
        )
        ledger.finish(sent, "sent")
        failed = ledger.begin(
            key, "各市（州）党委办公室", "000002", "a", "c", "folder", "outbox/sz", False, None
        )
        ledger.finish(failed, "failed", "disk full")
    finally:
        ledger.close()
    html = live.get(f"/issues/{W14}")[2].decode()
    assert "省委办公厅" in html and "已送达" in html and "x@example.cn" in html
    assert "000002–000022" in html and "发送失败" in html and "disk full" in html
    assert "失败 1" in html
    other = live.get("/issues/work-bulletin/2024-13")[2].decode()
    assert "尚未分发" in other


def test_the_event_stream_keeps_itself_open_with_comments(served: Served) -> None:
    stream = EventStream(served.port)
    try:
        time.sleep(KEEP_ALIVE_S * 4)
        assert len(stream.comments) >= 2 and not stream.events
    finally:
        stream.close()
