"""Building: issue file → validated model → blocks → PDF, written atomically; caches kept warm."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from pipeline.diagnostics import BulletinError, Diagnostic, Severity
from pipeline.files import find_project_root as find_project_root  # its home before files.py
from pipeline.files import write_atomically, write_problem
from pipeline.fonts.chains import FontCatalog, FontChain, FontLibrary
from pipeline.fonts.find import ScanningCatalog
from pipeline.fonts.roles import Role
from pipeline.i18n import _
from pipeline.layout import drawingstore
from pipeline.layout.drawnkept import KeptDrawings, drawing_key
from pipeline.layout.linecache import CharReport, LayoutProblem, LineCache
from pipeline.layout.pages import DrawnDocument
from pipeline.layout.templates import Template, TemplateStore, render_document
from pipeline.resources import DEFAULT_TEMPLATES_DIR
from pipeline.source.bookpath import ADDRESS_BOOK, find_address_book
from pipeline.source.kept import KeptByContent
from pipeline.source.load import CheckedSources, LoadedIssue, load_issue, parse_key_name
from pipeline.source.media import photo_files
from pipeline.source.series import SERIES_FILE, is_issue_file, peek_masthead
from pipeline.source.textrules import walk_strings

if TYPE_CHECKING:  # imported where used: `bulletin fonts`, 共印N份 and drawing need them
    from pipeline.fonts.report import FontReport
    from pipeline.layout.photos import PhotoCache
    from pipeline.source.addressbook import KeptBooks

FINISH = "PDF/A-2b"  # what formats/pdfawrite.py's PDFA_2B makes of every PDF, by name
DependencyKind = Literal["issue", "series", "address book", "template", "font", "photo"]


@dataclass(frozen=True)
class Dependency:
    """A file or folder a build read, or looked for first (it may not exist yet), and its kind;
    a folder (a template folder, the fonts/ folder) stands for everything below it."""

    path: Path
    kind: DependencyKind


@dataclass
class BuildResult:
    """What one build produced: the PDF's path, its page count and the warnings."""

    source: Path
    pdf: Path
    pages: int
    warnings: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0
    dependencies: tuple[Dependency, ...] = ()


@dataclass(frozen=True)
class IssueIdentity:
    """Which issue this is: series (path below issues/), year and number, however it is typed."""

    series: str
    year: int
    number: int

    @property
    def key(self) -> str:
        """The ledger's name for the issue, e.g. work-bulletin/2024年第14期."""
        return f"{self.series}/{self.year}年第{self.number}期"


def series_of(issue_path: Path) -> str:
    """The series of an issue file: its real folder's path below issues/, else the folder's name.

    The path is resolved first, so a relative, absolute or linked spelling gives the same series.
    """
    folder = issue_path.resolve().parent
    for above in folder.parents:
        if above.name == "issues":
            return folder.relative_to(above).as_posix()
    return folder.name


def issue_identity(loaded: LoadedIssue) -> IssueIdentity:
    """The identity of a loaded issue (issue-format.md, "Identity of an issue")."""
    head = loaded.issue.masthead
    return IssueIdentity(series_of(loaded.path), head.date.year, head.number)


def peek_identity(issue_path: Path) -> IssueIdentity | None:
    """The identity from the mastheads of the issue and its series.toml, without a full load."""
    own = peek_masthead(issue_path) or {}
    shared = peek_masthead(issue_path.parent / SERIES_FILE) or {}
    number, date = (own.get(k, shared.get(k)) for k in ("number", "date"))
    if isinstance(number, int) and isinstance(date, datetime.date):
        return IssueIdentity(series_of(issue_path), date.year, number)
    return None


def output_path(issue_path: Path, output_root: Path) -> Path:
    """<output>/<series>/<issue-file-stem>.pdf, always inside `output_root`."""
    return output_root / series_of(issue_path) / f"{issue_path.resolve().stem}.pdf"


def find_issue_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every issue file named, or below the folders named, in sorted order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*.toml")
                if is_issue_file(p) and "output" not in p.relative_to(path).parts
            )
        else:
            yield path


class Builder:
    """Builds issues; fonts, templates and styles stay loaded between builds."""

    def __init__(
        self,
        project_root: Path,
        output_root: Path | None = None,
        catalog: FontCatalog | None = None,
        ofd: bool = False,
    ) -> None:
        self.project_root = project_root
        self.ofd = ofd  # also write <issue>.ofd beside each PDF
        self.output_root = output_root or project_root / "output"
        roots = [project_root / "templates"]  # a workspace's own templates win
        if DEFAULT_TEMPLATES_DIR not in roots:
            roots.append(DEFAULT_TEMPLATES_DIR)
        self.templates = TemplateStore(roots)
        self.fonts = FontLibrary(catalog or ScanningCatalog(project_root))
        self.line_caches: dict[Path, LineCache] = {}
        self.photo_caches: dict[Path, PhotoCache] = {}
        self.drawings = KeptDrawings()  # an unchanged issue's PDF is not drawn again
        # Parsed and checked issues and address books, while their files hold the same bytes.
        self.sources: KeptByContent[CheckedSources] = KeptByContent(KEPT_CACHES)
        self.address_books: KeptBooks | None = None  # made on the first 共印N份

    def build(self, issue_path: Path, strict: bool = False) -> BuildResult:
        """Build one issue into its PDF; raise BulletinError (and write nothing) on failure."""
        started = time.perf_counter()
        loaded = load_issue(issue_path, self.sources)
        target = output_path(issue_path, self.output_root)
        pdf, pages, warnings, dependencies, result = self._render(loaded, target)
        if strict and warnings:
            raise BulletinError(
                [
                    *warnings,
                    Diagnostic(
                        "error",
                        _("warnings are errors with --strict"),
                        issue_path,
                        hint=_("fix the warnings above, or build without --strict"),
                    ),
                ]
            )
        try:
            if not result.in_place:
                write_atomically(target, pdf)
            if self.ofd and result.info is not None:
                from pipeline.formats.ofd import write_ofd  # only with --ofd

                write_atomically(target.with_suffix(".ofd"), write_ofd(result.display, result.info))
        except OSError as exc:
            raise BulletinError([write_problem(target, exc)]) from None
        return BuildResult(
            issue_path, target, pages, warnings, time.perf_counter() - started, dependencies
        )

    def render(
        self, loaded: LoadedIssue
    ) -> tuple[bytes, int, list[Diagnostic], tuple[Dependency, ...]]:
        """Typeset a loaded issue into PDF bytes, its page count, warnings and dependencies."""
        return self._render(loaded)[:4]

    def _render(
        self, loaded: LoadedIssue, target: Path | None = None
    ) -> tuple[bytes, int, list[Diagnostic], tuple[Dependency, ...], DrawnDocument]:
        template, chains, result = self._typeset(loaded, None if self.ofd else target)
        warnings = list(loaded.warnings)
        warnings += self.fonts.warnings(chains)
        warnings += [_char_diagnostic(loaded, r, "warning") for r in result.fallbacks]
        if result.missing or result.problems:
            raise BulletinError(
                [
                    *warnings,
                    *(_char_diagnostic(loaded, r, "error") for r in result.missing),
                    *(_layout_diagnostic(loaded, p) for p in result.problems),
                ]
            )
        dependencies = (
            *self._source_dependencies(loaded.path),
            *self._address_book_dependencies(loaded),
            *self._template_dependencies(template.name, template.folder),
            *self._font_dependencies(chains),
            *(Dependency(p, "photo") for p in photo_files(loaded.issue, loaded.path)),
        )
        return result.pdf, result.pages, warnings, dependencies, result

    def possible_dependencies(self, issue_path: Path) -> tuple[Dependency, ...]:
        """What a build of this issue may read whatever it holds: for an issue that failed early."""
        books = (issue_path.parent / ADDRESS_BOOK, issue_path.parent.parent / ADDRESS_BOOK)
        return (
            *self._source_dependencies(issue_path),
            *(Dependency(book, "address book") for book in books),
            *(Dependency(root, "template") for root in self.templates.roots),
            *(Dependency(folder, "font") for folder in self.fonts.catalog.folders()),
            Dependency(issue_path.parent, "photo"),  # a photo it names, relative to its folder
        )

    def _source_dependencies(self, issue_path: Path) -> tuple[Dependency, ...]:
        # series.toml even when there is none yet: writing one changes the issue.
        return (
            Dependency(issue_path, "issue"),
            Dependency(issue_path.parent / SERIES_FILE, "series"),
        )

    def _address_book_dependencies(self, loaded: LoadedIssue) -> tuple[Dependency, ...]:
        """The address book an issue read (only 共印N份 reads it), and the one it would win over."""
        if loaded.issue.distribution.copies is None:
            return ()
        book = find_address_book(loaded.series_dir)
        looked_at = [loaded.series_dir / ADDRESS_BOOK]
        if book != looked_at[0]:  # the shared issues/recipients.toml, or none: a series' own wins
            looked_at.append(loaded.series_dir.parent / ADDRESS_BOOK)
        return tuple(Dependency(path, "address book") for path in looked_at)

    def _template_dependencies(self, name: str, folder: Path) -> tuple[Dependency, ...]:
        """The template's folder, and the same name in the roots searched before it."""
        found = []
        for root in self.templates.roots:
            found.append(Dependency(root / name, "template"))
            if root / name == folder:
                break
        return tuple(found)

    def _font_dependencies(self, chains: dict[Role, FontChain]) -> tuple[Dependency, ...]:
        """Every font file of the chains, and the folders where a new font may change a chain."""
        files = dict.fromkeys(face.path for chain in chains.values() for face in chain.faces)
        folders = self.fonts.catalog.folders()
        return tuple(Dependency(path, "font") for path in (*folders, *files))

    def font_report(self, issues: list[LoadedIssue], templates: list[str]) -> FontReport:
        """What `bulletin fonts` shows for these templates, and the characters of these issues."""
        from pipeline.fonts.report import FontReport, template_fonts, unused_faces

        report = FontReport()
        families: dict[str, dict[Role, list[str]]] = {}
        for name in templates:
            try:
                families[name] = self.templates.get(name).style.fonts
            except BulletinError as exc:
                report.problems += exc.diagnostics
        report.groups = template_fonts(self.fonts, families)
        report.unused = unused_faces(self.fonts, report.groups)
        for issue in issues:
            try:
                report.characters[issue.path] = self.char_reports(issue)
            except BulletinError as exc:
                report.problems += exc.diagnostics
        return report

    def char_reports(self, loaded: LoadedIssue) -> list[Diagnostic]:
        """Characters of an issue drawn from a fallback font (warnings) or from no font (errors)."""
        _, _, result = self._typeset(loaded)
        return [
            *(_char_diagnostic(loaded, r, "warning") for r in result.fallbacks),
            *(_char_diagnostic(loaded, r, "error") for r in result.missing),
        ]

    def _typeset(
        self, loaded: LoadedIssue, target: Path | None = None
    ) -> tuple[Template, dict[Role, FontChain], DrawnDocument]:
        """An issue's drawing: kept in memory, its output file in place as recorded, or drawn."""
        from pipeline.layout.photos import PhotoCache

        template = self._template(loaded)
        document = render_document(loaded, template, self.print_run(loaded))
        chains = self.fonts.chains(template.style.fonts)
        key = loaded.path.resolve()
        cache = _recent(self.line_caches, key, lambda: LineCache(key))  # on disk per issue
        photos = _recent(self.photo_caches, key, PhotoCache)
        drawn = drawing_key(document, template.style, chains, FINISH)
        result = self.drawings.get(key, drawn)
        if result is not None:  # the caches keep what the kept drawing used
            return template, chains, result
        recorded = drawingstore.drawing_key(document, template.style, chains, FINISH)
        found = drawingstore.drawn_in_place(key, recorded, target) if target else None
        if found is not None:
            return template, chains, found
        from pipeline.formats.pdfawrite import PDFA_2B  # the FINISH
        from pipeline.layout.draw import draw_document

        result = draw_document(document, template.style, chains, cache, photos, PDFA_2B)
        cache.sweep()
        photos.sweep()
        self.drawings.put(key, drawn, (template.style, chains), result)
        drawingstore.record_drawing(key, recorded, result)
        return template, chains, result

    def print_run(self, loaded: LoadedIssue) -> int | None:
        """共印N份: the fixed number, or for "auto" what the address book's recipients need."""
        copies = loaded.issue.distribution.copies
        if copies is None:
            return None  # only 共印N份 reads the address book
        if copies != "auto" and find_address_book(loaded.series_dir) is None:
            return copies  # a fixed number, and no recipients to check it against
        from pipeline.source.addressbook import KeptBooks, print_run_for

        if self.address_books is None:
            self.address_books = KeptBooks()
        count, notes = print_run_for(loaded, self.address_books.load)
        loaded.warnings.extend(note for note in notes if note not in loaded.warnings)
        return count

    def _template(self, loaded: LoadedIssue) -> Template:
        try:
            return self.templates.get(loaded.issue.template)
        except BulletinError as exc:
            first = exc.diagnostics[0]
            if first.file is None:
                placed = loaded.diagnostic("error", first.message, ("template",), first.hint)
                raise BulletinError([placed]) from None
            raise


def _layout_diagnostic(loaded: LoadedIssue, problem: LayoutProblem) -> Diagnostic:
    """A layout problem as an error on the issue key its text came from."""
    key = parse_key_name(problem.origin) if problem.origin else ()
    return loaded.diagnostic("error", problem.message, key, problem.hint)


def _char_diagnostic(loaded: LoadedIssue, report: CharReport, severity: Severity) -> Diagnostic:
    code = f"U+{ord(report.char):04X}"
    key = parse_key_name(report.origin) if report.origin else _key_with(loaded, report.char)
    if severity == "error":
        message = _("no font has the character {char} ({code})", char=report.char, code=code)
        hint = _("put a font that has it into fonts/, or replace the character")
    else:
        message = _(
            "the character {char} ({code}) is drawn from the fallback font {font}",
            char=report.char,
            code=code,
            font=report.font,
        )
        hint = _("the role's font lacks it; a fallback font of the chain was used")
    diagnostic = loaded.diagnostic(severity, message, key, hint)
    line = _line_of_char(loaded, key, report.char)
    return diagnostic.at(line, None) if line else diagnostic


def _key_with(loaded: LoadedIssue, char: str) -> tuple[str | int, ...]:
    """The first key of the issue (else its series) whose text holds the character: for text
    the template prints without naming its key (the masthead, the imprint)."""
    for source in (loaded.source, loaded.series):
        for key, text in walk_strings(source.data if source else {}):
            if char in text:
                return key
    return ()


def _line_of_char(loaded: LoadedIssue, key: tuple[str | int, ...], char: str) -> int | None:
    value: object = loaded.source.data
    for part in key:
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    if not isinstance(value, str) or char not in value:
        return None
    offset = value.index(char)
    return loaded.source.keys.line_of_offset(key, value.count("\n", 0, offset))


_Cache = TypeVar("_Cache")
KEPT_CACHES = 8  # issues whose composed lines and photos a Builder keeps (a batch: the last ones)


def _recent(caches: dict[Path, _Cache], key: Path, make: Callable[[], _Cache]) -> _Cache:
    """The issue's cache, made the most recent; the oldest beyond KEPT_CACHES are dropped.

    A watch rebuilds the few issues being edited; a batch of 1,000 would otherwise keep every
    issue's lines (274 MB with -j 1).
    """
    cache = caches.pop(key, None)
    caches[key] = cache if cache is not None else make()
    while len(caches) > KEPT_CACHES:
        del caches[next(iter(caches))]
    return caches[key]
