"""The cache folder, and files written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.files import cache_dir, write_atomically


def test_cache_folder_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("BULLETIN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "bulletin"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "bulletin"


def test_a_file_is_replaced_whole_with_the_umask_permissions(tmp_path: Path) -> None:
    target = tmp_path / "new" / "out.pdf"
    write_atomically(target, b"first")
    write_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in target.parent.iterdir()] == ["out.pdf"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]


def test_writing_many_files_keeps_nothing_per_file(tmp_path: Path) -> None:
    """A batch or a long-running watcher writes thousands of files: looking for each one's
    stale temporaries must not leave a compiled pattern per file in fnmatch's cache."""
    import fnmatch

    before = fnmatch._compile_pattern.cache_info().currsize  # type: ignore[attr-defined]
    for n in range(50):
        write_atomically(tmp_path / f"2025-{n:03d}.pdf", b"%PDF")
    assert fnmatch._compile_pattern.cache_info().currsize == before  # type: ignore[attr-defined]
    assert len(list(tmp_path.iterdir())) == 50


def test_a_temporary_file_is_new_private_and_named_for_its_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As tempfile.mkstemp makes it: `.NAME.XXXX.tmp`, mode 0600, never an existing file."""
    from pipeline import files

    target = tmp_path / "out.pdf"
    handle, temporary = files._new_temporary(target)
    os.close(handle)
    name = Path(temporary).name
    assert Path(temporary).parent == tmp_path
    assert name.startswith(".out.pdf.") and name.endswith(".tmp")
    assert Path(temporary).stat().st_mode & 0o777 == 0o600
    taken = bytes.fromhex(name[len(".out.pdf.") : -len(".tmp")])
    draws = iter([taken, taken, b"\x01" * 6])  # the first two names exist: the third is used
    monkeypatch.setattr(os, "urandom", lambda n: next(draws))
    handle, again = files._new_temporary(target)
    os.close(handle)
    assert Path(again).name == ".out.pdf.010101010101.tmp"
    monkeypatch.setattr(os, "urandom", lambda n: taken)
    with pytest.raises(FileExistsError):
        files._new_temporary(target)
    private = tmp_path / "key"
    write_atomically(private, b"secret", private=True)
    assert private.stat().st_mode & 0o777 == 0o600
