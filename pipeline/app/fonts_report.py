"""`bulletin fonts`: the library's FontReport as tables and lines for people."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from pipeline.app.console import EXIT_FAILED, EXIT_OK, print_diagnostics, require_existing, shown
from pipeline.build import Builder, find_issue_files, find_project_root
from pipeline.diagnostics import BulletinError
from pipeline.fonts.chains import GB2312_TOTAL, GBK_TOTAL
from pipeline.fonts.report import FontReport, RoleFont
from pipeline.source.load import LoadedIssue, load_issue

STAND_INS = "Bundled stand-ins: no font of these names was found; put one into fonts/:"


def fonts_command(issues: Sequence[Path]) -> int:
    """Print each role's font for the issues' templates (or all), then their characters."""
    require_existing(issues)
    builder = Builder(find_project_root(issues[0] if issues else Path.cwd()))
    loaded: list[LoadedIssue] = []
    unreadable = False
    for path in find_issue_files(issues):
        try:
            loaded.append(load_issue(path))
        except BulletinError as exc:
            print_diagnostics(exc.diagnostics)
            unreadable = True
    names = sorted({i.issue.template for i in loaded}) if issues else builder.templates.names()
    report = builder.font_report(loaded, names)
    print_diagnostics(report.problems)
    for line in report_lines(report, shown):
        click.echo(line)
    return EXIT_FAILED if unreadable or report.failed else EXIT_OK


def report_lines(report: FontReport, shown: Callable[[Path], str] = str) -> list[str]:
    """The report as `bulletin fonts` prints it (paths through `shown`)."""
    lines: list[str] = []
    for group in report.groups:
        lines.append(f"Fonts by role (template {', '.join(group.templates)}):")
        lines += [f"  {line}" for line in role_table(list(group.roles), shown)]
        lines.append(
            "Fallback order (a character a role's font lacks comes from the first that has it):"
        )
        lines += [
            f"  {row.role:<8} " + " → ".join(face.family for face in row.chain)
            for row in group.roles
        ]
        if group.stand_ins:
            lines.append(
                "Bundled stand-ins: no font of these names was found; put one into fonts/:"
            )
        lines += [f"  {role:<8} " + ", ".join(names) for role, names in group.stand_ins.items()]
        lines += [warning.format(relative_to=Path.cwd()) for warning in group.warnings]
    lines += [
        f"{shown(face.path)}: note: no role names the family {face.family}; "
        "add it to [fonts] in the template's style.toml to use it"
        for face in report.unused
    ]
    for issue, reports in report.characters.items():
        if not reports:
            lines.append(f"{shown(issue)}: every character has a font of its role")
        lines += [r.format(relative_to=Path.cwd()) for r in reports]
    return lines


def role_table(rows: list[RoleFont], shown: Callable[[Path], str]) -> list[str]:
    """The rows as an aligned text table (CJK characters count as two columns)."""
    table = [("role", "family", "found in", "file", "GB2312", "GBK")]
    for row in rows:
        file = shown(row.face.path) + (f"#{row.face.index}" if row.face.index else "")
        table.append(
            (
                row.role,
                row.face.family,
                row.face.origin,
                file,
                f"{row.gb2312}/{GB2312_TOTAL}",
                f"{row.gbk}/{GBK_TOTAL}",
            )
        )
    widths = [max(_width(cells[i]) for cells in table) for i in range(len(table[0]))]
    return [
        "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(cells)).rstrip()
        for cells in table
    ]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
