"""Where the default templates and the bundled fonts are: the repository's, or the package's copy.

A checkout of the repository (and an editable install of it) uses the repository's own
`templates/` and `fonts/bundled/`, the canonical copies. A wheel carries copies of them in
`pipeline/data/`, made by the build step in `setup.py`; an installed package uses those.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent
PACKAGED_DATA_DIR = PACKAGE_DIR / "data"  # filled only inside a built wheel


def data_root() -> Path:
    """The folder holding `templates/` and `fonts/bundled/`: the checkout's, else the package's."""
    if (CHECKOUT_DIR / "pyproject.toml").is_file() and (CHECKOUT_DIR / "templates").is_dir():
        return CHECKOUT_DIR
    return PACKAGED_DATA_DIR


DATA_ROOT = data_root()
DEFAULT_TEMPLATES_DIR = DATA_ROOT / "templates"
BUNDLED_FONTS_DIR = DATA_ROOT / "fonts" / "bundled"
