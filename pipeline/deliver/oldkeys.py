"""Ledger rows under the keys of older versions (`<folder as typed>/<file stem>`), moved to the
issue's identity where that is certain; where it is not, the run stops and asks.

An old key is this issue's for certain when one of its deliveries was of this very PDF (same
sha256), or when its file stem is this issue's and its folder is this series' folder, or when
its folder names no other series and no other issue file below issues/ has that stem. An old key
whose stem is this issue's but that could be another issue's (`/2024-07`, typed from inside a
folder while two series have a 2024-07.toml) is ambiguous: the clerk answers with
`--adopt KEY` or `--not-mine KEY`, and a "not mine" answer is kept in the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from pipeline.build import IssueIdentity
from pipeline.deliver.ledger import Ledger, NumbersDisagree
from pipeline.diagnostics import BulletinError, Diagnostic
from pipeline.i18n import _
from pipeline.source.series import is_issue_file

_OLD_KEY = re.compile(r"(?P<folder>[^/]*)/(?P<stem>[^/]+)")
_IDENTITY_KEY = re.compile(r"\d+年第\d+期$")


@dataclass(frozen=True)
class IssueWhere:
    """How this run names the issue: its resolved file, the path as typed, its PDF's digest."""

    identity: IssueIdentity
    file: Path
    typed: Path
    pdf_sha256: str


def adopt_old_keys(
    ledger: Ledger,
    issue: IssueWhere,
    adopt: Collection[str] = (),
    not_mine: Collection[str] = (),
) -> list[str]:
    """Move this issue's old-key rows to its identity (inside a ledger transaction).

    Returns the keys moved; raises BulletinError when a key is ambiguous or cannot be merged.
    """
    keys = ledger.keys()
    unknown = [k for k in (*adopt, *not_mine) if k not in keys]
    if unknown:
        raise BulletinError([_no_such_key(ledger, k) for k in unknown])
    for key in not_mine:
        ledger.decide(key, issue.identity.key, mine=False)
    dismissed = ledger.not_mine(issue.identity.key)
    certain: list[str] = []
    ambiguous: list[str] = []
    for key in keys:
        match = _OLD_KEY.fullmatch(key)
        if match is None or _IDENTITY_KEY.search(key) or key in dismissed:
            continue
        verdict = "mine" if key in adopt else _verdict(ledger, issue, key, *match.groups())
        if verdict == "mine":
            certain.append(key)
        elif verdict == "ambiguous":
            ambiguous.append(key)
    if ambiguous:
        raise BulletinError([_ambiguous(ledger, issue, key) for key in ambiguous])
    for key in certain:
        try:
            ledger.merge_key(key, issue.identity.key)
        except NumbersDisagree as exc:
            raise BulletinError.single(
                _(
                    "the ledger's rows under the old key '{key}' give '{name}' other copy "
                    "numbers than those of {issue}; nothing was sent",
                    key=key,
                    name=exc,
                    issue=issue.identity.key,
                ),
                file=ledger.path,
                hint=_(
                    'if those rows are another issue\'s, run again with --not-mine "{key}"',
                    key=key,
                ),
            ) from None
    return certain


def _verdict(ledger: Ledger, issue: IssueWhere, key: str, folder: str, stem: str) -> str:
    """mine, ambiguous or other, for one old key."""
    if ledger.has_pdf(key, issue.pdf_sha256):
        return "mine"
    if stem not in (issue.file.stem, issue.typed.stem):
        return "other"
    here = issue.file.parent
    others = [p for p in _issue_files(here) if p.parent != here]
    same_stem = {p.parent.name for p in others if p.stem == stem}
    if folder == here.name:
        return "ambiguous" if folder in same_stem else "mine"
    if folder in {p.parent.name for p in others}:
        return "other"  # typed as another series' folder: that series' key
    return "ambiguous" if same_stem else "mine"


def _issue_files(series_folder: Path) -> list[Path]:
    """Every issue file below the issues/ folder that holds this series (or its own folder)."""
    top = next((p for p in series_folder.parents if p.name == "issues"), series_folder)
    return [p.resolve() for p in top.rglob("*.toml") if is_issue_file(p)]


def _ambiguous(ledger: Ledger, issue: IssueWhere, key: str) -> Diagnostic:
    return Diagnostic(
        "error",
        _(
            "the ledger holds deliveries under the old key '{key}' that may be those of "
            "{issue} or of another issue with the file name {file}; nothing was sent, so "
            "that no copy goes out twice",
            key=key,
            issue=issue.identity.key,
            file=issue.file.name,
        ),
        ledger.path,
        hint=_(
            'if those copies were this issue\'s, run again with --adopt "{key}"; if not, '
            'with --not-mine "{key}"',
            key=key,
        ),
    )


def _no_such_key(ledger: Ledger, key: str) -> Diagnostic:
    return Diagnostic(
        "error",
        _("the ledger has no rows under the key '{key}'", key=key),
        ledger.path,
        hint=_("give a key exactly as the message that asked for it wrote it"),
    )
