"""Synthetic photos made with Pillow: a reading-room building under a sky, trees, noise.

Used by bench/photos.py (4000 × 3000 JPEGs) and to make the sample issue's photo
(`python bench/scene.py issues/work-bulletin/photos/2024-15-1.jpg 1380 920`). The pictures are
made for this project; they carry no third party's rights.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter


def scene(width: int, height: int, seed: int = 1) -> Image.Image:
    """An outdoor photo-like picture: sky gradient, a building with windows, trees, grain."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.68)
    for y in range(horizon):  # sky: deep blue at the top to pale near the horizon
        t = y / horizon
        draw.line(
            [(0, y), (width, y)], fill=(int(70 + 120 * t), int(130 + 90 * t), int(200 + 45 * t))
        )
    for y in range(horizon, height):  # a paved square
        t = (y - horizon) / (height - horizon)
        draw.line(
            [(0, y), (width, y)], fill=(int(150 - 40 * t), int(145 - 40 * t), int(135 - 40 * t))
        )
    left, right = int(width * 0.2), int(width * 0.8)
    top = int(height * 0.28)
    draw.rectangle([left, top, right, horizon], fill=(225, 215, 196))  # the building
    draw.polygon(
        [
            (left - width * 0.03, top),
            (right + width * 0.03, top),
            ((left + right) / 2, top - height * 0.12),
        ],
        fill=(150, 60, 50),
    )
    rows, columns = 3, 8
    cell_w, cell_h = (right - left) / columns, (horizon - top) / (rows + 1)
    for r in range(rows):
        for c in range(columns):
            x0, y0 = left + c * cell_w + cell_w * 0.2, top + r * cell_h + cell_h * 0.3
            draw.rectangle([x0, y0, x0 + cell_w * 0.6, y0 + cell_h * 0.55], fill=(70, 95, 120))
    door = (left + right) / 2
    draw.rectangle(
        [door - cell_w * 0.5, horizon - cell_h * 0.9, door + cell_w * 0.5, horizon],
        fill=(90, 60, 40),
    )
    draw.rectangle(
        [door - cell_w * 1.6, top + cell_h * 0.02, door + cell_w * 1.6, top + cell_h * 0.25],
        fill=(200, 30, 30),
    )
    for _ in range(14):  # trees along the square
        x = rng.uniform(0, width)
        size = rng.uniform(0.05, 0.09) * width
        y = horizon + rng.uniform(-0.02, 0.05) * height
        draw.rectangle(
            [x - size * 0.06, y - size * 0.3, x + size * 0.06, y + size * 0.4], fill=(90, 65, 40)
        )
        shade = rng.randint(90, 140)
        draw.ellipse(
            [x - size / 2, y - size * 1.3, x + size / 2, y - size * 0.2], fill=(40, shade, 50)
        )
    image = image.filter(ImageFilter.GaussianBlur(max(1, width // 1500)))
    grain = Image.effect_noise((width, height), 18).convert("RGB")
    return Image.blend(image, grain, 0.06)


def main() -> None:
    """Write a scene: scene.py OUT.jpg WIDTH HEIGHT [SEED]."""
    out, width, height = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    out.parent.mkdir(parents=True, exist_ok=True)
    scene(width, height, seed).save(out, quality=82)


if __name__ == "__main__":
    main()
