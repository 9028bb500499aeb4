"""`bulletin new`: write the next issue file of a series, every optional key shown in Chinese."""

from __future__ import annotations

import datetime
import functools
import json
from pathlib import Path
from typing import Any

import jinja2

from pipeline.diagnostics import BulletinError
from pipeline.files import write_atomically
from pipeline.i18n import _
from pipeline.source.load import merge_series, read_toml
from pipeline.source.series import SERIES_FILE, is_issue_file, peek_masthead

SKELETON_DIR = Path(__file__).resolve().parent / "skeleton"
NEW_ISSUE_TEMPLATE = "new-issue.toml.j2"


@functools.cache
def skeleton(name: str) -> jinja2.Template:
    """A file template of skeleton/: `bulletin new`'s issue, `bulletin init`'s first issue."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(SKELETON_DIR),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    return environment.get_template(name)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | datetime.date):
        return str(value) if isinstance(value, int) else value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _latest_masthead(folder: Path, series: dict[str, Any]) -> dict[str, Any]:
    """The masthead of the series' latest issue (by date, then number), merged with the series."""
    defaults = series.get("masthead")
    best: dict[str, Any] = {}
    for path in folder.glob("*.toml"):
        peeked = peek_masthead(path) if is_issue_file(path) else None
        if peeked is None:
            continue  # not an issue, or a broken file: the loader reports it when it is built
        head = merge_series(defaults if isinstance(defaults, dict) else {}, peeked)
        # a real date only: a TOML date-time cannot be compared with the dates of the others
        if type(head.get("date")) is not datetime.date or not isinstance(head.get("number"), int):
            continue
        if not best or (head["date"], head["number"]) > (best["date"], best["number"]):
            best = head
    return best


def next_issue_text(folder: Path, today: datetime.date) -> tuple[str, str]:
    """The file name and TOML text of the next issue of the series in `folder`."""
    series_path = folder / SERIES_FILE
    series = read_toml(series_path).data if series_path.is_file() else {}
    head = series.get("masthead", {})
    dist = series.get("distribution", {})
    last = _latest_masthead(folder, series)
    number = last["number"] + 1 if last and last["date"].year == today.year else 1
    last_total = last.get("total")
    total = last_total + 1 if isinstance(last_total, int) else None
    name = head.get("title", "工作简报")

    def opt(key: str, table: dict[str, Any], example: Any, comment: str) -> str:
        """A key the series sets is shown commented with its value; else as an example."""
        if key in table:
            return f"# {key} = {_toml_value(table[key])}    # {comment}（系列默认，去掉 # 可改写）"
        return f"# {key} = {_toml_value(example)}    # {comment}（可选）"

    def required(key: str, table: dict[str, Any], example: Any, comment: str) -> str:
        if key in table:
            return opt(key, table, example, comment)
        return f"{key} = {_toml_value(example)}    # {comment}（必填）"

    text = skeleton(NEW_ISSUE_TEMPLATE).render(
        name=name,
        number=number,
        total=total,
        today=today,
        series_file=SERIES_FILE,
        series=series,
        head=head,
        dist=dist,
        opt=opt,
        required=required,
    )
    return f"{today.year}-{number:02d}.toml", text


def holds_series(folder: Path) -> bool:
    """Whether a folder is above the series (such as issues/ itself) rather than one series."""
    if (folder / SERIES_FILE).is_file() or any(folder.glob("*.toml")):
        return False
    return folder.name == "issues" or any(
        (sub / SERIES_FILE).is_file() or any(sub.glob("*.toml"))
        for sub in folder.iterdir()
        if sub.is_dir()
    )


def write_next_issue(folder: Path, today: datetime.date | None = None) -> Path:
    """Write the next issue file into a series folder; never overwrite an existing file."""
    if not folder.is_dir():
        raise BulletinError.single(
            _("no such series folder"),
            file=folder,
            hint=_("give a folder under issues/, e.g. issues/work-bulletin"),
        )
    if holds_series(folder):
        raise BulletinError.single(
            _("this folder holds series folders; an issue belongs in one of them"),
            file=folder,
            hint=_(
                "give the series, e.g. bulletin new {example}",
                example=(folder / "work-bulletin").as_posix(),
            ),
        )
    name, text = next_issue_text(folder, today or datetime.date.today())
    target = folder / name
    if target.exists():
        raise BulletinError.single(
            _("the next issue file already exists"),
            file=target,
            hint=_("edit that file, or rename it first"),
        )
    write_atomically(target, text.encode("utf-8"))
    return target
