"""Photos in articles: pixels prepared at ≤ 300 dpi, and a photo with its caption as grid lines.

A photo stands centred at its width share (layout.md §8), keeping its aspect ratio; it and its
caption (楷体 四号, centred, directly below) take a whole number of grid rows, so the text after
them stays on the grid. Its pixels are never upscaled: a picture with more pixels than 300 dpi at
its printed width is downsampled with Pillow (a JPEG re-encoded as JPEG, quality 90); a JPEG
within that is embedded as its own bytes, turned by the PDF's matrix when EXIF says so.
Transparency is flattened on white.
"""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.diagnostics import BulletinError
from pipeline.files import cache_dir, write_atomically
from pipeline.i18n import _
from pipeline.layout.blocks import PhotoBlock, TextBlock
from pipeline.layout.display import DisplayPage, PlacedImage
from pipeline.layout.pages import Composer, GridLine
from pipeline.layout.style import TextStyle

MAX_DPI = 300
CACHE_VERSION = 1  # of how photos are prepared: a change must not reuse older results
JPEG_QUALITY = 90
EXIF_ORIENTATION = 0x0112
# The least white a photo's rows keep besides the photo, as a share of the line pitch.
MIN_WHITE_SHARE = 0.4
CAPTION_STYLE = TextStyle(font="kai", size_pt=14, align="center")


@dataclass(frozen=True)
class Prepared:
    """A photo's pixels as embedded: JPEG bytes (`jpeg`) or a Pillow image (`image`)."""

    width_px: int  # upright
    height_px: int
    jpeg: bytes | None = None
    image: Any = None
    orientation: int = 1  # what the PDF's matrix must still turn (JPEG kept as it is)


@dataclass
class PhotoCache:
    """Prepared photos by file (size and mtime) and pixel width, kept while builds use them."""

    _entries: dict[tuple[object, ...], Prepared] = field(default_factory=dict)
    _used: dict[tuple[object, ...], Prepared] = field(default_factory=dict)

    def prepared(self, path: Path, max_width_px: int, origin: str) -> Prepared:
        """The photo at `path` with at most `max_width_px` pixels across (upright)."""
        try:
            stat = path.stat()
        except OSError as exc:
            raise _photo_error(path, origin, exc) from None
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, max_width_px)
        found = self._used.get(key) or self._entries.get(key)
        if found is None:
            found = _kept_on_disk(path, max_width_px, origin)
        self._used[key] = found
        return found

    def sweep(self) -> None:
        """Forget every photo the build just finished did not use."""
        self._entries, self._used = self._used, {}


def _kept_on_disk(path: Path, max_width_px: int, origin: str) -> Prepared:
    """A photo prepared by any earlier build (kept in the cache folder by content), or now.

    Only downsampled pictures are kept: one embedded as it is costs nothing to prepare. A cache
    folder that cannot be read or written is skipped, never an error.
    """
    import hashlib

    from PIL import Image

    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    except OSError as exc:
        raise _photo_error(path, origin, exc) from None
    folder = cache_dir() / f"photos-{CACHE_VERSION}"
    for suffix in (".jpg", ".png"):
        kept = folder / f"{digest}-{max_width_px}{suffix}"
        with contextlib.suppress(OSError, ValueError, SyntaxError):
            data = kept.read_bytes()
            with Image.open(io.BytesIO(data)) as image:
                if suffix == ".jpg":
                    return Prepared(image.width, image.height, jpeg=data)
                image.load()
                return Prepared(image.width, image.height, image=image.copy())
    prepared = prepare(path, max_width_px, origin)
    if prepared.orientation == 1:  # a JPEG still to be turned is the file as it is
        with contextlib.suppress(OSError):
            _keep(folder, digest, max_width_px, prepared, path)
    return prepared


def _keep(folder: Path, digest: str, max_width_px: int, prepared: Prepared, source: Path) -> None:
    if prepared.jpeg is not None:
        if len(prepared.jpeg) == source.stat().st_size and prepared.jpeg == source.read_bytes():
            return  # the file itself, embedded as it is
        write_atomically(folder / f"{digest}-{max_width_px}.jpg", prepared.jpeg)
    else:
        buffer = io.BytesIO()
        prepared.image.save(buffer, "PNG", compress_level=1)
        write_atomically(folder / f"{digest}-{max_width_px}.png", buffer.getvalue())


def upright_size(path: Path, origin: str) -> tuple[int, int]:
    """A photo's width and height in pixels as it is meant to be seen (EXIF orientation)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
            turned = image.getexif().get(EXIF_ORIENTATION, 1) in (5, 6, 7, 8)
    except (OSError, ValueError, SyntaxError) as exc:
        raise _photo_error(path, origin, exc) from None
    return (height, width) if turned else (width, height)


def prepare(path: Path, max_width_px: int, origin: str) -> Prepared:
    """Read a photo for embedding: downsampled to max_width_px, flattened, upright."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as image:
            orientation = image.getexif().get(EXIF_ORIENTATION, 1)
            if orientation not in range(1, 9):
                orientation = 1
            width, height = image.size
            if orientation >= 5:
                width, height = height, width
            is_jpeg = image.format == "JPEG"
            if is_jpeg and width <= max_width_px and image.mode in ("RGB", "L", "CMYK"):
                return Prepared(width, height, jpeg=path.read_bytes(), orientation=orientation)
            target = (max_width_px, max(1, round(max_width_px * height / width)))
            if width <= max_width_px:
                target = (width, height)
            if is_jpeg:  # decode at the smallest DCT scale that still covers the target
                image.draft(image.mode, target if orientation < 5 else target[::-1])
            upright = _flattened(ImageOps.exif_transpose(image))
    except (OSError, ValueError, SyntaxError) as exc:
        raise _photo_error(path, origin, exc) from None
    if upright.size != target:
        upright = upright.resize(target, Image.Resampling.LANCZOS)
    if not is_jpeg:
        return Prepared(upright.width, upright.height, image=upright)
    buffer = io.BytesIO()
    upright.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return Prepared(upright.width, upright.height, jpeg=buffer.getvalue())


def _flattened(image: Any) -> Any:
    """The picture in RGB, L or CMYK, with any transparency laid on white."""
    from PIL import Image

    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode in ("1", "I", "I;16", "F"):
        image = image.convert("L") if image.mode == "1" else _grey_from_wide(image)
    if image.mode in ("LA", "La", "RGBA", "RGBa", "PA"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(white, rgba).convert("RGB")
        return flat.convert("L") if image.mode in ("LA", "La") else flat
    if image.mode not in ("RGB", "L", "CMYK"):
        return image.convert("RGB")
    return image


def _grey_from_wide(image: Any) -> Any:
    """A 16-bit or float grey picture as 8-bit grey, scaled by its range."""
    low, high = image.getextrema()
    scale = 255 / (high - low) if high > low else 1
    return image.point(lambda v: (v - low) * scale).convert("L")


def _photo_error(path: Path, origin: str, exc: BaseException) -> BulletinError:
    return BulletinError.single(
        _("photo {file} cannot be read: {reason}", file=path.name, reason=str(exc) or "damaged"),
        file=path,
        key=origin or None,
        hint=_("save the photo again as .jpg or .png"),
    )


@dataclass
class PhotoFigure:
    """A photo drawn in its grid rows, centred across: on the caption below it when captioned,
    else at the top (the white below it keeps the next line's text, set at its row's top, off)."""

    prepared: Prepared
    width_pt: float
    height_pt: float
    rows: int
    captioned: bool
    left_pt: float

    def place(self, page: DisplayPage, top_pt: float, pitch_pt: float) -> None:
        """Add the photo to the page; its first grid row's top edge is at top_pt."""
        white = self.rows * pitch_pt - self.height_pt
        bottom = top_pt - self.rows * pitch_pt + (0 if self.captioned else white)
        page.images.append(
            PlacedImage(self.prepared, self.left_pt, bottom, self.width_pt, self.height_pt)
        )


def photo_lines(composer: Composer, block: PhotoBlock, photos: PhotoCache) -> list[GridLine]:
    """A photo's lines: its picture's grid rows, then its caption's lines; never split."""
    style = composer.style
    caption_style = style.text.get("photo-caption", CAPTION_STYLE)
    caption = (
        composer._composed_lines(
            TextBlock("photo-caption", block.caption, "", block.caption_origin), caption_style
        )
        if block.caption
        else []
    )
    pitch = style.line_pitch_pt
    width_px, height_px = upright_size(block.path, block.origin)
    width_pt = block.width_share * style.width_pt
    height_pt = width_pt * height_px / width_px
    room = (style.page.lines - len(caption) - MIN_WHITE_SHARE) * pitch
    if height_pt > room:  # a tall photo is set smaller so that it fits on one page
        width_pt, height_pt = width_pt * room / height_pt, room
    rows = max(1, math.ceil(height_pt / pitch + MIN_WHITE_SHARE - 1e-9))
    max_width_px = math.floor(width_pt / 72 * MAX_DPI)
    prepared = photos.prepared(block.path, max_width_px, block.origin)
    left = style.left_pt + (style.width_pt - width_pt) / 2
    figure = PhotoFigure(prepared, width_pt, height_pt, rows, bool(caption), left)
    lines = [GridLine(cells=rows, figure=figure), *caption]
    for line in lines[1:]:
        line.break_before = False
    return lines
