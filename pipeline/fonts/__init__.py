"""Fonts: roles, finding font files by their names, the parse cache, per-role fallback chains."""
