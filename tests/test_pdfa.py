"""PDF/A-2b finishing (interfaces.md "PDF/A and OFD"): metadata, output intent, fonts, no /Trans."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from conftest import SERIES_TOML, Built, write
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
        finish(buffer.getvalue())
    assert "not PDF/A-2b" in caught.value.diagnostics[0].message


_BUILD_IN_A_NEW_PROCESS = """
import hashlib, json, sys
from pathlib import Path
from pipeline.build import Builder
result = Builder(Path(sys.argv[1]), Path(sys.argv[2])).build(Path(sys.argv[3]))
print(json.dumps({
    "sha256": hashlib.sha256(result.pdf.read_bytes()).hexdigest(),
    "pikepdf": sorted(name for name in sys.modules if name.split(".")[0] == "pikepdf"),
}))
"""


def test_a_build_writes_pdfa_without_pikepdf(samples: dict[str, Built], tmp_path: Path) -> None:
    """A build writes PDF/A itself: it never imports pikepdf, and its PDF passes the check."""
    import hashlib
    import json
    import subprocess
    import sys

    source = samples["2024-14"].source
    out = subprocess.run(
        [sys.executable, "-c", _BUILD_IN_A_NEW_PROCESS, source.parents[2], tmp_path, source],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["pikepdf"] == []
    written = next(tmp_path.rglob("*.pdf")).read_bytes()
    assert hashlib.sha256(written).hexdigest() == found["sha256"]
    assert written == samples["2024-14"].result.pdf.read_bytes()
    assert_pdfa(written)


def test_the_file_identifier_is_the_digest_of_the_content(samples: dict[str, Built]) -> None:
    """The /ID is the same for the same bytes and differs between issues (not reportlab's fixed
    invariant-mode digest of the Info)."""
    ids = set()
    for name in ALL:
        with pikepdf.open(samples[name].result.pdf) as pdf:
            first, second = (bytes(part) for part in pdf.trailer.ID)
            assert first == second and len(first) == 16
            ids.add(first)
    assert len(ids) == len(ALL)


def test_rgb_pictures_are_tagged_srgb_and_stay_pdfa(
    make_builder: Callable[[Path], Builder], tmp_path: Path
) -> None:
    """An RGB photo is drawn in an ICCBased sRGB space (the intent is CMYK); grey and CMYK
    photos keep their device spaces; the file passes the PDF/A-2b check."""
    from PIL import Image

    from pipeline.formats.pdfa import srgb_profile

    folder = tmp_path / "issues" / "s"
    (folder / "photos").mkdir(parents=True)
    for name, mode in (("rgb.png", "RGB"), ("grey.png", "L"), ("cmyk.jpg", "CMYK")):
        Image.new(mode, (120, 80), 90).save(folder / "photos" / name)
    write(folder / "series.toml", SERIES_TOML)
    text = (
        '[masthead]\nnumber = 1\ndate = 2024-07-24\n\n[[columns]]\nname = "栏目"\n\n'
        '[[columns.articles]]\ntitle = "标题"\nsource = "来源"\nbody = "正文。"\n'
    )
    for name in ("rgb.png", "grey.png", "cmyk.jpg"):
        text += f'\n[[columns.articles.photos]]\nfile = "photos/{name}"\n'
    (folder / "2024-01.toml").write_text(text, encoding="utf-8")
    built = make_builder(tmp_path / "out").build(folder / "2024-01.toml").pdf.read_bytes()
    assert_pdfa(built)
    spaces = []
    with pikepdf.open(io.BytesIO(built)) as pdf:
        for page in pdf.pages:
            for image in page.get_images().values():
                space = image.ColorSpace
                if isinstance(space, pikepdf.Array):
                    assert space[0] == "/ICCBased" and space[1].N == 3
                    assert space[1].read_bytes() == srgb_profile()
                    spaces.append("sRGB")
                else:
                    spaces.append(str(space))
    assert sorted(spaces) == ["/DeviceCMYK", "/DeviceGray", "sRGB"]


def test_the_output_profile_is_made_from_argylls_by_the_script() -> None:
    """The shipped profile is what tests/iccprofile.py makes of colprof's (data/README.md)."""
    from iccprofile import SOURCE, small_profile

    assert small_profile(SOURCE.read_bytes()) == output_profile()


def test_the_8_bit_output_profile_gives_the_colours_of_the_16_bit_one() -> None:
    """CMYK → Lab through littleCMS: within 1.5 ΔE of colprof's profile on a 9⁴ grid (0.5 on
    average), the print red (0/80/80/0) and K-only black within 1.1; a valid profile that
    littleCMS reads."""
    import math

    from iccprofile import SOURCE
    from PIL import Image, ImageCms

    steps = range(0, 256, 32)
    points = [(c, m, y, k) for c in steps for m in steps for y in steps for k in steps]
    points += [(0, 204, 204, 0), (0, 0, 0, 255)]
    image = Image.new("CMYK", (len(points), 1))
    image.putdata(points)
    lab = ImageCms.createProfile("LAB", 5000)

    def colours(profile: bytes) -> list[tuple[int, int, int]]:
        opened = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        transform = ImageCms.buildTransform(opened, lab, "CMYK", "LAB", renderingIntent=1)
        converted = ImageCms.applyTransform(image, transform)
        assert converted is not None
        return [converted.getpixel((x, 0)) for x in range(len(points))]  # type: ignore[misc]

    def delta_e(one: tuple[int, int, int], two: tuple[int, int, int]) -> float:
        dl = (one[0] - two[0]) * 100 / 255
        da, db = (((p - q + 128) % 256) - 128 for p, q in zip(one[1:], two[1:], strict=True))
        return math.sqrt(dl * dl + da * da + db * db)

    differences = [
        delta_e(a, b)
        for a, b in zip(colours(SOURCE.read_bytes()), colours(output_profile()), strict=True)
    ]
    assert max(differences) <= 1.5
    assert sum(differences) / len(differences) <= 0.6
    assert differences[-2] <= 1.1 and differences[-1] <= 1.1
