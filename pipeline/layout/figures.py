"""Photos and tables among the lines: their lines, and the page breaks around them.

Pages are filled by `paginate`; then, page by page from the first, two rules of
layout.md §8 are applied and the rest paginated again:

- a photo that did not fit in the rest of a page goes to the top of the next, and the text that
  follows it flows up to fill that page (text lines only, each paragraph's lines in order, cut
  only where a page break is allowed);
- a table continued on the next page repeats its header rows there.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from pipeline.layout.blocks import FigureBlock, PhotoBlock
from pipeline.layout.pages import Composer, GridLine
from pipeline.layout.photos import PhotoCache, PhotoFigure, photo_lines
from pipeline.layout.tables import RowFigure, table_lines

PageLines = list[tuple[int, GridLine]]


@dataclass
class FigureLines:
    """Composes photo and table blocks for a Composer (its `figures`), photos from a cache."""

    photos: PhotoCache

    def __call__(self, composer: Composer, block: FigureBlock) -> list[GridLine]:
        """The block's lines with their page-break permissions set."""
        if isinstance(block, PhotoBlock):
            return photo_lines(composer, block, self.photos)
        return table_lines(composer, block)


def paginate(lines: list[GridLine], cells_per_page: int) -> list[list[tuple[int, GridLine]]]:
    """Fill pages on the grid, breaking only where lines allow it; returns (cell, line) pairs."""
    pages: list[list[tuple[int, GridLine]]] = []
    index = 0
    while index < len(lines):
        while index < len(lines) and lines[index].discard_at_top and pages:
            index += 1
        start = index
        used = 0
        end = index
        while end < len(lines) and used + lines[end].cells <= cells_per_page:
            if end > start and lines[end].force_break_before:
                break
            used += lines[end].cells
            end += 1
        if end < len(lines) and not lines[end].force_break_before:
            cut = end
            while cut > start + 1 and not lines[cut].break_before:
                cut -= 1
            end = cut if lines[cut].break_before else end
        if end == start:
            end = start + 1
        page: list[tuple[int, GridLine]] = []
        cell = 0
        for line in lines[start:end]:
            page.append((cell, line))
            cell += line.cells
        pages.append(page)
        index = end
    return pages


def paginate_figures(lines: list[GridLine], cells_per_page: int) -> list[PageLines]:
    """Pages of lines as `paginate` makes them, with photos floated and table headers repeated."""
    order = list(lines)
    floated: set[int] = set()
    while True:
        pages = paginate(order, cells_per_page)
        fix = _first_fix(pages, order, cells_per_page, floated)
        if fix is None:
            break
        order = fix
    _close_table_parts(pages)
    return pages


def _first_fix(
    pages: list[PageLines], order: list[GridLine], cells_per_page: int, floated: set[int]
) -> list[GridLine] | None:
    """The line order after the first fix a page needs, or None when none needs one."""
    position = {id(line): index for index, line in enumerate(order)}
    for before, page in itertools.pairwise(pages):
        first = page[0][1]
        used = max(cell + line.cells for cell, line in before)
        photo = isinstance(first.figure, PhotoFigure) and not first.force_break_before
        if photo and id(first) not in floated:
            floated.add(id(first))
            moved = _text_to_float_up(order, position[id(first)], cells_per_page - used)
            if moved is not None:
                return moved
        if isinstance(first.figure, RowFigure) and not first.figure.header:
            last = before[-1][1]
            if _table_of(order, position[id(last)]) is first.figure.table:
                return _with_header(order, position[id(first)], first.figure)
    return None


def _text_to_float_up(order: list[GridLine], start: int, room: int) -> list[GridLine] | None:
    """Move the text after the photo at `start` before it, as much as fits in `room` cells."""
    end = start + 1
    while end < len(order) and not order[end].break_before:  # the photo's caption lines
        end += 1
    if sum(line.cells for line in order[start:end]) <= room:
        return None  # it fitted: something else moved it
    best = None
    used = 0
    cut = end
    while cut < len(order) and order[cut].figure is None and not order[cut].force_break_before:
        if order[cut].cells + used > room:
            break
        used += order[cut].cells
        cut += 1
        if cut == len(order) or order[cut].break_before:
            best = cut
    if best is None:
        return None
    return [*order[:start], *order[end:best], *order[start:end], *order[best:]]


def _table_of(order: list[GridLine], index: int) -> object | None:
    """The table whose row the line at `index` belongs to (a row's later lines included)."""
    while index >= 0:
        figure = order[index].figure
        if isinstance(figure, RowFigure):
            return figure.table
        if order[index].break_before or figure is not None:
            return None
        index -= 1
    return None


def _with_header(order: list[GridLine], index: int, row: RowFigure) -> list[GridLine]:
    """Insert a copy of the table's header rows before the row at `index`, on a new page."""
    copies = []
    for line in row.table.header:
        figure = replace(line.figure) if isinstance(line.figure, RowFigure) else None
        copies.append(replace(line, rules=(), break_before=False, figure=figure))
    if not copies:
        return order
    copies[0].force_break_before = True
    copies[0].break_before = True
    order[index].break_before = False
    return [*order[:index], *copies, *order[index:]]


def _close_table_parts(pages: list[PageLines]) -> None:
    """A table row draws its bottom rule when no row of its table follows it on the page."""
    for page in pages:
        for i, (_, line) in enumerate(page):
            figure = line.figure
            if not isinstance(figure, RowFigure):
                continue
            after = i + figure.rows
            following = page[after][1].figure if after < len(page) else None
            figure.closes = not (
                isinstance(following, RowFigure) and following.table is figure.table
            )
