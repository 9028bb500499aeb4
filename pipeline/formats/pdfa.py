"""PDF/A finishing with pikepdf, for the archive copy (PDF/A-3b) and checks; the shared profiles.

A build writes PDF/A-2b itself (formats/pdfawrite.py, no pikepdf); `finish` makes a PDF/A file
of another flavour from it (archive.py) and checks what it writes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pipeline.diagnostics import BulletinError
from pipeline.i18n import _

if TYPE_CHECKING:
    import pikepdf

Flavour = Literal["2b", "3b"]
Edit = Callable[["pikepdf.Pdf"], None]

DATA_DIR = Path(__file__).parent / "data"
# The style's colours are DeviceCMYK (print red 0/80/80/0, K-only black), so the output intent is
# a CMYK printing condition: FOGRA39 (ISO 12647-2 coated offset), profile made from Fogra's
# characterization data (Zlib licence), its tables 8-bit (see data/README.md).
OUTPUT_PROFILE = DATA_DIR / "FOGRA39L-bulletin.icc"
OUTPUT_CONDITION = "FOGRA39L"
PRODUCER = "bulletin-pipeline (reportlab, pikepdf)"


def output_profile() -> bytes:
    """The ICC profile of the output intent every PDF carries."""
    return OUTPUT_PROFILE.read_bytes()


def finish(pdf: bytes, flavour: Flavour = "2b", edit: Edit | None = None) -> bytes:
    """A PDF that pdfawrite wrote, made PDF/A-`flavour` again with pikepdf and checked as saved.

    For the archive copy (3b, with attachments: `edit` changes the document first). Reproducible:
    the metadata dates are the document's /CreationDate (the issue's date) and the file
    identifier is computed from the content. The check (pikepdf.pdfa.save) reads every glyph of
    every embedded font, about a second per issue; a file that does not pass raises
    BulletinError.
    """
    import pikepdf
    import pikepdf.pdfa

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        if edit is not None:
            edit(doc)
        day = _xmp_date(str(doc.docinfo.get("/CreationDate", "")))
        pikepdf.pdfa.prepare(
            doc,
            flavour,
            output_intent=output_profile(),
            output_condition_identifier=OUTPUT_CONDITION,
        )
        with doc.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdf:Producer"] = PRODUCER
            if day:
                for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
                    meta[key] = day
        out = io.BytesIO()
        try:
            pikepdf.pdfa.save(doc, out, flavour, repair=False, deterministic_id=True)
        except pikepdf.pdfa.PdfaError as exc:
            raise BulletinError.single(
                _(
                    "the PDF is not PDF/A-{flavour}: {report}",
                    flavour=flavour,
                    report=exc.report.summary(5),
                ),
                hint=_("this is a bug of bulletin-pipeline; please report it with the issue file"),
            ) from None
    return out.getvalue()


def srgb_profile() -> bytes:
    """An sRGB ICC profile (Pillow's littleCMS) with a fixed creation date: reproducible."""
    from PIL import ImageCms

    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[24:36] = bytes.fromhex("07e8000100010000000000 00".replace(" ", ""))  # 2024-01-01
    return bytes(profile)


def _xmp_date(pdf_date: str) -> str:
    """D:20240724120000+08'00' → 2024-07-24T12:00:00+08:00 ('' if it is not such a date)."""
    found = re.fullmatch(r"D:(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)([+-])(\d\d)'(\d\d)'?", pdf_date)
    if not found:
        return ""
    y, mo, d, h, mi, s, sign, oh, om = found.groups()
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}{sign}{oh}:{om}"
