"""The build client: its frames and .info files, the code version, and what it imports."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.app import buildclient
from pipeline.app.buildclient import (
    ServerInfo,
    build_environment,
    code_version,
    read_frame,
    send_frame,
    served_build,
)

PACKAGE = Path(buildclient.__file__).resolve().parent.parent


def test_a_frame_arrives_as_sent_and_a_changed_one_is_refused() -> None:
    secret, nonce = b"k" * 32, b"n" * 16
    left, right = socket.socketpair()
    with left, right:
        message = ("done", 0, [(False, "built   a → b"), (True, "出错")])
        send_frame(left, secret, message, nonce)
        assert read_frame(right, secret, nonce) == message
        send_frame(left, secret, message, nonce)
        with pytest.raises(ValueError):
            read_frame(right, secret, b"m" * 16)  # a reply to another request
        send_frame(left, b"x" * 32, message)
        with pytest.raises(ValueError):
            read_frame(right, secret)  # another secret


def test_an_info_file_reads_back_and_anything_else_is_none() -> None:
    info = ServerInfo(42, "ab" * 16, "tcp", "51234", bytes(range(32)))
    assert ServerInfo.parse(info.text()) == info
    assert ServerInfo.parse("") is None
    assert ServerInfo.parse(info.text().replace(info.secret.hex(), "zz")) is None
    assert ServerInfo.parse(info.text().replace("bulletin-build-server 1", "x 1")) is None


def test_the_code_version_changes_with_any_file_of_the_package() -> None:
    before = code_version()
    assert code_version() == before
    probe = PACKAGE / ".version-probe"
    probe.write_text("x", encoding="utf-8")
    try:
        assert code_version() != before
    finally:
        probe.unlink()
    assert code_version() == before


def test_the_environment_compared_is_bulletins_and_reportlabs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BULLETIN_SOMETHING", "1")
    monkeypatch.setenv("RL_invariant", "1")
    monkeypatch.setenv("BULLETIN_BUILD_SERVER", "tcp")
    monkeypatch.setenv("EDITOR", "vim")
    found = build_environment()
    assert found["BULLETIN_SOMETHING"] == "1" and found["RL_invariant"] == "1"
    assert "BULLETIN_LANG" not in found and "BULLETIN_BUILD_SERVER" not in found
    assert "EDITOR" not in found


def test_without_a_server_or_switched_off_nothing_is_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "issues").mkdir()
    monkeypatch.chdir(tmp_path)
    printed: list[str] = []
    assert served_build([], None, False, None, False, printed.append) is None  # no .info
    assert served_build([tmp_path / "gone.toml"], None, False, None, False, printed.append) is None
    monkeypatch.setenv("BULLETIN_BUILD_SERVER", "off")
    assert served_build([], None, False, None, False, printed.append) is None
    assert printed == []


def test_a_stale_info_file_is_built_around(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "issues").mkdir()
    monkeypatch.chdir(tmp_path)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed below: nothing listens there
    info = ServerInfo(1, code_version(), "tcp", str(port), b"s" * 32)
    target = buildclient.info_path(tmp_path.resolve())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(info.text(), encoding="utf-8")
    try:
        assert served_build([], None, False, None, False, print) is None
    finally:
        target.unlink()


def test_the_client_imports_nothing_heavy_beyond_the_command_line() -> None:
    """What asking a server costs before it answers: no socket, hashlib, json or build modules."""
    script = (
        "import json, sys; import pipeline.app.cli; before = set(sys.modules); "
        "import pipeline.app.buildclient; print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    added = set(json.loads(done.stdout))
    allowed = {
        "pipeline.app.buildclient",
        "pipeline.files",
        "glob",
        "_blake2",
        "_socket",
        "marshal",
    }
    assert added <= allowed, added - allowed
