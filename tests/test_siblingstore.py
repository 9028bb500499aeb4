"""Kept sibling fields: a later process reads no unchanged sibling, and a changed one is read."""

from __future__ import annotations

import datetime
import marshal
import os
from pathlib import Path

import pytest
from conftest import SERIES_TOML, issue_toml, only_error, write

from pipeline.source import series, siblingstore
from pipeline.source.load import load_issue
from pipeline.source.siblingstore import SiblingStore


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A series of four issues, numbered 1–4, and a cache folder of its own."""
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "s"
    write(folder / "series.toml", SERIES_TOML)
    for number in range(1, 5):
        write(
            folder / f"2024-0{number}.toml", issue_toml(number, f"2024-0{number}-05", 10 + number)
        )
    return folder


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The sibling files read from now on (as a new process would: in-memory mastheads gone)."""
    monkeypatch.setattr(series, "_PEEKED", {})
    read: list[Path] = []
    real = series.peek_masthead

    def counting(path: Path) -> object:
        read.append(path)
        return real(path)

    monkeypatch.setattr(series, "peek_masthead", counting)
    return read


def test_a_later_build_reads_no_unchanged_sibling(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = series._read_siblings(folder)
    assert [fields for _, fields in first][1] == (2, 12, datetime.date(2024, 2, 5))
    read = _reads(monkeypatch)
    assert series._read_siblings(folder) == first
    assert read == []
    assert load_issue(folder / "2024-04.toml").warnings == []
    assert read == []


def test_a_changed_sibling_is_read_again(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same size, other number: the new mtime makes it read, and the clash is found."""
    series._read_siblings(folder)
    sibling = folder / "2024-03.toml"
    text = sibling.read_text(encoding="utf-8")
    stat = sibling.stat()
    sibling.write_text(text.replace("number = 3", "number = 4"), encoding="utf-8")
    os.utime(sibling, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert sibling.stat().st_size == stat.st_size
    read = _reads(monkeypatch)
    error = only_error(folder / "2024-04.toml")
    assert "2024-03.toml" in error.message and error.key == "masthead.number"
    assert read == [sibling]


def test_a_removed_sibling_is_forgotten_and_an_added_one_read(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    series._read_siblings(folder)
    (folder / "2024-02.toml").unlink()
    write(folder / "2024-05.toml", issue_toml(4, "2024-05-05", 15))
    read = _reads(monkeypatch)
    names = [path.name for path, _ in series._read_siblings(folder)]
    assert names == ["2024-01.toml", "2024-03.toml", "2024-04.toml", "2024-05.toml"]
    assert read == [folder / "2024-05.toml"]
    assert "2024-02.toml" not in SiblingStore(folder)._entries


def test_a_damaged_store_is_not_used(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = series._read_siblings(folder)
    store = SiblingStore(folder)
    store.path.write_bytes(b"not marshal")
    assert series._read_siblings(folder) == first
    store.path.write_bytes(marshal.dumps({"2024-01.toml": ("bad", None), "2024-02.toml": 7}))
    assert series._read_siblings(folder) == first


def test_values_marshal_would_change_are_not_kept(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A total that is a date, a list or a table is read from its file every time."""
    sibling = folder / "2024-02.toml"
    sibling.write_text(
        sibling.read_text(encoding="utf-8").replace("total = 12", "total = [12]"), encoding="utf-8"
    )
    first = series._read_siblings(folder)
    read = _reads(monkeypatch)
    assert series._read_siblings(folder) == first
    assert read == [sibling]
    assert [fields for path, fields in first if path == sibling] == [
        (2, [12], datetime.date(2024, 2, 5))
    ]


def test_at_most_folders_kept_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(siblingstore, "FOLDERS_KEPT", 3)
    for n in range(5):
        folder = tmp_path / f"s{n}"
        write(folder / "2024-01.toml", issue_toml(1, "2024-01-05", 1))
        series._read_siblings(folder)
    kept = list((tmp_path / "cache" / siblingstore.FOLDER).glob("*.marshal"))
    assert len(kept) == 3
    assert SiblingStore(tmp_path / "s4").path in kept


def test_an_edit_of_the_issue_built_reads_and_writes_nothing(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its own masthead is not a sibling's: neither read for the check nor kept again."""
    assert load_issue(folder / "2024-04.toml").warnings == []
    store = SiblingStore(folder).path
    written = store.stat().st_mtime_ns
    os.utime(store, ns=(written - 10**9, written - 10**9))
    edited = folder / "2024-04.toml"
    edited.write_text(issue_toml(3, "2024-04-05", 14), encoding="utf-8")
    read = _reads(monkeypatch)
    error = only_error(edited)  # the clash with 2024-03 is still found
    assert "2024-03.toml" in error.message and error.key == "masthead.number"
    assert read == [] and store.stat().st_mtime_ns == written - 10**9
    sibling = series._read_siblings(folder)  # a batch's index reads it, and keeps it
    assert [fields for path, fields in sibling if path == edited] == [
        (3, 14, datetime.date(2024, 4, 5))
    ]
    assert read == [edited] and store.stat().st_mtime_ns != written - 10**9
