"""The archive copy: the PDF as PDF/A-3b with its sources embedded as associated files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pipeline.formats import pdfa

if TYPE_CHECKING:
    import pikepdf


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the archive copy, and how it relates to the document (ISO 19005-3)."""

    name: str
    data: bytes
    mime_type: str
    relationship: Literal["Source", "Data"]
    description: str


def archive_copy(pdf: bytes, attachments: list[Attachment]) -> bytes:
    """The same pages as PDF/A-3b, each attachment an associated file of the document.

    Reproducible: the files carry the document's own date, not the time of the run. The bytes
    written are validated as PDF/A-3b (BulletinError if they do not pass).
    """

    def attach(doc: pikepdf.Pdf) -> None:
        import pikepdf

        day = str(doc.docinfo.get("/CreationDate", ""))
        associated = pikepdf.Array()
        for item in attachments:
            spec = pikepdf.AttachedFileSpec(
                doc,
                item.data,
                description=item.description,
                filename=item.name,
                mime_type=item.mime_type,
                creation_date=day,
                mod_date=day,
                relationship=pikepdf.Name("/" + item.relationship),
            )
            doc.attachments[item.name] = spec
            associated.append(doc.attachments[item.name].obj)
        doc.Root.AF = doc.make_indirect(associated)

    return pdfa.finish(pdf, "3b", attach)
