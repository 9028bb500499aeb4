"""Kept styles: the same bytes give an equal Style without parsing; other bytes are checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from pipeline.diagnostics import BulletinError
from pipeline.layout import style as style_module
from pipeline.layout import stylestore
from pipeline.layout.style import Style, load_style

STYLE = ROOT / "templates" / "work-bulletin" / "style.toml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / stylestore.FOLDER


def _checks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The style files checked from now on."""
    checked: list[object] = []
    real = style_module.check

    def counting(data: object, kind: type) -> object:
        checked.append(data)
        return real(data, kind)  # type: ignore[arg-type]

    monkeypatch.setattr(style_module, "check", counting)
    return checked


def test_the_same_bytes_give_an_equal_style_unchecked(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = STYLE.read_bytes()
    first = load_style(STYLE, raw)
    assert len(list(cache.glob("*.style"))) == 1
    checked = _checks(monkeypatch)
    again = load_style(STYLE, raw)
    assert checked == []
    assert again == first and repr(again) == repr(first)  # repr: the lines' cache context
    assert again.page_width_pt == first.page_width_pt


def test_changed_bytes_are_checked_and_their_errors_reported(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = STYLE.read_bytes()
    load_style(STYLE, raw)
    checked = _checks(monkeypatch)
    changed = raw.replace(b"width_mm = 210", b"width_mm = 200", 1)
    assert changed != raw
    assert load_style(STYLE, changed).page.width_mm == 200
    assert len(checked) == 1
    with pytest.raises(BulletinError):
        load_style(STYLE, raw + b"\nnot_a_key = 1\n")
    assert len(list(cache.glob("*.style"))) == 2  # a style with errors is never kept


def test_other_code_does_not_use_the_kept_style(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = STYLE.read_bytes()
    load_style(STYLE, raw)
    monkeypatch.setattr(stylestore, "_code_digest", lambda: b"other code")
    checked = _checks(monkeypatch)
    load_style(STYLE, raw)
    assert len(checked) == 1


def test_a_damaged_kept_style_is_checked_anew(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = STYLE.read_bytes()
    first = load_style(STYLE, raw)
    for path in cache.glob("*.style"):
        path.write_bytes(b"\x80\x05 damaged")
    checked = _checks(monkeypatch)
    assert load_style(STYLE, raw) == first
    assert len(checked) == 1


def test_at_most_files_kept(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stylestore, "FILES_KEPT", 2)
    raw = STYLE.read_bytes()
    for width in (200, 201, 202):
        load_style(STYLE, raw.replace(b"width_mm = 210", f"width_mm = {width}".encode(), 1))
    assert len(list(cache.glob("*.style"))) == 2
    assert isinstance(
        stylestore.kept_style(raw.replace(b"width_mm = 210", b"width_mm = 202", 1)), Style
    )
