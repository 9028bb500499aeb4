"""Tests of pipeline/layout/glyphs.py: character boxes and glyph places, kept per font chain."""

from __future__ import annotations

import gc

import pytest

from pipeline.fonts.chains import FontLibrary
from pipeline.layout import glyphs
from pipeline.layout.glyphs import Metrics, chain_fonts, chain_metrics

TEXT = "国家发展，“数字”馆——2024年ABC"


def test_a_chains_metrics_are_kept_and_measure_as_new_ones_do() -> None:
    chain = FontLibrary().chains({})["body"]
    kept = chain_metrics(chain, 16.0, 15.79)
    assert chain_metrics(chain, 16.0, 15.79) is kept
    fresh = Metrics({c: chain.font_for(c) or chain.primary for c in TEXT}, 16.0, 15.79)
    for char in TEXT:
        assert kept.advance_pt[char] == fresh.advance_pt[char]
        assert kept.glyph[char] == fresh.glyph[char]
    assert chain_metrics(chain, 22.0, 21.79) is not kept  # another size, other boxes


def test_a_new_chain_is_measured_anew() -> None:
    """A font library made again (as when a font file changes) has new chains: new metrics."""
    chains = [FontLibrary().chains({})["body"] for _ in range(2)]
    assert chain_metrics(chains[0], 16.0, 15.79) is not chain_metrics(chains[1], 16.0, 15.79)


def test_a_chains_fonts_and_metrics_go_with_the_chain() -> None:
    """Nothing is kept for a chain its font library no longer holds (a font changed)."""
    library = FontLibrary()
    chain = library.chains({})["body"]
    chain_metrics(chain, 16.0, 15.79)
    key = id(chain)
    assert key in glyphs._fonts
    del library, chain
    gc.collect()
    assert key not in glyphs._fonts


def test_a_chains_fonts_say_which_characters_are_reported() -> None:
    """The characters a fallback draws (a GB2312-only body face lacks 堃) or no font has."""
    chain = FontLibrary().chains({})["body"]
    fonts = chain_fonts(chain)
    fonts.look_up("国家堃\U000f0000 ")
    assert fonts["国"] is chain.primary and fonts["堃"] is chain.font_for("堃") is not chain.primary
    assert fonts["\U000f0000"] is chain.primary  # drawn from the primary, reported missing
    assert fonts.reported == {"堃", "\U000f0000"}


def test_a_text_looked_up_again_is_not_gone_through_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(glyphs, "TEXTS_KEPT", 2)
    chain = FontLibrary().chains({})["body"]
    fonts = chain_fonts(chain)
    asked: list[str] = []
    real = chain.font_for
    monkeypatch.setattr(chain, "font_for", lambda char: asked.append(char) or real(char))
    fonts.look_up("国家发展")
    fonts.look_up("国家发展")
    assert asked == list("国家发展")
    fonts.clear()  # as if its characters were new: only a text not remembered is gone through
    fonts.look_up("国家发展")
    assert asked == list("国家发展")
    fonts.look_up("甲")
    fonts.look_up("乙")  # the oldest text is forgotten beyond TEXTS_KEPT
    fonts.look_up("国家发展")
    assert asked == list("国家发展甲乙国家发展")
