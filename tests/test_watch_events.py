"""The watcher's event source: the quiet period, shortened when the events say a save is done."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from conftest import write
from watchdog.events import (
    FileAttribEvent,
    FileClosedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
)

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
    issue = str(write(tmp_path / "2024-01.toml", "[masthead]\n"))
    later(handler, FileModifiedEvent(issue), FileClosedEvent(issue))
    waited_s, paths = timed_batch(source)
    assert paths == [tmp_path / "2024-01.toml"] and waited_s < LONG_QUIET_S / 2


def test_a_file_renamed_into_place_is_complete_and_its_old_name_is_not(tmp_path: Path) -> None:
    source = source_for(tmp_path)
    handler = _Handler(source._accept)
    issue = write(tmp_path / "2024-01.toml", "[masthead]\n")
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


def test_a_file_written_again_since_its_completing_event_waits_the_full_period(
    tmp_path: Path,
) -> None:
    source = source_for(tmp_path)
    issue = write(tmp_path / "2024-01.toml", "[masthead]\n")
    stale = (0, 0, 0)  # the file as the close event saw it: not as it is now
    item = (time.monotonic(), issue, "complete", stale)
    threading.Timer(0.05, lambda: source._queue.put(item)).start()
    waited_s, paths = timed_batch(source)
    assert paths == [issue] and waited_s >= LONG_QUIET_S


def test_a_change_of_attributes_after_the_close_keeps_the_file_complete(tmp_path: Path) -> None:
    source = source_for(tmp_path)
    handler = _Handler(source._accept)
    issue = str(write(tmp_path / "2024-01.toml", "[masthead]\n"))
    later(handler, FileModifiedEvent(issue), FileClosedEvent(issue), FileAttribEvent(issue))
    waited_s, _ = timed_batch(source)
    assert waited_s < LONG_QUIET_S / 2
    later(handler, FileModifiedEvent(issue), FileAttribEvent(issue))  # not closed yet
    waited_s, _ = timed_batch(source)
    assert waited_s >= LONG_QUIET_S


def test_a_change_of_attributes_alone_says_so(tmp_path: Path) -> None:
    source = source_for(tmp_path)
    handler = _Handler(source._accept)
    issue = str(write(tmp_path / "2024-01.toml", "[masthead]\n"))
    later(handler, FileAttribEvent(issue))  # nothing is half written: complete at once
    started = time.monotonic()
    changes = source.next_batch()
    assert time.monotonic() - started < LONG_QUIET_S / 2
    assert [c.attributes_only for c in changes] == [True]
    later(handler, FileAttribEvent(issue), FileClosedEvent(issue))
    assert [c.attributes_only for c in source.next_batch()] == [False]


def test_a_real_save_starts_the_build_at_once(tmp_path: Path) -> None:
    """The default: no settling time once the events say the save is complete."""
    source = EventSource(tmp_path, tmp_path / "output", quiet_s=LONG_QUIET_S, max_wait_s=5.0)
    source.start([tmp_path], [])
    try:
        issue = tmp_path / "2024-01.toml"
        saved: list[float] = []  # when the save began
        threading.Timer(0.05, save, (issue, saved)).start()
        changes = source.next_batch()
        assert [c.path for c in changes] == [issue] and changes[0].exists
        assert time.monotonic() - saved[0] < LONG_QUIET_S / 2
        assert changes[0].seen_s >= saved[0]  # when its last event came
    finally:
        source.stop()


def save(path: Path, began: list[float]) -> None:
    """Save in place, noting when the save began."""
    began.append(time.monotonic())
    path.write_text("[masthead]\nnumber = 2\n")
