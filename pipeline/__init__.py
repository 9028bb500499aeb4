"""Bulletin pipeline: issue TOML → model → document blocks → PDF → recipients."""

from pipeline.startup import install

install()  # before any other module of the package defines a dataclass or imports reportlab
