"""`bulletin distribute`: the command's options, its messages and its exit status."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline.app.console import EXIT_FAILED, EXIT_OK, print_diagnostics, shown
from pipeline.diagnostics import BulletinError, Diagnostic
from pipeline.i18n import _


@click.command()
@click.argument("issue", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    "output_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of the PDFs, the ledger and outbox/ (default: output/).",
)
@click.option("--dry-run", is_flag=True, help="Print who would get what; send nothing.")
@click.option("--status", "show_status", is_flag=True, help="Print each recipient's state.")
@click.option(
    "--resend-changed",
    is_flag=True,
    help="Send a rebuilt, changed PDF again to those who had it, marked 更正.",
)
@click.option("--smtp-host", help="Mail server, instead of [smtp] host.")
@click.option("--smtp-port", type=click.IntRange(1, 65535), help="Port, instead of [smtp] port.")
@click.option(
    "--smtp-security",
    type=click.Choice(["starttls", "ssl", "none"]),
    help="Instead of [smtp] security.",
)
@click.option(
    "--adopt",
    multiple=True,
    metavar="KEY",
    help="The ledger's rows under this old key are this issue's (when a run asks).",
)
@click.option(
    "--not-mine",
    multiple=True,
    metavar="KEY",
    help="The ledger's rows under this old key are another issue's (when a run asks).",
)
def distribute(
    issue: Path,
    output_dir: Path | None,
    dry_run: bool,
    show_status: bool,
    resend_changed: bool,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str | None,
    adopt: tuple[str, ...],
    not_mine: tuple[str, ...],
) -> None:
    """Deliver every recipient of an issue its own numbered copies, by e-mail or into a folder.

    Examples:

      bulletin distribute issues/work-bulletin/2024-14.toml --dry-run
      bulletin distribute issues/work-bulletin/2024-14.toml
    """
    import time

    from pipeline.app.distribute_report import (
        outcome_line,
        plan_lines,
        status_complete,
        status_lines,
        summary_lines,
    )
    from pipeline.build import find_project_root
    from pipeline.deliver.distribute import Distributor
    from pipeline.deliver.plan import KeyAnswers, Plan

    if hasattr(time, "tzset"):
        time.tzset()  # --status prints local time: honour TZ as it is now

    def announce(plan: Plan) -> None:
        print_diagnostics(plan.warnings)
        for key in plan.adopted_keys:
            click.echo(
                _(
                    "ledger: the rows under the old key '{key}' are now {issue}",
                    key=key,
                    issue=plan.identity.key,
                )
            )
        if plan.rebuilt:
            click.echo(_("built   {issue} → {pdf}", issue=shown(issue), pdf=shown(plan.pdf_path)))

    if not issue.is_file():
        print_diagnostics(
            [
                Diagnostic(
                    "error", _("no such issue file"), issue, hint=_("give the issue's .toml file")
                )
            ]
        )
        sys.exit(EXIT_FAILED)
    distributor = Distributor(
        find_project_root(issue),
        output_dir,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        smtp_security=smtp_security,
    )
    answers = KeyAnswers(adopt, not_mine)
    try:
        if dry_run or show_status:
            plan = distributor.preview(issue, resend_changed, answers)
            print_diagnostics(plan.warnings)
            for line in status_lines(plan) if show_status else plan_lines(plan):
                click.echo(line)
            sys.exit(EXIT_FAILED if show_status and not status_complete(plan) else EXIT_OK)
        report = distributor.distribute(
            issue,
            resend_changed=resend_changed,
            answers=answers,
            on_plan=announce,
            progress=lambda outcome: click.echo(outcome_line(outcome)),
        )
    except BulletinError as exc:
        print_diagnostics(exc.diagnostics)
        click.echo(_("nothing sent for {issue}", issue=shown(issue)), err=True)
        sys.exit(EXIT_FAILED)
    for index, line in enumerate(summary_lines(report)):
        click.echo(line, err=index > 0)  # the counts on stdout, what went wrong on stderr
    sys.exit(EXIT_OK if report.complete else EXIT_FAILED)
