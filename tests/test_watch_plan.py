"""Tests for the watcher's planner: changed files → issues to rebuild; no threads, no sleeps."""

from __future__ import annotations

from pathlib import Path

from pipeline.app.watch_plan import Change, Planner, reaches
from pipeline.build import Dependency, DependencyKind

ROOT = Path("/project")
ISSUES = ROOT / "issues"
W13, W14 = ISSUES / "work-bulletin" / "2024-13.toml", ISSUES / "work-bulletin" / "2024-14.toml"
B07 = ISSUES / "brief-news" / "2024-07.toml"
SHARED_BOOK = ISSUES / "recipients.toml"
FONTS = ROOT / "fonts"


def deps(issue: Path, *extra: tuple[str, DependencyKind]) -> list[Dependency]:
    """An issue's own dependencies (its file, its series.toml, its template, fonts/) and more."""
    template = "brief-news" if issue.parent.name == "brief-news" else "work-bulletin"
    return [
        Dependency(issue, "issue"),
        Dependency(issue.parent / "series.toml", "series"),
        Dependency(ROOT / "templates" / template, "template"),
        Dependency(FONTS, "font"),
        *(Dependency(ROOT / path, kind) for path, kind in extra),
    ]


def possible(issue: Path) -> list[Dependency]:
    return [
        *deps(issue),
        Dependency(issue.parent / "recipients.toml", "address book"),
        Dependency(SHARED_BOOK, "address book"),
        Dependency(ROOT / "templates", "template"),
    ]


def planner() -> Planner:
    """A planner that has built the three sample issues; only 2024-14 read an address book."""
    planning = Planner([ISSUES], [], possible)
    planning.built(W13, deps(W13))
    book = ("issues/work-bulletin/recipients.toml", "address book")
    planning.built(W14, deps(W14, book, ("issues/recipients.toml", "address book")))
    planning.built(B07, deps(B07))
    return planning


def builds(planning: Planner, *changes: Change) -> dict[Path, Path]:
    return planning.plan(changes).builds


def test_an_issue_edit_rebuilds_that_issue() -> None:
    assert builds(planner(), Change(W14)) == {W14: W14}


def test_a_series_file_rebuilds_its_series_only() -> None:
    series = ISSUES / "work-bulletin" / "series.toml"
    assert builds(planner(), Change(series)) == {W13: series, W14: series}


def test_a_shared_address_book_rebuilds_only_the_issues_that_read_it() -> None:
    assert builds(planner(), Change(SHARED_BOOK)) == {W14: SHARED_BOOK}
    own = ISSUES / "brief-news" / "recipients.toml"
    assert builds(planner(), Change(own)) == {}  # 2024-07 prints no 共印N份: it reads no book


def test_a_template_file_rebuilds_the_issues_of_that_template() -> None:
    style = ROOT / "templates" / "work-bulletin" / "style.toml"
    assert builds(planner(), Change(style)) == {W13: style, W14: style}
    new = ROOT / "templates" / "brief-news" / "logo.svg"  # a new file in the folder counts
    assert builds(planner(), Change(new)) == {B07: new}


def test_a_font_file_rebuilds_everything_and_other_files_in_fonts_nothing() -> None:
    font = FONTS / "simfang.ttf"
    assert set(builds(planner(), Change(font))) == {W13, W14, B07}
    assert builds(planner(), Change(FONTS / "README.txt")) == {}
    assert builds(planner(), Change(FONTS / "notes.txt", exists=False)) == {}
    assert set(builds(planner(), Change(FONTS / "licensed", exists=False))) == {W13, W14, B07}


def test_a_font_outside_fonts_reaches_the_issues_whose_chain_has_it() -> None:
    bundled = ROOT / "bundled" / "Serif.ttf"
    planning = planner()
    planning.built(B07, [*deps(B07), Dependency(bundled, "font")])
    assert builds(planning, Change(bundled)) == {B07: bundled}


def test_a_photo_rebuilds_the_issue_that_shows_it() -> None:
    planning = planner()
    photo = ISSUES / "brief-news" / "photos" / "meeting.jpg"
    planning.built(B07, [*deps(B07), Dependency(photo, "photo")])
    assert builds(planning, Change(photo)) == {B07: photo}


def test_a_new_issue_in_a_watched_folder_is_built() -> None:
    new = ISSUES / "work-bulletin" / "2024-15.toml"
    assert builds(planner(), Change(new)) == {new: new}
    assert builds(planner(), Change(ROOT / "elsewhere" / "2024-15.toml")) == {}


def test_a_deleted_issue_is_gone_not_built() -> None:
    plan = planner().plan([Change(W14, exists=False)])
    assert plan.gone == {W14: W14}
    assert plan.builds == {}


def test_a_deleted_series_folder_takes_its_issues() -> None:
    folder = ISSUES / "work-bulletin"
    plan = planner().plan([Change(folder, exists=False)])
    assert plan.gone == {W13: folder, W14: folder}
    assert plan.builds == {}


def test_a_failed_issue_is_retried_by_a_sibling_and_by_what_it_may_read() -> None:
    planning = planner()
    twin = ISSUES / "work-bulletin" / "2024-15.toml"
    planning.failed(twin)  # never built: it may read any template and any address book
    assert builds(planning, Change(W13)) == {W13: W13, twin: W13}
    assert twin in builds(planning, Change(ROOT / "templates" / "other" / "style.toml"))
    assert twin in builds(planning, Change(SHARED_BOOK))
    planning.built(twin, deps(twin))
    assert builds(planning, Change(W13)) == {W13: W13}
    assert builds(planning, Change(SHARED_BOOK)) == {W14: SHARED_BOOK}


def test_a_failure_keeps_what_the_last_good_build_read() -> None:
    planning = planner()
    planning.built(B07, [*deps(B07), Dependency(ROOT / "bundled" / "Serif.ttf", "font")])
    planning.failed(B07)
    assert B07 in builds(planning, Change(ROOT / "bundled" / "Serif.ttf"))


def test_a_forgotten_issue_is_planned_no_more() -> None:
    planning = planner()
    planning.forget(W13)
    assert W13 not in planning.issues
    assert builds(planning, Change(ISSUES / "work-bulletin" / "series.toml")) == {
        W14: ISSUES / "work-bulletin" / "series.toml"
    }


def test_changes_are_planned_in_path_order_and_each_issue_once() -> None:
    series = ISSUES / "work-bulletin" / "series.toml"
    plan = planner().plan([Change(series), Change(W14), Change(W14)])
    assert plan.builds == {W14: W14, W13: series}


def test_reaches_a_folder_dependency_from_below_and_from_a_deleted_parent() -> None:
    folder = Dependency(ROOT / "templates" / "work-bulletin", "template")
    assert reaches(Change(ROOT / "templates" / "work-bulletin" / "a.j2"), folder)
    assert reaches(Change(ROOT / "templates", exists=False), folder)
    assert not reaches(Change(ROOT / "templates"), folder)
    assert not reaches(Change(ROOT / "templates" / "work-bulletin-2" / "a.j2"), folder)
