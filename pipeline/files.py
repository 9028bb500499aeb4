"""Where bulletin keeps its caches, and writing a file so that no reader ever sees half of it.

Every cache of the package, its key, and what invalidates it (each has a test that fails when
its invalidation is removed). On disk means below `cache_dir()`; deleting it is always safe.

- Font parse cache (`fonts/parsecache.py`, on disk): what reportlab extracts from one face,
  its character map, widths and metrics as arrays (`fonts/facemaps.py`). Key: the font file's
  resolved path and face index (a symlink finds the same entry), the entry format and
  reportlab's version. Invalid when the file's size, mtime or inode, or a digest of its table
  directory and head table, differ from those stored (`tests/test_parsecache.py`,
  `tests/test_caches.py`). In memory, each loaded face's characters are looked up in the arrays
  as a document uses them and kept with the face.
- Loaded fonts (`FontLibrary.load`, in memory): one reportlab font per face. Key: path and face
  index; replaced when the file's mtime changes (looked at once per build, when it asks for its
  chains), so a font swapped in place in `fonts/` is used by the next warm rebuild
  (`tests/test_caches.py`, `tests/test_fonts.py`).
- Font chains (`FontLibrary.chains`, in memory): each role's resolved faces and which font draws
  each character. Key: role and family names. Dropped when the catalog's signature (the files
  in `fonts/` with their sizes and mtimes) changes (`tests/test_caches.py`).
- Font scan cache (`fonts/find.py` ScanCache, on disk `fontscan.json`): the family names stored
  in each font file found. Key: the file's path; invalid when its size or mtime differ
  (`tests/test_fontfind.py`).
- Font programs (`fonts/subsets.py`, in memory, per loaded face): the compressed subset made for
  a PDF's glyphs of the face (numbered as in the face). Key: the set of glyph ids; the least
  recently used beyond PROGRAMS_KEPT are dropped, and a changed file gives a new face with an
  empty memo (`tests/test_subsets.py`). On disk (`fonts/programstore.py`,
  `programs-v2/<digest>.program`), the same programs for the next process. Key: the font
  file's path, size, mtime and inode, the face's place in it, a digest of its first 64 KiB and
  head table, and the glyph set, all stored in the entry and compared; a damaged entry is not
  used; trimmed to FILES_KEPT files and BYTES_KEPT bytes, the least recently written deleted
  first, at a process's first save and every TRIM_EVERY saves after it, so at most
  TRIM_EVERY - 1 entries over (`tests/test_programstore.py`). Face parts (`fonts/subsets.py`
  _FaceParts, in memory, per loaded face): the head, hhea, maxp and hinting tables programs
  are made of, and each glyph's padded outline's checksum; a changed file gives a new face
  (`tests/test_subsets.py`). Program pieces (same module, in memory): the zlib form
  of each piece a program is compressed in (the tables around glyf, and glyf cut after glyphs
  chosen by their ids), keyed by the piece's bytes, the least recently used dropped beyond
  PIECES_KEPT bytes (`tests/test_subsets.py`). Compressed streams (same module): the zlib form
  of the other PDF streams, keyed by their bytes, the least recently used dropped beyond
  COMPRESSED_KEPT bytes of large streams (pictures) and SMALL_KEPT bytes of smaller ones
  (pages, ToUnicode maps) (`tests/test_subsets.py`).
- Glyph ids (`layout/cidfonts.py` FaceGlyphs, in memory, per loaded face): each character's
  glyph in the face, as the face's character map gives it; a changed file gives a new face
  (`tests/test_caches.py`).
- Character fonts and metrics (`layout/glyphs.py` chain_fonts, chain_metrics, in memory):
  the font each character is drawn with (and whether it is reported as a fallback or missing),
  and its box width and glyph place at one size and grid pitch. Key: the font chain (by
  identity), and size and pitch; kept while the chain lives, so a chain made anew (fonts
  changed) is looked up and measured anew. With them, the last TEXTS_KEPT texts whose
  characters the chain looked up, the oldest forgotten first (`tests/test_glyphs.py`,
  `tests/test_caches.py`).
- Page text objects (`layout/pdfwrite.py` _PAGE_TEXTS, in memory): the text objects drawn for a
  page. Key: the page's glyph runs (their faces by identity: a font file changed in place is a
  new face). Codes are glyph ids, so they fit any document, but for a character that shares
  its glyph with another one drawn before it (cidfonts.py) and a face named otherwise (two
  faces of one PostScript name): checked for each page, and drawn again where coding it gives
  other codes or names; the least recently used beyond PAGES_KEPT pages are dropped
  (`tests/test_pdfwrite.py`).
- Display pages (`layout/draw.py` _PageMemo, in memory, one per line cache, weakly keyed):
  the display pages of an issue's last drawing by their place. Key: the page's number and, for
  each line, its row, composed runs, size, rows, centre and rules; a page with a photo or a
  table is made anew each time. Emptied when the style or a font chain is another object (an
  edited style, a font replaced in place) (`tests/test_draw.py`).
- Composed-line cache (`layout/linecache.py` LineCache, in memory, one per issue file in a Builder):
  the lines of each block. Key: the block's kind and fields and its text style's values, under
  a context bound per build: a digest of the layout code (`layout/*.py`, `fonts/chains.py`),
  the style's values and each role's font faces with their files' size, mtime and inode; a new
  context drops every entry. After each build `sweep()` keeps only the blocks that build used,
  so a watcher's cache stays as big as one document over any number of edits
  (`tests/test_caches.py`).
- Composed lines on disk (`layout/linestore.py`, `lines-v1/<digest of the issue path>.lines`):
  the same blocks after each build of an issue file, so a one-shot build after an edit
  composes only what changed. Same key and context; a file of another context, or one that
  cannot be read, is not used; a block with a layout problem (a message in the clerk's
  language) is never kept. At most FILES_KEPT files and BYTES_KEPT bytes, the least recently
  written deleted first (`tests/test_linestore.py`).
- Rendered documents (`layout/documentstore.py`, on disk
  `documents-v1/<digest of the issue path>.document`): the document blocks the template made
  from an issue file at its last build, so that a one-shot build of an unchanged issue loads
  no jinja2. Key: a digest of the template's bytes, of the whole context it is given (by repr),
  of jinja2's version and the compile options, and of the rendering code (templates.py,
  jinjarun.py, blocks.py). Only a document rendered from the template's kept code (which reads
  nothing but the template) is kept, never one jinja2 rendered itself (an include) nor an
  error; a file that cannot be read is not used. At most FILES_KEPT files and BYTES_KEPT
  bytes, trimmed at a process's first new file and every TRIM_EVERY-th after
  (`tests/test_documentstore.py`).
- Checked styles (`layout/stylestore.py`, on disk `styles-v1/<digest>.style`): a template's
  style.toml parsed and checked into a Style. Key: the file's exact bytes and a digest of the
  code that checks it (style.py, schema.py, load.py, roles.py); a style with errors is never
  kept; a file that cannot be read or unpickled is not used. At most FILES_KEPT files and
  BYTES_KEPT bytes, the least recently written dropped first (`tests/test_stylestore.py`).
- Title words (`layout/words.py`, on disk, title-words-v1.json): where jieba found words in each
  title that needed more than one line, so later builds need not load jieba. Key: the title's
  text; at most CACHE_LIMIT titles, the oldest dropped (`tests/test_words.py`).
- Checked issues (`Builder.sources`, `source/kept.py`, in memory): an issue file and its
  series file parsed, merged and checked. Key: the issue's path and the message language; used
  only while both files hold exactly the bytes it was made from (a series file that comes or
  goes is a change); the newest KEPT_CACHES kept. Its photos and siblings are checked on every
  build (`tests/test_caches.py`).
- Address books (`Builder.address_books`, KeptBooks in `source/addressbook.py`, in memory): a
  checked recipients.toml, or its errors. Key: its path and the message language; used only
  while it holds the same bytes (`tests/test_caches.py`).
- Kept drawings (`Builder.drawings`, `layout/drawnkept.py` KeptDrawings, in memory): the last
  drawing of each issue file (its PDF bytes, pages and reports). Key: the document's blocks (by
  value), the style, the font chains and the finishing profile (by identity, held with the
  entry), the size, mtime and inode of each font file of the chains and each picture the
  document shows, and the message language; the oldest beyond DRAWINGS_KEPT dropped. A reused
  drawing leaves the line and photo caches as the build that drew it left them
  (`tests/test_drawnkept.py`: a touched font file, a replaced picture, a switched language, an
  edited style or template each give a fresh drawing).
- Recorded drawings (`layout/drawingstore.py`, on disk `drawings-v1/<digest of the issue
  path>.drawn`): the key of each issue file's last drawing, a digest of its PDF, its page count
  and fallback reports. Key: the document's blocks (by repr), linestore.py's composing context
  (layout code, style values, the chains' font files with size, mtime and inode), the rest of the
  drawing code (build.py, fonts/*.py, the PDF/A finish and its profile, reportlab's and Pillow's
  version files), Python's and zlib's versions, each picture's size, mtime and inode, the language
  and the finish. A build under the same key whose output file holds the recorded bytes is that
  file, left as it is (not rewritten); a missing or changed output, or a record that cannot be
  read, is drawn anew; a drawing with errors, or an `--ofd` build, is never served from a record.
  At most FILES_KEPT records and BYTES_KEPT bytes, trimmed at a process's first new record and
  every TRIM_EVERY-th after (`tests/test_drawingstore.py`).
- Rendered documents (`layout/templates.py` Template._rendered, in memory, per parsed
  template): the last document blocks rendered of each issue file. Key: the issue file's path,
  the template file's bytes, the checked issue object (by identity: a kept issue is the same
  object only while its files hold the same bytes) and the print run; only what the kept
  template code rendered (jinja2 may read included files); the oldest beyond RENDERED_KEPT
  dropped; a changed style file gives a new template, with none (`tests/test_drawnkept.py`).
- Compiled templates (`layout/templates.py`): parsed templates and styles per template folder
  in memory, read again when style.toml's bytes change (jinja2 reloads an edited template);
  compiled template code on disk, keyed by template name and checked against a checksum of its
  source (`tests/test_templates.py`).
- Kept template code (`layout/jinjarun.py`, on disk `templates-code-<python>/`): a template's
  code as jinja2 compiled it, run with jinja2's runtime alone. Key: a digest of the template
  file's bytes, of jinja2's `__init__.py` (its version) and of the compile options; Python's
  version in the folder name. An edited template has another key (`tests/test_jinjarun.py`).
- Sibling mastheads (`source/series.py` peek_masthead, in memory): the [masthead] table of each
  issue file a series check reads. Key: the file's path; read again when its mtime, size or
  inode differ (`tests/test_series.py`).
- Sibling fields (`source/siblingstore.py`, on disk `series-v1/<digest of the folder>.marshal`):
  the number, total and date of each issue file of a series folder that a series check read.
  Key: the file's name in the folder; used only while its mtime, size and inode are those
  stored; a file gone from the folder is dropped; a value marshal would not give back as it
  was (a date, a list, a table) is not kept; a file that cannot be read is not used. At most
  FOLDERS_KEPT folders and BYTES_KEPT bytes, the least recently written dropped first
  (`tests/test_siblingstore.py`).
- Build server (`app/buildserver.py`, a running watch or serve; on disk only its address,
  `build-server/<digest of the workspace folder>.info` and `.sock`): `bulletin build` built by
  the watcher's Builder, whose caches are those above. Key: the workspace folder; a request is
  built only when the code version (the package's files with sizes and mtimes, the
  interpreter, site-packages' mtime), cache folder, BULLETIN_*/RL_* settings, language, user
  and umask, output folder, --ofd and the system font folders' mtimes are the server's, else the
  client builds itself (`tests/test_buildserver.py`: same bytes and lines as in-process after
  edits of issues, series files, address books, styles, templates and fonts/).
- Series index (`source/series.py` SeriesIndex, in memory, only inside `shared_series_index`):
  the sibling mastheads of each folder holding two or more issues of a batch (or of a
  watcher's first build of everything), read once when it starts (and inherited by forked
  workers). Key: the folder's absolute path. Dropped when the batch ends; during it, issues
  are checked against the folder as the batch found it (`tests/test_series.py`).
- Generated dataclass methods (`startup.py` DataclassCode, on disk
  `dataclass-code-<python>-<version>.marshal`): the code `dataclasses` compiles for each method
  it writes. Key: the method's exact source text (the same text compiles to the same code);
  Python's implementation and version in the file name. A file that cannot be read is not
  used; at most CODES_KEPT entries (`tests/test_startup.py`).
- Compiled regular expressions (`startup.py` RegexCode, on disk
  `regex-code-<engine magic>-<python>-<version>.marshal`): what `re` compiles a pattern into
  (the engine's code, flags and groups). Key: the pattern and its flags (the same pattern
  compiles to the same code); the regex engine's magic number and Python's version in the file
  name. A file that cannot be read, or an entry the engine refuses, is not used; at most
  CODES_KEPT entries (`tests/test_startup.py`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.i18n import _

if TYPE_CHECKING:  # imported when needed: pipeline.startup imports this module before its hook
    from pipeline.diagnostics import Diagnostic

STALE_AFTER_S = 60.0  # a temporary file this old is a killed writer's: no write takes so long


def cache_dir() -> Path:
    """bulletin's cache folder: $BULLETIN_CACHE_DIR, $XDG_CACHE_HOME/bulletin or ~/.cache/..."""
    override = os.environ.get("BULLETIN_CACHE_DIR")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "bulletin"


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above `start` with templates/ or issues/ (a workspace).

    Outside any workspace it is `start`'s folder: the package's templates and fonts serve it.
    """
    here = start.resolve()
    for folder in [here, *here.parents]:
        if (folder / "templates").is_dir() or (folder / "issues").is_dir():
            return folder
    return here if here.is_dir() else here.parent


FileStat = tuple[int, int, int]  # size, mtime_ns, inode


def file_stat(path: Path) -> FileStat | None:
    """A file's size, mtime and inode, as caches check it; None if it cannot be looked at."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns, found.st_ino


def issue_cache_file(folder: str, issue_path: Path, suffix: str) -> Path:
    """The file of a cache folder that holds what it keeps of one issue file, named by a digest
    of the issue file's path."""
    import hashlib  # not at start-up: pipeline.startup imports this module

    name = hashlib.sha256(str(issue_path).encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return cache_dir() / folder / f"{name}{suffix}"


def source_digest(paths: Iterable[Path]) -> bytes:
    """A digest of source files' names and bytes (the code a cache's entries were made by);
    where one cannot be read, a digest that no other process shares."""
    import hashlib  # not at start-up: pipeline.startup imports this module

    digest = hashlib.sha256()
    try:
        for path in paths:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    except OSError:
        return os.urandom(32)
    return digest.digest()


def write_atomically(target: Path, data: bytes, private: bool = False) -> None:
    """Write to a temporary file beside the target, then rename it into place.

    On any failure the temporary file is removed and the target is left as it was. A private
    file stays readable by this user only (0600); others get the umask's permissions.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    handle, temporary = _new_temporary(target)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if not private:  # mkstemp makes files private
                os.fchmod(stream.fileno(), 0o666 & ~umask())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _new_temporary(target: Path) -> tuple[int, str]:
    """A new private file `.NAME.<12 hex digits>.tmp` beside the target, open for writing, as
    tempfile.mkstemp makes it; importing tempfile (with shutil, random, bz2 and lzma) would
    cost a one-shot build more than its write (~13M instructions)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOINHERIT", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _attempt in range(100):
        name = f".{target.name}.{os.urandom(6).hex()}.tmp"
        temporary = os.path.join(target.parent, name)
        try:
            return os.open(temporary, flags, 0o600), temporary
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary name", str(target.parent))


def remove_stale_temporaries(target: Path) -> None:
    """Delete the `.NAME.XXXX.tmp` files that a writer of `target` killed mid-write left behind.

    Only files older than STALE_AFTER_S go: a younger one may be another process's write.
    """
    # Compared as strings: a glob pattern per target would be compiled and kept by fnmatch's
    # cache (32,768 patterns), a few KB for each file a long-running process ever wrote.
    prefix, suffix = f".{target.name}.", ".tmp"
    now = time.time()
    try:
        with os.scandir(target.parent) as found:
            leftovers = [
                entry.path
                for entry in found
                if entry.name.startswith(prefix)
                and entry.name.endswith(suffix)
                and len(entry.name) >= len(prefix) + len(suffix)
            ]
    except OSError:
        return  # no folder to look in: mkstemp reports why the write cannot go ahead
    for leftover in leftovers:
        try:
            if now - os.stat(leftover).st_mtime > STALE_AFTER_S:
                os.unlink(leftover)
        except OSError:
            pass  # gone already, or not ours to remove: the write itself still goes ahead


def trim_folder(folder: Path, suffix: str, files_kept: int, bytes_kept: int) -> None:
    """Delete a cache folder's least recently written `*suffix` files beyond `files_kept` files
    or `bytes_kept` bytes in all (the newest always stays); files that vanish are skipped."""
    files = []
    with os.scandir(folder) as found:
        for entry in found:
            if entry.name.endswith(suffix):
                try:
                    stat = entry.stat()
                except OSError:
                    continue
                files.append((stat.st_mtime_ns, stat.st_size, entry.path))
    files.sort(reverse=True)
    total = 0
    for kept, (_mtime_ns, size, file) in enumerate(files):
        total += size
        if kept and (kept >= files_kept or total > bytes_kept):
            with contextlib.suppress(OSError):
                os.unlink(file)


def trim_at_times(
    writes: list[int], every: int, folder: Path, suffix: str, files_kept: int, bytes_kept: int
) -> None:
    """Count one more file written into a cache folder (`writes`, the process's count) and trim
    the folder at the first and at every `every`-th after: a batch that writes many need not
    list the folder for each, and it holds at most `every` - 1 files beyond its bound."""
    writes[0] += 1
    if writes[0] % every == 1 % every:
        trim_folder(folder, suffix, files_kept, bytes_kept)


def write_problem(target: Path, exc: OSError) -> Diagnostic:
    """What went wrong writing `target`, in plain words with the fix."""
    from pipeline.diagnostics import Diagnostic

    blocking = next((p for p in [target, *target.parents] if p.exists()), None)
    if blocking is not None and blocking != target and not blocking.is_dir():
        return Diagnostic(
            "error",
            _("{path} is a file, so no folder can be made there for the PDF", path=blocking),
            target,
            hint=_("rename or delete that file, or choose another folder with -o"),
        )
    if target.is_dir():
        return Diagnostic(
            "error",
            _("there is a folder where the PDF is to be written"),
            target,
            hint=_("rename or delete that folder, or choose another one with -o"),
        )
    if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
        return Diagnostic(
            "error",
            _("cannot write into {folder}: permission denied", folder=target.parent),
            target,
            hint=_("make the folder writable, or choose another folder with -o"),
        )
    if exc.errno == errno.ENOSPC:
        return Diagnostic(
            "error",
            _("the disk is full"),
            target,
            hint=_("free some space, or choose another folder with -o"),
        )
    return Diagnostic(
        "error", _("cannot write the file: {reason}", reason=exc.strerror or exc), target
    )


def umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
