"""Bulletin pipeline: issue TOML → model → document blocks → PDF → recipients."""
