"""The watcher's event source: the quiet period, shortened when the events say a save is done."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from watchdog.events import FileClosedEvent, FileModifiedEvent, FileMovedEvent, FileSystemEvent

from pipeline.app.watch_events import EventSource, _Handler

LONG_QUIET_S = 2.0  # long enough that no loaded machine mistakes one wait for the other


def timed_batch(source: EventSource) -> tuple[float, list[Path]]:
    started = time.monotonic()
    changes = source.next_batch()
    return time.monotonic() - started, [change.path for change in changes]


def later(handler: _Handler, *events: FileSystemEvent) -> None:
    """The events, sent after next_batch() has begun to wait (not as if during a build)."""
    threading.Timer(0.05, lambda: [handler.dispatch(event) for event in events]).start()


def source_for(tmp_path: Path) -> EventSource:
    return EventSource(
        tmp_path, tmp_path / "output", quiet_s=LONG_QUIET_S, max_wait_s=5.0, settle_s=0.01
    )


def test_a_file_written_and_closed_is_built_without_the_full_quiet_period(tmp_path: Path) -> None:
    source = source_for(tmp_path)
    handler = _Handler(source._accept)
    issue = str(tmp_path / "2024-01.toml")
    later(handler, FileModifiedEvent(issue), FileClosedEvent(issue))
    waited_s, paths = timed_batch(source)
    assert paths == [tmp_path / "2024-01.toml"] and waited_s < LONG_QUIET_S / 2


def test_a_file_renamed_into_place_is_complete_and_its_old_name_is_not(tmp_path: Path) -> None:
    source = source_for(tmp_path)
    handler = _Handler(source._accept)
    issue = tmp_path / "2024-01.toml"
    later(handler, FileMovedEvent(str(tmp_path / "draft.toml"), str(issue)))
    waited_s, paths = timed_batch(source)
    assert paths == [issue, tmp_path / "draft.toml"]  # sorted
    assert waited_s >= LONG_QUIET_S  # draft.toml is gone: that may be half of a save
    later(handler, FileMovedEvent(str(tmp_path / "2024-01.toml.tmp"), str(issue)))
    waited_s, paths = timed_batch(source)  # the temporary file is ignored: the issue is complete
    assert paths == [issue] and waited_s < LONG_QUIET_S / 2


def test_an_event_after_the_close_brings_back_the_full_quiet_period(tmp_path: Path) -> None:
    source = source_for(tmp_path)
    handler = _Handler(source._accept)
    issue = str(tmp_path / "2024-01.toml")
    later(handler, FileClosedEvent(issue), FileModifiedEvent(issue))  # written again: not done
    waited_s, _ = timed_batch(source)
    assert waited_s >= LONG_QUIET_S


def test_a_real_save_in_place_is_one_batch_after_the_short_wait(tmp_path: Path) -> None:
    """With inotify, a save in place ends with a close event: one batch, built at once."""
    source = source_for(tmp_path)
    source.start([tmp_path], [])
    try:
        issue = tmp_path / "2024-01.toml"
        threading.Timer(0.05, issue.write_text, ("[masthead]\n",)).start()
        waited_s, paths = timed_batch(source)
        assert paths == [issue] and waited_s < LONG_QUIET_S / 2
        temporary = tmp_path / "2024-01.toml.tmp"
        temporary.write_text("[masthead]\nnumber = 1\n")
        threading.Timer(0.05, os.replace, (temporary, issue)).start()
        waited_s, paths = timed_batch(source)
        assert paths == [issue] and waited_s < LONG_QUIET_S / 2
        assert source._queue.empty()  # nothing left over that would build the save again
    finally:
        source.stop()


def test_changes_that_came_during_a_build_wait_the_full_quiet_period(tmp_path: Path) -> None:
    """Saves in quick succession: what came while the last build ran is built once, together."""
    source = source_for(tmp_path)
    handler = _Handler(source._accept)
    issue = str(tmp_path / "2024-01.toml")
    handler.dispatch(FileClosedEvent(issue))  # queued before next_batch: as during a build
    waited_s, _ = timed_batch(source)
    assert waited_s >= LONG_QUIET_S
