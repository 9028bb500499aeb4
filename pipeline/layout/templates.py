"""Templates: jinja2 turns an issue into document blocks; the style file sets the look."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.diagnostics import BulletinError, Diagnostic, did_you_mean
from pipeline.files import cache_dir
from pipeline.i18n import _
from pipeline.layout import jinjarun
from pipeline.layout.blocks import (
    Block,
    Document,
    PageBreak,
    PhotoBlock,
    RowBlock,
    RuleBlock,
    TableBlock,
    TextBlock,
)
from pipeline.layout.documentstore import document_key, keep_document, kept_document
from pipeline.layout.style import Style, load_style
from pipeline.source.load import LoadedIssue, read_source
from pipeline.source.media import photo_path
from pipeline.source.model import Article, format_date_cn, split_paragraphs

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

    from pipeline.layout.markuptree import Element

TEMPLATE_FILE = "bulletin.xml.j2"
STYLE_FILE = "style.toml"
FILTERS = {"cn_date": format_date_cn}  # the filters templates have beyond jinja2's own
RENDERED_KEPT = 8  # issue files whose last rendered document a template keeps


@dataclass
class Template:
    """One template folder: its parsed style, and its jinja2 environment once one is needed."""

    name: str
    folder: Path
    style: Style
    style_source: bytes | None  # the style file's bytes when it was read (None: no file)
    _environment: Any = None

    def __post_init__(self) -> None:
        # The last document rendered of each issue file: template bytes, issue object, copies.
        self._rendered: dict[Path, tuple[bytes, object, int | None, Document]] = {}

    @property
    def environment(self) -> Any:
        """The jinja2 Environment of the folder (imports jinja2: only rendering without
        jinjarun.py, and the template's errors, need it)."""
        if self._environment is None:
            import jinja2

            self._environment = jinja2.Environment(
                loader=jinja2.FileSystemLoader(self.folder),
                bytecode_cache=_bytecode_cache(),
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=False,
            )
            self._environment.filters.update(FILTERS)
        return self._environment


class TemplateStore:
    """Finds template folders and keeps parsed templates and styles until their files change."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = roots
        self._loaded: dict[Path, Template] = {}

    def names(self) -> list[str]:
        """Names of every template folder found."""
        found = {
            p.name
            for root in self.roots
            if root.is_dir()
            for p in root.iterdir()
            if (p / TEMPLATE_FILE).is_file()
        }
        return sorted(found)

    def folder(self, name: str) -> Path | None:
        """The folder of a template, searching the roots in order."""
        for root in self.roots:
            candidate = root / name
            if (candidate / TEMPLATE_FILE).is_file():
                return candidate
        return None

    def get(self, name: str) -> Template:
        """The named template, its style read again when the style file's bytes change."""
        plain = name not in ("", ".", "..") and not any(c in name for c in "/\\\0\n\r")
        if not plain:
            raise BulletinError.single(
                _("template '{name}' is not a plain folder name", name=name),
                hint=_(
                    "write the name of a folder under templates/, e.g. {names}",
                    names=", ".join(f'"{n}"' for n in self.names()) or '"work-bulletin"',
                ),
            )
        folder = self.folder(name)
        if folder is None:
            raise BulletinError.single(
                _("unknown template '{name}'", name=name),
                hint=did_you_mean(name, self.names())
                or _("templates: {names}", names=", ".join(self.names())),
            )
        style_path = folder / STYLE_FILE
        raw = read_source(style_path) if style_path.exists() else None
        cached = self._loaded.get(folder)
        if cached is not None and cached.style_source == raw:  # the same bytes: never stale
            return cached
        style = load_style(style_path, raw) if raw is not None else Style()
        template = Template(name, folder, style, raw)
        self._loaded[folder] = template
        return template


@functools.cache
def _bytecode_cache_class() -> type[Any]:
    import jinja2

    class BytecodeCache(jinja2.FileSystemBytecodeCache):
        """Compiled templates kept in bulletin's cache folder (~6 ms a build); checked by source.

        jinja2 stores a checksum of the template's source with its code, so an edited template
        is compiled anew. A cache folder that cannot be read or written is skipped, never an
        error.
        """

        def __init__(self) -> None:
            super().__init__(str(cache_dir() / f"templates-jinja{jinja2.__version__}"))

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with contextlib.suppress(OSError):
                super().load_bytecode(bucket)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with contextlib.suppress(OSError):
                Path(self.directory).mkdir(parents=True, exist_ok=True)
                super().dump_bytecode(bucket)

    return BytecodeCache


def _bytecode_cache() -> Any:
    return _bytecode_cache_class()()


def render_document(loaded: LoadedIssue, template: Template, copies: int | None) -> Document:
    """Render an issue through its template into document blocks."""
    path = template.folder / TEMPLATE_FILE
    try:
        source: bytes | None = path.read_bytes()
    except OSError:
        source = None  # jinja2 says what is wrong
    kept = template._rendered.get(loaded.path)
    if kept is not None and source == kept[0] and loaded.issue is kept[1] and copies == kept[2]:
        return kept[3]  # the same template bytes, the same checked issue object, the same copies
    context = _context(loaded, copies)
    key = None
    document: Document | None = None
    # The disk store serves a process's first render of an issue (and the next process); a
    # watcher's later renders of an edited issue would only pay for its key and its write.
    if source is not None and kept is None:
        with contextlib.suppress(OSError):
            key = document_key(source, jinjarun.identity(), context)
            found = kept_document(loaded.path, key)
            document = found if isinstance(found, Document) else None
    if document is None:
        markup = jinjarun.render(source, context, FILTERS) if source is not None else None
        if markup is None:  # jinja2 may read other files (an include): not kept at all
            return parse_markup(_render_with_jinja2(template, context, source), path, loaded)
        document = parse_markup(markup, path, loaded)  # from the template's bytes alone
        if key is not None:
            keep_document(loaded.path, key, document)
    if source is not None:
        template._rendered.pop(loaded.path, None)
        template._rendered[loaded.path] = (source, loaded.issue, copies, document)
        while len(template._rendered) > RENDERED_KEPT:
            del template._rendered[next(iter(template._rendered))]
    return document


def _render_with_jinja2(template: Template, context: dict[str, Any], source: bytes | None) -> str:
    """Render with jinja2 itself (and keep the compiled code for jinjarun.py next time)."""
    import jinja2

    environment = template.environment
    try:
        markup: str = environment.get_template(TEMPLATE_FILE).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise BulletinError.single(
            _("template error: {reason}", reason=exc.message),
            file=Path(exc.filename or template.folder / TEMPLATE_FILE),
            line=exc.lineno,
            hint=_("fix the template's jinja2 syntax"),
        ) from None
    except jinja2.TemplateError as exc:
        raise BulletinError.single(
            _("template error: {reason}", reason=exc),
            file=template.folder / TEMPLATE_FILE,
            line=_template_line(exc),
            hint=_("the template uses a name the issue does not provide"),
        ) from None
    # Kept once: code that is kept but needs more than the runtime would be compiled in vain.
    if source is not None and not jinjarun.has_code(source):
        with contextlib.suppress(jinja2.TemplateError, UnicodeDecodeError):
            filename = str(template.folder / TEMPLATE_FILE)
            code = environment.compile(source.decode("utf-8"), TEMPLATE_FILE, filename)
            jinjarun.keep_code(source, code)
    return markup


def _template_line(exc: BaseException) -> int | None:
    """The template line where a runtime error happened (jinja2 rewrites tracebacks)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(TEMPLATE_FILE):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _context(loaded: LoadedIssue, copies: int | None) -> dict[str, Any]:
    issue = loaded.issue
    columns = [
        {
            "name": column.name,
            "articles": [
                {
                    "title": article.title,
                    "source": article.source,
                    "paragraphs": _paragraphs(
                        article, f"columns[{c + 1}].articles[{a + 1}]", loaded.path
                    ),
                    "key": f"columns[{c + 1}].articles[{a + 1}]",
                }
                for a, article in enumerate(column.articles)
            ],
        }
        for c, column in enumerate(issue.columns)
    ]
    return {
        "masthead": issue.masthead,
        "note_paragraphs": split_paragraphs(issue.note or ""),
        "columns": columns,
        "distribution": issue.distribution,
        "print_date": issue.print_date,
        "copies": copies,
    }


def _paragraphs(article: Article, key: str, issue_path: Path) -> list[dict[str, Any]]:
    """An article's paragraphs, each with the photos and tables that follow it."""
    paragraphs: list[dict[str, Any]] = [
        {"text": p.text, "level": p.level, "photos": [], "tables": []}
        for p in split_paragraphs(article.body)
    ]
    if not paragraphs:
        return paragraphs
    for index, photo in enumerate(article.photos, start=1):
        paragraphs[(photo.after or len(paragraphs)) - 1]["photos"].append(
            {
                "file": str(photo_path(issue_path, photo.file)),
                "width": photo.width,
                "caption": photo.caption or "",
                "key": f"{key}.photos[{index}]",
            }
        )
    for index, table in enumerate(article.tables, start=1):
        paragraphs[(table.after or len(paragraphs)) - 1]["tables"].append(
            {
                "caption": table.caption or "",
                "header_rows": table.header_rows,
                "rows": table.rows,
                "key": f"{key}.tables[{index}]",
            }
        )
    return paragraphs


def parse_markup(markup: str, template_path: Path, loaded: LoadedIssue) -> Document:
    """Parse the template's XML output into a Document."""
    from pipeline.layout import markuptree  # not loaded when the document is kept (pyexpat)

    root: Element | ET.Element | None = markuptree.parse(markup)
    if root is None:  # more than expat alone reads as ElementTree does, or malformed
        import xml.etree.ElementTree as ET  # not loaded for our templates' markup

        try:
            root = ET.fromstring(markup)
        except ET.ParseError as exc:
            raise BulletinError.single(
                _("the template produced malformed markup: {reason}", reason=exc),
                file=template_path,
                hint=_("check that every element the template opens is closed"),
            ) from None
    blocks: list[Block] = []
    imprint: list[Block] = []
    for element in root:
        if element.tag == "imprint":
            imprint.extend(_block(child, template_path) for child in element)
        else:
            blocks.append(_block(element, template_path))
    issue = loaded.issue
    return Document(
        title=root.get("title", ""),
        author=root.get("author", ""),
        subject=root.get("subject", ""),
        date=issue.masthead.date,
        blocks=tuple(blocks),
        imprint=tuple(imprint),
        duplex=issue.masthead.duplex,
    )


def _block(element: Element | ET.Element, template_path: Path) -> Block:
    style = element.get("style", "")
    if element.tag == "p":
        return TextBlock(
            style, (element.text or "").strip(), element.get("label", ""), element.get("origin", "")
        )
    if element.tag == "row":
        left = element.find("left")
        right = element.find("right")
        return RowBlock(
            style,
            (left.text or "").strip() if left is not None else "",
            (right.text or "").strip() if right is not None else "",
            element.get("origin", ""),
        )
    if element.tag == "rule":
        return RuleBlock(style)
    if element.tag == "photo":
        return PhotoBlock(
            Path(element.get("file", "")),
            float(element.get("width", "0.75")),
            (element.text or "").strip(),
            element.get("origin", ""),
        )
    if element.tag == "table":
        caption = element.find("caption")
        return TableBlock(
            tuple(tuple(td.text or "" for td in tr.iter("td")) for tr in element.iter("tr")),
            int(element.get("header_rows", "1")),
            (caption.text or "").strip() if caption is not None else "",
            element.get("origin", ""),
        )
    if element.tag == "pagebreak":
        return PageBreak()
    raise BulletinError(
        [
            Diagnostic(
                "error",
                _("the template produced an unknown element <{tag}>", tag=element.tag),
                template_path,
                hint=_("use <p>, <row>, <rule>, <photo>, <table>, <pagebreak> or <imprint>"),
            )
        ]
    )
