"""`bulletin init`: a new workspace that builds at once (a series, templates to edit, fonts/)."""

from __future__ import annotations

import datetime
from pathlib import Path

from pipeline.app.scaffold import SKELETON_DIR, skeleton
from pipeline.diagnostics import BulletinError
from pipeline.files import write_atomically
from pipeline.i18n import _
from pipeline.resources import DEFAULT_TEMPLATES_DIR
from pipeline.source.addressbook import ADDRESS_BOOK
from pipeline.source.series import SERIES_FILE

SERIES_DIR = Path("issues") / "work-bulletin"
FONTS_NOTE = Path("fonts") / "README.md"
# A finished example issue, not `bulletin new`'s skeleton (whose placeholders must be filled in).
FIRST_ISSUE_TEMPLATE = "first-issue.toml.j2"


def init_workspace(folder: Path, today: datetime.date | None = None) -> list[Path]:
    """Write a workspace into `folder`: the files written, the first issue last.

    `issues/work-bulletin/` with its series.toml, address book and an example first issue that
    builds as it is; `templates/`, copies of the default templates that the office may edit
    (they win over the packaged ones); `fonts/` with a note on dropping licensed fonts in.
    Refuses a folder that is a workspace already.
    """
    taken = [folder / name for name in ("issues", "templates") if (folder / name).exists()]
    if taken:
        raise BulletinError.single(
            _("this folder is a workspace already"),
            file=taken[0],
            hint=_("give a new or empty folder, e.g. bulletin init my-bulletins"),
        )
    written: list[Path] = []
    for source in sorted(DEFAULT_TEMPLATES_DIR.rglob("*")):
        if source.is_file() and not source.name.startswith("."):
            written.append(
                _copy(source, folder / "templates" / source.relative_to(DEFAULT_TEMPLATES_DIR))
            )
    series = folder / SERIES_DIR
    written.append(_copy(SKELETON_DIR / SERIES_FILE, series / SERIES_FILE))
    written.append(_copy(SKELETON_DIR / ADDRESS_BOOK, series / ADDRESS_BOOK))
    written.append(_copy(SKELETON_DIR / "fonts-README.md", folder / FONTS_NOTE))
    today = today or datetime.date.today()
    first = series / f"{today.year}-01.toml"
    write_atomically(first, skeleton(FIRST_ISSUE_TEMPLATE).render(today=today).encode("utf-8"))
    written.append(first)
    return written


def _copy(source: Path, target: Path) -> Path:
    write_atomically(target, source.read_bytes())
    return target
