"""Where an issue's address book is: its file name and the folders searched, nothing parsed.

Kept apart from addressbook.py so that a build whose issue has no 共印N份 never imports the
address book's checks (bookcheck, email parsing).
"""

from __future__ import annotations

from pathlib import Path

ADDRESS_BOOK = "recipients.toml"


def find_address_book(series_dir: Path) -> Path | None:
    """recipients.toml of the series folder, else the one in the folder above (issues/)."""
    for folder in (series_dir, series_dir.parent):
        if (folder / ADDRESS_BOOK).is_file():
            return folder / ADDRESS_BOOK
    return None
