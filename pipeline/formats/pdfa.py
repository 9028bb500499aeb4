"""PDF/A finishing with pikepdf, for the archive copy (PDF/A-3b) and checks; the shared profiles.

A build writes PDF/A-2b itself (formats/pdfawrite.py, no pikepdf); `finish` makes a PDF/A file
of another flavour from it (archive.py) and can validate what it writes.
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


def finish(
    pdf: bytes, flavour: Flavour = "2b", edit: Edit | None = None, validate: bool = False
) -> bytes:
    """The PDF made PDF/A (2b, or 3b for the archive copy), written with pikepdf's PDF/A settings.

    Reproducible: the metadata dates are the document's /CreationDate (the issue's date) and the
    file identifier is computed from the content. `edit` may change the document first (e.g.
    attach files). With `validate`, the bytes written are checked too (pikepdf.pdfa.save), and a
    file that does not pass raises BulletinError; that check reads every glyph of every embedded
    font, about a second per issue, so `bulletin archive` uses it and builds do not.
    """
    import pikepdf
    import pikepdf.pdfa

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        if edit is not None:
            edit(doc)
        for page in doc.pages:
            trans = page.obj.get("/Trans")
            if isinstance(trans, pikepdf.Dictionary) and len(trans.keys()) == 0:
                del page.obj["/Trans"]  # reportlab writes an empty one that PDF/A cannot check
        _pictures_in_srgb(doc)
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
        if not validate:
            doc.save(out, **pikepdf.pdfa.resolve_save_kwargs(flavour, deterministic_id=True))
            return out.getvalue()
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


def _pictures_in_srgb(doc: pikepdf.Pdf) -> None:
    """RGB photos are sRGB (layout/photos.py converts others): tag them so under the CMYK intent."""
    import pikepdf

    profile: pikepdf.Stream | None = None
    for obj in doc.objects:
        if not isinstance(obj, pikepdf.Stream) or obj.get("/Subtype") != "/Image":
            continue
        if obj.get("/ColorSpace") != "/DeviceRGB":
            continue
        if profile is None:
            profile = doc.make_stream(srgb_profile())
            profile["/N"] = 3
        obj["/ColorSpace"] = pikepdf.Array([pikepdf.Name("/ICCBased"), profile])


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
