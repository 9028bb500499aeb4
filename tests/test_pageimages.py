"""Page images and text of a built PDF: sizes, caching by version, a replaced PDF read anew."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from conftest import Built
from PIL import Image

from pipeline.app.pageimages import PageImages


def test_pages_are_rendered_at_the_asked_width_with_their_text(
    samples: dict[str, Built], tmp_path: Path
) -> None:
    pdf = shutil.copy(samples["2024-14"].result.pdf, tmp_path / "a.pdf")
    images = PageImages()
    document = images.document(pdf)
    assert len(document.sizes) == images.page_count(pdf) == samples["2024-14"].result.pages
    assert "我省扎实推进地方志数字化建设" in document.texts[0]
    assert document.sizes[0].height_px(900) == 1273
    found = images.png(pdf, 0, 900)
    assert found is not None
    version, png = found
    assert version == document.version
    assert Image.open(io.BytesIO(png)).size == (900, 1273)
    assert images.png(pdf, 0, 900) == found  # kept
    assert images.png(pdf, len(document.sizes), 900) is None


def test_a_replaced_pdf_is_read_again(samples: dict[str, Built], tmp_path: Path) -> None:
    pdf = tmp_path / "a.pdf"
    shutil.copy(samples["2024-14"].result.pdf, pdf)
    images = PageImages()
    before = images.document(pdf)
    shutil.copy(samples["2024-07"].result.pdf, tmp_path / "b.pdf")
    (tmp_path / "b.pdf").replace(pdf)  # as a build puts its PDF in place
    after = images.document(pdf)
    assert after.version != before.version
    assert len(after.sizes) == 3


def test_an_unreadable_pdf_has_no_pages(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf")
    assert PageImages().page_count(broken) == 0
    assert PageImages().page_count(tmp_path / "missing.pdf") == 0
    with pytest.raises(OSError):
        PageImages().document(tmp_path / "missing.pdf")


def test_grey_pages_are_one_channel_and_the_masthead_page_keeps_its_red(
    samples: dict[str, Built],
) -> None:
    images = PageImages()
    pdf = samples["2024-14"].result.pdf
    modes = []
    for index in (0, 1):
        found = images.png(pdf, index, 900)
        assert found is not None
        modes.append(Image.open(io.BytesIO(found[1])).mode)
    assert modes == ["RGB", "L"]


def test_warm_renders_the_pages_last_asked_for(samples: dict[str, Built], tmp_path: Path) -> None:
    pdf = shutil.copy(samples["2024-14"].result.pdf, tmp_path / "a.pdf")
    images = PageImages()
    images.warm(pdf)  # nothing was asked for yet: nothing to do
    assert images.cached() == []
    images.png(pdf, 3, 900)
    shutil.copy(samples["2024-13"].result.pdf, tmp_path / "b.pdf")
    (tmp_path / "b.pdf").replace(pdf)
    images.warm(pdf)
    version = images.document(pdf).version
    assert sorted(i for v, i, _w in images.cached() if v == version) == [2, 3, 4]


def test_pages_asked_for_at_once_are_rendered_once(
    samples: dict[str, Built], monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.app import pageimages

    rendered: list[int] = []
    real = pageimages._render

    def counted(document: pageimages.Document, index: int, width_px: int) -> bytes:
        rendered.append(index)
        return real(document, index, width_px)

    monkeypatch.setattr(pageimages, "_render", counted)
    images = PageImages()
    pdf = samples["2024-14"].result.pdf
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(lambda _n: images.png(pdf, 1, 900), range(8)))
    assert rendered == [1] and len({f[1] for f in found if f}) == 1
    assert images._busy == {}  # no lock is left behind
