"""PDF/A-2b finishing (interfaces.md "PDF/A and OFD"): metadata, output intent, fonts, no /Trans."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from conftest import Built
from pdfmeasure import assert_pdfa

from pipeline.build import Builder
from pipeline.diagnostics import BulletinError
from pipeline.formats.pdfa import OUTPUT_CONDITION, finish, output_profile

ALL = ["2024-13", "2024-14", "2024-07"]


@pytest.mark.parametrize("name", ALL)
def test_every_sample_is_pdfa_2b(samples: dict[str, Built], name: str) -> None:
    """Layout-independent: the file as written passes pikepdf's PDF/A-2b check (verdict pass)."""
    assert_pdfa(samples[name].result.pdf)
    assert_pdfa(samples[name].result.pdf.read_bytes())


def test_the_long_issue_is_pdfa_2b(long_issue: Built) -> None:
    assert_pdfa(long_issue.result.pdf)


def test_metadata_declares_pdfa_2b_with_the_issues_dates(samples: dict[str, Built]) -> None:
    with pikepdf.open(samples["2024-14"].result.pdf) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2"
        assert meta["pdfaid:conformance"] == "B"
        for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
            assert meta[key] == "2024-07-24T12:00:00+08:00"
        assert meta["dc:title"] == "工作简报 第14期"
        assert not pdf.is_encrypted
        assert all("/Trans" not in page.obj for page in pdf.pages)


def test_the_output_intent_embeds_the_cmyk_profile(samples: dict[str, Built]) -> None:
    with pikepdf.open(samples["2024-07"].result.pdf) as pdf:
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1"
        assert str(intent.OutputConditionIdentifier) == OUTPUT_CONDITION
        profile = intent.DestOutputProfile
        assert profile.N == 4
        data = profile.read_bytes()
        assert data == output_profile()
        assert data[16:20] == b"CMYK" and data[12:16] == b"prtr"


def test_every_font_is_embedded(samples: dict[str, Built]) -> None:
    with pikepdf.open(samples["2024-13"].result.pdf) as pdf:
        fonts = [f for page in pdf.pages for f in page.Resources.Font.values()]
        assert fonts
        for font in fonts:
            descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            assert "/FontFile2" in descendant.FontDescriptor


def test_the_same_issue_gives_the_same_bytes(
    samples: dict[str, Built], make_builder: Callable[[Path], Builder], tmp_path: Path
) -> None:
    again = make_builder(tmp_path).build(samples["2024-14"].source)
    assert again.pdf.read_bytes() == samples["2024-14"].result.pdf.read_bytes()


def test_a_pdf_that_cannot_be_pdfa_is_an_error_when_validated(tmp_path: Path) -> None:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.setFont("Helvetica", 12)  # a standard font reportlab does not embed
    canvas.drawString(72, 720, "not embedded")
    canvas.save()
    with pytest.raises(BulletinError) as caught:
        finish(buffer.getvalue(), validate=True)
    assert "not PDF/A-2b" in caught.value.diagnostics[0].message


_FINISH_IN_A_NEW_PROCESS = """
import hashlib, json, sys
from pathlib import Path
if sys.argv[1] == "whole":
    import pikepdf.pdfa
from pipeline.build import Builder
result = Builder(Path(sys.argv[2]), Path(sys.argv[3])).build(Path(sys.argv[4]))
print(json.dumps({
    "sha256": hashlib.sha256(result.pdf.read_bytes()).hexdigest(),
    "validator_loaded": "pikepdf.pdfa._api" in sys.modules,
}))
"""


def test_a_build_finishes_without_the_validator_and_to_the_same_bytes(
    samples: dict[str, Built], tmp_path: Path
) -> None:
    """A build does not import pikepdf's PDF/A validator (~200 ms); its PDF is byte-identical."""
    import hashlib
    import json
    import subprocess
    import sys

    source = samples["2024-14"].source
    root = source.parents[2]
    found = {}
    for how in ("light", "whole"):
        out = subprocess.run(
            [sys.executable, "-c", _FINISH_IN_A_NEW_PROCESS, how, root, tmp_path / how, source],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        found[how] = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["light"]["validator_loaded"] is False
    assert found["whole"]["validator_loaded"] is True
    assert found["light"]["sha256"] == found["whole"]["sha256"]
    session = hashlib.sha256(samples["2024-14"].result.pdf.read_bytes()).hexdigest()
    assert found["light"]["sha256"] == session


def test_pikepdf_pdfa_is_whole_after_a_light_finish(samples: dict[str, Built]) -> None:
    """After finishing, `import pikepdf.pdfa` still gives the validator (tests, `archive`)."""
    import pikepdf.pdfa

    assert callable(pikepdf.pdfa.save) and issubclass(pikepdf.pdfa.PdfaError, Exception)
