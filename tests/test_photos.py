"""Photos in built PDFs, measured (layout.md §8 and §1): place, size, resolution, grid, colour."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pypdfium2
import pytest
from conftest import SERIES_TOML, write
from pdfmeasure import (
    BOTTOM,
    LEFT,
    PITCH,
    PT_PER_MM,
    RIGHT,
    TOP,
    WIDTH,
    ImageBox,
    cell_of,
    read_pdf,
)
from PIL import Image, ImageDraw
from pypdf import PdfReader

from pipeline.build import Builder, BuildResult
from pipeline.layout.display import PlacedImage, image_matrix
from pipeline.layout.photos import PhotoCache, prepare

PARAGRAPH = "地方志工作机构编纂年鉴志书整理旧志开发利用资源服务大局存史育人资政。"


def scene(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A synthetic photo: sky, ground, a sun; a black band marks its top edge."""
    width, height = size
    image = Image.new("RGB", size, (90, 140, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 6 // 10, width, height), fill=(60, 130, 60))
    draw.ellipse(
        (width * 7 // 10, height // 10, width * 85 // 100, height * 3 // 10), fill=(250, 220, 80)
    )
    draw.rectangle((0, 0, width, height // 10), fill=(0, 0, 0))
    return image.convert(mode)


def issue(folder: Path, photos: list[dict[str, object]], paragraphs: int = 6) -> Path:
    """An issue whose article has `paragraphs` short paragraphs and the given photos."""
    write(folder / "series.toml", SERIES_TOML)
    body = "\n\n".join(PARAGRAPH * 2 for _ in range(paragraphs))
    text = (
        '[masthead]\nnumber = 1\ndate = 2024-07-24\n\n[[columns]]\nname = "栏目"\n\n'
        f'[[columns.articles]]\ntitle = "标题"\nsource = "测试来源"\nbody = """\n{body}\n"""\n'
    )
    for photo in photos:
        text += "\n[[columns.articles.photos]]\n"
        for key, value in photo.items():
            text += f'{key} = "{value}"\n' if isinstance(value, str) else f"{key} = {value}\n"
    path = folder / "2024-01.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def build(make_builder: Callable[[Path], Builder], tmp_path: Path) -> Callable[[Path], BuildResult]:
    builder = make_builder(tmp_path / "output")
    return builder.build


def save(folder: Path, name: str, image: Image.Image, **options: object) -> str:
    (folder / "photos").mkdir(parents=True, exist_ok=True)
    image.save(folder / "photos" / name, **options)
    return f"photos/{name}"


def exif(orientation: int) -> Image.Exif:
    found = Image.Exif()
    found[0x0112] = orientation
    return found


def assert_placed(box: ImageBox, share: float) -> None:
    """Inside the type area, centred within 1 mm, at the asked width (layout.md §8)."""
    assert box.x0 >= LEFT - 0.01 and box.x1 <= RIGHT + 0.01
    assert box.top >= TOP - 0.01 and box.bottom <= BOTTOM + 0.01
    assert abs((box.x0 + box.x1) / 2 - (LEFT + RIGHT) / 2) < 1 * PT_PER_MM
    assert box.x1 - box.x0 == pytest.approx(share * WIDTH, abs=0.05)


def test_photos_of_every_mode_are_placed_sized_and_kept_on_the_grid(
    tmp_path: Path, build: Callable[[Path], BuildResult]
) -> None:
    """layout.md §8: centred, at the asked width, 150–300 dpi, the next line on the grid."""
    folder = tmp_path / "issues" / "s"
    photos = [
        {
            "file": save(folder, "big.jpg", scene((4000, 3000))),
            "caption": "大照片的图注",
            "after": 1,
        },
        {"file": save(folder, "rgba.png", _transparent((1000, 700))), "width": 0.5, "after": 2},
        {"file": save(folder, "grey.png", scene((700, 900), "L")), "width": 0.4, "after": 3},
        {
            "file": save(folder, "cmyk.jpg", scene((1100, 800), "CMYK")),
            "caption": "CMYK",
            "after": 4,
        },
        {"file": save(folder, "small.jpg", scene((1100, 800)), quality=80), "after": 5},
    ]
    result = build(issue(folder, photos))
    pdf = read_pdf(result.pdf)
    boxes = [box for page in pdf.pages for box in page.images]
    assert len(boxes) == 5
    for box, photo in zip(boxes, photos, strict=True):
        assert_placed(box, float(photo.get("width", 0.75)))  # type: ignore[arg-type]
        assert 150 <= box.dpi <= 300.5, (photo["file"], box.dpi)
        assert (box.x1 - box.x0) / (box.bottom - box.top) == pytest.approx(
            box.width_px / box.height_px, rel=0.01
        )
    kai = next(line for _, line in pdf.lines() if line.text == "（测试来源）").chars[0].family
    for page in pdf.pages:
        for box in page.images:
            after = [line for line in page.grid_lines if line.baseline > box.bottom]
            captions = [
                line for line in after if line.size == 14 and line.baseline < box.bottom + PITCH
            ]
            body = [line for line in after if line.size == 16]
            if body:  # the first body line after the photo (and its caption) is on the grid
                assert cell_of(body[0]) == pytest.approx(round(cell_of(body[0])), abs=0.01)
            for caption in captions:  # 楷体 四号, centred, directly below
                assert caption.chars[0].family == kai  # as the source line
                assert abs((caption.x0 + caption.x1) / 2 - (LEFT + RIGHT) / 2) < 1
                assert caption.baseline - box.bottom < PITCH
    assert boxes[0].width_px == int(0.75 * WIDTH / 72 * 300)  # downsampled to 300 dpi
    assert boxes[1].filters == ("FlateDecode",) and boxes[2].filters == ("FlateDecode",)
    assert all(box.filters == ("DCTDecode",) for box in (boxes[0], boxes[3], boxes[4]))


def _transparent(size: tuple[int, int]) -> Image.Image:
    image = Image.new("RGBA", size, (255, 0, 0, 0))
    ImageDraw.Draw(image).ellipse(
        (size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill=(200, 30, 30, 255)
    )
    return image


def test_a_jpeg_within_300_dpi_is_embedded_byte_for_byte(
    tmp_path: Path, build: Callable[[Path], BuildResult]
) -> None:
    """layout.md §8: never recompressed, never upscaled."""
    folder = tmp_path / "issues" / "s"
    name = save(folder, "small.jpg", scene((640, 480)), quality=70)
    result = build(issue(folder, [{"file": name}]))
    streams = _image_streams(result.pdf)
    assert streams == [(folder / name).read_bytes()]
    (box,) = [b for page in read_pdf(result.pdf).pages for b in page.images]
    assert (box.width_px, box.height_px) == (640, 480)  # printed at its width, not upscaled


def _image_streams(pdf: Path) -> list[bytes]:
    found = []
    for page in PdfReader(pdf).pages:
        resources = page["/Resources"]
        for ref in resources.get("/XObject", {}).values():
            xobject = ref.get_object()
            if xobject["/Subtype"] == "/Image":
                found.append(xobject.get_data())  # DCTDecode: pypdf leaves the JPEG as it is
    return found


def _render(pdf: Path, page: int) -> Image.Image:
    """Page `page` (1-based) rendered at 72 dpi: one pixel a point."""
    document = pypdfium2.PdfDocument(pdf)
    return document[page - 1].render(scale=1).to_pil().convert("RGB")


def _photos(pdf: Path) -> list[tuple[int, ImageBox]]:
    """Every drawn picture with the number of its page."""
    return [(page.number, box) for page in read_pdf(pdf).pages for box in page.images]


def _pixel(image: Image.Image, box: ImageBox, u: float, v: float) -> tuple[int, int, int]:
    """The rendered colour at (u, v) of a box, both 0–1 from its top left."""
    x = box.x0 + u * (box.x1 - box.x0)
    y = box.top + v * (box.bottom - box.top)
    return image.getpixel((round(x), round(y)))  # type: ignore[return-value]


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_exif_orientation_is_honoured(
    tmp_path: Path, build: Callable[[Path], BuildResult], orientation: int
) -> None:
    """layout.md §8: the band on the picture's top edge prints at the top whatever EXIF says."""
    folder = tmp_path / "issues" / "s"
    upright = scene((900, 600))
    stored = (
        upright.transpose(
            {
                1: None,
                3: Image.Transpose.ROTATE_180,
                6: Image.Transpose.ROTATE_90,
                8: Image.Transpose.ROTATE_270,
            }[orientation]  # type: ignore[arg-type]
        )
        if orientation != 1
        else upright
    )
    name = save(folder, "o.jpg", stored, exif=exif(orientation), quality=95)
    result = build(issue(folder, [{"file": name, "width": 0.5}]))
    ((number, box),) = _photos(result.pdf)
    assert (box.x1 - box.x0) / (box.bottom - box.top) == pytest.approx(1.5, rel=0.01)
    rendered = _render(result.pdf, number)
    assert max(_pixel(rendered, box, 0.5, 0.04)) < 40  # the band is at the top
    assert _pixel(rendered, box, 0.1, 0.4)[2] > 150  # sky below it
    assert _pixel(rendered, box, 0.1, 0.9)[1] > 100  # ground at the bottom


def test_transparency_is_white_and_cmyk_keeps_its_colours(
    tmp_path: Path, build: Callable[[Path], BuildResult]
) -> None:
    """layout.md §8 (issue 14): transparency flattened on white; CMYK rendered in its colours."""
    folder = tmp_path / "issues" / "s"
    photos = [
        {"file": save(folder, "t.png", _transparent((800, 600))), "width": 0.5, "after": 1},
        {"file": save(folder, "c.jpg", scene((900, 600), "CMYK")), "width": 0.5, "after": 2},
    ]
    result = build(issue(folder, photos, paragraphs=2))
    ((one, first), (two, second)) = _photos(result.pdf)
    rendered = _render(result.pdf, one)
    assert min(_pixel(rendered, first, 0.05, 0.05)) > 245  # the transparent corner: white
    red = _pixel(rendered, first, 0.5, 0.5)
    assert red[0] > 150 and red[1] < 80
    sky = _pixel(_render(result.pdf, two), second, 0.1, 0.4)
    assert sky[2] > sky[0] + 40  # blue stays blue through CMYK


def test_a_photo_that_does_not_fit_goes_to_the_next_page_and_text_flows_up(
    tmp_path: Path, build: Callable[[Path], BuildResult]
) -> None:
    """layout.md §8: never split; the following text fills the page; the photo tops the next."""
    folder = tmp_path / "issues" / "s"
    name = save(folder, "tall.jpg", scene((1200, 1500)))
    result = build(issue(folder, [{"file": name, "after": 4, "caption": "图注"}], paragraphs=12))
    pdf = read_pdf(result.pdf)
    page = next(p for p in pdf.pages if p.images)
    assert page.number == 2
    (box,) = page.images
    assert box.top < TOP + PITCH  # at the top of its page
    first = pdf.pages[0].grid_lines
    # page 1 filled by what followed (up to a paragraph's last two lines, kept together)
    assert cell_of(first[-1]) >= 20 - 0.01
    text = pdf.content_text
    paragraph = PARAGRAPH * 2
    assert text.count(paragraph) == 12  # every paragraph whole and in order
    for p in pdf.pages:
        for box in p.images:
            assert box.top >= TOP - 0.01 and box.bottom <= BOTTOM + 0.01


def test_a_photo_taller_than_a_page_is_set_smaller_to_fit(
    tmp_path: Path, build: Callable[[Path], BuildResult]
) -> None:
    """layout.md §8: a photo never splits, so one taller than a page is set smaller."""
    folder = tmp_path / "issues" / "s"
    name = save(folder, "strip.png", scene((300, 1500)))
    result = build(issue(folder, [{"file": name, "width": 1.0, "caption": "长图"}]))
    boxes = [b for page in read_pdf(result.pdf).pages for b in page.images]
    (box,) = boxes
    assert box.bottom - box.top < 21 * PITCH
    assert box.top >= TOP - 0.01 and box.bottom <= BOTTOM + 0.01


def test_the_same_input_gives_the_same_bytes(
    tmp_path: Path, make_builder: Callable[[Path], Builder]
) -> None:
    folder = tmp_path / "issues" / "s"
    photos = [
        {"file": save(folder, "a.jpg", scene((3000, 2000))), "after": 1},
        {"file": save(folder, "b.png", _transparent((500, 400))), "after": 2},
    ]
    path = issue(folder, photos)
    first = make_builder(tmp_path / "one").build(path).pdf.read_bytes()
    second = make_builder(tmp_path / "two").build(path).pdf.read_bytes()
    assert first == second


def test_a_photo_is_a_dependency_of_its_issue(
    tmp_path: Path, build: Callable[[Path], BuildResult]
) -> None:
    folder = tmp_path / "issues" / "s"
    name = save(folder, "a.jpg", scene((400, 300)))
    result = build(issue(folder, [{"file": name}]))
    assert [d.path for d in result.dependencies if d.kind == "photo"] == [folder / name]


def test_the_cache_prepares_a_photo_once_and_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    scene((2000, 1500)).save(path)
    cache = PhotoCache()
    first = cache.prepared(path, 1000, "k")
    assert cache.prepared(path, 1000, "k") is first
    cache.sweep()
    assert cache.prepared(path, 1000, "k") is first  # kept by the build that used it
    scene((2400, 1500)).save(path)
    assert cache.prepared(path, 1000, "k") is not first
    assert first.width_px == 1000 and first.jpeg is not None
    assert Image.open(io.BytesIO(first.jpeg)).size == (1000, 750)


def test_prepare_flattens_palette_and_grey_alpha(tmp_path: Path) -> None:
    grey = Image.new("LA", (50, 40), (0, 0))
    grey.save(tmp_path / "g.png")
    prepared = prepare(tmp_path / "g.png", 100, "k")
    assert prepared.image.mode == "L" and prepared.image.getpixel((0, 0)) == 255
    palette = Image.new("P", (50, 40), 0)
    palette.info["transparency"] = 0
    palette.save(tmp_path / "p.png", transparency=0)
    assert prepare(tmp_path / "p.png", 100, "k").image.mode == "RGB"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_image_matrix_maps_the_picture_upright(orientation: int) -> None:
    """The raw picture's top-left pixel lands where EXIF says the upright picture has it."""
    placed = PlacedImage(None, 10, 20, 30, 60)  # type: ignore[arg-type]
    raw = (60, 30) if orientation >= 5 else (30, 60)
    _a, _b, c, d, e, f = image_matrix(placed, raw[0], raw[1], orientation)
    top_left = (c + e, d + f)  # the unit square's (0, 1) is the raw picture's top-left pixel
    expected = {
        1: (10, 80),
        2: (40, 80),
        3: (40, 20),
        4: (10, 20),
        5: (10, 80),
        6: (40, 80),
        7: (40, 20),
        8: (10, 20),
    }[orientation]
    assert top_left == pytest.approx(expected)


def test_prepared_photos_are_kept_on_disk_for_the_next_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-shot build reuses what an earlier one prepared; the PDF stays the same bytes."""
    import pipeline.layout.photos as photos

    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "cache"))
    jpeg, png = tmp_path / "a.jpg", tmp_path / "b.png"
    scene((2000, 1500)).save(jpeg)
    _transparent((1600, 1000)).save(png)
    first = [PhotoCache().prepared(p, 800, "k") for p in (jpeg, png)]
    kept = sorted(p.suffix for p in (tmp_path / "cache").rglob("*.*"))
    assert kept == [".jpg", ".png"]

    def fail(*_: object) -> None:
        raise AssertionError("prepared again")

    monkeypatch.setattr(photos, "prepare", fail)
    again = [PhotoCache().prepared(p, 800, "k") for p in (jpeg, png)]
    assert again[0].jpeg == first[0].jpeg
    assert again[1].image.tobytes() == first[1].image.tobytes()
    small = tmp_path / "small.jpg"
    scene((600, 400)).save(small)
    monkeypatch.setattr(photos, "prepare", prepare)
    PhotoCache().prepared(small, 800, "k")  # embedded as it is: nothing to keep
    assert len(list((tmp_path / "cache").rglob("*.*"))) == 2
