"""Tests of pipeline/layout/linecache.py: what a kept block holds."""

from __future__ import annotations

import gc

from pipeline.fonts.chains import FontLibrary
from pipeline.layout.blocks import TextBlock
from pipeline.layout.linecache import LineCache
from pipeline.layout.pages import Composer
from pipeline.layout.style import Style, TextStyle


def test_kept_lines_are_plain_data_the_garbage_collector_stops_tracking() -> None:
    """A kept Builder holds every block's runs between builds: as tuples of strings and
    numbers, each collection of the old generation need not walk them again."""
    style = Style(text={"body": TextStyle(font="body")})
    cache = LineCache()
    Composer(style, FontLibrary().chains({}), cache).lines(
        [TextBlock("body", "国家发展改革委员会")]
    )
    cache.sweep()
    [kept] = vars(cache)["_entries"].values()
    for _ in range(4):  # each collection stops tracking one more level of nested tuples
        gc.collect()
    assert not gc.is_tracked(kept.lines)
