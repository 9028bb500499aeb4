"""Tests of pipeline/layout/glyphs.py: character boxes and glyph places, kept per font chain."""

from __future__ import annotations

import pytest

from pipeline.fonts.chains import FontLibrary
from pipeline.layout import glyphs
from pipeline.layout.glyphs import CharMemo, Metrics, chain_metrics

TEXT = "国家发展，“数字”馆——2024年ABC"


def test_a_chains_metrics_are_kept_and_measure_as_new_ones_do() -> None:
    chain = FontLibrary().chains({})["body"]
    kept = chain_metrics(chain, 16.0, 15.79)
    assert chain_metrics(chain, 16.0, 15.79) is kept
    fresh = Metrics(CharMemo(lambda c: chain.font_for(c) or chain.primary), 16.0, 15.79)
    for char in TEXT:
        assert kept.advance_pt[char] == fresh.advance_pt[char]
        assert kept.glyph[char] == fresh.glyph[char]
    assert chain_metrics(chain, 22.0, 21.79) is not kept  # another size, other boxes


def test_a_new_chain_is_measured_anew() -> None:
    """A font library made again (as when a font file changes) has new chains: new metrics."""
    chains = [FontLibrary().chains({})["body"] for _ in range(2)]
    assert chain_metrics(chains[0], 16.0, 15.79) is not chain_metrics(chains[1], 16.0, 15.79)


def test_the_metrics_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(glyphs, "METRICS_KEPT", 2)
    chain = FontLibrary().chains({})["body"]
    for size in (10.0, 11.0, 12.0):
        chain_metrics(chain, size, size)
    assert len(glyphs._kept) == 2
    assert (id(chain), 12.0, 12.0) in glyphs._kept  # the newest stay
