"""PDF/A-2b written while reportlab writes the document: XMP, output intent, sRGB pictures, /ID.

What pdfa.finish does with pikepdf after the fact, done to reportlab's own objects before it
serialises them, so that a build neither imports pikepdf nor writes the document twice. The
result passes pikepdf's PDF/A-2b check (tests/test_pdfa.py); `bulletin archive` still makes its
PDF/A-3b copy from it with pdfa.finish.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
from datetime import date
from typing import Any

from pipeline.formats.pdfa import OUTPUT_CONDITION, output_profile, srgb_profile
from pipeline.layout.cidfonts import final_stream
from pipeline.layout.display import DocumentInfo

PRODUCER = "bulletin-pipeline (reportlab)"
# The /ID written by reportlab, replaced once the file is complete by the digest of its bytes.
_ID_PLACEHOLDER = b"[<" + b"0" * 32 + b"> <" + b"0" * 32 + b">]"

_XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" \
xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" \
xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" rdf:about="">
      <dc:title>
        <rdf:Alt>
          <rdf:li xml:lang="x-default">{title}</rdf:li>
        </rdf:Alt>
      </dc:title>
      <dc:creator>
        <rdf:Seq>
          <rdf:li>{author}</rdf:li>
        </rdf:Seq>
      </dc:creator>
      <dc:description>
        <rdf:Alt>
          <rdf:li xml:lang="x-default">{subject}</rdf:li>
        </rdf:Alt>
      </dc:description>
      <xmp:CreatorTool>{creator}</xmp:CreatorTool>
      <pdf:Producer>{producer}</pdf:Producer>
      <xmp:CreateDate>{day}</xmp:CreateDate>
      <xmp:ModifyDate>{day}</xmp:ModifyDate>
      <xmp:MetadataDate>{day}</xmp:MetadataDate>
      <pdfaid:part>2</pdfaid:part>
      <pdfaid:conformance>B</pdfaid:conformance>
    </rdf:Description>
  </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xmp_packet(info: DocumentInfo, creator: str) -> bytes:
    """The document's XMP metadata: the Info entries, the issue's date, PDF/A-2b conformance."""
    return _XMP.format(
        title=_xml_text(info.title),
        author=_xml_text(info.author),
        subject=_xml_text(info.subject),
        creator=_xml_text(creator),
        producer=_xml_text(PRODUCER),
        day=xmp_date(info.day),
    ).encode("utf-8")


def xmp_date(day: date) -> str:
    """The issue's day at noon China time, as display.pdf_date writes it into the Info."""
    return f"{day.isoformat()}T12:00:00+08:00"


@functools.cache
def _deflated(which: str) -> bytes:
    """The output profile or the sRGB profile, compressed once per process."""
    return zlib.compress(output_profile() if which == "output" else srgb_profile(), 9)


@functools.cache
def _reportlab_classes() -> dict[str, type[Any]]:
    """The reportlab object classes the writer adds (defined on first use: reportlab is lazy);
    streams whose bytes are final are cidfonts.final_stream."""
    from reportlab.pdfbase import pdfdoc

    class Info(pdfdoc.PDFInfo):  # type: ignore[misc]
        """reportlab's Info without its empty /Keywords, which the XMP would have to repeat."""

        def format(self, document: Any) -> bytes:
            stamp = pdfdoc.PDFDate(ts=document._timeStamp, dateFormatter=self._dateFormatter)
            entries = {
                "Title": pdfdoc.PDFString(self.title),
                "Author": pdfdoc.PDFString(self.author),
                "Subject": pdfdoc.PDFString(self.subject),
                "Creator": pdfdoc.PDFString(self.creator),
                "Producer": pdfdoc.PDFString(PRODUCER),
                "CreationDate": stamp,
                "ModDate": stamp,
                "Trapped": pdfdoc.PDFName("False"),
            }
            return bytes(pdfdoc.PDFDictionary(entries).format(document))

    class SrgbImage(pdfdoc.PDFImageXObject):  # type: ignore[misc]
        """An RGB picture tagged sRGB (layout/photos.py converts others) under the CMYK intent."""

        profile: Any = None

        def format(self, document: Any) -> bytes:
            entries: dict[str, Any] = {
                "Type": pdfdoc.PDFName("XObject"),
                "Subtype": pdfdoc.PDFName("Image"),
                "Width": self.width,
                "Height": self.height,
                "BitsPerComponent": self.bitsPerComponent,
                "ColorSpace": pdfdoc.PDFArray([pdfdoc.PDFName("ICCBased"), self.profile]),
                "Filter": pdfdoc.PDFArray([pdfdoc.PDFName(f) for f in self._filters]),
            }
            if getattr(self, "_decode", None):
                entries["Decode"] = pdfdoc.PDFArray(self._decode)
            if self.mask:
                entries["Mask"] = pdfdoc.PDFArray(self.mask)
            if getattr(self, "smask", None):
                entries["SMask"] = self.smask
            return bytes(final_stream(entries, self.streamContent).format(document))

    return {"Info": Info, "SrgbImage": SrgbImage}


class PdfA2b:
    """The hook pdfwrite.render_pdf calls to make the document it writes PDF/A-2b."""

    def before_save(self, document: Any, info: DocumentInfo) -> None:
        """Add the metadata, the output intent and the sRGB tags; drop the empty /Trans."""
        from reportlab.pdfbase import pdfdoc

        classes = _reportlab_classes()
        for page in document.Pages.pages:
            page.Trans = None  # reportlab writes an empty one that PDF/A cannot check
        described = classes["Info"]()
        described.__dict__.update(document.info.__dict__)
        document.info = described
        catalog = document.Catalog
        catalog.Metadata = final_stream(
            {"Type": pdfdoc.PDFName("Metadata"), "Subtype": pdfdoc.PDFName("XML")},
            xmp_packet(info, described.creator),
        )
        catalog.__NoDefault__ = [*catalog.__NoDefault__, "OutputIntents"]
        profile = final_stream(
            {"N": 4, "Filter": pdfdoc.PDFName("FlateDecode")}, _deflated("output")
        )
        catalog.OutputIntents = pdfdoc.PDFArray(
            [
                pdfdoc.PDFDictionary(
                    {
                        "Type": pdfdoc.PDFName("OutputIntent"),
                        "S": pdfdoc.PDFName("GTS_PDFA1"),
                        "OutputConditionIdentifier": pdfdoc.PDFString(OUTPUT_CONDITION),
                        "Info": pdfdoc.PDFString(_profile_description()),
                        "DestOutputProfile": document.Reference(profile),
                    }
                )
            ]
        )
        srgb = None
        for obj in list(document.idToObject.values()):
            if isinstance(obj, pdfdoc.PDFImageXObject) and obj.colorSpace == "DeviceRGB":
                if srgb is None:
                    entries = {"N": 3, "Filter": pdfdoc.PDFName("FlateDecode")}
                    srgb = document.Reference(final_stream(entries, _deflated("srgb")))
                obj.__class__ = classes["SrgbImage"]
                obj.profile = srgb
        document._ID = _ID_PLACEHOLDER

    def after_save(self, pdf: bytes) -> bytes:
        """The file with its /ID: twice the MD5 digest of its bytes (same PDF, same ID)."""
        at = pdf.rfind(_ID_PLACEHOLDER)
        digest = hashlib.md5(pdf, usedforsecurity=False).hexdigest().upper().encode()
        file_id = b"[<" + digest + b"> <" + digest + b">]"
        return pdf[:at] + file_id + pdf[at + len(file_id) :]


@functools.cache
def _profile_description() -> str:
    """The output profile's own description (its 'desc' tag), the intent's /Info."""
    data = output_profile()
    count = int.from_bytes(data[128:132], "big")
    for index in range(count):
        entry = data[132 + 12 * index : 144 + 12 * index]
        if entry[:4] == b"desc":
            offset = int.from_bytes(entry[4:8], "big")
            if data[offset : offset + 4] == b"desc":  # ICC v2 textDescriptionType
                length = int.from_bytes(data[offset + 8 : offset + 12], "big")
                return data[offset + 12 : offset + 12 + length].rstrip(b"\0").decode("latin-1")
            if data[offset : offset + 4] == b"mluc":  # ICC v4 multiLocalizedUnicodeType
                size = int.from_bytes(data[offset + 20 : offset + 24], "big")
                start = int.from_bytes(data[offset + 24 : offset + 28], "big")
                return data[offset + start : offset + start + size].decode("utf-16-be")
    return OUTPUT_CONDITION


PDFA_2B = PdfA2b()
