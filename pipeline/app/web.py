"""The web interface of `bulletin serve`: pages, the JSON API, the PDFs and the event stream."""

from __future__ import annotations

import contextlib
import datetime
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pypdfium2
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.app.board import Board, IssueView
from pipeline.app.pageimages import WIDTHS_PX, PageImages
from pipeline.build import peek_identity
from pipeline.deliver.ledger import LEDGER_FILE, Delivery, Ledger, NumberRange
from pipeline.diagnostics import Diagnostic
from pipeline.source.series import SERIES_FILE, peek_masthead

WEB_DIR = Path(__file__).parent / "web"
NO_STORE = {"Cache-Control": "no-store"}
KEEP_ALIVE_S = 15  # a comment line at least this often keeps the event stream open
STATE_LABELS = {"built": "已生成", "failed": "生成失败", "building": "正在生成"}
SEVERITY_LABELS = {"error": "错误", "warning": "提醒"}
DELIVERY_LABELS = {"sent": "已送达", "failed": "发送失败", "sending": "发送中断", None: "未发送"}
CHANNEL_LABELS = {"email": "电子邮件", "folder": "文件夹"}


@dataclass(frozen=True)
class Copy:
    """One recipient's row of an issue's distribution."""

    recipient: str
    numbers: str
    delivery: Delivery | None

    @property
    def status(self) -> str | None:
        """sent, failed, sending, or None (numbered, never sent)."""
        return self.delivery.status if self.delivery else None


def distribution(output_root: Path, view: IssueView) -> list[Copy] | None:
    """The issue's rows of the ledger, read-only; None if nothing was ever distributed."""
    path = output_root / LEDGER_FILE
    if not path.is_file():
        return None
    ledger = Ledger(path, create=False)
    try:  # the ledger names an issue by its identity; older ledgers by folder/stem
        identity = peek_identity(view.source)
        keys = [identity.key] if identity else []
        keys.append(f"{view.source.parent.name}/{view.source.stem}")
        key = next((k for k in keys if ledger.number_ranges(k)), keys[0])
        numbers, latest = ledger.number_ranges(key), ledger.latest(key)
    finally:
        ledger.close()
    if not numbers:
        return None
    ordered = sorted(numbers.items(), key=lambda item: item[1].first)
    return [Copy(name, _numbers(a), latest.get(name)) for name, a in ordered]


def _numbers(taken: NumberRange) -> str:
    first, last = taken.first, taken.last
    return f"{first:06d}" if last == first else f"{first:06d}–{last:06d}"


_TITLES: dict[Path, tuple[str, str]] = {}  # the last titles read, for an issue file that is broken


def titles(view: IssueView) -> tuple[str, str]:
    """(《工作简报》, 2024年第14期) from the issue's masthead and its series.toml, where known."""
    own = peek_masthead(view.source)
    if own is None and view.source in _TITLES:  # a broken file: its last good titles
        return _TITLES[view.source]
    shared = peek_masthead(view.source.parent / SERIES_FILE) or {}
    title, number, date = ((own or {}).get(k, shared.get(k)) for k in ("title", "number", "date"))
    series = f"《{title}》" if isinstance(title, str) else view.series
    issue = f"{date.year}年" if isinstance(date, datetime.date) else ""
    issue = f"{issue}第{number}期" if isinstance(number, int) else view.name
    _TITLES[view.source] = series, issue
    return series, issue


def position(diagnostic: Diagnostic, root: Path) -> str:
    """file:line:col of a problem, the file relative to the project."""
    where = ""
    if diagnostic.file is not None:
        file = diagnostic.file.resolve()
        where = str(file.relative_to(root) if file.is_relative_to(root) else file)
    for number in (diagnostic.line, diagnostic.line and diagnostic.col):
        if number:
            where += f":{number}"
    return where


def _shown_time(iso: str | None) -> str:
    if iso is None:
        return "—"
    return datetime.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S")


def make_app(board: Board, images: PageImages, keep_alive_s: float = KEEP_ALIVE_S) -> Starlette:
    """The Starlette application over a board of issues."""
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    templates.globals.update(
        state_labels=STATE_LABELS,
        severity_labels=SEVERITY_LABELS,
        delivery_labels=DELIVERY_LABELS,
        channel_labels=CHANNEL_LABELS,
        titles=titles,
        position=lambda d: position(d, board.root),
        shown_time=_shown_time,
    )

    def page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = templates.get_template(name).render(**values)
        return HTMLResponse(html, status, headers=NO_STORE)

    def find(request: Request) -> IssueView | None:
        params = request.path_params
        return board.find(str(params["series"]), str(params["name"]))

    def servable(view: IssueView) -> Path | None:
        """The view's PDF if it is a file inside the output folder, symlinks resolved."""
        pdf = view.pdf_file.resolve()
        return pdf if pdf.is_relative_to(board.output_root) and pdf.is_file() else None

    async def index(request: Request) -> Response:
        series: dict[str, list[IssueView]] = {}
        for view in board.views():
            series.setdefault(view.series, []).append(view)
        return page("index.html", series=series, views=board.views())

    def issue_values(view: IssueView) -> dict[str, Any]:
        """What the issue page shows: its pages, read from the PDF, and the ledger's rows."""
        pdf = servable(view)
        document = None
        if pdf is not None:
            with contextlib.suppress(OSError, pypdfium2.PdfiumError):
                document = images.document(pdf)
        try:
            copies, ledger_error = distribution(board.output_root, view), None
        except (sqlite3.Error, OSError) as exc:
            copies, ledger_error = None, str(exc)
        return {"document": document, "copies": copies, "ledger_error": ledger_error}

    async def issue_page(request: Request) -> Response:
        view = find(request)
        if view is None:
            return page("missing.html", 404)
        values = await run_in_threadpool(issue_values, view)  # the event loop stays free
        return page("issue.html", view=view, widths=WIDTHS_PX, **values)

    async def api_issues(request: Request) -> Response:
        return JSONResponse([v.as_json(board.root) for v in board.views()])

    async def pdf_file(request: Request) -> Response:
        view = find(request)
        pdf = servable(view) if view is not None else None
        if pdf is None:
            return Response("no such PDF", status_code=404)
        return FileResponse(pdf, media_type="application/pdf", headers=NO_STORE)

    async def page_image(request: Request) -> Response:
        view = find(request)
        pdf = servable(view) if view is not None else None
        width = request.query_params.get("w", str(WIDTHS_PX[0]))
        if pdf is None or width not in {str(w) for w in WIDTHS_PX}:
            return Response("no such page", status_code=404)
        try:
            found = await run_in_threadpool(
                images.png, pdf, int(request.path_params["number"]) - 1, int(width)
            )
        except (OSError, pypdfium2.PdfiumError):
            found = None
        if found is None:
            return Response("no such page", status_code=404)
        version, png = found
        fresh = request.query_params.get("v") == version  # the URL names this very PDF
        cache = "private, max-age=86400, immutable" if fresh else "no-store"
        return Response(png, media_type="image/png", headers={"Cache-Control": cache})

    async def events(request: Request) -> Response:
        queue = board.subscribe()

        async def stream() -> AsyncIterator[dict[str, str]]:
            try:
                while (event := await queue.get()) is not None:
                    kind, view = event
                    data = json.dumps(view.as_json(board.root), ensure_ascii=False)
                    yield {"event": kind, "data": data}
            finally:
                board.unsubscribe(queue)

        return EventSourceResponse(stream(), ping=keep_alive_s, headers=NO_STORE)

    return Starlette(
        routes=[
            Route("/", index),
            Route("/issues/{series:path}/{name}", issue_page),
            Route("/api/issues", api_issues),
            Route("/pdf/{series:path}/{name}.pdf", pdf_file),
            Route("/pages/{series:path}/{name}/{number:int}.png", page_image),
            Route("/events", events),
            Mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static"),
        ]
    )
