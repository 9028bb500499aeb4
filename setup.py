"""Build step: a wheel carries the repository's templates/ and fonts/bundled/ as package data.

The repository keeps the canonical copies at the top level (a checkout is a workspace); a
non-editable build copies them into pipeline/data/ of the wheel, whatever files they hold.
An editable install copies nothing: it uses the repository's folders (pipeline/resources.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA = {"templates": Path("templates"), "fonts/bundled": Path("fonts") / "bundled"}


class BuildWithData(build_py):
    """build_py, then the default templates and bundled fonts into pipeline/data/."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "pipeline" / "data"
        for name, source in DATA.items():
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(HERE / source, target / name, ignore=shutil.ignore_patterns(".*"))


setup(cmdclass={"build_py": BuildWithData})
