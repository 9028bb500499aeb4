"""`bulletin new`: write the next issue file of a series, every optional key shown in Chinese."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from pipeline.diagnostics import BulletinError
from pipeline.files import write_atomically
from pipeline.source.load import merge_series, read_toml
from pipeline.source.series import SERIES_FILE, is_issue_file, peek_masthead


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

    total_line = (
        f"total = {total}    # 总期号，印为（总第{total}期）"
        if total
        else "# total = 1    # 总期号，印为（总第…期）（可选）"
    )
    lines = [
        f"# {name} {today.year}年第{number}期",
        f"# 未写明的项目沿用 {SERIES_FILE}。以 # 开头的行不起作用；去掉 # 即可启用该项。",
        "",
        opt("template", series, "work-bulletin", "模板：templates/ 下的文件夹名"),
        "",
        "[masthead]",
        f"number = {number}    # 期号，印为第{number}期",
        total_line,
        f"date = {today.isoformat()}    # 日期（不加引号）",
        required("title", head, "工作简报", "简报名称，红色套印"),
        required("editor", head, "××××办公室", "编发单位"),
        opt("mark", head, "内部资料 注意保存", "左上角标"),
        opt("duplex", head, True, "双面印刷：版记落在偶数页"),
        "",
        '# note = """编者按的正文……"""    # 编者按（可选），印在第一个栏目之前',
        "",
        "[[columns]]",
        'name = "特别关注"    # 栏目名，印为【特别关注】；不分栏目时删去此行',
        "",
        "[[columns.articles]]",
        'title = "文章标题"',
        'source = "来源单位"    # 来源，印为（来源单位）；可删去此行',
        'body = """',
        "第一段正文。",
        "",
        "第二段正文。段与段之间空一行；段内换行会被连起来。",
        '"""',
        "",
        "# 再加一篇文章：复制上面的 [[columns.articles]] 一节。",
        "# 再加一个栏目：写 [[columns]] 和 name，其后跟它的文章。",
        "",
        "[distribution]",
        opt("disclosure", dist, "主动公开", "信息公开选项"),
        opt("report_to", dist, ["上级机关"], "报"),
        opt("send_to", dist, ["同级机关"], "送"),
        opt("issue_to", dist, ["下级机关"], "发"),
        opt("printer", dist, "××××办公室综合处", "印发单位"),
        opt("print_date", dist, today, "印发日期，默认同 masthead.date"),
        opt("copies", dist, 30, '印数，印为（共印…份）；写 "auto" 按收文单位计数'),
        "",
    ]
    return f"{today.year}-{number:02d}.toml", "\n".join(lines)


def write_next_issue(folder: Path, today: datetime.date | None = None) -> Path:
    """Write the next issue file into a series folder; never overwrite an existing file."""
    if not folder.is_dir():
        raise BulletinError.single(
            "no such series folder",
            file=folder,
            hint="give a folder under issues/, e.g. issues/work-bulletin",
        )
    name, text = next_issue_text(folder, today or datetime.date.today())
    target = folder / name
    if target.exists():
        raise BulletinError.single(
            "the next issue file already exists",
            file=target,
            hint="edit that file, or rename it first",
        )
    write_atomically(target, text.encode("utf-8"))
    return target
